rule ridge_set:
    input:
        dataset=rules.prepare_dataset.output[0],
    output:
        directory("results/ridge_set/{dataset}.zarr"),
    params:
        ridge=config["ridge"],
        sampling=config["sampling"],
        times=dataset_time_range,
        device=config["device"],
        code=fingerprint("scms", "ridge", "empirical", "forward", "sampling", "io"),
    log:
        "logs/ridge_set/{dataset}.log",
    benchmark:
        "benchmarks/ridge_set/{dataset}.tsv"
    threads: 2
    conda:
        "../envs/ridgeline.yaml"
    script:
        "../workflow_scripts/ridge_set.py"
