"""xarray Datasets to zarr (format 3) and back, written atomically with provenance and sealed.

A store is written to a temporary sibling directory and renamed into place only when complete,
so an interrupted job never leaves a half-written store that looks finished. Before the rename
the store is sealed: the size and CRC-32 of every file it holds go into the attributes of its
group ``_integrity`` (which xarray does not open). Every read checks the seal first, so a deleted
chunk (which zarr would read back as NaN), a damaged chunk or missing metadata stops the reading
job with the store's name and how to rebuild it (:class:`StoreDamagedError`).
"""

import json
import logging
import math
import os
import shutil
import uuid
import warnings
import zlib
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

#: The group whose attributes hold a store's seal: {"files": {relative path: [size, crc32]}}.
INTEGRITY_GROUP = "_integrity"

log = logging.getLogger(__name__)


class NonFiniteError(ValueError):
    """Values that must be finite are not; nothing is written and the message names the store and variable."""


def count_non_finite(values) -> int:
    """Number of NaN or infinite entries of a float array (0 for other dtypes)."""
    values = np.asarray(values)
    return int(values.size - np.isfinite(values).sum()) if values.dtype.kind in "fc" else 0


def require_finite(ds: xr.Dataset, names, store, hint: str = "") -> None:
    """Raise :class:`NonFiniteError` when a variable of ``names`` holds NaN or inf values.

    The message names the store, each variable with its count of non-finite entries, and ``hint``.
    """
    bad = {name: count_non_finite(ds[name].values) for name in names}
    bad = {name: n for name, n in bad.items() if n}
    if bad:
        raise NonFiniteError(_non_finite_message(store, {n: (c, ds[n].size) for n, c in bad.items()}, hint))


def _non_finite_message(store, counts: dict, hint: str) -> str:
    parts = ", ".join(f"'{name}': {bad:,} of {size:,} values" for name, (bad, size) in counts.items())
    return (f"store '{store}' would hold NaN or inf ({parts}); it was not written, as no non-finite value "
            f"is ever reported as a result. {hint}").rstrip()


class StoreDamagedError(RuntimeError):
    """A store differs from what was written (missing or changed files); the message says how to rebuild it."""


