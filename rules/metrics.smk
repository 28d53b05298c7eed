rule run_metrics:
    input:
        dataset=rules.prepare_dataset.output[0],
        samples=rules.sample.output[0],
    output:
        directory("results/run_metrics/{dataset}/{model}/seed{seed}.zarr"),
    params:
        metrics=section("metrics"),
        ridge_dim=section("ridge", "ridge_dim"),
        device=section("device"),
        code=fingerprint("metrics", "scms", "ridge", "empirical", "io"),
    log:
        "logs/run_metrics/{dataset}/{model}/seed{seed}.log",
    benchmark:
        "benchmarks/run_metrics/{dataset}/{model}/seed{seed}.tsv"
    threads: 2
    conda:
        "../envs/ridgeline.yaml"
    script:
        "../workflow_scripts/run_metrics.py"


rule aggregate:
    input:
        run_metrics_stores(),
    output:
        directory("results/metrics.zarr"),
    params:
        datasets=list(config["datasets"]),
        models=section("models"),
        seeds=section("seeds"),
        code=fingerprint("aggregate", "io"),
    log:
        "logs/aggregate.log",
    conda:
        "../envs/ridgeline.yaml"
    script:
        "../workflow_scripts/aggregate.py"
