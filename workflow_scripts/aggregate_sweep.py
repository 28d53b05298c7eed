"""Gather every neural sweep store into results/neural_sweep.zarr (rule aggregate_sweep)."""

from ridgeline import dims
from ridgeline.aggregate import combine_runs
from ridgeline.io import read_store, write_store
from ridgeline.provenance import provenance
from ridgeline.jobs import configure_job

log = configure_job(snakemake.log[0])
p = snakemake.params
keys = [(d, s) for d in p.datasets for s in p.seeds]
runs = {key: read_store(path).drop_vars(["final"]) for key, path in zip(keys, snakemake.input)}
ds = combine_runs(runs, key_dims=(dims.DATASET, dims.SEED))
log.info("aggregated %d sweeps: %s", len(runs), dict(ds.sizes))
write_store(ds, snakemake.output[0], provenance("aggregate_sweep", {"datasets": p.datasets, "seeds": p.seeds}))
