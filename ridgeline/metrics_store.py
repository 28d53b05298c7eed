"""Ridge metrics of a sampling run streamed over blocks of samples into a zarr store (science.md 6).

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
from .io import StreamedArray, streamed_store, variable
from .latent_ridge import gap_filtered_sums, latent_ridge_dataset, means_from_sums
from .metrics import CLASSES, classify_final_samples, frame_metrics, near_point_counts, trajectory_metrics
from .phases import PhaseTotals, add_block, sample_phases, time_summaries

log = logging.getLogger(__name__)

#: (snapshot, sample) pairs measured together by default: about 10,000 samples at 50 snapshots.
DEFAULT_BLOCK_POINTS = 2**19


def metrics_to_store(path, dist, times, states, ridge_dim: int, cfg: dict, attrs: dict, model=None,
                     block_points: int = DEFAULT_BLOCK_POINTS, logger=log):
    """Measure a sampling run block by block and write the metrics store ``path``.

    Parameters
    ----------
    dist : :class:`ridgeline.empirical.SmoothedEmpirical` of the training set (on the compute device).
    times : (S,) snapshot times. states : (S, B, D) array-like indexed lazily (e.g. the ``states``
        DataArray of an opened sample store); only one block of samples is read at a time.
    ridge_dim : d. cfg : the ``metrics`` config section (scms, near_radius, tube_radius, late_time,
        classify). attrs : store attributes (provenance). model : optional score model (adds the
        score-error split, align and slide). block_points : (snapshot, sample) pairs per block;
        a block holds max(1, block_points // S) samples at all S snapshots.

    Returns
    -------
    The store path. Variables: per (time, sample) metrics and the projection (time, sample, coord),
    reach / slide and the final class per sample, tube fraction and align per time, counts per
    training point and per class.
    """
    per_block = max(1, int(block_points) // max(1, states.shape[0]))
    totals = _Totals(cfg["tube_radius"], dist.n, cfg["near_radius"])
    measure = partial(_block_metrics, dist, times, states, ridge_dim, cfg, model, logger)
    _write_in_blocks(path, states.shape[1], per_block, measure, totals, _time_coordinate, attrs, "metrics", logger)
    logger.info("final samples: %s", dict(zip(CLASSES, totals.classes.tolist())))
    return path


def _write_in_blocks(path, n: int, per_block: int, measure, totals, coords, attrs: dict, label: str,
                     logger) -> xr.Dataset:
    """Measure ``n`` samples in blocks of ``per_block`` and stream every block to the store ``path``.

    Parameters
    ----------
    measure : callable(block: slice) -> Dataset of those samples; its variables with a ``sample``
        dimension are written to their region of the store.
    totals : has ``add(ds)`` for every block and ``dataset()``, the totals written at the end.
    coords : callable(first block's Dataset) -> the store's coordinates.

    Returns
    -------
    The totals Dataset.
    """
    blocks = [slice(s, min(n, s + per_block)) for s in range(0, n, per_block)]
    first = measure(blocks[0])
    with streamed_store(path, xr.Dataset(coords=coords(first)), _specs(first, n), attrs) as store:
        for k, block in enumerate(blocks):
            ds = first if k == 0 else measure(block)
            totals.add(ds)
            for name, spec in store.arrays.items():
                store.write(name, tuple(block if d == dims.SAMPLE else slice(None) for d in spec.dims),
                            ds[name].values)
            logger.info("%s: block %d/%d (samples %d-%d of %d) written", label, k + 1, len(blocks),
                        block.start, block.stop, n)
        summary = totals.dataset()
        store.add(summary)
    return summary


def _time_coordinate(first: xr.Dataset) -> dict:
    return {dims.TIME: first[dims.TIME].variable}


def _all_coordinates(first: xr.Dataset) -> dict:
    return {name: first[name].variable for name in first.coords}


def _block_metrics(dist, times, states, ridge_dim, cfg, model, logger, block: slice) -> xr.Dataset:
    """Per-sample metrics, reach / slide and final class of the samples ``block``."""
    x = torch.as_tensor(np.asarray(states[:, block]), dtype=torch.float64, device=dist.data.device)
    ds = trajectory_metrics(dist, times, x, ridge_dim, cfg["scms"], cfg["near_radius"], logger, model=model)
    ds = ds.assign(sample_phases(ds, cfg["tube_radius"], cfg["late_time"]))
    cls = classify_final_samples(dist.data.cpu(), x[-1], cfg["classify"]["time"], ridge_dim, cfg["near_radius"],
                                 cfg["classify"]["tube_radius"], cfg["scms"])
    return ds.assign(
        final_class=variable(cls["label"], (dims.SAMPLE,), "final class: near_point / inter_mode / off_ridge"),
        block_class_count=variable(cls["counts"], ("class",), "final samples of this block per class"),
    )


def _specs(block: xr.Dataset, n_samples: int) -> dict:
    """Streamed arrays: every variable of a block with a sample dimension, at full size, chunked by blocks."""
    return {name: StreamedArray(var.dims, tuple(n_samples if d == dims.SAMPLE else s for d, s in zip(var.dims, var.shape)),
                                var.attrs["long_name"], var.attrs.get("units", "1"), var.dtype.name, chunks=var.shape)
            for name, var in block.data_vars.items() if dims.SAMPLE in var.dims}


class _Totals:
    """Counts and per-snapshot statistics over all blocks."""

    def __init__(self, rho: float, n_train: int, near_radius: float):
        self.phases, self.near_radius = PhaseTotals(rho), near_radius
        self.near = np.zeros(n_train, dtype=np.int64)
        self.classes = np.zeros(len(CLASSES), dtype=np.int64)

    def add(self, ds: xr.Dataset) -> None:
        add_block(self.phases, ds)
        self.near += ds["count_near_point"].values
        self.classes += ds["block_class_count"].values

    def dataset(self) -> xr.Dataset:
        n, near_radius = self.phases.n, self.near_radius
        data = {
            **time_summaries(self.phases),
            "count_near_point": variable(self.near, (dims.TRAIN,), f"final samples within {near_radius} of x_i"),
            "fraction_near_points": variable(np.float64(self.near.sum() / n), (),
                                             f"fraction of final samples within {near_radius} of a training point"),
            "class_count": variable(self.classes, ("class",), "final samples per class"),
        }
        return xr.Dataset(data, coords={"class": np.asarray(CLASSES)})


def rf_metrics_to_store(path, dist, times, taus: xr.DataArray, states, ridge_dim: int, cfg: dict, attrs: dict,
                        block_points: int = DEFAULT_BLOCK_POINTS, logger=log):
    """Residuals at every snapshot and final-sample counts and classes of every tau of an RF run, in blocks.

    Parameters
    ----------
    dist : :class:`ridgeline.empirical.SmoothedEmpirical` of the training set (on the compute device).
    times : (S,) snapshot times (the sample store's ``time`` coordinate). taus : (G,) coordinate
        ``tau``. states : (G, S, B, D) array-like
        indexed lazily; a block holds max(1, block_points // (G S)) samples of every tau.
    cfg : the ``metrics`` config section. attrs : store attributes (provenance).

    Returns
    -------
    The store path. Variables: counts near each training point and per class (tau, ...), final
    class, ridge position and distance and the final sample (tau, sample, ...), scaled and relative
    residuals and the curvature condition (tau, time, sample).
    """
    n_tau, n_time, n = states.shape[:3]
    per_block = max(1, int(block_points) // max(1, n_tau * n_time))
    totals = _RFTotals(n_tau, dist.n, cfg["near_radius"])
    measure = partial(_rf_block, dist, times, states, ridge_dim, cfg)
    coords = partial(_fixed_coordinates, {"tau": taus, dims.TIME: times})  # DataArrays keep their attributes
    _write_in_blocks(path, n, per_block, measure, totals, coords, attrs, "rf metrics", logger)
    for tau, counts in zip(np.asarray(taus), totals.classes):
        logger.info("tau=%g: %s", tau, dict(zip(CLASSES, counts.tolist())))
    return path


def _fixed_coordinates(coords: dict, first: xr.Dataset) -> dict:
    return coords


class _RFTotals:
    """Counts near each training point and per class, per tau, over all blocks."""

    def __init__(self, n_tau: int, n_train: int, near_radius: float):
        self.near = np.zeros((n_tau, n_train), dtype=np.int64)
        self.classes = np.zeros((n_tau, len(CLASSES)), dtype=np.int64)
        self.near_radius = near_radius

    def add(self, ds: xr.Dataset) -> None:
        self.near += ds["block_count_near_point"].values
        self.classes += ds["block_class_count"].values

    def dataset(self) -> xr.Dataset:
        return xr.Dataset({
            "count_near_point": variable(self.near, ("tau", dims.TRAIN),
                                         f"final samples within {self.near_radius} of x_i"),
            "class_count": variable(self.classes, ("tau", "class"),
                                    "final samples near a point / inter-mode on the ridge / off-ridge"),
        }, coords={"class": np.asarray(CLASSES)})


def _rf_block(dist, times, states, ridge_dim, cfg, block: slice) -> xr.Dataset:
    """Residuals of the samples ``block`` of every tau at every snapshot, and their final classes."""
    x = torch.as_tensor(np.asarray(states[:, :, block]), dtype=torch.float64, device=dist.data.device)
    n_tau, n_time, b, dim = x.shape
    residual = {k: np.empty((n_tau, n_time, b)) for k in ("scaled_residual", "relative_residual", "curvature_ok")}
    for k, t in enumerate(np.asarray(times)):
        m = frame_metrics(dist, x[:, k].reshape(-1, dim), float(t), ridge_dim)
        for name in residual:
            residual[name][:, k] = m[name].reshape(n_tau, b)
    final, cls, points = x[:, -1], cfg["classify"], dist.data.cpu()
    out = [classify_final_samples(points, final[g], cls["time"], ridge_dim, cfg["near_radius"], cls["tube_radius"],
                                  cfg["scms"]) for g in range(n_tau)]
    per_tau = ("tau", dims.SAMPLE)
    return xr.Dataset({
        "label": variable(np.stack([o["label"] for o in out]), per_tau, "class index of the final sample"),
        "ridge_position": variable(np.stack([o["projection"] for o in out]), (*per_tau, dims.COORD),
                                   "projection of the final sample on the reference ridge", "length"),
        "ridge_distance": variable(np.stack([o["ridge_distance"] for o in out]), per_tau,
                                   "distance of the final sample to the reference ridge", "length"),
        "final": variable(final.cpu().numpy(), (*per_tau, dims.COORD), "final sample", "length"),
        "scaled_residual": variable(residual["scaled_residual"], ("tau", dims.TIME, dims.SAMPLE),
                                    "h_t-scaled ridge residual", "length"),
        "relative_residual": variable(residual["relative_residual"], ("tau", dims.TIME, dims.SAMPLE),
                                      "relative ridge residual |E^T g|/|g|"),
        "curvature_ok": variable(residual["curvature_ok"].astype(bool), ("tau", dims.TIME, dims.SAMPLE),
                                 "curvature condition holds"),
        "block_count_near_point": variable(np.stack([near_point_counts(points, final[g].cpu(), cfg["near_radius"])
                                                     for g in range(n_tau)]), ("tau", dims.TRAIN), "counts"),
        "block_class_count": variable(np.stack([o["counts"] for o in out]), ("tau", "class"), "counts"),
    })


def latent_ridge_to_store(path, latents, times, states, ridge_dims, gap_thresholds, scms: dict, attrs: dict,
                          device=None, block_points: int = DEFAULT_BLOCK_POINTS, logger=log):
    """The latent ridge analysis (:func:`ridgeline.latent_ridge.latent_ridge_dataset`) in blocks of samples.

    Parameters
    ----------
    latents : (n, D) training latents. times : (S,) snapshot times. states : (S, B, D) array-like
        indexed lazily. ridge_dims, gap_thresholds, scms : as in ``latent_ridge_dataset``.
    attrs : store attributes (provenance). block_points : (snapshot, sample) pairs per block.

    Returns
    -------
    The totals written to the store (curvature fraction, gap-filtered means and counts over all
    samples). The store holds what ``latent_ridge_dataset`` returns for all samples: per-sample
    arrays written block by block, the totals from counts and sums over all blocks.
    """
    per_block = max(1, int(block_points) // max(1, states.shape[0]))
    measure = partial(_latent_block, latents, times, states, ridge_dims, gap_thresholds, scms, device, logger)
    return _write_in_blocks(path, states.shape[1], per_block, measure, _LatentTotals(gap_thresholds),
                            _all_coordinates, attrs, "latent ridge", logger)


def _latent_block(latents, times, states, ridge_dims, gap_thresholds, scms, device, logger, block) -> xr.Dataset:
    x = torch.as_tensor(np.asarray(states[:, block]), dtype=torch.float64, device=device)
    return latent_ridge_dataset(latents, times, x, ridge_dims, gap_thresholds, scms, logger)


class _LatentTotals:
    """Curvature counts and gap-filtered sums over all blocks; variables shaped like the first block's."""

    RESIDUALS = ("relative_residual", "scaled_residual")

    def __init__(self, thresholds):
        self.thresholds, self.n, self.templates, self.coords = thresholds, 0, None, None
        self.curvature = 0
        self.sums = dict.fromkeys(self.RESIDUALS, 0.0)
        self.counts = 0

    def add(self, ds: xr.Dataset) -> None:
        if self.templates is None:  # the totals take the first block's dimensions and attributes
            names = ["curvature_fraction", "gap_filtered_count", *(f"gap_filtered_{r}" for r in self.RESIDUALS)]
            self.templates = {name: ds[name].variable for name in names}
            self.coords = _all_coordinates(ds)
        self.n += ds.sizes[dims.SAMPLE]
        self.curvature = self.curvature + ds["curvature_ok"].values.sum(-1)
        for name in self.RESIDUALS:
            sums, counts = gap_filtered_sums(ds[name].values, ds["eigengap"].values, self.thresholds)
            self.sums[name] = self.sums[name] + sums
        self.counts = self.counts + counts

    def dataset(self) -> xr.Dataset:
        """curvature_fraction, gap_filtered_<residual> and gap_filtered_count over all samples."""
        values = {"curvature_fraction": self.curvature / self.n, "gap_filtered_count": self.counts}
        values.update({f"gap_filtered_{name}": means_from_sums(self.sums[name], self.counts)
                       for name in self.RESIDUALS})
        return xr.Dataset({name: self.templates[name].copy(data=value) for name, value in values.items()},
                          coords=self.coords)
