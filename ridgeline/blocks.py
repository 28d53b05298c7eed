"""Jobs streamed over blocks of samples into one zarr store (docs/outputs.md).

A block of samples is measured, its per-sample arrays are written to their region of the store
and the totals (counts, sums) are accumulated; the totals are added when every block is done. So a
job's memory depends on the block size, not on the number of samples. With one block this is the
whole-run computation, array for array.
"""

import xarray as xr

from . import dims
from .io import StreamedArray, streamed_store

#: (snapshot, sample) pairs measured together by default: about 10,000 samples at 50 snapshots.
DEFAULT_BLOCK_POINTS = 2**19


def write_in_blocks(path, n: int, *, per_block: int, measure, totals, coords, attrs: dict, label: str,
                     logger, extra=None) -> xr.Dataset:
    """Measure ``n`` samples in blocks of ``per_block`` and stream every block to the store ``path``.

    Parameters
    ----------
    measure : callable(block: slice) -> Dataset of those samples; its variables with a ``sample``
        dimension are written to their region of the store.
    totals : has ``add(ds)`` for every block and ``dataset()``, the totals written at the end.
    coords : callable(first block's Dataset) -> the store's coordinates.
    extra : optional callable() -> Dataset of further variables (not per sample) added at the end.

    Returns
    -------
    The totals Dataset.
    """
    blocks = [slice(s, min(n, s + per_block)) for s in range(0, n, per_block)]
    first = measure(blocks[0])
    with streamed_store(path, xr.Dataset(coords=coords(first)), specs(first, n), attrs) as store:
        for k, block in enumerate(blocks):
            ds = first if k == 0 else measure(block)
            totals.add(ds)
            for name, spec in store.arrays.items():
                store.write(name, tuple(block if d == dims.SAMPLE else slice(None) for d in spec.dims),
                            ds[name].values)
            logger.info("%s: block %d/%d (samples %d-%d of %d) written", label, k + 1, len(blocks),
                        block.start, block.stop, n)
        summary = totals.dataset()
        store.add(summary if extra is None else xr.merge([summary, extra()]))
    return summary


def time_coordinate(first: xr.Dataset) -> dict:
    return {dims.TIME: first[dims.TIME].variable}


def all_coordinates(first: xr.Dataset) -> dict:
    return {name: first[name].variable for name in first.coords}


def specs(block: xr.Dataset, n_samples: int) -> dict:
    """Streamed arrays: every variable of a block with a sample dimension, at full size, chunked by blocks."""
    return {
        name: StreamedArray(
            var.dims,
            tuple(n_samples if d == dims.SAMPLE else s for d, s in zip(var.dims, var.shape)),
            var.attrs["long_name"],
            var.attrs.get("quantity", var.attrs.get("units", "1")),
            var.dtype.name,
            chunks=var.shape,
        )
        for name, var in block.data_vars.items()
        if dims.SAMPLE in var.dims
    }
