"""Gather every per-run metrics store into results/metrics.zarr (rule aggregate)."""

from ridgeline.aggregate import combine_runs
from ridgeline.io import read_store, write_store
from ridgeline.provenance import provenance
from ridgeline.jobs import configure_job

log = configure_job(snakemake.log[0])
p = snakemake.params
keys = [tuple(key) for key in p.run_keys]
# the per-sample projections (time, sample, coord) stay in the per-run stores: padded to the largest
# D of all datasets they would be most of the aggregate
runs = {key: read_store(path).drop_vars("projection") for key, path in zip(keys, snakemake.input)}
ds = combine_runs(runs)
log.info("aggregated %d runs: %s", len(runs), dict(ds.sizes))
write_store(ds, snakemake.output[0],
            provenance("aggregate", {"run_keys": p.run_keys}))
