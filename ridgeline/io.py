"""xarray Datasets to zarr (format 3) and back, written atomically with provenance.

A store is written to a temporary sibling directory and renamed into place only when complete,
so an interrupted job never leaves a half-written store that looks finished.
"""

import math
import shutil
import uuid
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr
import zarr

#: Snakemake drops this marker file into directory outputs; zarr warns about it on every read.
_TIMESTAMP_WARNING = "Object at .snakemake_timestamp is not recognized"


#: float64 elements in one zarr chunk of a streamed array (32 MiB).
STREAM_CHUNK_ELEMENTS = 4 * 1024 * 1024


@contextmanager
def _atomic_directory(path: Path):
    """Yield a temporary sibling of ``path``; rename it to ``path`` if the block completes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        yield tmp
        if path.exists():
            shutil.rmtree(path)
        tmp.rename(path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def _to_zarr(ds: xr.Dataset, path: Path) -> None:
    with warnings.catch_warnings():
        # label coordinates (dataset, model, weighting names) are fixed-length strings, which
        # zarr 3 writes and reads fine but flags as lacking a finalized v3 specification
        warnings.filterwarnings("ignore", message="The data type .* does not have a Zarr V3 specification")
        ds.to_zarr(path, mode="w", zarr_format=3, consolidated=False)


def write_store(ds: xr.Dataset, path, attrs: dict | None = None) -> Path:
    """Write ``ds`` to the zarr store ``path`` atomically, adding ``attrs`` (e.g. provenance)."""
    path = Path(path)
    ds = ds.copy()
    ds.attrs.update(attrs or {})
    with _atomic_directory(path) as tmp:
        _to_zarr(ds, tmp)
    return path


@dataclass(frozen=True)
class StreamedArray:
    """A variable of a store that is written region by region.

    Attributes
    ----------
    dims : dimension names. shape : sizes along them.
    long_name, units : the attributes every variable carries.
    dtype : numpy dtype name (float64, bool, int64, ...).
    chunks : zarr chunk shape; give the shape of the regions that will be written, so that each
        write fills whole chunks (a write into part of a chunk reads, decodes and re-encodes it).
        By default ``chunk_dim`` is cut to keep a chunk within :data:`STREAM_CHUNK_ELEMENTS`.
    chunk_dim : the dimension cut by default.
    """

    dims: tuple
    shape: tuple
    long_name: str
    units: str = "1"
    dtype: str = "float64"
    chunks: tuple | None = None
    chunk_dim: str = "sample"

    def chunk_shape(self) -> tuple:
        """The zarr chunk shape: ``chunks`` clipped to the array, or the 32 MiB default."""
        if self.chunks is not None:
            return tuple(max(1, min(c, n)) for c, n in zip(self.chunks, self.shape))
        axis = self.dims.index(self.chunk_dim)
        others = math.prod(n for i, n in enumerate(self.shape) if i != axis)
        along = max(1, min(self.shape[axis], STREAM_CHUNK_ELEMENTS // max(1, others)))
        return tuple(along if i == axis else max(1, n) for i, n in enumerate(self.shape))

    @property
    def size(self) -> int:
        return math.prod(self.shape)


class StoreWriter:
    """Fills the streamed arrays of a store being built by :func:`streamed_store`."""

    def __init__(self, tmp: Path, arrays: dict[str, StreamedArray], attrs: dict):
        self.tmp, self.arrays, self.attrs = tmp, arrays, dict(attrs)
        group = zarr.open_group(tmp, mode="a", zarr_format=3)
        self._stored = {name: group.create_array(
            name, shape=spec.shape, chunks=spec.chunk_shape(), dtype=spec.dtype,
            fill_value=np.nan if np.dtype(spec.dtype).kind == "f" else 0, dimension_names=spec.dims,
            attributes={"long_name": spec.long_name, "units": spec.units}) for name, spec in arrays.items()}
        self._written = dict.fromkeys(arrays, 0)

    def write(self, name: str, region: tuple, values) -> None:
        """Store ``values`` at the tuple of slices ``region`` of the streamed array ``name``."""
        values = np.asarray(values, dtype=self.arrays[name].dtype)
        self._stored[name][region] = values
        self._written[name] += values.size

    def add(self, ds: xr.Dataset) -> None:
        """Add small variables (totals, per-time summaries) known only at the end, in one write."""
        ds = ds.copy()
        ds.attrs = dict(self.attrs)  # an append rewrites the store's attributes with the Dataset's
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="The data type .* does not have a Zarr V3 specification")
            ds.to_zarr(self.tmp, mode="a", zarr_format=3, consolidated=False)

    def unwritten(self) -> dict:
        """Elements of each streamed array not written yet (only those with any)."""
        return {name: spec.size - self._written[name] for name, spec in self.arrays.items()
                if self._written[name] != spec.size}


@contextmanager
def streamed_store(path, template: xr.Dataset, arrays: dict[str, StreamedArray], attrs: dict | None = None):
    """Write a store whose large ``arrays`` arrive in pieces, so that none is ever whole in memory.

    ``template`` (coordinates, small variables) is written first to a temporary sibling of
    ``path``; the block gets a :class:`StoreWriter`, whose ``write(name, region, values)`` stores
    a region of a streamed array and whose ``add(ds)`` adds small variables. The store is renamed
    into place only when the block completes and every element of every streamed array has been
    written: an interrupted or incomplete job leaves no store that looks finished.
    """
    path = Path(path)
    ds = template.copy()
    ds.attrs.update(attrs or {})
    with _atomic_directory(path) as tmp:
        _to_zarr(ds, tmp)
        writer = StoreWriter(tmp, arrays, ds.attrs)
        yield writer
        if writer.unwritten():
            raise RuntimeError(f"store '{path}' is incomplete (elements not written: {writer.unwritten()}); "
                               "it was not put in place")


def open_store(path) -> xr.Dataset:
    """Open a zarr store lazily: indexing reads only the chunks it needs (for streamed reads)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"zarr store '{path}' does not exist; run the rule that produces it")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_TIMESTAMP_WARNING)
        return xr.open_dataset(path, engine="zarr", zarr_format=3, consolidated=False, cache=False, chunks=None)


def read_store(path) -> xr.Dataset:
    """Open a zarr store written by :func:`write_store` and load it into memory."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_TIMESTAMP_WARNING)
        with open_store(path) as ds:
            return ds.load()


def variable(data, dims, long_name: str, units: str = "1") -> xr.Variable:
    """An xarray Variable with the ``long_name`` and ``units`` attributes every store carries."""
    return xr.Variable(dims, data, attrs={"long_name": long_name, "units": units})
