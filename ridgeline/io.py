"""xarray Datasets to zarr (format 3) and back, written atomically with provenance.

A store is written to a temporary sibling directory and renamed into place only when complete,
so an interrupted job never leaves a half-written store that looks finished.
"""

import shutil
import uuid
import warnings
from pathlib import Path

import xarray as xr

#: Snakemake drops this marker file into directory outputs; zarr warns about it on every read.
_TIMESTAMP_WARNING = "Object at .snakemake_timestamp is not recognized"


def write_store(ds: xr.Dataset, path, attrs: dict | None = None) -> Path:
    """Write ``ds`` to the zarr store ``path`` atomically, adding ``attrs`` (e.g. provenance)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds = ds.copy()
    ds.attrs.update(attrs or {})
    tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        with warnings.catch_warnings():
            # label coordinates (dataset, model, weighting names) are fixed-length strings, which
            # zarr 3 writes and reads fine but flags as lacking a finalized v3 specification
            warnings.filterwarnings("ignore", message="The data type .* does not have a Zarr V3 specification")
            ds.to_zarr(tmp, mode="w", zarr_format=3, consolidated=False)
        if path.exists():
            shutil.rmtree(path)
        tmp.rename(path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return path


def read_store(path) -> xr.Dataset:
    """Open a zarr store written by :func:`write_store` and load it into memory."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"zarr store '{path}' does not exist; run the rule that produces it")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_TIMESTAMP_WARNING)
        with xr.open_zarr(path, zarr_format=3, consolidated=False) as ds:
            return ds.load()


def variable(data, dims, long_name: str, units: str = "1") -> xr.Variable:
    """An xarray Variable with the ``long_name`` and ``units`` attributes every store carries."""
    return xr.Variable(dims, data, attrs={"long_name": long_name, "units": units})
