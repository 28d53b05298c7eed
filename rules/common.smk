# Helpers named for what they return. No math here: the library does that.
import os

import jsonschema
import yaml
from snakemake.utils import validate

from ridgeline.datasets import DatasetError, build_dataset
from ridgeline.provenance import code_fingerprint


def check_config(schema_path):
    """Validate the config against the schema: every problem in one short message, then defaults."""
    schema_path = os.path.join(workflow.basedir, schema_path)
    with open(schema_path) as handle:
        schema = yaml.safe_load(handle)
    validator = jsonschema.Draft202012Validator(schema)
    problems = [
        f"  - {'.'.join(str(p) for p in err.absolute_path) or '(top level)'}: {err.message}"
        for err in sorted(validator.iter_errors(config), key=str)
    ]
    if problems:
        raise ValueError(
            "invalid configuration (keys are documented in config/README.md):\n"
            + "\n".join(problems)
        )
    validate(config, schema_path)


def check_datasets():
    """Build every configured dataset once at parse time, so bad data fails before any job."""
    rf = config["score_runs"].get("rf") or {"datasets": []}
    outside = sorted(set(rf["datasets"]) - set(config["score_runs"]["datasets"]))
    if outside:
        raise ValueError(
            f"score_runs.rf.datasets {outside} must also be in score_runs.datasets"
        )
    if rf["datasets"] and float(rf["tau"]) not in [
        float(t) for t in config["rf"]["taus"]
    ]:
        raise ValueError(
            f"score_runs.rf.tau = {rf['tau']} must be one of rf.taus {config['rf']['taus']}"
        )
    referenced = set(config["score_runs"]["datasets"]) | {
        e["dataset"] for e in config["rf"]["experiments"]
    }
    referenced |= {config["rf"]["gd_vs_flow"]["dataset"]} | set(
        config["figures"]["reach_align_slide"]["datasets"]
    )
    unknown = sorted(referenced - set(config["datasets"]))
    if unknown:
        raise ValueError(
            f"datasets {unknown} are used but not defined under `datasets:`; "
            f"defined: {sorted(config['datasets'])}"
        )
    for name, entry in config["datasets"].items():
        try:
            build_dataset(**dataset_arguments(name))
        except DatasetError as err:
            raise ValueError(f"config `datasets: {name}`: {err}") from None


def check_mnist():
    """MNIST settings that the schema cannot express, and the IDX files, checked at parse time."""
    from ridgeline.mnist import MnistDataError, check_source

    mnist = config["mnist"]
    latent = mnist["vae"]["latent_dim"]
    too_big = [d for d in mnist["ridge"]["ridge_dims"] if d >= latent]
    if too_big:
        raise ValueError(
            f"mnist.ridge.ridge_dims {too_big} must be below mnist.vae.latent_dim = {latent}"
        )
    if mnist["figures"]["ridge_dim"] not in mnist["ridge"]["ridge_dims"]:
        raise ValueError(
            f"mnist.figures.ridge_dim = {mnist['figures']['ridge_dim']} must be one of "
            f"mnist.ridge.ridge_dims {mnist['ridge']['ridge_dims']}"
        )
    unknown = sorted(set(mnist["runs"]) - set(mnist["experiments"]))
    if unknown:
        raise ValueError(
            f"mnist.runs {unknown} are not defined under mnist.experiments; "
            f"defined: {sorted(mnist['experiments'])}"
        )
    for name in mnist["runs"]:
        entry = mnist["experiments"][name]
        try:
            check_source(entry["source"])
        except MnistDataError as err:
            raise ValueError(
                f"config `mnist: experiments: {name}: source`: {err}"
            ) from None


def dataset_arguments(name):
    """Keyword arguments of ridgeline.datasets.build_dataset for dataset ``name``."""
    entry = config["datasets"][name]
    return canonical(
        {
            "kind": entry["kind"],
            "points": entry.get("points"),
            "file": entry.get("file"),
            "embed_dim": entry.get("embed_dim"),
            "embed_seed": entry.get("embed_seed", 0),
            "n_modes": entry.get("n_modes"),
            "dim": entry.get("dim"),
            "spacing": entry.get("spacing", 4.0),
            "mode_seed": entry.get("mode_seed", 0),
            "name": name,
        }
    )


def dataset_file(wildcards):
    """The user file a dataset reads (empty for built-in sets), so edits to it re-run the DAG."""
    entry = config["datasets"][wildcards.dataset]
    return [entry["file"]] if entry["kind"] == "file" else []


