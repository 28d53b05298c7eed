"""Cross-key rules of the configuration that the schema cannot express (docs/faults.md).

The workflow checks them at parse time, before any job: :func:`config_problems` returns every
broken rule as one line that names the key paths and the fix, and the workflow stops with all of
them at once. Each rule is a short function of the validated configuration (and, for the data
rules, of the built training sets) that returns a list of such lines.
"""

import math

import numpy as np

from .stability import snapshot_count, stable_steps, step_amplification

#: Keys where .inf is a meaning, not a typo (the equilibrium readout W_inf of the RF flow).
INFINITY_ALLOWED = {("rf", "taus", "*"), ("score_runs", "rf", "tau")}

#: A sampler step may amplify a perturbation by at most this much (1: no numerical growth).
MAX_AMPLIFICATION = 1.0

#: At time T the forward process must have forgotten the data: a_T max|y| at most this (p_T ~ N(0, I)).
MAX_REMEMBERED = 0.1


class ConfigError(ValueError):
    """The configuration breaks a rule across keys; the message names the keys and the fix."""


def config_problems(config: dict, points: dict) -> list:
    """Every broken cross-key rule of ``config``, one line each (empty when all hold).

    Parameters
    ----------
    config : the configuration, validated against config/schema.yaml (defaults filled in).
    points : dataset name -> (n, D) training points of every dataset the configuration uses.
    """
    found = non_finite_numbers(config)
    if found:  # the other rules compare numbers: a NaN would make each of them say something odd
        return found
    return (
        selection_problems(config)
        + time_range_problems(config)
        + sampler_problems(config)
        + snapshot_problems(config)
        + quadrature_problems(config)
        + unused_key_problems(config)
        + data_problems(config, points)
        + figure_problems(config, points)
    )


def check_config_rules(config: dict, points: dict) -> None:
    """Raise :class:`ConfigError` listing every broken cross-key rule of ``config``."""
    problems = config_problems(config, points)
    if problems:
        raise ConfigError(
            "the configuration breaks rules across keys (config/README.md):\n"
            + "\n".join(f"  - {p}" for p in problems)
        )


def non_finite_numbers(config: dict) -> list:
    """NaN anywhere, and inf outside :data:`INFINITY_ALLOWED`."""
    found = []
    for path, value in _numbers(config, ()):
        if math.isnan(value):
            found.append(f"{_key(path)} is NaN; give a number")
        elif math.isinf(value) and not _infinity_allowed(path):
            found.append(f"{_key(path)} is {value}; give a finite number")
    return found


def selection_problems(config: dict) -> list:
    """At least one experiment is selected (an empty run would end at once and look like success)."""
    if config["score_runs"]["datasets"] or config["rf"]["experiments"] or config["mnist"]["runs"]:
        return []
    return ["score_runs.datasets, rf.experiments and mnist.runs are all empty, so there is nothing to "
            "run; select at least one dataset or experiment"]


def time_range_problems(config: dict) -> list:
    """t_min below the effective T of every sampled dataset; rf.t0 below T; slide window inside."""
    t_min = float(config["sampling"]["t_min"])
    found = []
    start = float(config["checks"]["slide"]["start_time"])
    if config["score_runs"]["datasets"] and not t_min < start:
        found.append(f"checks.slide.start_time = {start} must exceed sampling.t_min = {t_min} (the slide "
                     "window runs from it down to t_min)")
    for name in sampled_datasets(config):
        T, where = effective_T(config, name)
        if T is None:
            found.append(f"datasets.{name} has no T and sampling.T is not set; set one of them")
        elif not t_min < T:
            found.append(f"sampling.t_min = {t_min} must lie below {where} = {T}")
    for name in rf_datasets(config):
        T, where = effective_T(config, name)
        if T is not None and not float(config["rf"]["t0"]) < T:
            found.append(f"rf.t0 = {config['rf']['t0']} must lie below {where} = {T}")
    mnist = config["mnist"]
    for experiment in mnist["runs"]:
        s = mnist_sampling(config, experiment)
        if not float(s["t_min"]) < float(s["T"]):
            found.append(f"{_mnist_where(config, experiment)}: sampling.t_min = {s['t_min']} must lie "
                         f"below sampling.T = {s['T']}")
    return found


def sampler_problems(config: dict) -> list:
    """The explicit sampler is stable on every grid it integrates (see :func:`stable_steps`)."""
    found = []
    sampling = config["sampling"]
    t_min = float(sampling["t_min"])
    groups = [("sampling.n_steps", sampled_datasets(config)), ("neural_sweep.n_steps", sweep_datasets(config))]
    for key, names in groups:
        n_steps = int(config[key.split(".")[0]]["n_steps"])
        for (T, where), members in _by_time(config, names).items():
            if t_min < T:
                found += _stability(sampling["grid"], T, t_min, n_steps, sampling["method"],
                                    f"{key} = {n_steps} with {where} = {T} ({_datasets(members)})", key)
    for experiment in config["mnist"]["runs"]:
        s = mnist_sampling(config, experiment)
        if float(s["t_min"]) < float(s["T"]):
            where = _mnist_where(config, experiment)
            found += _stability(s["grid"], float(s["T"]), float(s["t_min"]), int(s["n_steps"]), s["method"],
                                f"{where}: sampling.n_steps = {s['n_steps']} with T = {s['T']}",
                                f"{where}.sampling.n_steps")
    return list(dict.fromkeys(found))


