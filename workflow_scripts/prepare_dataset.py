"""Resolve a dataset entry to a validated point set and store it (rule prepare_dataset)."""

import xarray as xr

from ridgeline import dims
from ridgeline.datasets import build_dataset
from ridgeline.io import variable, write_store
from ridgeline.provenance import provenance
from ridgeline.jobs import configure_job

log = configure_job(snakemake.log[0])
entry = snakemake.params.entry
points = build_dataset(**entry)
log.info("dataset %s: %d points in %d dimensions", entry["name"], *points.shape)
ds = xr.Dataset({"points": variable(points, (dims.TRAIN, dims.COORD), "training points x_i", "length")})
write_store(ds, snakemake.output[0], provenance("prepare_dataset", entry), finite=["points"])
