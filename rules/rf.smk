rule rf_moments:
    input:
        dataset=rules.prepare_dataset.output[0],
    output:
        directory("results/rf_moments/{dataset}/p{p}/w{weighting}/seed{seed}.zarr"),
    log:
        "logs/rf_moments/{dataset}/p{p}/w{weighting}/seed{seed}.log",
    benchmark:
        "benchmarks/rf_moments/{dataset}/p{p}/w{weighting}/seed{seed}.tsv"
    conda:
        "../envs/ridgeline.yaml"
    threads: 2
    resources:
        gpu=gpu_request("rf_moments"),
    params:
        rf=rf_quadrature_section(),
        times=dataset_time_range,
        device=stage_device("rf_moments"),
        code=fingerprint(
            "rf_moments",
            "rf_quadrature",
            "models.random_features",
            "empirical",
            "forward",
        ),
    script:
        "../workflow_scripts/rf_moments.py"


rule rf_flow:
    input:
        dataset=rules.prepare_dataset.output[0],
        moments=rules.rf_moments.output[0],
    output:
        directory("results/rf_flow/{dataset}/p{p}/w{weighting}/seed{seed}.zarr"),
    log:
        "logs/rf_flow/{dataset}/p{p}/w{weighting}/seed{seed}.log",
    benchmark:
        "benchmarks/rf_flow/{dataset}/p{p}/w{weighting}/seed{seed}.tsv"
    conda:
        "../envs/ridgeline.yaml"
    threads: 2
    resources:
        gpu=gpu_request("rf_flow"),
    params:
        rf=rf_flow_section(),
        ridge_dim=section("ridge", "ridge_dim"),
        times=dataset_time_range,
        device=stage_device("rf_flow"),
        code=fingerprint(
            "rf_flow", "rf_errors", "rf_moments", "rf_quadrature", "ridge", "empirical"
        ),
    script:
        "../workflow_scripts/rf_flow.py"


rule rf_sample:
    input:
        dataset=rules.prepare_dataset.output[0],
        moments=rules.rf_moments.output[0],
        flow=rules.rf_flow.output[0],
    output:
        directory("results/rf_sample/{dataset}/p{p}/w{weighting}/seed{seed}.zarr"),
    log:
        "logs/rf_sample/{dataset}/p{p}/w{weighting}/seed{seed}.log",
    benchmark:
        "benchmarks/rf_sample/{dataset}/p{p}/w{weighting}/seed{seed}.tsv"
    conda:
        "../envs/ridgeline.yaml"
    threads: 2
    resources:
        gpu=gpu_request("rf_sample"),
    params:
        sampling=section("sampling"),
        times=dataset_time_range,
        device=stage_device("rf_sample"),
        code=fingerprint(
            "sampling",
            "sample_store",
            "models.random_features",
            "forward",
            "runtime",
            "io",
        ),
    script:
        "../workflow_scripts/rf_sample.py"


rule rf_metrics:
    input:
        dataset=rules.prepare_dataset.output[0],
        samples=rules.rf_sample.output[0],
    output:
        directory("results/rf_metrics/{dataset}/p{p}/w{weighting}/seed{seed}.zarr"),
    log:
        "logs/rf_metrics/{dataset}/p{p}/w{weighting}/seed{seed}.log",
    benchmark:
        "benchmarks/rf_metrics/{dataset}/p{p}/w{weighting}/seed{seed}.tsv"
    conda:
        "../envs/ridgeline.yaml"
    threads: 2
    resources:
        gpu=gpu_request("rf_metrics"),
    params:
        metrics=section("metrics"),
        ridge_dim=section("ridge", "ridge_dim"),
        device=stage_device("rf_metrics"),
        code=fingerprint(
            "metrics", "metrics_store", "phases", "scms", "ridge", "empirical", "io"
        ),
    script:
        "../workflow_scripts/rf_metrics.py"


rule aggregate_rf:
    input:
        flows=rf_stores("rf_flow"),
        metrics=rf_stores("rf_metrics"),
    output:
        directory("results/rf_metrics.zarr"),
    log:
        "logs/aggregate_rf.log",
    conda:
        "../envs/ridgeline.yaml"
    params:
        runs=[list(run) for run in rf_runs()],
        seeds=section("seeds"),
        code=fingerprint("aggregate", "io"),
    script:
        "../workflow_scripts/aggregate_rf.py"


rule rf_gd:
    input:
        moments=rules.rf_moments.output[0],
    output:
        directory("results/rf_gd/{dataset}/p{p}/w{weighting}/seed{seed}.zarr"),
    log:
        "logs/rf_gd/{dataset}/p{p}/w{weighting}/seed{seed}.log",
    benchmark:
        "benchmarks/rf_gd/{dataset}/p{p}/w{weighting}/seed{seed}.tsv"
    conda:
        "../envs/ridgeline.yaml"
    threads: 2
    resources:
        gpu=gpu_request("rf_gd"),
    params:
        rf=rf_gd_section(),
        device=stage_device("rf_gd"),
        code=fingerprint("rf_flow", "io"),
    script:
        "../workflow_scripts/rf_gd.py"
