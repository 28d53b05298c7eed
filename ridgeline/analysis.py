"""Your own model against the ridge: the pipeline's metrics and checks for any diffusion model's
samples, trajectories or score (docs/method.md, "Your own model").

:func:`analyze_samples` takes training points and samples (final samples, or trajectories with
their times) from any model; :func:`analyze_score` takes a score (or epsilon) callable and samples
it with ridgeline's sampler, coupled with the exact score over the slide window, exactly as the
pipeline's ``sample`` rule does. Both return the ``run_metrics`` variables (per time and sample:
distance to the ridge, residuals, eigengap, nearest training point, ...; per sample: the final
class and reach time), the exact score's tube fraction on the same snapshots and the checks
(``check_statistic``, ``check_threshold``, ``check_verdict`` on ``check``) as one
``xarray.Dataset``. Times and states of another convention (VP, VE) are mapped onto ridgeline's OU
process by :class:`ridgeline.processes.ForwardProcess`.
"""

import json
import logging
import math
import tempfile
from pathlib import Path

import numpy as np
import torch
import xarray as xr

from . import dims
from .blocks import DEFAULT_BLOCK_POINTS
from .checks import CHECKS, run_checks
from .coupling import SlideCoupling
from .datasets import DatasetError, check_points
from .empirical import SmoothedEmpirical
from .forward import log_spaced_times, time_grid
from .io import NonFiniteError, count_non_finite, read_store, variable, write_store
from .metrics_store import metrics_to_store
from .models.exact import ExactScore
from .phases import tube_radius
from .processes import ConvertedScore, ForwardProcess
from .provenance import provenance
from .runtime import BlockStreams, generator
from .sample_store import sample_to_store
from .sampling import sample, snapshot_indices
from .scms import scms_project
from .stability import stable_steps

log = logging.getLogger(__name__)

#: Settings of the analysis: the paper configuration's `metrics` and `checks` sections
#: (config/README.md explains each key). Override any of them with ``settings=``.
DEFAULT_SETTINGS = {
    "scms": {"tol": 1.0e-6, "max_iter": 1000, "criterion": "relative", "method": "scms"},
    "near_radius": 0.5,
    "classify": {"time": 0.3, "tube_radius": 0.3},
    "checks": {
        "min_gap": 1.0e-9,
        "reach": {"tube_scale": 2.0, "min_time": 0.1, "max_deficit": 0.1},
        "align": {"max_time": 1.0, "min_resolved": 0.5, "max_residual": 1.5, "slope_tolerance": 0.5,
                  "max_slope_error": 0.2},
        "slide": {"start_time": 0.3, "n_samples": 300, "tolerance": 0.25, "floor": 0.01, "min_explained": 0.8},
    },
}

#: OU time at which final samples (a 2-D array, no times given) are measured: the pipeline's t_min.
FINAL_TIME = 1.0e-3


def analyze_samples(train, samples, times=None, *, process: ForwardProcess | None = None, score=None,
                    prediction: str = "score", ridge_dim: int = 1, settings: dict | None = None,
                    reference_samples: int = 500, seed: int = 0, out=None, device="cpu",
                    block_points: int = DEFAULT_BLOCK_POINTS, logger=log) -> xr.Dataset:
    """Ridge metrics and checks of a model's samples against the ridge of its training points.

    Parameters
    ----------
    train : (n, D) training points.
    samples : (n_samples, D) final samples, or (S, n_samples, D) trajectories at ``times``.
    times : (S,) times of the snapshots in the convention of ``process`` (default: ridgeline's OU
        time; for final samples without times, t = 1e-3).
    process : the model's forward process (:class:`ridgeline.processes.ForwardProcess`, default OU).
    score : optional callable (x, s) -> (B, D) on torch float64 tensors, the model's score (or, with
        ``prediction='eps'``, its noise prediction) at the user's time s: adds the score-error
        split and the align check.
    ridge_dim : d. settings : overrides of :data:`DEFAULT_SETTINGS` (nested dicts merge).
    reference_samples : samples of the exact score drawn on the same snapshots for the reach check
        (0: no reference, reach undetermined).
    seed : seed of the reference run. out : optional path of a zarr store to write the result to.

    Returns
    -------
    xarray.Dataset: the ``run_metrics`` variables on (time, sample) with the OU time ``t`` of
    every snapshot as coordinate ``time``, ``exact_tube_fraction(time)`` and the checks.
    """
    process = process or ForwardProcess.ou()
    train = _training_points(train)
    states, ou_times = ou_snapshots(samples, times, process, train.shape[1])
    cfg = merged_settings(settings)
    run = xr.Dataset({"states": variable(states, (dims.TIME, dims.SAMPLE, dims.COORD), "sample position y_t",
                                         "length")}, coords={dims.TIME: ou_times})
    model = None if score is None else ConvertedScore(score, process, prediction)
    return _measure(train, run, model, ridge_dim, cfg, reference_samples, seed, out, device, block_points, logger,
                    {"process": process.name, "source": "samples"})


