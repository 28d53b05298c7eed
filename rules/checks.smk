rule checks:
    input:
        run_metrics_stores(),
    output:
        "results/checks.json",
    log:
        "logs/checks.log",
    conda:
        "../envs/ridgeline.yaml"
    params:
        run_keys=[list(key) for key in run_keys()],
        checks=section("checks"),
        ridge_dim=section("ridge", "ridge_dim"),
        code=script_code("checks"),
    script:
        "../workflow_scripts/checks.py"


rule controls:
    input:
        metrics=control_metrics_stores(),
        mnist=mnist_checks_report(),
    output:
        "results/controls.json",
    log:
        "logs/controls.log",
    conda:
        "../envs/ridgeline.yaml"
    params:
        runs=[list(run) for run in control_runs()],
        datasets=section("controls", "datasets"),
        seed=config["seeds"][0],
        checks=section("checks"),
        controls=section("controls"),
        ridge_dim=section("ridge", "ridge_dim"),
        code=script_code("controls"),
    script:
        "../workflow_scripts/controls.py"


rule align_vs_loss:
    input:
        sweeps=sweep_stores(),
        rf_metrics=rf_stores("rf_metrics"),
        rf_flows=rf_stores("rf_flow"),
    output:
        "results/align_vs_loss.json",
    log:
        "logs/align_vs_loss.log",
    conda:
        "../envs/ridgeline.yaml"
    params:
        sweep_runs=[[d, s] for d in sweep_datasets() for s in config["seeds"]],
        rf_runs=[[d, p, w, s] for d, p, w in rf_runs() for s in config["seeds"]],
        code=script_code("align_vs_loss"),
    script:
        "../workflow_scripts/align_vs_loss.py"