def dataset_time_range(wildcards):
    """T and t_min of a dataset: its own T or the sampling default."""
    entry = config["datasets"][wildcards.dataset]
    return {
        "T": float(entry.get("T", config["sampling"]["T"])),
        "t_min": float(config["sampling"]["t_min"]),
    }


def model_checkpoint(wildcards):
    """The trained model a sampling or metrics job needs (none for the exact score).

    neural: the network checkpoint; rf: the moments and flow stores of score_runs.rf's run.
    """
    if wildcards.model == "exact":
        return []
    if wildcards.model == "rf":
        rf = config["score_runs"]["rf"]
        run = f"{wildcards.dataset}/p{rf['p']}/w{rf['weighting']}/seed{wildcards.seed}.zarr"
        return [f"results/rf_moments/{run}", f"results/rf_flow/{run}"]
    return f"results/train_neural/{wildcards.dataset}/seed{wildcards.seed}.pt"


def rf_score_tau(wildcards):
    """The tau of the RF readout sampled as score model ``rf`` (None for the other models)."""
    if wildcards.model != "rf":
        return None
    return float(config["score_runs"]["rf"]["tau"])


def score_runs():
    """(dataset, model) of every score run: score_runs.models on every dataset, plus ``rf`` on
    the datasets of score_runs.rf."""
    runs = [
        (d, m)
        for d in config["score_runs"]["datasets"]
        for m in config["score_runs"]["models"]
    ]
    rf = config["score_runs"].get("rf")
    if rf:
        runs += [(d, "rf") for d in rf["datasets"]]
    return runs


def dataset_models(wildcards):
    """The score models run on one dataset, in score_runs order."""
    return [m for d, m in score_runs() if d == wildcards.dataset]


def neural_vs_rf_datasets():
    """2D datasets with neural and rf score runs side by side (the neural_vs_rf figures)."""
    rf = config["score_runs"].get("rf")
    if not rf or "neural" not in config["score_runs"]["models"]:
        return []
    planar = set(planar_datasets())
    return [d for d in rf["datasets"] if d in planar]


