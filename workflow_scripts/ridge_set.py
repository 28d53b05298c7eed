"""The ridge of a 2D p_t as point clouds at the snapshot times (rule ridge_set)."""

import numpy as np
import torch
import xarray as xr

from ridgeline import dims
from ridgeline.device import resolve_device
from ridgeline.empirical import SmoothedEmpirical
from ridgeline.forward import log_spaced_times, time_grid
from ridgeline.io import read_store, variable, write_store
from ridgeline.parallel import default_workers, map_items
from ridgeline.provenance import provenance
from ridgeline.jobs import configure_job
from ridgeline.sampling import snapshot_indices
from ridgeline.scms import ridge_set_2d

log = configure_job(snakemake.log[0], snakemake.threads)
ridge, cfg, times = snakemake.params.ridge, snakemake.params.snapshots, snakemake.params.times
points = read_store(snakemake.input.dataset)["points"].values
dist = SmoothedEmpirical(points, device=resolve_device(snakemake.params.device))
grid = time_grid(cfg["grid"], times["T"], times["t_min"], cfg["n_steps"])
snap_times = grid[snapshot_indices(grid, log_spaced_times(times["T"], times["t_min"], cfg["n_snapshots"]))]


def ridge_at(t: float) -> tuple[np.ndarray, np.ndarray]:
    """Converged SCMS points from the grid (G, 2) and their on-ridge mask (G,) at time t."""
    res = ridge_set_2d(dist, t, ridge["grid_size"], ridge["grid_margin"], **ridge["scms"])
    gap_ok = float(-torch.expm1(torch.tensor(-2.0 * t))) * res.eigengap >= ridge["min_gap"]
    mask = (res.converged & res.curvature_ok & gap_ok).cpu().numpy()
    log.info("t=%.4g: %d of %d grid points on the ridge", t, mask.sum(), mask.size)
    return res.points.cpu().numpy(), mask


found, on_ridge = zip(*map_items(ridge_at, snap_times.tolist(), default_workers(dist.data.device)))
ds = xr.Dataset(
    {
        "ridge_points": variable(np.stack(found), (dims.TIME, dims.GRID_POINT, dims.COORD),
                                 "converged SCMS point from the grid", "length"),
        "on_ridge": variable(np.stack(on_ridge), (dims.TIME, dims.GRID_POINT),
                             "converged, lambda_2 < 0 and h_t (lambda_1 - lambda_2) >= min_gap"),
    },
    coords={dims.TIME: variable(snap_times.numpy(), (dims.TIME,), "inference time t")},
)
write_store(ds, snakemake.output[0], provenance("ridge_set", {"ridge": ridge, **times}))
