rule prepare_dataset:
    input:
        dataset_file,
    output:
        directory("results/prepare_dataset/{dataset}.zarr"),
    params:
        entry=dataset_params,
        code=fingerprint("datasets", "io", "provenance"),
    log:
        "logs/prepare_dataset/{dataset}.log",
    conda:
        "../envs/ridgeline.yaml"
    script:
        "../workflow_scripts/prepare_dataset.py"