def canonical(value):
    """A config value with dict keys sorted recursively, so reordering keys re-runs nothing."""
    if isinstance(value, dict):
        return {key: canonical(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [canonical(item) for item in value]
    return value


def section(*keys):
    """The config slice at ``keys`` (canonical), for the params of a job."""
    value = config
    for key in keys:
        value = value[key]
    return canonical(value)


def snapshot_section():
    """The sampling keys that fix the snapshot times (ridge sets depend on these only)."""
    return {key: config["sampling"][key] for key in ("grid", "n_steps", "n_snapshots")}


def fingerprint(*modules):
    """Code fingerprint of library modules: a param, so code changes re-run the rule."""
    return code_fingerprint(*modules)


def planar_datasets():
    """Datasets whose points are 2D (ridge sets and the 2D figures exist only for them)."""
    return [
        name
        for name in config["datasets"]
        if build_dataset(**dataset_arguments(name)).shape[1] == 2
    ]


def run_metrics_stores():
    """Every per-run metrics store of the score runs (order: score_runs(), then seeds)."""
    return [
        f"results/run_metrics/{d}/{m}/seed{s}.zarr"
        for d, m in score_runs()
        for s in config["seeds"]
    ]


def figure_inputs(wildcards):
    """Inputs of the reach-align-slide figure: dataset, ridge sets, samples (first seed), metrics."""
    seed = config["seeds"][0]
    samples = {
        f"samples_{model}": f"results/sample/{wildcards.dataset}/{model}/seed{seed}.zarr"
        for model in dataset_models(wildcards)
    }
    return {
        "dataset": f"results/prepare_dataset/{wildcards.dataset}.zarr",
        "ridges": f"results/ridge_set/{wildcards.dataset}.zarr",
        "metrics": "results/metrics.zarr",
        **samples,
    }


def get_final_outputs():
    """The default targets: the aggregated stores and the figures."""
    figures = config["figures"]["reach_align_slide"]["datasets"]
    missing = sorted(set(figures) - set(config["score_runs"]["datasets"]))
    if missing:
        raise ValueError(
            f"figures.reach_align_slide.datasets {missing} must also be in score_runs.datasets"
        )
    outputs = ["results/metrics.zarr"]
    outputs += expand(
        "results/figures/reach_align_slide_{dataset}.png", dataset=figures
    )
    outputs += expand(
        "results/figures/{name}_{dataset}.png",
        name=["distance_to_ridge", "phases"],
        dataset=config["score_runs"]["datasets"],
    )
    outputs += expand(
        "results/figures/neural_vs_rf_{dataset}.png", dataset=neural_vs_rf_datasets()
    )
    return outputs + rf_final_outputs() + mnist_final_outputs()


def dataset_params(wildcards):
    """The dataset's config entry with its name: the slice the prepare job depends on."""
    return dataset_arguments(wildcards.dataset)


def rf_runs():
    """(dataset, p, weighting) of every random-feature run."""
    return [
        (e["dataset"], p, w)
        for e in config["rf"]["experiments"]
        for p in e["p"]
        for w in e["weightings"]
    ]


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
    datasets = sorted(
        {d for d, _, _ in rf_runs()}, key=[d for d, _, _ in rf_runs()].index
    )
    outputs = ["results/rf_metrics.zarr", "results/figures/gd_vs_flow.png"]
    outputs += expand(
        "results/figures/rf_{name}_{dataset}.png",
        name=["samples", "errors", "residuals"],
        dataset=datasets,
    )
    if "triangle_mid" in datasets:
        outputs.append("results/figures/rf_hypotenuse_triangle_mid.png")
    return outputs


def rf_quadrature_section():
    """The RF keys that fix the quadrature and the features (moments depend on these only)."""
    rf = config["rf"]
    return canonical(
        {
            "n_frequencies": rf["n_frequencies"],
            "t0": rf["t0"],
            "quadrature": rf["quadrature"],
        }
    )


def rf_flow_section():
    """The RF keys of the flow stage: taus, initialisation, eigenvalue threshold, quadrature."""
    rf = config["rf"]
    keys = ("taus", "init_scale", "eig_rel_tol")
    return canonical({**{k: rf[k] for k in keys}, **rf_quadrature_section()})


def rf_gd_section():
    """The keys the GD-vs-flow comparison depends on (not the tau sweep of the other runs)."""
    rf = config["rf"]
    return canonical(
        {
            "gd_vs_flow": rf["gd_vs_flow"],
            "init_scale": rf["init_scale"],
            "eig_rel_tol": rf["eig_rel_tol"],
        }
    )


def stage_device(stage):
    """The torch device of ``stage``'s jobs: its entry in ``stage_devices``, else ``device``."""
    return config.get("stage_devices", {}).get(stage, config.get("device", "auto"))


def gpu_request(stage):
    """1 when ``stage`` runs on CUDA (its device names cuda, or is auto and CUDA is present), else 0.

    GPU-heavy rules declare ``resources: gpu=gpu_request(rule)``, so ``--resources gpu=N`` caps
    how many of them share the GPUs at once, and a stage moved to the CPU with ``stage_devices``
    asks for none.
    """
    import torch

    device = stage_device(stage)
    return int(
        device.startswith("cuda") or (device == "auto" and torch.cuda.is_available())
    )


def mnist_experiment(wildcards):
    """The config entry of one MNIST experiment (canonical), with its name."""
    entry = config["mnist"]["experiments"][wildcards.experiment]
    return canonical({**entry, "name": wildcards.experiment})


def mnist_time_range():
    """T and t_min of the latent diffusion (the score network's time normalization)."""
    sampling = config["mnist"]["sampling"]
    return {"T": float(sampling["T"]), "t_min": float(sampling["t_min"])}


def mnist_stores(kind):
    """The per-run stores ``kind`` (ridge, latents, ...) of every MNIST experiment and seed."""
    suffix = "latents.zarr" if kind == "latents" else f"{kind}.zarr"
    return [
        f"results/mnist/{e}/seed{s}/{suffix}"
        for e in config["mnist"]["runs"]
        for s in config["seeds"]
    ]


def mnist_figure_inputs(wildcards):
    """Inputs of the MNIST figures of one experiment (first seed)."""
    run = f"results/mnist/{wildcards.experiment}/seed{config['seeds'][0]}"
    return {
        "data": f"{run}/data.zarr",
        "vae": f"{run}/vae.pt",
        "latents": f"{run}/latents.zarr",
        "samples": f"{run}/samples.zarr",
        "ridge": f"{run}/ridge.zarr",
    }


def mnist_final_outputs():
    """MNIST targets: the aggregated store and three figures per experiment."""
    experiments = list(config["mnist"]["runs"])
    if not experiments:
        return []
    return ["results/mnist_metrics.zarr"] + expand(
        "results/figures/mnist_{name}_{experiment}.png",
        name=["residuals", "decoded", "vae"],
        experiment=experiments,
    )
