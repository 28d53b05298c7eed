# The config slice each rule depends on (its params), canonical so that key order re-runs nothing.


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


def rf_score_tau(wildcards):
    """The tau of the RF readout sampled as score model ``rf`` (None for the other models)."""
    if wildcards.model != "rf":
        return None
    return float(config["score_runs"]["rf"]["tau"])


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


def external_entry(wildcards):
    """The config entry of the external run of a job (model wildcard ext_<name>), with its name."""
    name = wildcards.model[len("ext_") :]
    return canonical({**config["external"][name], "name": name})


def dataset_dim(wildcards):
    """The dimension D of a dataset's points."""
    return int(build_dataset(**dataset_arguments(wildcards.dataset)).shape[1])


def dataset_params(wildcards):
    """The dataset's config entry with its name: the slice the prepare job depends on."""
    return dataset_arguments(wildcards.dataset)


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
    """The ``gpu`` resource of ``stage``'s jobs, decided when a job is scheduled (a function of its
    wildcards): 1 when the stage's device names CUDA; with ``device: auto``, 1 when jobs run on this
    machine (the local executor) and it has CUDA, else 0.

    GPU-heavy rules declare ``resources: gpu=gpu_request(rule)``, so ``--resources gpu=N`` caps how
    many of them share this machine's GPUs, and a stage moved to the CPU with ``stage_devices`` asks
    for none. Jobs submitted to a cluster ask for no GPU from here: the submitting host's hardware
    says nothing about the node; the GPU profile (profiles/slurm-gpu) requests them per rule, and
    ``device: auto`` picks the device inside the job, where it runs.
    """

    def request(wildcards):
        device = stage_device(stage)
        if device != "auto":
            return int(device.startswith("cuda"))
        if workflow.remote_exec or not workflow.local_exec:
            return 0
        import torch  # seconds to import: only when the answer needs it

        return int(torch.cuda.is_available())

    return request


def mnist_experiment(wildcards):
    """The config entry of one MNIST experiment (canonical), with its name."""
    entry = config["mnist"]["experiments"][wildcards.experiment]
    return canonical({**entry, "name": wildcards.experiment})


def mnist_time_range():
    """T and t_min of the latent diffusion (the score network's time normalization)."""
    sampling = config["mnist"]["sampling"]
    return {"T": float(sampling["T"]), "t_min": float(sampling["t_min"])}


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


def dataset_segment(wildcards):
    """The two end points of the segment along which the RF segment figure of a dataset counts samples."""
    return config["figures"]["rf"]["segments"][wildcards.dataset]
