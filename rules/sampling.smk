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
    wildcard_constraints:
        model="exact|neural|neural_gen|rf|control_[a-z_]+",
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


rule import_samples:
    input:
        unpack(external_files),
        dataset=rules.prepare_dataset.output[0],
    output:
        directory("results/sample/{dataset}/{model}/seed{seed}.zarr"),
    log:
        "logs/import_samples/{dataset}/{model}/seed{seed}.log",
    wildcard_constraints:
        model="ext_[A-Za-z0-9_]+",
    conda:
        "../envs/ridgeline.yaml"
    params:
        entry=external_entry,
        code=script_code("import_samples"),
    script:
        "../workflow_scripts/import_samples.py"
