"""Combine per-run stores into one Dataset with (dataset, model, seed, ...) dimensions."""

import numpy as np
import xarray as xr

from . import dims
from .io import variable


def combine_runs(runs: dict, key_dims=(dims.DATASET, dims.MODEL, dims.SEED)) -> xr.Dataset:
    """Stack per-run Datasets keyed by tuples of labels, one per dimension of ``key_dims``.

    Runs may differ in their snapshot times (each dataset has its own T): the ``time`` dimension
    becomes the snapshot index and the times themselves move to the coordinate ``t`` (on the key
    dimensions and ``time``, so it stays with every variable selected from the result). Missing
    combinations and dimensions of different sizes (training points) are padded with NaN.
    """
    indexed = {key: _indexed(ds) for key, ds in runs.items()}
    # padded integer variables become float with NaN: drop the stores' on-disk dtypes
    out = _stack(indexed, list(key_dims)).drop_encoding()
    return out.set_coords("t") if "t" in out.data_vars else out  # stacked as a variable: full shape, NaN padding


def _stack(runs: dict, key_dims: list) -> xr.Dataset:
    """Concatenate along the first key dimension, recursing on the others."""
    labels = list(dict.fromkeys(key[0] for key in runs))
    if len(key_dims) == 1:
        parts = [runs[(label,)] for label in labels]
    else:
        parts = [_stack({k[1:]: v for k, v in runs.items() if k[0] == label}, key_dims[1:]) for label in labels]
    out = xr.concat(parts, dim=key_dims[0], join="outer", fill_value=np.nan)
    return out.assign_coords({key_dims[0]: np.asarray(labels)})


def run_snapshot_times(ds: xr.Dataset) -> np.ndarray:
    """Snapshot times of one run: the ``t`` coordinate of a combined store, or the time coordinate of a run's own."""
    return np.asarray(ds["t"].values if "t" in ds else ds[dims.TIME].values, dtype=float)


def _indexed(ds: xr.Dataset) -> xr.Dataset:
    """Replace the time coordinate by the snapshot index and keep the times as coordinate ``t``."""
    for dim in (dims.TRAIN, dims.COORD, dims.SAMPLE):  # sizes differ between runs: index them so they pad
        if dim in ds.dims and dim not in ds.coords:
            ds = ds.assign_coords({dim: np.arange(ds.sizes[dim])})
    if dims.TIME not in ds.coords:
        return ds
    t = ds[dims.TIME].values
    ds = ds.drop_vars(dims.TIME).assign_coords({dims.TIME: np.arange(t.size)})
    return ds.assign(t=variable(t, (dims.TIME,), "inference time t"))
