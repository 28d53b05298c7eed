"""Gather the MNIST ridge stores and VAE losses into results/mnist_metrics.zarr (rule aggregate_mnist)."""

import xarray as xr

from ridgeline.aggregate import combine_runs
from ridgeline.io import read_store, write_store
from ridgeline.provenance import provenance
from ridgeline.runtime import configure_job

log = configure_job(snakemake.log[0])
p = snakemake.params
keys = [(e, s) for e in p.experiments for s in p.seeds]
runs = {}
for key, ridge, latents in zip(keys, snakemake.input.ridge, snakemake.input.latents):
    lat = read_store(latents)
    final = lat["loss_history"].isel(epoch=-1).rename("vae_final_loss")
    runs[key] = xr.merge([read_store(ridge), final.drop_vars("epoch", errors="ignore")])
ds = combine_runs(runs, key_dims=("experiment", "seed"))
log.info("aggregated %d MNIST runs: %s", len(runs), dict(ds.sizes))
write_store(ds, snakemake.output[0], provenance("aggregate_mnist", {"experiments": p.experiments, "seeds": p.seeds}))
