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
    threads: job_threads("rf_moments")
    resources:
        gpu=gpu_request("rf_moments"),
    params:
        rf=rf_quadrature_section(),
        times=dataset_time_range,
        device=stage_device("rf_moments"),
        code=script_code("rf_moments"),
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
    threads: job_threads("rf_flow")
    resources:
        gpu=gpu_request("rf_flow"),
    params:
        rf=rf_flow_section(),
        ridge_dim=section("ridge", "ridge_dim"),
        times=dataset_time_range,
        device=stage_device("rf_flow"),
        code=script_code("rf_flow"),
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
    threads: job_threads("rf_sample")
    resources:
        gpu=gpu_request("rf_sample"),
    params:
        sampling=sampling_section(),
        times=dataset_time_range,
        device=stage_device("rf_sample"),
        code=script_code("rf_sample"),
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
    threads: job_threads("rf_metrics")
    resources:
        gpu=gpu_request("rf_metrics"),
    params:
        metrics=section("metrics"),
        ridge_dim=section("ridge", "ridge_dim"),
        device=stage_device("rf_metrics"),
        code=script_code("rf_metrics"),
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
        code=script_code("aggregate_rf"),
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
    threads: job_threads("rf_gd")
    resources:
        gpu=gpu_request("rf_gd"),
    params:
        rf=rf_gd_section(),
        device=stage_device("rf_gd"),
        code=script_code("rf_gd"),
    script:
        "../workflow_scripts/rf_gd.py"
