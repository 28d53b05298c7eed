rule prepare_dataset:
    input:
        dataset_file,
    output:
        directory("results/prepare_dataset/{dataset}.zarr"),
    log:
        "logs/prepare_dataset/{dataset}.log",
    conda:
        "../envs/ridgeline.yaml"
    params:
        entry=dataset_params,
        code=script_code("prepare_dataset"),
    script:
        "../workflow_scripts/prepare_dataset.py"
