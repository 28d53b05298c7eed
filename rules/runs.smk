# Which runs the configuration selects: score, control, external, RF and MNIST runs.


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


def planar_datasets():
    """Datasets whose points are 2D (ridge sets and the 2D figures exist only for them)."""
    return [
        name
        for name in config["datasets"]
        if build_dataset(**dataset_arguments(name)).shape[1] == 2
    ]


def run_keys():
    """(dataset, model, seed) of every measured run: the score runs at every seed, then the
    external runs (config `external`, model `ext_<name>`) once, at the first seed."""
    seeds = config["seeds"]
    keys = [(d, m, s) for d, m in score_runs() for s in seeds]
    return keys + [(d, m, seeds[0]) for d, m in external_runs()]


def external_runs():
    """(dataset, ext_<name>) of every external run: your own model's samples (config `external`)."""
    return [(e["dataset"], f"ext_{name}") for name, e in config["external"].items()]


def dataset_controls(wildcards):
    """The controls run on one dataset (names without the ``control_`` prefix)."""
    if wildcards.dataset not in config["controls"]["datasets"]:
        return []
    return list(config["controls"]["models"])


def rf_runs():
    """(dataset, p, weighting) of every random-feature run."""
    return [
        (e["dataset"], p, w)
        for e in config["rf"]["experiments"]
        for p in e["p"]
        for w in e["weightings"]
    ]


def mnist_seeds():
    """Seeds of the MNIST experiments: mnist.seeds, by default the first of `seeds`."""
    return list(config["mnist"].get("seeds", config["seeds"][:1]))


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
