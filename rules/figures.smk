rule figure_reach_align_slide:
    input:
        unpack(figure_inputs),
    output:
        ras="results/figures/reach_align_slide_{dataset}.png",
        distance="results/figures/distance_to_ridge_{dataset}.png",
    log:
        "logs/figure_reach_align_slide/{dataset}.log",
    conda:
        "../envs/ridgeline.yaml"
    params:
        figure=section("figures", "reach_align_slide"),
        models=section("models"),
        code=fingerprint("plotting"),
    script:
        "../workflow_scripts/figure_reach_align_slide.py"