def analyze_score(train, score, *, process: ForwardProcess | None = None, prediction: str = "score",
                  ridge_dim: int = 1, n_samples: int = 1000, T: float | None = None, t_min: float = 1.0e-3,
                  n_steps: int | None = None, n_snapshots: int = 30, method: str = "sde",
                  settings: dict | None = None, reference_samples: int = 500, seed: int = 0, out=None,
                  device="cpu", block_points: int = DEFAULT_BLOCK_POINTS, logger=log) -> xr.Dataset:
    """Sample a model's score with ridgeline's sampler and measure it as :func:`analyze_samples` does.

    The run is coupled with the exact score over the slide window (``settings['checks']['slide']``),
    so all three checks (reach, align, slide) are judged. ``T`` defaults to the largest OU time the
    process covers, at most 10; ``n_steps`` to the fewest geometric steps that keep the sampler
    stable, at least 500.
    """
    process = process or ForwardProcess.ou()
    train = _training_points(train)
    cfg = merged_settings(settings)
    T = float(T if T is not None else min(10.0, process.ou_time(process.s_max)))
    n_steps = int(n_steps or max(500, stable_steps("geometric", T, t_min, method)))
    model = ConvertedScore(score, process, prediction)
    dist = SmoothedEmpirical(train, device=device)
    grid = time_grid("geometric", T, t_min, n_steps).to(device)
    snaps = snapshot_indices(grid, log_spaced_times(T, t_min, n_snapshots))
    slide = cfg["checks"]["slide"]
    coupling = SlideCoupling(dist, ridge_dim, slide["start_time"], method, slide["n_samples"])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "samples.zarr"
        sample_to_store(path, model, n_samples=n_samples, dim=train.shape[1], grid=grid, snapshot_idx=snaps,
                        method=method, streams=BlockStreams(seed, "analyze-score", device), attrs={},
                        long_name="sample position y_t", units="length", device=device, logger=logger,
                        coupling=coupling)
        run = read_store(path)
    return _measure(train, run, model, ridge_dim, cfg, reference_samples, seed, out, device, block_points, logger,
                    {"process": process.name, "source": "score", "T": T, "n_steps": n_steps, "method": method})


def merged_settings(settings: dict | None) -> dict:
    """:data:`DEFAULT_SETTINGS` with ``settings`` merged in (nested dicts key by key); unknown keys refused."""
    return _merge(DEFAULT_SETTINGS, settings or {}, "settings")


def _merge(base: dict, update: dict, where: str) -> dict:
    out = dict(base)
    for key, value in update.items():
        if key not in base:
            raise ValueError(f"unknown key {where}.{key}; known: {sorted(base)}")
        out[key] = _merge(base[key], value, f"{where}.{key}") if isinstance(base[key], dict) else value
    return out


def _training_points(train) -> np.ndarray:
    try:
        return check_points(train, "training points", min_points=2)
    except DatasetError as err:
        raise ValueError(str(err)) from None


def ou_snapshots(samples, times, process: ForwardProcess, dim: int,
                 where: str = "samples") -> tuple[np.ndarray, np.ndarray]:
    """A model's samples as (S, n, D) OU states and (S,) OU times, snapshots in decreasing time.

    ``samples`` (n, D) without ``times`` are final samples, measured at :data:`FINAL_TIME`; else
    ``times`` (S,) are the snapshot times in the convention of ``process``. Errors start with
    ``where`` (the argument or config key the samples came from).
    """
    states = np.asarray(samples, dtype=np.float64)
    if states.ndim not in (2, 3) or states.shape[-1] != dim:
        raise ValueError(f"{where} has shape {states.shape}; need (n_samples, {dim}) or (n_snapshots, n_samples, "
                         f"{dim}) to match the training points")
    states = states[None] if states.ndim == 2 else states
    bad = count_non_finite(states)
    if bad:
        raise NonFiniteError(f"{where}: {bad:,} of {states.size:,} values are NaN or inf; drop those samples (they "
                             "are not results) or find where the model diverged")
    if times is None:
        if states.shape[0] != 1:
            raise ValueError(f"{where} holds {states.shape[0]} snapshots: give their times (one per snapshot)")
        return states, np.array([FINAL_TIME])
    times = np.asarray(times, dtype=np.float64).reshape(-1)
    if times.size != states.shape[0] or not np.isfinite(times).all():
        raise ValueError(f"{where}: need {states.shape[0]} finite times, one per snapshot, got {times.tolist()}")
    states, ou_times = process.to_ou(states, times)
    if not (ou_times > 0).all():
        raise ValueError(f"{where}: snapshot times must map to OU times t > 0, got {ou_times.tolist()}; drop the "
                         "t = 0 snapshot (the ridge of p_0 is not defined) or give its time as a small positive number")
    order = np.argsort(-ou_times, kind="stable")
    return states[order], ou_times[order]


