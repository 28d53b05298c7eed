"""Random-feature sweeps measured over blocks of samples: residuals per snapshot and final classes per tau."""

import logging
from functools import partial

import numpy as np
import torch
import xarray as xr

from .. import dims
from ..blocks import DEFAULT_BLOCK_POINTS, write_in_blocks
from ..io import variable
from ..metrics import CLASSES, classify_final_samples, frame_metrics, near_point_counts

log = logging.getLogger(__name__)


def rf_metrics_to_store(path, dist, times, *, taus: xr.DataArray, states, ridge_dim: int, cfg: dict, attrs: dict,
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
    coords = partial(_fixed_coordinates, {dims.TAU: taus, dims.TIME: times})  # DataArrays keep their attributes
    write_in_blocks(path, n, per_block=per_block, measure=measure, totals=totals, coords=coords, attrs=attrs,
                    label="rf metrics", logger=logger)
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
            "count_near_point": variable(self.near, (dims.TAU, dims.TRAIN),
                                         f"final samples within {self.near_radius} of x_i"),
            "class_count": variable(self.classes, (dims.TAU, dims.CLASS),
                                    "final samples near a point / inter-mode on the ridge / off-ridge"),
        }, coords={dims.CLASS: np.asarray(CLASSES)})


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
    out = [
        classify_final_samples(
            points,
            final[g],
            t_c=cls["time"],
            ridge_dim=ridge_dim,
            near_radius=cfg["near_radius"],
            tube_radius=cls["tube_radius"],
            scms=cfg["scms"],
        )
        for g in range(n_tau)
    ]
    per_tau = (dims.TAU, dims.SAMPLE)
    return xr.Dataset(
        {
            "label": variable(np.stack([o["label"] for o in out]), per_tau, "class index of the final sample"),
            "ridge_position": variable(
                np.stack([o["projection"] for o in out]),
                (*per_tau, dims.COORD),
                "projection of the final sample on the reference ridge",
                "length",
            ),
            "ridge_distance": variable(
                np.stack([o["ridge_distance"] for o in out]),
                per_tau,
                "distance of the final sample to the reference ridge",
                "length",
            ),
            "final": variable(final.cpu().numpy(), (*per_tau, dims.COORD), "final sample", "length"),
            "scaled_residual": variable(
                residual["scaled_residual"], (dims.TAU, dims.TIME, dims.SAMPLE), "h_t-scaled ridge residual", "length"
            ),
            "relative_residual": variable(
                residual["relative_residual"], (dims.TAU, dims.TIME, dims.SAMPLE), "relative ridge residual |E^T g|/|g|"
            ),
            "curvature_ok": variable(
                residual["curvature_ok"].astype(bool), (dims.TAU, dims.TIME, dims.SAMPLE), "curvature condition holds"
            ),
            "block_count_near_point": variable(
                np.stack([near_point_counts(points, final[g].cpu(), cfg["near_radius"]) for g in range(n_tau)]),
                (dims.TAU, dims.TRAIN),
                "counts",
            ),
            "block_class_count": variable(np.stack([o["counts"] for o in out]), (dims.TAU, dims.CLASS), "counts"),
        }
    )
