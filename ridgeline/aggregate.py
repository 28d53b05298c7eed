"""Combine per-run stores into one Dataset with (dataset, model, seed, ...) dimensions."""

import numpy as np
import xarray as xr

from . import dims
from .io import variable


def combine_runs(runs: dict) -> xr.Dataset:
    """Stack per-run Datasets keyed by (dataset, model, seed).

    Runs may differ in their snapshot times (each dataset has its own T): the ``time`` dimension
    becomes the snapshot index and the times themselves move to the variable ``t`` on
    (dataset, model, seed, time). Training-point dimensions of different sizes are padded with NaN.
    """
    datasets = sorted({k[0] for k in runs}, key=[k[0] for k in runs].index)
    models = sorted({k[1] for k in runs}, key=[k[1] for k in runs].index)
    seeds = sorted({k[2] for k in runs})
    stacked = []
    for d in datasets:
        by_model = []
        for m in models:
            per_seed = [_indexed(runs[(d, m, s)]) for s in seeds]
            by_model.append(xr.concat(per_seed, dim=dims.SEED, join="outer"))
        stacked.append(xr.concat(by_model, dim=dims.MODEL, join="outer"))
    out = xr.concat(stacked, dim=dims.DATASET, join="outer")
    return out.assign_coords({dims.DATASET: datasets, dims.MODEL: models, dims.SEED: np.asarray(seeds)})


def _indexed(ds: xr.Dataset) -> xr.Dataset:
    """Replace the time coordinate by the snapshot index and keep the times as variable ``t``."""
    t = ds[dims.TIME].values
    ds = ds.drop_vars(dims.TIME).assign_coords({dims.TIME: np.arange(t.size)})
    if dims.TRAIN in ds.dims:
        ds = ds.assign_coords({dims.TRAIN: np.arange(ds.sizes[dims.TRAIN])})
    return ds.assign(t=variable(t, (dims.TIME,), "inference time t"))
