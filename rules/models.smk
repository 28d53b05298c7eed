rule train_neural:
    input:
        dataset=rules.prepare_dataset.output[0],
    output:
        "results/train_neural/{dataset}/seed{seed}.pt",
    log:
        "logs/train_neural/{dataset}/seed{seed}.log",
    benchmark:
        "benchmarks/train_neural/{dataset}/seed{seed}.tsv"
    conda:
        "../envs/ridgeline.yaml"
    threads: job_threads("train_neural")
    resources:
        gpu=gpu_request("train_neural"),
    params:
        neural=section("neural"),
        times=dataset_time_range,
        device=stage_device("train_neural"),
        code=script_code("train_neural"),
    script:
        "../workflow_scripts/train_neural.py"


rule neural_sweep:
    input:
        dataset=rules.prepare_dataset.output[0],
        checkpoint=rules.train_neural.output[0],
    output:
        sweep=directory("results/neural_sweep/{dataset}/seed{seed}.zarr"),
        generalizing="results/neural_sweep/{dataset}/seed{seed}_generalizing.pt",
    log:
        "logs/neural_sweep/{dataset}/seed{seed}.log",
    benchmark:
        "benchmarks/neural_sweep/{dataset}/seed{seed}.tsv"
    conda:
        "../envs/ridgeline.yaml"
    threads: job_threads("neural_sweep")
    resources:
        gpu=gpu_request("neural_sweep"),
    params:
        sweep=sweep_section(),
        neural=section("neural"),
        sampling=sampling_section(),
        metrics=section("metrics"),
        ridge_dim=section("ridge", "ridge_dim"),
        quadrature=sweep_quadrature_section(),
        times=dataset_time_range,
        device=stage_device("neural_sweep"),
        code=script_code("neural_sweep"),
    script:
        "../workflow_scripts/neural_sweep.py"


rule aggregate_sweep:
    input:
        sweep_stores(),
    output:
        directory("results/neural_sweep.zarr"),
    log:
        "logs/aggregate_sweep.log",
    conda:
        "../envs/ridgeline.yaml"
    params:
        datasets=section("neural_sweep", "datasets"),
        seeds=section("seeds"),
        code=script_code("aggregate_sweep"),
    script:
        "../workflow_scripts/aggregate_sweep.py"
