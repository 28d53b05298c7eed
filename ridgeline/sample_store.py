"""Sampling runs streamed to a zarr store, one sample block at a time (docs/science.md 5).

The (time, sample, coord) array of snapshots is never whole in memory: each block's snapshots
are written to their region of the store as they are taken, so a job's memory depends on the
block size, not on the number of samples.
"""

import logging
from dataclasses import dataclass
from functools import partial

import xarray as xr

from . import dims
from .io import StreamedArray, streamed_store, variable
from .sampling import DEFAULT_BLOCK_SAMPLES, sample_in_blocks, snapshot_times

log = logging.getLogger(__name__)


def sample_to_store(path, model, *, n_samples: int, dim: int, grid, snapshot_idx, method: str, streams,
                    attrs: dict, long_name: str, units: str, block_samples: int = DEFAULT_BLOCK_SAMPLES,
                    device=None, logger=log, groups: xr.DataArray | None = None, coupling=None):
    """Sample ``n_samples`` trajectories in blocks and write their snapshots to the store ``path``.

    Parameters
    ----------
    path : output zarr store. model, dim, grid, snapshot_idx, method, streams, block_samples :
        as in :func:`ridgeline.sampling.sample_in_blocks`.
    attrs : store attributes (provenance). long_name, units : of the ``states`` variable.
    groups : optional 1-D coordinate (e.g. ``tau``) of a model stack evaluated on G groups of
        rows; the store then holds states on (group, time, sample, coord).
    coupling : optional :class:`ridgeline.coupling.SlideCoupling` (ungrouped runs only): the store
        then also holds, for the first m = min(coupling.n_samples, block_samples, n_samples)
        samples, on (slide_time, slide_sample, coord) at the snapshots inside the slide window,
        the coupled exact run ``slide_exact``, the response ``slide_response`` and the plain
        integral ``slide_integral``, the window's start states ``slide_origin`` (slide_sample,
        coord) and its start time as the attribute ``slide_start_time``.

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
    spec = {"states": StreamedArray(names, shape, long_name, units, chunks=chunks, finite=True)}
    window = None
    if coupling is not None:
        if groups is not None:
            raise ValueError("a slide coupling needs an ungrouped run (one model, not a stack)")
        window = slide_window(grid, snapshot_idx, coupling.start_time)
        coords[SLIDE_TIME] = variable(times[window.slots], (SLIDE_TIME,), "inference time t inside the slide window")
        attrs = {**attrs, "slide_start_time": window.start_time}
        coupled = min(n_samples, int(block_samples), int(coupling.n_samples or n_samples))
        spec.update(_slide_specs(len(window.slots), coupled, dim))
    with streamed_store(path, xr.Dataset(coords=coords), spec, attrs, hint=DIVERGED) as writer:
        record = partial(_write_snapshot, writer.write, group_size, groups is not None, window)
        sample_in_blocks(
            model,
            n_samples,
            dim=dim,
            grid=grid,
            snapshot_idx=snapshot_idx,
            method=method,
            streams=streams,
            record=record,
            block_samples=block_samples,
            device=device,
            logger=logger,
            group_size=group_size,
            coupling=coupling,
        )
    return path


#: What to check when a sampling run produced NaN or inf.
DIVERGED = (
    "The samples diverged: the score model returned NaN or inf, or the sampler's steps are too "
    "large for it (the configuration check bounds the step for the exact score only); raise "
    "the number of sampling steps or check the model's training loss."
)

#: Dimensions of the snapshots inside the slide window and of the coupled samples.
SLIDE_TIME, SLIDE_SAMPLE = "slide_time", "slide_sample"


@dataclass
class SlideWindow:
    """Where the slide window starts on a grid and which snapshot slots lie inside it."""

    start_time: float
    slots: list


def slide_window(grid, snapshot_idx, start_time: float) -> SlideWindow:
    """The window of :class:`ridgeline.coupling.SlideCoupling` on ``grid``: it starts at the first grid
    time t <= ``start_time`` and holds the snapshots taken after it; raises if it holds none."""
    times = grid.tolist()
    first = next((i for i, t in enumerate(times[:-1]) if t <= start_time), None)
    order = sorted(set(int(i) for i in snapshot_idx))
    slots = [j for j, i in enumerate(order) if first is not None and i > first]
    if not slots:
        raise ValueError(
            f"no snapshot lies inside the slide window t < {start_time} (grid from {times[0]:g} to "
            f"{times[-1]:g}); set checks.slide.start_time above the last snapshot times"
        )
    return SlideWindow(float(times[first]), slots)


def _slide_specs(n_window: int, n_coupled: int, dim: int) -> dict:
    window = (SLIDE_TIME, SLIDE_SAMPLE, dims.COORD)
    specs = {
        name: StreamedArray(
            window, (n_window, n_coupled, dim), long_name, "length", chunks=(1, n_coupled, dim), finite=True
        )
        for name, long_name in SLIDE_ARRAYS.items()
    }
    specs["slide_origin"] = StreamedArray(
        (SLIDE_SAMPLE, dims.COORD),
        (n_coupled, dim),
        "model state at the start of the slide window",
        "length",
        chunks=(n_coupled, dim),
        finite=True,
    )
    return specs


#: The coupled arrays of the slide window (see :mod:`ridgeline.coupling`).
SLIDE_ARRAYS = {
    "slide_exact": "exact-score sample y^e coupled to the model's (same start and noise)",
    "slide_response": "linear response R of the exact dynamics to the tangential score error",
    "slide_integral": "plain integral int c P_T e / a_t dtau of the tangential score error (data scale)",
}


def _write_snapshot(
    write, group_size: int, grouped: bool, window, slot: int, samples: slice, y, companion=None
) -> None:
    values = y.cpu().numpy()
    if grouped:
        write("states", (slice(None), slot, samples, slice(None)), values.reshape(group_size, -1, values.shape[1]))
    else:
        write("states", (slot, samples, slice(None)), values)
    if companion is None or window is None:
        return
    k = window.slots.index(slot)
    for name, value in (
        ("slide_exact", companion.exact),
        ("slide_response", companion.response),
        ("slide_integral", companion.integral),
    ):
        write(name, (k, companion.rows, slice(None)), value.cpu().numpy())
    if k == 0:
        write("slide_origin", (companion.rows, slice(None)), companion.origin.cpu().numpy())
