# Inputs of the rules and the default targets, derived from the selected runs.


def dataset_file(wildcards):
    """The user file a dataset reads (empty for built-in sets), so edits to it re-run the DAG."""
    entry = config["datasets"][wildcards.dataset]
    return [entry["file"]] if entry["kind"] == "file" else []


def model_checkpoint(wildcards):
    """The trained model a sampling or metrics job needs (none for the exact score and controls).

    neural: the network checkpoint; neural_gen: the generalizing checkpoint the neural sweep
    chose; rf: the moments and flow stores of score_runs.rf's run; external runs: none.
    """
    if wildcards.model == "exact" or wildcards.model.startswith(("control_", "ext_")):
        return []
    if wildcards.model == "neural_gen":
        return f"results/neural_sweep/{wildcards.dataset}/seed{wildcards.seed}_generalizing.pt"
    if wildcards.model == "rf":
        rf = config["score_runs"]["rf"]
        run = f"{wildcards.dataset}/p{rf['p']}/w{rf['weighting']}/seed{wildcards.seed}.zarr"
        return [f"results/rf_moments/{run}", f"results/rf_flow/{run}"]
    return f"results/train_neural/{wildcards.dataset}/seed{wildcards.seed}.pt"


def sweep_stores():
    """Every neural sweep store (order: datasets, then seeds)."""
    return [
        f"results/neural_sweep/{d}/seed{s}.zarr"
        for d in sweep_datasets()
        for s in config["seeds"]
    ]


def control_metrics_stores():
    """The metrics stores of the control runs and of the exact runs they compare with."""
    seed = config["seeds"][0]
    runs = control_runs() + [(d, "exact") for d in config["controls"]["datasets"]]
    return [f"results/run_metrics/{d}/{m}/seed{seed}.zarr" for d, m in runs]


def run_metrics_stores():
    """Every per-run metrics store of the score and external runs (order: run_keys())."""
    return [f"results/run_metrics/{d}/{m}/seed{s}.zarr" for d, m, s in run_keys()]


def external_files(wildcards):
    """The files an external run reads: its samples and, if given, its times (edits re-run it)."""
    entry = config["external"][wildcards.model[len("ext_") :]]
    return {
        "samples": entry["samples"],
        "times": [entry["times"]] if entry.get("times") else [],
    }


def figure_inputs(wildcards):
    """Inputs of the reach-align-slide figure: dataset, ridge sets, samples (first seed), metrics."""
    seed = config["seeds"][0]
    samples = {
        f"samples_{model}": f"results/sample/{wildcards.dataset}/{model}/seed{seed}.zarr"
        for model in dataset_models(wildcards)
    }
    sweep = (
        [f"results/neural_sweep/{wildcards.dataset}/seed{seed}.zarr"]
        if wildcards.dataset in sweep_datasets()
        else []
    )
    return {
        "dataset": f"results/prepare_dataset/{wildcards.dataset}.zarr",
        "ridges": f"results/ridge_set/{wildcards.dataset}.zarr",
        "metrics": "results/metrics.zarr",
        "sweep": sweep,
        **samples,
    }


def phase_figure_inputs(wildcards):
    """Inputs of the checks figure of a dataset: metrics, checks, and its controls' stores and report."""
    seed = config["seeds"][0]
    controls = dataset_controls(wildcards)
    return {
        "metrics": "results/metrics.zarr",
        "checks": "results/checks.json",
        "controls": [
            f"results/run_metrics/{wildcards.dataset}/control_{c}/seed{seed}.zarr"
            for c in controls
        ],
        "control_report": ["results/controls.json"] if controls else [],
    }


def get_final_outputs():
    """The default targets: the aggregated stores and the figures."""
    figures = config["figures"]["reach_align_slide"]["datasets"]
    measured = list(dict.fromkeys(d for d, _, _ in run_keys()))
    missing = sorted(set(figures) - set(measured))
    if missing:
        raise ValueError(
            f"figures.reach_align_slide.datasets {missing} must also be in score_runs.datasets "
            "or be the dataset of an external run"
        )
    outputs = ["results/metrics.zarr", "results/checks.json"] if run_keys() else []
    outputs += expand(
        "results/figures/reach_align_slide_{dataset}.png", dataset=figures
    )
    outputs += expand(
        "results/figures/{name}_{dataset}.png",
        name=["distance_to_ridge", "phases"],
        dataset=measured,
    )
    outputs += expand(
        "results/figures/neural_vs_rf_{dataset}.png", dataset=neural_vs_rf_datasets()
    )
    if control_runs():
        outputs += ["results/controls.json"]
    if sweep_datasets():
        outputs += ["results/neural_sweep.zarr", "results/figures/neural_sweep.png"]
    if sweep_datasets() or rf_runs():
        outputs += ["results/figures/align_vs_loss.png"]
    return outputs + rf_final_outputs() + mnist_final_outputs()


