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
    threads: 2
    params:
        metrics=section("metrics"),
        ridge_dim=section("ridge", "ridge_dim"),
        device=section("device"),
        code=fingerprint("metrics", "scms", "ridge", "empirical", "io"),
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
        datasets=section("score_runs", "datasets"),
        models=section("score_runs", "models"),
        seeds=section("seeds"),
        code=fingerprint("aggregate", "io"),
    script:
        "../workflow_scripts/aggregate.py"
