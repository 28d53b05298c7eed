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
    threads: job_threads("sample")
    resources:
        gpu=gpu_request("sample"),
    params:
        sampling=sampling_section(),
        times=dataset_time_range,
        rf_tau=rf_score_tau,
        slide=slide_coupling_section(),
        ridge_dim=section("ridge", "ridge_dim"),
        controls=control_section,
        device=stage_device("sample"),
        code=script_code("sample"),
    script:
        "../workflow_scripts/sample.py"
