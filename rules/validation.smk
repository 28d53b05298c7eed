# Parse-time checks: the schema, the datasets, the MNIST sources, the cross-key rules
# (ridgeline.config_rules) and the external runs, all before any job.


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
    from ridgeline.latent.mnist import MnistDataError, check_source

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


def check_cross_keys():
    """Every cross-key rule of ridgeline.config_rules, on the datasets in use, before any job."""
    names = set(sampled_datasets(config)) | set(config["datasets"])
    points = {name: build_dataset(**dataset_arguments(name)) for name in names}
    try:
        check_config_rules(config, points)
    except ConfigError as err:
        raise ValueError(str(err)) from None


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