def snapshot_problems(config: dict) -> list:
    """Every requested snapshot falls on its own grid node (else fewer would be stored, silently)."""
    found = []
    sampling = config["sampling"]
    for (T, where), members in _by_time(config, sampled_datasets(config)).items():
        if float(sampling["t_min"]) < T:
            found += _snapshots(sampling, T, f"sampling.n_snapshots = {sampling['n_snapshots']} with "
                                f"{where} = {T} ({_datasets(members)})", "sampling")
    for experiment in config["mnist"]["runs"]:
        s = mnist_sampling(config, experiment)
        if float(s["t_min"]) < float(s["T"]):
            where = _mnist_where(config, experiment)
            found += _snapshots(s, float(s["T"]), f"{where}: sampling.n_snapshots = {s['n_snapshots']}",
                                f"{where}.sampling")
    return list(dict.fromkeys(found))


def _by_time(config: dict, names: list) -> dict:
    """(T, key path of T) -> the datasets among ``names`` that run with it (those with a T)."""
    groups = {}
    for name in names:
        T, where = effective_T(config, name)
        if T is not None:
            groups.setdefault((T, where if where == "sampling.T" else "T"), []).append(name)
    return groups


def _datasets(names: list) -> str:
    return ("dataset " if len(names) == 1 else "datasets ") + ", ".join(names)


def quadrature_problems(config: dict) -> list:
    """Simpson's rule needs an odd node count."""
    q = config["rf"]["quadrature"]
    if q["time_rule"] == "simpson" and int(q["n_time"]) % 2 == 0 and rf_datasets(config):
        return [f"rf.quadrature.n_time = {q['n_time']} must be odd for time_rule: simpson "
                f"(composite Simpson pairs the intervals); use {int(q['n_time']) + 1}"]
    return []


def unused_key_problems(config: dict) -> list:
    """sampling.T set although every sampled dataset sets its own T (it would change nothing)."""
    if "T" not in config["sampling"]:
        return []
    used = sampled_datasets(config)
    if used and all("T" in config["datasets"][name] for name in used):
        return [f"sampling.T = {config['sampling']['T']} has no effect: every dataset in use "
                f"({', '.join(used)}) sets its own T; remove sampling.T, or remove T from a dataset "
                "that should use it"]
    return []


def data_problems(config: dict, points: dict) -> list:
    """Training sets a ridge can be defined on, whose squares do not overflow, forgotten by time T."""
    found = []
    ridge_dim = int(config["ridge"]["ridge_dim"])
    for name in sampled_datasets(config):
        if name not in points:
            continue
        arr = np.asarray(points[name], dtype=np.float64)
        overflow = overflow_problem(arr)
        if overflow:
            found.append(f"datasets.{name}: {overflow}")
            continue
        found += _ridge_dim(name, arr, ridge_dim)
        T, where = effective_T(config, name)
        if T is not None and math.isfinite(T):
            remembered = math.exp(-T) * float(np.linalg.norm(arr, axis=1).max())
            if remembered > MAX_REMEMBERED:
                needed = math.log(float(np.linalg.norm(arr, axis=1).max()) / MAX_REMEMBERED)
                found.append(f"datasets.{name}: at {where} = {T} the forward process still carries "
                             f"a_T max|y| = {remembered:.3g} of the data, so starting the reverse "
                             f"process from N(0, I) is wrong; raise T to at least {math.ceil(needed)} "
                             "or rescale the points")
    return list(dict.fromkeys(found))


def figure_problems(config: dict, points: dict) -> list:
    """Each segment of figures.rf.segments names a defined dataset, 2-D where it is an RF dataset (the
    figure is drawn for the RF datasets only, so a configuration that extends the paper's without
    its RF experiments keeps working)."""
    found = []
    for name in config["figures"]["rf"].get("segments", {}):
        if name not in config["datasets"]:
            found.append(f"figures.rf.segments.{name}: {name} is not defined under `datasets:`")
        elif name in rf_datasets(config) and name in points and np.asarray(points[name]).shape[1] != 2:
            found.append(f"figures.rf.segments.{name}: the segment figure is drawn in the plane; {name} has "
                         f"D = {np.asarray(points[name]).shape[1]}")
    return found


def overflow_problem(points: np.ndarray) -> str:
    """Why squared distances of ``points`` (n, D) overflow float64 ('' when they do not)."""
    with np.errstate(over="ignore"):
        reach = 2.0 * np.abs(points).max() if points.size else np.float64(0.0)
        if np.isfinite(reach * reach * points.shape[1]):
            return ""
    return (f"coordinates as large as {np.abs(points).max():.3g} overflow float64 when squared; "
            "rescale the points (e.g. divide by their standard deviation)")


