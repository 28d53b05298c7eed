# Helpers named for what they return. No math here: the library does that.
import os

import jsonschema
import yaml
from snakemake.logging import logger
from snakemake.utils import validate

from ridgeline.config_rules import ConfigError, check_config_rules, sampled_datasets
from ridgeline.datasets import DatasetError, build_dataset, is_collinear
from ridgeline.provenance import script_fingerprint
from ridgeline.jobs import OnceFilter

logger.addFilter(OnceFilter("Will exit after finishing currently running jobs"))


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
    referenced |= {e["dataset"] for e in config["external"].values()}
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
    view = mnist["authors_view"]
    if view["ridge_dim"] not in mnist["ridge"]["ridge_dims"]:
        raise ValueError(
            f"mnist.authors_view.ridge_dim = {view['ridge_dim']} must be one of "
            f"mnist.ridge.ridge_dims {mnist['ridge']['ridge_dims']}"
        )
    if view["off_above"] < view["on_below"]:
        raise ValueError(
            f"mnist.authors_view.off_above = {view['off_above']} must be at least "
            f"on_below = {view['on_below']}"
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
    available = []
    for name in mnist["runs"]:
        check_mnist_protocol(name)
        entry = mnist["experiments"][name]
        try:
            check_source(entry["source"])
        except MnistDataError as err:
            if not entry.get("optional", False):
                raise ValueError(
                    f"config `mnist: experiments: {name}: source`: {err}"
                ) from None
            logger.warning(f"skipping the optional MNIST experiment '{name}': {err}")
            continue
        available.append(name)
    mnist["runs"] = available


def check_mnist_protocol(name):
    """The score settings one MNIST experiment trains with (its protocol's, if any) are consistent."""
    protocol = config["mnist"]["experiments"][name].get("protocol")
    where = f"mnist.protocols.{protocol}" if protocol else "mnist"
    if protocol and protocol not in config["mnist"]["protocols"]:
        raise ValueError(
            f"mnist.experiments.{name}.protocol = {protocol!r} is not defined under "
            f"mnist.protocols; defined: {sorted(config['mnist']['protocols'])}"
        )
    latent = mnist_protocol_settings(name, "vae")["latent_dim"]
    too_big = [
        d
        for d in config["mnist"]["ridge"]["ridge_dims"]
        if d != "effective" and d >= latent
    ]
    if too_big:
        raise ValueError(
            f"mnist.ridge.ridge_dims {too_big} must be below the latent dimension "
            f"{latent} of experiment {name} ({where}.vae.latent_dim)"
        )
    projected = mnist_protocol_settings(name, "ridge").get("project_dims")
    outside = sorted(
        set(map(str, projected or []))
        - set(map(str, config["mnist"]["ridge"]["ridge_dims"]))
    )
    if outside:
        raise ValueError(
            f"{where}: ridge.project_dims {outside} must be among mnist.ridge.ridge_dims"
        )
    figure_dim = config["mnist"]["figures"]["ridge_dim"]
    if projected is not None and figure_dim not in projected:
        raise ValueError(
            f"{where}: ridge.project_dims {projected} must include mnist.figures.ridge_dim = "
            f"{figure_dim} (its samples are drawn with their SCMS projections)"
        )
    score = mnist_protocol_settings(name, "score")
    late = [c for c in score["checkpoints"] if c >= score["steps"]]
    if late:
        raise ValueError(
            f"{where}: score.checkpoints {late} must lie below score.steps = "
            f"{score['steps']} (the final network is the latent model `score`)"
        )
    if score["keep"] == "best_epoch" and score["checkpoints"]:
        raise ValueError(
            f"{where}: score.keep = best_epoch keeps an earlier network, so score.checkpoints "
            f"{score['checkpoints']} would not be checkpoints of it; set checkpoints: []"
        )


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


def check_cross_keys():
    """Every cross-key rule of ridgeline.config_rules, on the datasets in use, before any job."""
    names = set(sampled_datasets(config)) | set(config["datasets"])
    points = {name: build_dataset(**dataset_arguments(name)) for name in names}
    try:
        check_config_rules(config, points)
    except ConfigError as err:
        raise ValueError(str(err)) from None


def dataset_time_range(wildcards):
    """T and t_min of a dataset: its own T or the sampling default."""
    entry = config["datasets"][wildcards.dataset]
    return {
        "T": float(entry.get("T", config["sampling"].get("T"))),
        "t_min": float(config["sampling"]["t_min"]),
    }


def sampling_section():
    """The sampling keys of a sampling job, without T (the job's `times` carry its dataset's T)."""
    return canonical({k: v for k, v in config["sampling"].items() if k != "T"})


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


def rf_score_tau(wildcards):
    """The tau of the RF readout sampled as score model ``rf`` (None for the other models)."""
    if wildcards.model != "rf":
        return None
    return float(config["score_runs"]["rf"]["tau"])


def score_runs():
    """(dataset, model) of every score run: score_runs.models on every dataset, ``neural_gen``
    (the sweep's generalizing checkpoint) on the datasets of neural_sweep, and ``rf`` on the
    datasets of score_runs.rf."""
    runs = [
        (d, m)
        for d in config["score_runs"]["datasets"]
        for m in config["score_runs"]["models"]
    ]
    runs += [(d, "neural_gen") for d in sweep_datasets()]
    rf = config["score_runs"].get("rf")
    if rf:
        runs += [(d, "rf") for d in rf["datasets"]]
    return runs


def sweep_datasets():
    """Datasets of the neural training-length sweep (none without neural score runs)."""
    if "neural" not in config["score_runs"]["models"]:
        return []
    return list(config["neural_sweep"]["datasets"])


def control_runs():
    """(dataset, control model) of every control run (first seed only)."""
    return [
        (d, f"control_{c}")
        for d in config["controls"]["datasets"]
        for c in config["controls"]["models"]
    ]


def control_section(wildcards):
    """The controls config section for control runs (None for score runs, so a change to the
    controls re-runs only them)."""
    if wildcards.model.startswith("control_"):
        return canonical(config["controls"])
    return None


def slide_coupling_section():
    """The slide keys the sampling jobs depend on: where the coupling starts and how many samples."""
    slide = config["checks"]["slide"]
    return {
        "start_time": float(slide["start_time"]),
        "n_samples": int(slide["n_samples"]),
    }


def sweep_section():
    """The neural_sweep keys the sweep jobs depend on (not its dataset list)."""
    return canonical(
        {k: v for k, v in config["neural_sweep"].items() if k != "datasets"}
    )


def sweep_quadrature_section():
    """The quadrature of the sweep's excess loss: the RF rule with the sweep's own z_order."""
    rf = config["rf"]
    return canonical(
        {
            **rf["quadrature"],
            "z_order": config["neural_sweep"]["z_order"],
            "t0": rf["t0"],
            "n_frequencies": rf["n_frequencies"],
        }
    )


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


def dataset_models(wildcards):
    """The score models run on one dataset: exact first, then the generalizing neural checkpoint
    beside the fully trained (memorizing) network, then rf."""
    order = ["exact", "neural_gen", "neural", "rf"]
    models = [m for d, m in score_runs() if d == wildcards.dataset]
    own = [m for d, m in external_runs() if d == wildcards.dataset]
    return sorted(models, key=order.index) + own


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


def script_code(script):
    """Code fingerprint of every library module the rule's script imports, directly or through
    other modules: a param, so a change to any code the results depend on re-runs the rule.
    """
    return script_fingerprint(
        os.path.join(workflow.basedir, "workflow_scripts", f"{script}.py")
    )


def planar_datasets():
    """Datasets whose points are 2D (ridge sets and the 2D figures exist only for them)."""
    return [
        name
        for name in config["datasets"]
        if build_dataset(**dataset_arguments(name)).shape[1] == 2
    ]


def run_metrics_stores():
    """Every per-run metrics store of the score and external runs (order: run_keys())."""
    return [f"results/run_metrics/{d}/{m}/seed{s}.zarr" for d, m, s in run_keys()]


def run_keys():
    """(dataset, model, seed) of every measured run: the score runs at every seed, then the
    external runs (config `external`, model `ext_<name>`) once, at the first seed."""
    seeds = config["seeds"]
    keys = [(d, m, s) for d, m in score_runs() for s in seeds]
    return keys + [(d, m, seeds[0]) for d, m in external_runs()]


def external_runs():
    """(dataset, ext_<name>) of every external run: your own model's samples (config `external`)."""
    return [(e["dataset"], f"ext_{name}") for name, e in config["external"].items()]


def external_entry(wildcards):
    """The config entry of the external run of a job (model wildcard ext_<name>), with its name."""
    name = wildcards.model[len("ext_") :]
    return canonical({**config["external"][name], "name": name})


def external_files(wildcards):
    """The files an external run reads: its samples and, if given, its times (edits re-run it)."""
    entry = config["external"][wildcards.model[len("ext_") :]]
    return {
        "samples": entry["samples"],
        "times": [entry["times"]] if entry.get("times") else [],
    }


def check_externals():
    """Every external run names a defined dataset and readable samples of its dimension, before any job."""
    if not config["external"]:
        return
    from ridgeline.external import read_external

    for name, entry in config["external"].items():
        if entry["dataset"] not in config["datasets"]:
            raise ValueError(
                f"external.{name}.dataset = {entry['dataset']!r} is not defined under `datasets:`; "
                f"defined: {sorted(config['datasets'])}"
            )
        dim = build_dataset(**dataset_arguments(entry["dataset"])).shape[1]
        read_external(name, entry["samples"], entry.get("times"), entry["process"], dim)


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


def dataset_controls(wildcards):
    """The controls run on one dataset (names without the ``control_`` prefix)."""
    if wildcards.dataset not in config["controls"]["datasets"]:
        return []
    return list(config["controls"]["models"])


def dataset_dim(wildcards):
    """The dimension D of a dataset's points."""
    return int(build_dataset(**dataset_arguments(wildcards.dataset)).shape[1])


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


def check_runs():
    """Cross-key rules of neural_sweep, checks and controls that the schema cannot express."""
    runs = config["score_runs"]
    outside = sorted(set(config["neural_sweep"]["datasets"]) - set(runs["datasets"]))
    if outside:
        raise ValueError(
            f"neural_sweep.datasets {outside} must also be in score_runs.datasets"
        )
    neural = config["neural"]
    late = sorted(c for c in neural["checkpoints"] if c > neural["steps"])
    if late:
        raise ValueError(
            f"neural.checkpoints {late} lie beyond neural.steps = {neural['steps']}"
        )
    controls = config["controls"]
    outside = sorted(set(controls["datasets"]) - set(runs["datasets"]))
    if outside or (controls["datasets"] and "exact" not in runs["models"]):
        raise ValueError(
            f"controls.datasets {controls['datasets']} must be in score_runs.datasets, "
            "with `exact` in score_runs.models (the controls are judged against the exact score)"
        )
    for name in controls["datasets"]:
        if not is_collinear(build_dataset(**dataset_arguments(name))):
            raise ValueError(
                f"controls.datasets: '{name}' is not collinear; the controls' known answers "
                "need training points on a line (e.g. two_mode, or two_mode embedded)"
            )


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


def job_threads(stage):
    """Torch threads of ``stage``'s jobs: its entry in ``stage_threads``, else ``threads``."""
    return int(config.get("stage_threads", {}).get(stage, config.get("threads", 2)))


def stage_device(stage):
    """The torch device of ``stage``'s jobs: its entry in ``stage_devices``, else ``device``."""
    return config.get("stage_devices", {}).get(stage, config.get("device", "auto"))


def gpu_request(stage):
    """1 when ``stage`` runs on CUDA (its device names cuda, or is auto and CUDA is present), else 0.

    GPU-heavy rules declare ``resources: gpu=gpu_request(rule)``, so ``--resources gpu=N`` caps
    how many of them share the GPUs at once, and a stage moved to the CPU with ``stage_devices``
    asks for none.
    """
    device = stage_device(stage)
    if device != "auto":
        return int(device.startswith("cuda"))
    import torch  # seconds to import: only when the answer needs it

    return int(torch.cuda.is_available())


def mnist_experiment(wildcards):
    """The config entry of one MNIST experiment (canonical), with its name."""
    entry = config["mnist"]["experiments"][wildcards.experiment]
    return canonical({**entry, "name": wildcards.experiment})


def mnist_time_range():
    """T and t_min of the latent diffusion (the score network's time normalization)."""
    sampling = config["mnist"]["sampling"]
    return {"T": float(sampling["T"]), "t_min": float(sampling["t_min"])}


def mnist_seeds():
    """Seeds of the MNIST experiments: mnist.seeds, by default the first of `seeds`."""
    return list(config["mnist"].get("seeds", config["seeds"][:1]))


def mnist_protocol_settings(experiment, key):
    """mnist.<key> (vae, score, sampling or ridge) for one experiment: the shared settings, with those
    of the experiment's protocol (mnist.protocols) in their place."""
    settings = dict(config["mnist"][key])
    protocol = config["mnist"]["experiments"][experiment].get("protocol")
    if protocol:
        settings.update(config["mnist"]["protocols"][protocol].get(key, {}))
    return canonical(settings)


def mnist_settings(key):
    """Job params: mnist.<key> of the job's experiment (:func:`mnist_protocol_settings`)."""

    def settings(wildcards):
        return mnist_protocol_settings(wildcards.experiment, key)

    return settings


def experiment_models(wildcards):
    """Job params: the latent score models of the job's experiment (:func:`mnist_models`)."""
    return mnist_models(wildcards.experiment)


def mnist_models(experiment):
    """Latent score models of one MNIST experiment: the network (`score`), its checkpoints
    (`score_step<N>`, mnist.score.checkpoints) and mnist.baselines."""
    steps = sorted(mnist_protocol_settings(experiment, "score")["checkpoints"])
    return ["score", *(f"score_step{n}" for n in steps), *config["mnist"]["baselines"]]


def mnist_run_keys():
    """(experiment, seed, model) of every MNIST ridge store, in the order of mnist_stores("ridge")."""
    return [
        [e, s, m]
        for e in config["mnist"]["runs"]
        for s in mnist_seeds()
        for m in mnist_models(e)
    ]


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
