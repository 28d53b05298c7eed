"""Gather every random-feature run into results/rf_metrics.zarr (rule aggregate_rf)."""

from ridgeline.aggregate import combine_runs
from ridgeline.io import read_store, write_store
from ridgeline.provenance import provenance
from ridgeline.jobs import configure_job

log = configure_job(snakemake.log[0])
p = snakemake.params
keys = [(d, int(n), w, s) for d, n, w in p.runs for s in p.seeds]
LOSSES = ["loss", "l_star", "excess", "excess_normal", "excess_tangential", "bias", "bias_normal",
          "bias_tangential", "optimization", "optimization_normal", "optimization_tangential"]
runs = {}
for key, flow_path, metrics_path in zip(keys, snakemake.input.flows, snakemake.input.metrics):
    metrics = read_store(metrics_path)
    runs[key] = metrics.merge(read_store(flow_path)[LOSSES])
ds = combine_runs(runs, key_dims=("dataset", "p", "weighting", "seed"))
log.info("aggregated %d RF runs: %s", len(runs), dict(ds.sizes))
write_store(ds, snakemake.output[0], provenance("aggregate_rf", {"runs": p.runs, "seeds": p.seeds}))