def _measure(train, run, model, ridge_dim, cfg, reference_samples, seed, out, device, block_points, logger,
             source: dict) -> xr.Dataset:
    dim = train.shape[1]
    if not 1 <= ridge_dim < dim:
        raise ValueError(f"ridge_dim = {ridge_dim} must lie in [1, D - 1] = [1, {dim - 1}]")
    dist = SmoothedEmpirical(train, device=device)
    metrics_cfg = {"scms": cfg["scms"], "near_radius": cfg["near_radius"], "classify": cfg["classify"],
                   "tube_scale": cfg["checks"]["reach"]["tube_scale"]}
    attrs = provenance("analyze", {"settings": cfg, "ridge_dim": ridge_dim, **source}, seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "metrics.zarr"
        metrics_to_store(path, dist, run, ridge_dim=ridge_dim, cfg=metrics_cfg, attrs=attrs, model=model,
                         block_points=block_points, logger=logger)
        metrics = read_store(path)
    times = metrics[dims.TIME].values
    exact = exact_tube_fraction(train, times, ridge_dim=ridge_dim, cfg=cfg, n_samples=reference_samples, seed=seed,
                                device=device, logger=logger)
    results = run_checks(metrics, exact, dim, ridge_dim, cfg["checks"])
    ds = metrics.assign(exact_tube_fraction=variable(exact, (dims.TIME,), "the exact score's fraction of samples "
                                                      "inside the reach tube (reference)"))
    ds = ds.assign(_check_variables(results))
    ds.attrs["checks"] = json.dumps({name: r.to_dict() for name, r in results.items()})
    if out is not None:
        write_store(ds, out)
    return ds


def exact_tube_fraction(train, times, *, ridge_dim: int, cfg: dict, n_samples: int, seed: int, device="cpu",
                        logger=log) -> np.ndarray:
    """The exact score's fraction of samples inside the reach tube at the OU ``times`` (S,), decreasing.

    The exact score is sampled from T = max(10, times[0]) on a geometric grid through every
    snapshot time (steps of at most 2 % in t and at most 1 in dt, so the sampler is stable);
    NaN everywhere for a single snapshot or ``n_samples`` = 0.
    """
    times = np.asarray(times, dtype=np.float64)
    if times.size < 2 or n_samples <= 0:
        return np.full(times.size, np.nan)
    nodes = np.concatenate([[max(10.0, times[0])], times]) if times[0] < 10.0 else times
    grid = [nodes[0]]
    for hi, lo in zip(nodes[:-1], nodes[1:]):
        steps = max(1, math.ceil(math.log(hi / lo) / 0.02), math.ceil(hi - lo))
        grid += list(hi * (lo / hi) ** (np.arange(1, steps + 1) / steps))
    grid = torch.as_tensor(np.asarray(grid), dtype=torch.float64, device=device)
    idx = torch.as_tensor([int(np.abs(grid.cpu().numpy() - t).argmin()) for t in times], device=device)
    run = sample(ExactScore(train, device=device), int(n_samples), dim=train.shape[1], grid=grid, snapshot_idx=idx,
                 generator=generator(seed, "analyze-reference", device), device=device, logger=logger)
    dist = SmoothedEmpirical(train, device=device)
    radii = tube_radius(times, train.shape[1], ridge_dim, cfg["checks"]["reach"]["tube_scale"])
    fractions = []
    for k, t in enumerate(times):
        proj = scms_project(dist, run.states[k], float(t), ridge_dim=ridge_dim, **cfg["scms"])
        fractions.append(float(((proj.points - run.states[k]).norm(dim=1) <= radii[k]).double().mean()))
    return np.asarray(fractions)


def _check_variables(results: dict) -> dict:
    names = [c for c in CHECKS if c in results]
    get = [results[c] for c in names]
    coord = {"check": np.asarray(names, dtype=str)}
    return {
        "check_statistic": xr.DataArray([r.statistic for r in get], dims="check", coords=coord,
                                        attrs={"long_name": "statistic of the check", "units": "1"}),
        "check_threshold": xr.DataArray([r.threshold for r in get], dims="check", coords=coord,
                                        attrs={"long_name": "threshold the statistic must satisfy", "units": "1"}),
        "check_verdict": xr.DataArray(np.asarray([r.verdict for r in get], dtype=str), dims="check", coords=coord,
                                      attrs={"long_name": "pass, fail or undetermined"}),
    }
