"""Ridge metrics of a sampling run, streamed over blocks of samples into a zarr store (docs/method.md).

A block of samples is read from the sample store, measured at every snapshot
(:func:`ridgeline.metrics.trajectory_metrics`), classified at the final time, and its per-sample
arrays are written to their region of the output store; the per-snapshot and per-training-point
totals are accumulated across blocks. So the job's memory depends on the block size, not on the
number of samples. With one block this is the whole-run computation, array for array.
"""

import logging
from functools import partial

import numpy as np
import torch
import xarray as xr

from . import dims
from .blocks import DEFAULT_BLOCK_POINTS, time_coordinate, write_in_blocks
from .coupling import slide_measures
from .io import variable
from .metrics import CLASSES, classify_final_samples, trajectory_metrics
from .phases import TubeCounts, reach_times, tube_radius
from .sample_store import SLIDE_SAMPLE

log = logging.getLogger(__name__)


def metrics_to_store(path, dist, run: xr.Dataset, *, ridge_dim: int, cfg: dict, attrs: dict, model=None,
                     block_points: int = DEFAULT_BLOCK_POINTS, logger=log):
    """Measure a sampling run block by block and write the metrics store ``path``.

    Parameters
    ----------
    dist : :class:`ridgeline.empirical.SmoothedEmpirical` of the training set (on the compute device).
    run : the opened sample store (lazy): ``states`` (time, sample, coord) and, for coupled runs,
        the slide arrays (:mod:`ridgeline.sample_store`); only one block of samples is read at a time.
    ridge_dim : d. cfg : the ``metrics`` config section (scms, near_radius, classify, tube_scale).
    attrs : store attributes (provenance). model : optional score model (adds the score-error
        split and align). block_points : (snapshot, sample) pairs per block; a block holds
        max(1, block_points // S) samples at all S snapshots.

    Returns
    -------
    The store path. Variables: per (time, sample) metrics and the projection (time, sample, coord),
    reach time, slide measures and the final class per sample, the tube fraction per time, counts
    per training point and per class.
    """
    times, states = run[dims.TIME].values, run["states"]
    per_block = max(1, int(block_points) // max(1, states.shape[0]))
    radii = tube_radius(times, dist.dim, ridge_dim, cfg["tube_scale"])
    totals = _Totals(radii, dist.n, cfg["near_radius"])
    measure = partial(_block_metrics, dist, run, radii, ridge_dim, cfg, model, logger)
    extra = partial(slide_dataset, dist, run, ridge_dim) if "slide_exact" in run else None
    write_in_blocks(path, states.shape[1], per_block=per_block, measure=measure, totals=totals, coords=time_coordinate,
                    attrs=attrs, label="metrics", logger=logger, extra=extra)
    logger.info("final samples: %s", dict(zip(CLASSES, totals.classes.tolist())))
    return path


def _block_metrics(dist, run, radii, ridge_dim, cfg, model, logger, block: slice) -> xr.Dataset:
    """Per-sample metrics, reach, slide and final class of the samples ``block``."""
    times = run[dims.TIME].values
    x = torch.as_tensor(np.asarray(run["states"][:, block]), dtype=torch.float64, device=dist.data.device)
    ds = trajectory_metrics(dist, times, x, ridge_dim=ridge_dim, scms=cfg["scms"], near_radius=cfg["near_radius"],
                            logger=logger, model=model)
    reach = reach_times(times, ds["scms_distance"].values, radii)
    ds = ds.assign(reach_time=variable(reach, (dims.SAMPLE,), "first snapshot time inside the reach tube"))
    cls = classify_final_samples(
        dist.data.cpu(),
        x[-1],
        t_c=cfg["classify"]["time"],
        ridge_dim=ridge_dim,
        near_radius=cfg["near_radius"],
        tube_radius=cfg["classify"]["tube_radius"],
        scms=cfg["scms"],
    )
    return ds.assign(
        final_class=variable(cls["label"], (dims.SAMPLE,), "final class: near_point / inter_mode / off_ridge"),
        block_class_count=variable(cls["counts"], (dims.CLASS,), "final samples of this block per class"),
    )


#: long_name of the slide measures (:func:`ridgeline.coupling.slide_measures`), all lengths at data scale.
SLIDE_ATTRS = {
    "separation": "tangential separation P_T (y - y^e) / a_t from the coupled exact run",
    "response": "predicted separation P_T R / a_t: linear response to the tangential error",
    "integral": "plain integral int c P_T e / a_t dtau of the tangential error",
    "drift_model": "tangential drift of the model's sample over the slide window",
    "drift_exact": "tangential drift of the coupled exact sample over the slide window",
    "residual": "|P_T (y - y^e - R)| / a_t, separation minus response",
    "resolved_gap": "dimensionless eigengap h (lambda_d - lambda_{d+1}) of the reference frame",
}


def slide_dataset(dist, run: xr.Dataset, ridge_dim: int) -> xr.Dataset:
    """Slide measures (:func:`ridgeline.coupling.slide_measures`) of the coupled samples of a run at its
    final snapshot; variables ``slide_<name>`` on (slide_sample,)."""
    device = dist.data.device
    coupled = run.sizes[SLIDE_SAMPLE]

    def read(name, *index):
        return torch.as_tensor(np.asarray(run[name][index]), dtype=torch.float64, device=device)

    final = read("states", -1)[:coupled]
    measures = slide_measures(
        dist,
        final,
        exact=read("slide_exact", -1),
        response=read("slide_response", -1),
        integral=read("slide_integral", -1),
        origin=read("slide_origin"),
        t_final=float(run[dims.TIME].values[-1]),
        t_start=float(run.attrs["slide_start_time"]),
        ridge_dim=ridge_dim,
    )
    return xr.Dataset(
        {
            f"slide_{name}": variable(
                value.cpu().numpy(), (SLIDE_SAMPLE,), SLIDE_ATTRS[name], "1" if name == "resolved_gap" else "length"
            )
            for name, value in measures.items()
        }
    )


class _Totals:
    """Counts and per-snapshot statistics over all blocks."""

    def __init__(self, radii, n_train: int, near_radius: float):
        self.tube, self.near_radius = TubeCounts(radii), near_radius
        self.near = np.zeros(n_train, dtype=np.int64)
        self.classes = np.zeros(len(CLASSES), dtype=np.int64)

    def add(self, ds: xr.Dataset) -> None:
        self.tube.add(ds["scms_distance"].values)
        self.near += ds["count_near_point"].values
        self.classes += ds["block_class_count"].values

    def dataset(self) -> xr.Dataset:
        n, near_radius = self.tube.n, self.near_radius
        data = {
            "tube_radius": variable(self.tube.radii, (dims.TIME,), "reach tube radius c sqrt(h_t (D - d))", "length"),
            "tube_fraction": variable(self.tube.fraction(), (dims.TIME,), "fraction of samples inside the reach tube"),
            "count_near_point": variable(self.near, (dims.TRAIN,), f"final samples within {near_radius} of x_i"),
            "fraction_near_points": variable(
                np.float64(self.near.sum() / n),
                (),
                f"fraction of final samples within {near_radius} of a training point",
            ),
            "class_count": variable(self.classes, (dims.CLASS,), "final samples per class"),
        }
        return xr.Dataset(data, coords={dims.CLASS: np.asarray(CLASSES)})


def metrics_stage(path, points, run, checkpoint, *, model: str, metrics: dict, ridge_dim: int, rf_tau: float,
                  controls: dict, seed: int, device=None, logger=log):
    """Measure the sample store ``run`` of (dataset, ``model``, ``seed``) into the store ``path``
    (:func:`metrics_to_store`), and warn about samples that escaped.

    Parameters
    ----------
    points : (n, D) training points. run : the opened sample store. metrics : the ``metrics`` config
        section with ``tube_scale``. The other arguments as in :func:`ridgeline.sample_runs.sample_stage`.
    """
    from .controls import load_run_model
    from .empirical import SmoothedEmpirical
    from .io import open_store
    from .metrics import ESCAPE_DIAMETERS, escaped_count
    from .provenance import provenance

    score = load_run_model(model, points, checkpoint, device=device, rf_tau=rf_tau, ridge_dim=ridge_dim,
                           controls=controls, seed=seed)
    metrics_to_store(path, SmoothedEmpirical(points, device=device), run, ridge_dim=ridge_dim, cfg=metrics,
                     attrs=provenance("run_metrics", {"metrics": metrics, "ridge_dim": ridge_dim}, seed), model=score,
                     block_points=metrics["block_points"], logger=logger)
    with open_store(path) as store:
        final_distance = store["nearest_distance"].isel(time=-1).values
    escaped = escaped_count(final_distance, points)
    if escaped:
        logger.warning("%d of %d samples ended more than %g data diameters from every training point: the %s score "
                       "let them escape. Medians and the figures are robust to them; means over samples are not "
                       "(docs/benchmarks.md, 'Neural score: the stationary skip'; benchmarks/sample_extremes.py shows when they left).",
                       escaped, final_distance.size, ESCAPE_DIAMETERS, model)
    return path
