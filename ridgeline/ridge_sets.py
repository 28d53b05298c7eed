"""The ridge of a 2-D p_t as point clouds at the snapshot times (the store of rule ridge_set)."""

import logging
from functools import partial

import numpy as np
import xarray as xr

from . import dims
from .empirical import SmoothedEmpirical
from .forward import variance
from .io import variable
from .parallel import default_workers, map_items
from .scms import ridge_set_2d

log = logging.getLogger(__name__)


def ridge_sets(dist: SmoothedEmpirical, times, *, grid_size: int, grid_margin: float, min_gap: float, scms: dict,
               workers: int | None = None, logger=log) -> xr.Dataset:
    """SCMS from a dense grid at every time of ``times`` (S,), the points kept where the ridge is defined.

    Keyword options are the ``ridge`` config keys. Returns ``ridge_points`` (time, grid_point, coord),
    the converged SCMS point of every grid point, and ``on_ridge`` (time, grid_point): converged,
    lambda_2 < 0 and h_t (lambda_1 - lambda_2) >= ``min_gap``.
    """
    times = [float(t) for t in times]
    workers = default_workers(dist.data.device) if workers is None else int(workers)
    one = partial(_ridge_at, dist, grid_size=grid_size, grid_margin=grid_margin, min_gap=min_gap, scms=scms,
                  logger=logger)
    found, on_ridge = zip(*map_items(one, times, workers))
    return xr.Dataset(
        {
            "ridge_points": variable(np.stack(found), (dims.TIME, dims.GRID_POINT, dims.COORD),
                                     "converged SCMS point from the grid", "length"),
            "on_ridge": variable(np.stack(on_ridge), (dims.TIME, dims.GRID_POINT),
                                 "converged, lambda_2 < 0 and h_t (lambda_1 - lambda_2) >= min_gap"),
        },
        coords={dims.TIME: variable(np.asarray(times), (dims.TIME,), "inference time t")},
    )


def _ridge_at(dist, t: float, *, grid_size, grid_margin, min_gap, scms, logger) -> tuple[np.ndarray, np.ndarray]:
    """Converged SCMS points from the grid (G, 2) and their on-ridge mask (G,) at time t."""
    res = ridge_set_2d(dist, t, grid_size, grid_margin, **scms)
    gap_ok = variance(t) * res.eigengap >= min_gap
    mask = (res.converged & res.curvature_ok & gap_ok).cpu().numpy()
    logger.info("t=%.4g: %d of %d grid points on the ridge", t, mask.sum(), mask.size)
    return res.points.cpu().numpy(), mask
