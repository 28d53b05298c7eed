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
        models=dataset_models,
        code=fingerprint("plotting"),
    script:
        "../workflow_scripts/figure_reach_align_slide.py"


rule figure_phases:
    input:
        "results/metrics.zarr",
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
        tube_radius=section("metrics", "tube_radius"),
        models=dataset_models,
        code=fingerprint("plotting"),
    script:
        "../workflow_scripts/figure_phases.py"


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
        near_radius=section("metrics", "near_radius"),
        code=fingerprint("rf_plots"),
    script:
        "../workflow_scripts/figure_rf.py"


rule figure_rf_hypotenuse:
    input:
        unpack(rf_dataset_figures),
    output:
        report(
            "results/figures/rf_hypotenuse_{dataset}.png",
            caption="../report/rf_hypotenuse.rst",
            category="3. Random features",
            subcategory="{dataset}",
        ),
    log:
        "logs/figure_rf_hypotenuse/{dataset}.log",
    conda:
        "../envs/ridgeline.yaml"
    params:
        figure=section("figures", "rf"),
        code=fingerprint("rf_plots"),
    script:
        "../workflow_scripts/figure_rf_hypotenuse.py"


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
        code=fingerprint("rf_plots"),
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
        classify=section("metrics", "classify"),
        models=dataset_models,
        code=fingerprint("plotting"),
    script:
        "../workflow_scripts/figure_neural_vs_rf.py"
