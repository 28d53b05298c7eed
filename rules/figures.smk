rule figure_reach_align_slide:
    input:
        unpack(figure_inputs),
    output:
        "results/figures/reach_align_slide_{dataset}.png",
    log:
        "logs/figure_reach_align_slide/{dataset}.log",
    conda:
        "../envs/ridgeline.yaml"
    params:
        figure=section("figures", "reach_align_slide"),
        models=section("score_runs", "models"),
        code=fingerprint("plotting"),
    script:
        "../workflow_scripts/figure_reach_align_slide.py"


rule figure_phases:
    input:
        "results/metrics.zarr",
    output:
        distance="results/figures/distance_to_ridge_{dataset}.png",
        phases="results/figures/phases_{dataset}.png",
    log:
        "logs/figure_phases/{dataset}.log",
    conda:
        "../envs/ridgeline.yaml"
    params:
        figure=section("figures", "reach_align_slide"),
        tube_radius=section("metrics", "tube_radius"),
        models=section("score_runs", "models"),
        code=fingerprint("plotting"),
    script:
        "../workflow_scripts/figure_phases.py"


rule figure_rf:
    input:
        unpack(rf_dataset_figures),
    output:
        samples="results/figures/rf_samples_{dataset}.png",
        errors="results/figures/rf_errors_{dataset}.png",
        residuals="results/figures/rf_residuals_{dataset}.png",
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
        "results/figures/rf_hypotenuse_{dataset}.png",
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
        "results/figures/gd_vs_flow.png",
    log:
        "logs/figure_gd_vs_flow.log",
    conda:
        "../envs/ridgeline.yaml"
    params:
        figure=section("figures", "rf"),
        code=fingerprint("rf_plots"),
    script:
        "../workflow_scripts/figure_gd_vs_flow.py"
