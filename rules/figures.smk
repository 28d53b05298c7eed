rule figure_reach_align_slide:
    input:
        unpack(figure_inputs),
    output:
        report(
            "results/figures/reach_align_slide_{dataset}.png",
            caption="../report/reach_align_slide.rst",
            category="1. Reach, align, slide",
            subcategory="{dataset}",
        ),
    log:
        "logs/figure_reach_align_slide/{dataset}.log",
    conda:
        "../envs/ridgeline.yaml"
    params:
        figure=section("figures", "reach_align_slide"),
        output=section("figures", "output"),
        models=dataset_models,
        code=script_code("figure_reach_align_slide"),
    script:
        "../workflow_scripts/figure_reach_align_slide.py"


rule figure_phases:
    input:
        unpack(phase_figure_inputs),
    output:
        distance=report(
            "results/figures/distance_to_ridge_{dataset}.png",
            caption="../report/distance_to_ridge.rst",
            category="1. Reach, align, slide",
            subcategory="{dataset}",
        ),
        phases=report(
            "results/figures/phases_{dataset}.png",
            caption="../report/phases.rst",
            category="1. Reach, align, slide",
            subcategory="{dataset}",
        ),
    log:
        "logs/figure_phases/{dataset}.log",
    conda:
        "../envs/ridgeline.yaml"
    params:
        figure=section("figures", "reach_align_slide"),
        output=section("figures", "output"),
        checks=section("checks"),
        ridge_dim=section("ridge", "ridge_dim"),
        models=dataset_models,
        controls=dataset_controls,
        dim=dataset_dim,
        seed=config["seeds"][0],
        code=script_code("figure_phases"),
    script:
        "../workflow_scripts/figure_phases.py"


rule figure_neural_sweep:
    input:
        "results/neural_sweep.zarr",
    output:
        report(
            "results/figures/neural_sweep.png",
            caption="../report/neural_sweep.rst",
            category="2. Neural vs random features",
        ),
    log:
        "logs/figure_neural_sweep.log",
    conda:
        "../envs/ridgeline.yaml"
    params:
        figure=section("figures", "reach_align_slide"),
        output=section("figures", "output"),
        code=script_code("figure_neural_sweep"),
    script:
        "../workflow_scripts/figure_neural_sweep.py"


rule figure_align_vs_loss:
    input:
        "results/align_vs_loss.json",
    output:
        report(
            "results/figures/align_vs_loss.png",
            caption="../report/align_vs_loss.rst",
            category="1. Reach, align, slide",
        ),
    log:
        "logs/figure_align_vs_loss.log",
    conda:
        "../envs/ridgeline.yaml"
    params:
        figure=section("figures", "reach_align_slide"),
        output=section("figures", "output"),
        code=script_code("figure_align_vs_loss"),
    script:
        "../workflow_scripts/figure_align_vs_loss.py"


rule figure_rf:
    input:
        unpack(rf_dataset_figures),
    output:
        samples=report(
            "results/figures/rf_samples_{dataset}.png",
            caption="../report/rf_samples.rst",
            category="3. Random features",
            subcategory="{dataset}",
        ),
        errors=report(
            "results/figures/rf_errors_{dataset}.png",
            caption="../report/rf_errors.rst",
            category="3. Random features",
            subcategory="{dataset}",
        ),
        residuals=report(
            "results/figures/rf_residuals_{dataset}.png",
            caption="../report/rf_residuals.rst",
            category="3. Random features",
            subcategory="{dataset}",
        ),
    log:
        "logs/figure_rf/{dataset}.log",
    conda:
        "../envs/ridgeline.yaml"
    params:
        figure=section("figures", "rf"),
        output=section("figures", "output"),
        near_radius=section("metrics", "near_radius"),
        code=script_code("figure_rf"),
    script:
        "../workflow_scripts/figure_rf.py"


rule figure_rf_segment:
    input:
        unpack(rf_dataset_figures),
    output:
        report(
            "results/figures/rf_segment_{dataset}.png",
            caption="../report/rf_segment.rst",
            category="3. Random features",
            subcategory="{dataset}",
        ),
    log:
        "logs/figure_rf_segment/{dataset}.log",
    conda:
        "../envs/ridgeline.yaml"
    params:
        figure=section("figures", "rf"),
        segment=dataset_segment,
        output=section("figures", "output"),
        code=script_code("figure_rf_segment"),
    script:
        "../workflow_scripts/figure_rf_segment.py"


rule figure_gd_vs_flow:
    input:
        gd_vs_flow_store(),
    output:
        report(
            "results/figures/gd_vs_flow.png",
            caption="../report/gd_vs_flow.rst",
            category="3. Random features",
        ),
    log:
        "logs/figure_gd_vs_flow.log",
    conda:
        "../envs/ridgeline.yaml"
    params:
        figure=section("figures", "rf"),
        output=section("figures", "output"),
        code=script_code("figure_gd_vs_flow"),
    script:
        "../workflow_scripts/figure_gd_vs_flow.py"


rule figure_neural_vs_rf:
    input:
        unpack(figure_inputs),
    output:
        report(
            "results/figures/neural_vs_rf_{dataset}.png",
            caption="../report/neural_vs_rf.rst",
            category="2. Neural vs random features",
            subcategory="{dataset}",
        ),
    log:
        "logs/figure_neural_vs_rf/{dataset}.log",
    conda:
        "../envs/ridgeline.yaml"
    params:
        figure=section("figures", "reach_align_slide"),
        output=section("figures", "output"),
        classify=section("metrics", "classify"),
        models=dataset_models,
        code=script_code("figure_neural_vs_rf"),
    script:
        "../workflow_scripts/figure_neural_vs_rf.py"