def affine_rank(points: np.ndarray, rtol: float = 1e-10) -> int:
    """Dimension of the affine hull of ``points`` (n, D): 0 for one distinct point, 1 collinear."""
    centred = points - points.mean(axis=0)
    s = np.linalg.svd(centred, compute_uv=False)
    return int((s > rtol * max(float(s.max(initial=0.0)), np.finfo(float).tiny)).sum()) if s.size else 0


def _ridge_dim(name: str, arr: np.ndarray, ridge_dim: int) -> list:
    D = arr.shape[1]
    if not ridge_dim < D:
        return [f"ridge.ridge_dim = {ridge_dim} must lie below the dimension D = {D} of dataset {name}"]
    rank = affine_rank(arr)
    if rank == 0:
        what = "has a single point" if arr.shape[0] == 1 else f"has {arr.shape[0]} copies of one point"
        return [f"datasets.{name} {what}, so p_t is one Gaussian whose Hessian has no eigengap: it has "
                "no ridge; give at least two distinct points"]
    if rank < ridge_dim:
        return [f"datasets.{name}: the points span only {rank} dimension(s), so the {D - rank} normal "
                f"directions outside their span share one Hessian eigenvalue and a {ridge_dim}-dimensional "
                f"ridge is undefined; set ridge.ridge_dim <= {rank} or give points that span more"]
    return []


def _stability(grid: str, T: float, t_min: float, n_steps: int, method: str, what: str, key: str) -> list:
    worst = float(step_amplification(grid, T, t_min, n_steps, method).max())
    if worst <= MAX_AMPLIFICATION:
        return []
    needed = stable_steps(grid, T, t_min, method, max_amplification=MAX_AMPLIFICATION)
    return [f"{what}: the {method} sampler is unstable on this {grid} grid (a step amplifies errors "
            f"{worst:.3g}x, above {MAX_AMPLIFICATION:g}; errors grow from step to step, up to inf/NaN); set {key} "
            f"to at least {needed}, or lower T"]


def _snapshots(sampling: dict, T: float, what: str, key: str) -> list:
    wanted = int(sampling["n_snapshots"])
    got = snapshot_count(sampling["grid"], T, float(sampling["t_min"]), int(sampling["n_steps"]), wanted)
    if got >= wanted:
        return []
    return [f"{what}: only {got} distinct grid nodes of the {sampling['n_steps']}-step "
            f"{sampling['grid']} grid lie nearest to them, so {wanted - got} would be lost; set "
            f"{key}.n_snapshots <= {got}, or raise {key}.n_steps (a geometric grid needs "
            f"n_steps >= n_snapshots - 1)"]


def effective_T(config: dict, name: str):
    """(T, key path) of dataset ``name``: its own T, else sampling.T; (None, '') when neither is set."""
    if "T" in config["datasets"][name]:
        return float(config["datasets"][name]["T"]), f"datasets.{name}.T"
    if "T" in config["sampling"]:
        return float(config["sampling"]["T"]), "sampling.T"
    return None, ""


def sampled_datasets(config: dict) -> list:
    """Datasets the reverse process runs on: score runs (and their controls) and RF sampling runs."""
    names = list(config["score_runs"]["datasets"]) + rf_datasets(config)
    return list(dict.fromkeys(names))


def rf_datasets(config: dict) -> list:
    """Datasets of the random-feature experiments (flow, sampling and gd_vs_flow)."""
    names = [e["dataset"] for e in config["rf"]["experiments"]]
    if names:
        names.append(config["rf"]["gd_vs_flow"]["dataset"])
    return list(dict.fromkeys(names))


def sweep_datasets(config: dict) -> list:
    """Datasets of the neural training-length sweep (none without neural score runs)."""
    if "neural" not in config["score_runs"]["models"]:
        return []
    return list(config["neural_sweep"]["datasets"])


def mnist_sampling(config: dict, experiment: str) -> dict:
    """mnist.sampling for one experiment, with its protocol's sampling keys in their place."""
    mnist = config["mnist"]
    settings = dict(mnist["sampling"])
    protocol = mnist["experiments"][experiment].get("protocol")
    if protocol:
        settings.update(mnist.get("protocols", {}).get(protocol, {}).get("sampling", {}))
    return settings


def _mnist_where(config: dict, experiment: str) -> str:
    protocol = config["mnist"]["experiments"][experiment].get("protocol")
    return f"mnist.protocols.{protocol}" if protocol else "mnist"


def _numbers(value, path):
    if isinstance(value, bool):
        return
    if isinstance(value, float):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _numbers(item, (*path, str(key)))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _numbers(item, (*path, i))


def _infinity_allowed(path) -> bool:
    return any(len(p) == len(path) and all(a in ("*", b) for a, b in zip(p, path)) for p in INFINITY_ALLOWED)


def _key(path) -> str:
    return ".".join(str(p) for p in path) or "(top level)"
