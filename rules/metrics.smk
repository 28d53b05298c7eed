rule run_metrics:
    input:
        dataset=rules.prepare_dataset.output[0],
        samples=rules.sample.output[0],
        checkpoint=model_checkpoint,
    output:
        directory("results/run_metrics/{dataset}/{model}/seed{seed}.zarr"),
    log:
        "logs/run_metrics/{dataset}/{model}/seed{seed}.log",
    benchmark:
        "benchmarks/run_metrics/{dataset}/{model}/seed{seed}.tsv"
    conda:
        "../envs/ridgeline.yaml"
    threads: job_threads("run_metrics")
    resources:
        gpu=gpu_request("run_metrics"),
    params:
        metrics=section("metrics"),
        ridge_dim=section("ridge", "ridge_dim"),
        rf_tau=rf_score_tau,
        tube_scale=section("checks", "reach", "tube_scale"),
        controls=control_section,
        device=stage_device("run_metrics"),
        code=script_code("run_metrics"),
    script:
        "../workflow_scripts/run_metrics.py"


rule aggregate:
    input:
        run_metrics_stores(),
    output:
        directory("results/metrics.zarr"),
    log:
        "logs/aggregate.log",
    conda:
        "../envs/ridgeline.yaml"
    params:
        run_keys=[list(key) for key in run_keys()],
        code=script_code("aggregate"),
    script:
        "../workflow_scripts/aggregate.py"
