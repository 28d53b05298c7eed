rule sample:
    input:
        dataset=rules.prepare_dataset.output[0],
        checkpoint=model_checkpoint,
    output:
        directory("results/sample/{dataset}/{model}/seed{seed}.zarr"),
    log:
        "logs/sample/{dataset}/{model}/seed{seed}.log",
    benchmark:
        "benchmarks/sample/{dataset}/{model}/seed{seed}.tsv"
    conda:
        "../envs/ridgeline.yaml"
    threads: 2
    resources:
        gpu=gpu_request("sample"),
    params:
        sampling=section("sampling"),
        times=dataset_time_range,
        rf_tau=rf_score_tau,
        device=stage_device("sample"),
        code=fingerprint("sampling", "models", "empirical", "forward", "runtime", "io"),
    script:
        "../workflow_scripts/sample.py"
