"""Samples of your own model as a run of the pipeline (config key ``external``, rule
``import_samples``): read them, map them onto ridgeline's OU process, and store them as a sample
store that ``run_metrics``, ``aggregate``, ``checks`` and the figures treat like any other run."""

from pathlib import Path

import numpy as np
import xarray as xr

from . import dims
from .analysis import ou_snapshots
from .datasets import DatasetError, load_array_file
from .io import open_store, variable
from .processes import ForwardProcess

#: Prefix of external runs in the ``model`` wildcard: ``ext_<name>``.
PREFIX = "ext_"


def read_external(name: str, samples, times=None, process: str = "ou", dim: int | None = None):
    """(states (S, n, D), OU times (S,)) of the external run ``name``, decreasing in time.

    ``samples``: .npy / .csv of (n, D) final samples or (S, n, D) snapshots, or a zarr store with
    ``states(time, sample, coord)`` and its ``time``; ``times``: their times in the convention of
    ``process`` (a :meth:`ridgeline.processes.ForwardProcess.named` spec), needed for .npy snapshots.
    """
    where = f"external.{name}"
    states, user_times = _read(where, Path(samples), times)
    if states.ndim == 2:
        user_times = None  # final samples: measured at t_min whatever times were given
    return ou_snapshots(states, user_times, ForwardProcess.named(process), states.shape[-1] if dim is None else dim,
                        where=f"{where}.samples '{samples}'")


def _read(where: str, path: Path, times):
    try:
        if path.suffix == ".zarr":
            with open_store(path) as run:
                if "states" not in run:
                    raise ValueError(f"{where}.samples: store '{path}' has no variable 'states' (time, sample, coord)")
                return run["states"].values.astype(np.float64), run[dims.TIME].values.astype(np.float64)
        states = load_array_file(path, where, "samples file").astype(np.float64)
        user_times = None if times is None else load_array_file(times, where, "times file").astype(np.float64).ravel()
        return states, user_times
    except DatasetError as err:
        raise ValueError(str(err)) from None


def external_store(states: np.ndarray, times: np.ndarray) -> xr.Dataset:
    """The sample store of an external run: ``states`` (time, sample, coord) at the OU ``time``."""
    return xr.Dataset({"states": variable(states, (dims.TIME, dims.SAMPLE, dims.COORD), "sample position y_t "
                                          "(your model's, in ridgeline's OU convention)", "length")},
                      coords={dims.TIME: variable(times, (dims.TIME,), "inference time t", "1")})
