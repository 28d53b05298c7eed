rule train_neural:
    input:
        dataset=rules.prepare_dataset.output[0],
    output:
        "results/train_neural/{dataset}/seed{seed}.pt",
    params:
        neural=section("neural"),
        times=dataset_time_range,
        device=section("device"),
        code=fingerprint("models", "forward", "runtime"),
    log:
        "logs/train_neural/{dataset}/seed{seed}.log",
    benchmark:
        "benchmarks/train_neural/{dataset}/seed{seed}.tsv"
    threads: 2
    conda:
        "../envs/ridgeline.yaml"
    script:
        "../workflow_scripts/train_neural.py"