def rf_stores(kind):
    """The per-run stores of the rf stage ``kind`` (rf_flow, rf_metrics, ...) for every run and seed."""
    return [
        f"results/{kind}/{d}/p{p}/w{w}/seed{s}.zarr"
        for d, p, w in rf_runs()
        for s in config["seeds"]
    ]


def rf_dataset_figures(wildcards):
    """Inputs of the per-dataset RF figures: every run of that dataset, first seed."""
    seed = config["seeds"][0]
    runs = [(p, w) for d, p, w in rf_runs() if d == wildcards.dataset]
    return {
        "flows": [
            f"results/rf_flow/{wildcards.dataset}/p{p}/w{w}/seed{seed}.zarr"
            for p, w in runs
        ],
        "metrics": [
            f"results/rf_metrics/{wildcards.dataset}/p{p}/w{w}/seed{seed}.zarr"
            for p, w in runs
        ],
        "samples": [
            f"results/rf_sample/{wildcards.dataset}/p{p}/w{w}/seed{seed}.zarr"
            for p, w in runs
        ],
        "dataset": f"results/prepare_dataset/{wildcards.dataset}.zarr",
    }


def gd_vs_flow_store():
    """The store of the gd_vs_flow experiment (first seed)."""
    g = config["rf"]["gd_vs_flow"]
    return f"results/rf_gd/{g['dataset']}/p{g['p']}/w{g['weighting']}/seed{config['seeds'][0]}.zarr"


def rf_final_outputs():
    """RF targets: the aggregated store and the figures."""
    if not rf_runs():
        return []
    datasets = sorted(
        {d for d, _, _ in rf_runs()}, key=[d for d, _, _ in rf_runs()].index
    )
    outputs = ["results/rf_metrics.zarr", "results/figures/gd_vs_flow.png"]
    outputs += expand(
        "results/figures/rf_{name}_{dataset}.png",
        name=["samples", "errors", "residuals"],
        dataset=datasets,
    )
    segments = config["figures"]["rf"]["segments"]
    outputs += [
        f"results/figures/rf_segment_{d}.png" for d in datasets if d in segments
    ]
    return outputs


def mnist_stores(kind):
    """The per-run stores ``kind`` (ridge, latents) of every MNIST experiment, seed and, for
    ridge stores, latent score model."""
    if kind == "latents":
        return [
            f"results/mnist/{e}/seed{s}/latents.zarr"
            for e in config["mnist"]["runs"]
            for s in mnist_seeds()
        ]
    return [
        f"results/mnist/{e}/seed{s}/{kind}/{m}.zarr" for e, s, m in mnist_run_keys()
    ]


def mnist_model_input(wildcards):
    """What a latent sampling run needs: the trained network, or the latents its baseline is built from."""
    run = f"results/mnist/{wildcards.experiment}/seed{wildcards.seed}"
    network = wildcards.latent.startswith("score")
    return f"{run}/score.pt" if network else f"{run}/latents.zarr"


def mnist_figure_inputs(wildcards):
    """Inputs of the MNIST figures of one experiment (first seed): every model's ridge store."""
    run = f"results/mnist/{wildcards.experiment}/seed{mnist_seeds()[0]}"
    return {
        "data": f"{run}/data.zarr",
        "vae": f"{run}/vae.pt",
        "latents": f"{run}/latents.zarr",
        "samples": f"{run}/samples/score.zarr",
        "ridge": [f"{run}/ridge/{m}.zarr" for m in mnist_models(wildcards.experiment)],
    }


def mnist_checks_report():
    """The latent checks, whose baselines join results/controls.json (none without MNIST runs)."""
    return ["results/mnist_checks.json"] if config["mnist"]["runs"] else []


def mnist_final_outputs():
    """MNIST targets: the aggregated store, the checks and four figures per experiment."""
    experiments = list(config["mnist"]["runs"])
    if not experiments:
        return []
    return ["results/mnist_metrics.zarr", "results/mnist_checks.json"] + expand(
        "results/figures/mnist_{name}_{experiment}.png",
        name=["residuals", "decoded", "dimension", "authors", "vae"],
        experiment=experiments,
    )
