"""Samples of your own model as a run of the pipeline (config key ``external``, rule
``import_samples``): read them, map them onto ridgeline's OU process, and store them as a sample
store that ``run_metrics``, ``aggregate``, ``checks`` and the figures treat like any other run."""

from pathlib import Path

import numpy as np
import xarray as xr

from . import dims
from .analysis import FINAL_TIME
from .datasets import DatasetError, load_array_file
from .io import count_non_finite, open_store, variable
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
    if states.ndim not in (2, 3) or (dim is not None and states.shape[-1] != dim):
        raise ValueError(f"{where}.samples '{samples}' has shape {states.shape}; need (n_samples, D) or "
                         f"(n_snapshots, n_samples, D) with the dataset's D = {dim}")
    if states.ndim == 2:
        states, user_times = states[None], None
    bad = count_non_finite(states)
    if bad:
        raise ValueError(f"{where}.samples '{samples}': {bad:,} of {states.size:,} values are NaN or inf; drop "
                         "those samples (they are not results)")
    if user_times is None:
        if states.shape[0] != 1:
            raise ValueError(f"{where}: the samples hold {states.shape[0]} snapshots; give their times (`times:`)")
        return states, np.array([FINAL_TIME])
    if user_times.size != states.shape[0] or not np.isfinite(user_times).all():
        raise ValueError(f"{where}: need {states.shape[0]} finite times, one per snapshot, got {user_times.size}")
    states, ou = ForwardProcess.named(process).to_ou(states, user_times)
    if not (ou > 0).all():
        raise ValueError(f"{where}: every snapshot time must map to an OU time t > 0 (the ridge of p_0 is not "
                         f"defined); got {ou.tolist()}")
    order = np.argsort(-ou, kind="stable")
    return states[order], ou[order]


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
