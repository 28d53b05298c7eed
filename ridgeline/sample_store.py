"""Sampling runs streamed to a zarr store, one sample block at a time (science.md 5).

The (time, sample, coord) array of snapshots is never whole in memory: each block's snapshots
are written to their region of the store as they are taken, so a job's memory depends on the
block size, not on the number of samples.
"""

import logging
from functools import partial

import xarray as xr

from . import dims
from .io import StreamedArray, streamed_store, variable
from .sampling import DEFAULT_BLOCK_SAMPLES, sample_in_blocks, snapshot_times

log = logging.getLogger(__name__)


def sample_to_store(path, model, n_samples: int, dim: int, grid, snapshot_idx, method: str, streams,
                    attrs: dict, long_name: str, units: str, block_samples: int = DEFAULT_BLOCK_SAMPLES,
                    device=None, logger=log, groups: xr.DataArray | None = None):
    """Sample ``n_samples`` trajectories in blocks and write their snapshots to the store ``path``.

    Parameters
    ----------
    path : output zarr store. model, dim, grid, snapshot_idx, method, streams, block_samples :
        as in :func:`ridgeline.sampling.sample_in_blocks`.
    attrs : store attributes (provenance). long_name, units : of the ``states`` variable.
    groups : optional 1-D coordinate (e.g. ``tau``) of a model stack evaluated on G groups of
        rows; the store then holds states on (group, time, sample, coord).

    Returns
    -------
    pathlib.Path of the finished store, holding ``states`` (time, sample, coord) or
    (group, time, sample, coord) and the coordinate ``time`` of the snapshot times.
    """
    times = snapshot_times(grid, snapshot_idx).cpu().numpy()
    coords = {dims.TIME: variable(times, (dims.TIME,), "inference time t")}
    shape = (len(times), n_samples, dim)
    names = (dims.TIME, dims.SAMPLE, dims.COORD)
    group_size = 1
    if groups is not None:
        coords[groups.dims[0]] = groups
        shape, names, group_size = (groups.size, *shape), (groups.dims[0], *names), groups.size
    # one chunk per snapshot and block: each write fills whole chunks
    chunks = (*shape[:-3], 1, min(int(block_samples), n_samples), dim)
    spec = {"states": StreamedArray(names, shape, long_name, units, chunks=chunks)}
    with streamed_store(path, xr.Dataset(coords=coords), spec, attrs) as writer:
        record = partial(_write_snapshot, writer.write, group_size, groups is not None)
        sample_in_blocks(model, n_samples, dim, grid, snapshot_idx, method, streams, record,
                         block_samples, device, logger, group_size)
    return path


def _write_snapshot(write, group_size: int, grouped: bool, slot: int, samples: slice, y) -> None:
    values = y.cpu().numpy()
    if grouped:
        write("states", (slice(None), slot, samples, slice(None)), values.reshape(group_size, -1, values.shape[1]))
    else:
        write("states", (slot, samples, slice(None)), values)