@contextmanager
def _atomic_directory(path: Path):
    """Yield a temporary sibling of ``path``; seal it and rename it to ``path`` if the block completes.

    Temporary siblings left by earlier jobs that were killed (SIGKILL gives no chance to clean
    up) are removed first: Snakemake runs one job per output, so none of them is still in use.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{path.name}.tmp-*"):
        log.info("removing %s, left by an interrupted job", stale)
        shutil.rmtree(stale, ignore_errors=True)
    tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        yield tmp
        _consolidate(tmp)
        _seal(tmp)
        if path.exists():
            shutil.rmtree(path)
        tmp.rename(path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def _file_seals(root: Path) -> dict:
    """{relative path: [size, crc32]} of every file under ``root`` but the seal itself."""
    seals = {}
    for dirpath, _, names in os.walk(root):
        for name in names:
            file = Path(dirpath) / name
            rel = file.relative_to(root).as_posix()
            if rel.split("/")[0] == INTEGRITY_GROUP or rel == ".snakemake_timestamp":
                continue
            data = file.read_bytes()
            seals[rel] = [len(data), zlib.crc32(data)]
    return seals


def _consolidate(root: Path) -> None:
    """Write consolidated metadata, so that a plain ``xr.open_zarr(path)`` reads the store's layout
    from its zarr.json alone: no listing of the folder (Snakemake's marker file in it would warn)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Consolidated metadata is currently not part")
        warnings.filterwarnings("ignore", message="The data type .* does not have a Zarr V3 specification")
        zarr.consolidate_metadata(root, zarr_format=3)


def _seal(root: Path) -> None:
    seals = _file_seals(root)
    zarr.open_group(root, mode="a", zarr_format=3).create_group(INTEGRITY_GROUP, attributes={"files": seals})


def verify_store(path) -> bool:
    """Check a store against its seal; raise :class:`StoreDamagedError` naming what differs.

    Returns False (and checks nothing) for a store without a seal: one written by an earlier
    version of ridgeline or by another program.
    """
    path = Path(path)
    seal_file = path / INTEGRITY_GROUP / "zarr.json"
    if not seal_file.is_file():
        if not (path / "zarr.json").is_file():
            raise StoreDamagedError(_damaged(path, ["its metadata (zarr.json) is missing"]))
        log.debug("store %s has no seal (written by an earlier version or another program)", path)
        return False
    try:
        expected = json.loads(seal_file.read_text())["attributes"]["files"]
    except (ValueError, KeyError) as err:
        raise StoreDamagedError(_damaged(path, [f"its seal is unreadable ({err})"])) from None
    found = []
    for rel, (size, crc) in expected.items():
        file = path / rel
        if not file.is_file():
            found.append(f"{_part(rel)} is missing")
            continue
        data = file.read_bytes()
        if len(data) != size or zlib.crc32(data) != crc:
            found.append(f"{_part(rel)} has changed")
    if found:
        raise StoreDamagedError(_damaged(path, found))
    return True


def _part(rel: str) -> str:
    """'chunk c/4/0/0 of variable states' or 'the metadata of variable states' for a file of a store."""
    parts = rel.split("/")
    if len(parts) == 1:
        return f"the store's metadata ({rel})"
    if parts[-1] == "zarr.json":
        return f"the metadata of variable '{parts[0]}'"
    return f"chunk {'/'.join(parts[1:])} of variable '{parts[0]}'"


def _damaged(path: Path, found: list) -> str:
    shown = "; ".join(found[:5]) + (f"; and {len(found) - 5} more" if len(found) > 5 else "")
    return (f"store '{path}' is damaged: {shown}. Its values cannot be trusted (zarr reads a missing "
            f"chunk as fill values). Rebuild it: `snakemake --forcerun {_writer_rule(path)}`, or "
            f"delete it (rm -r '{path}') and rerun snakemake")


def _writer_rule(path: Path) -> str:
    """The rule that wrote a store: from its provenance, else the folder under results/."""
    try:
        return json.loads((path / "zarr.json").read_text())["attributes"]["rule"]
    except (OSError, ValueError, KeyError, TypeError):
        parts = path.resolve().parts
        return parts[parts.index("results") + 1] if "results" in parts[:-1] else "<rule>"


def _to_zarr(ds: xr.Dataset, path: Path) -> None:
    with warnings.catch_warnings():
        # label coordinates (dataset, model, weighting names) are fixed-length strings, which
        # zarr 3 writes and reads fine but flags as lacking a finalized v3 specification
        warnings.filterwarnings("ignore", message="The data type .* does not have a Zarr V3 specification")
        ds.to_zarr(path, mode="w", zarr_format=3, consolidated=False)


def write_store(ds: xr.Dataset, path, attrs: dict | None = None, finite=(), hint: str = "") -> Path:
    """Write ``ds`` to the zarr store ``path`` atomically, adding ``attrs`` (e.g. provenance).

    ``finite`` names variables that must hold no NaN or inf: otherwise nothing is written and
    :class:`NonFiniteError` names the store, the variables and their counts, with ``hint``.
    """
    path = Path(path)
    require_finite(ds, finite, path, hint)
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
    finite : the array must hold no NaN or inf; the store is not put in place otherwise.
    """

    dims: tuple
    shape: tuple
    long_name: str
    units: str = "1"
    dtype: str = "float64"
    chunks: tuple | None = None
    chunk_dim: str = "sample"
    finite: bool = False

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
            attributes=unit_attrs(spec.long_name, spec.units)) for name, spec in arrays.items()}
        self._written = dict.fromkeys(arrays, 0)
        self._non_finite = dict.fromkeys(arrays, 0)

    def write(self, name: str, region: tuple, values) -> None:
        """Store ``values`` at the tuple of slices ``region`` of the streamed array ``name``."""
        values = np.asarray(values, dtype=self.arrays[name].dtype)
        self._stored[name][region] = values
        self._written[name] += values.size
        if self.arrays[name].finite:
            self._non_finite[name] += count_non_finite(values)

    def non_finite(self) -> dict:
        """{name: (non-finite entries, size)} of the arrays marked ``finite`` that hold any."""
        return {name: (n, self.arrays[name].size) for name, n in self._non_finite.items() if n}

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
def streamed_store(path, template: xr.Dataset, arrays: dict[str, StreamedArray], attrs: dict | None = None,
                   hint: str = ""):
    """Write a store whose large ``arrays`` arrive in pieces, so that none is ever whole in memory.

    ``template`` (coordinates, small variables) is written first to a temporary sibling of
    ``path``; the block gets a :class:`StoreWriter`, whose ``write(name, region, values)`` stores
    a region of a streamed array and whose ``add(ds)`` adds small variables. The store is renamed
    into place only when the block completes and every element of every streamed array has been
    written: an interrupted or incomplete job leaves no store that looks finished. Nor is it put
    in place when an array marked ``finite`` received NaN or inf (:class:`NonFiniteError`, with
    ``hint``).
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
        if writer.non_finite():
            raise NonFiniteError(_non_finite_message(path, writer.non_finite(), hint))


def open_store(path) -> xr.Dataset:
    """Open a zarr store lazily, after checking its seal: indexing reads only the chunks it needs."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"zarr store '{path}' does not exist; run the rule that produces it")
    if not path.is_dir():
        raise StoreDamagedError(_damaged(path, ["it is a file, not a zarr store (a directory)"]))
    verify_store(path)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_TIMESTAMP_WARNING)
        try:
            return xr.open_dataset(path, engine="zarr", zarr_format=3, consolidated=False, cache=False, chunks=None)
        except Exception as err:  # zarr and its codecs raise many kinds; all mean the same here
            raise StoreDamagedError(_damaged(path, [f"it cannot be opened ({type(err).__name__}: {err})"])) from err


def read_store(path) -> xr.Dataset:
    """Open a zarr store written by :func:`write_store` (seal checked) and load it into memory."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_TIMESTAMP_WARNING)
        with open_store(path) as ds:
            try:
                return ds.load()
            except Exception as err:
                raise StoreDamagedError(_damaged(Path(path), [f"a chunk cannot be decoded "
                                                              f"({type(err).__name__}: {err})"])) from err


#: Quantities ridgeline measures in the data's own units. The data are numbers (their physical
#: units, if any, are the user's), so stores write the CF / UDUNITS unit "1" for these and keep the
#: quantity in the attribute ``quantity``: every ``units`` parses with a unit library.
QUANTITIES = ("length", "1/length", "1/length^2", "length^2", "latent units", "latent units^2", "nats", "steps",
              "pixels")


def unit_attrs(long_name: str, units: str = "1") -> dict:
    """The ``long_name`` / ``units`` (/ ``quantity``) attributes of a variable measured in ``units``."""
    if units in QUANTITIES:
        return {"long_name": long_name, "units": "1", "quantity": units}
    return {"long_name": long_name, "units": units}


def variable(data, dims, long_name: str, units: str = "1") -> xr.Variable:
    """An xarray Variable with the ``long_name`` and ``units`` attributes every store carries
    (:func:`unit_attrs`: the quantity of data-unit measures in ``quantity``)."""
    return xr.Variable(dims, data, attrs=unit_attrs(long_name, units))
