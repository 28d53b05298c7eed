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
    threads: 2
    resources:
        gpu=gpu_request("train_neural"),
    params:
        neural=section("neural"),
        times=dataset_time_range,
        device=stage_device("train_neural"),
        code=fingerprint("models", "forward", "runtime"),
    script:
        "../workflow_scripts/train_neural.py"
