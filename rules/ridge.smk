rule ridge_set:
    input:
        dataset=rules.prepare_dataset.output[0],
    output:
        directory("results/ridge_set/{dataset}.zarr"),
    log:
        "logs/ridge_set/{dataset}.log",
    benchmark:
        "benchmarks/ridge_set/{dataset}.tsv"
    conda:
        "../envs/ridgeline.yaml"
    threads: job_threads("ridge_set")
    resources:
        gpu=gpu_request("ridge_set"),
    params:
        ridge=section("ridge"),
        snapshots=snapshot_section(),
        times=dataset_time_range,
        device=stage_device("ridge_set"),
        code=script_code("ridge_set"),
    script:
        "../workflow_scripts/ridge_set.py"
