"""Gather the MNIST ridge stores of every model and the VAE losses and latent spectra into results/mnist_metrics.zarr (rule aggregate_mnist)."""

from ridgeline.io import read_store, write_store
from ridgeline.latent.summary import combine_latent_runs
from ridgeline.provenance import provenance
from ridgeline.jobs import configure_job

log = configure_job(snakemake.log[0])
p = snakemake.params
keys = [(e, s) for e in p.experiments for s in p.seeds]
stores = {tuple(run): read_store(path) for run, path in zip(p.runs, snakemake.input.ridge)}
latents = {key: read_store(path) for key, path in zip(keys, snakemake.input.latents)}
ds = combine_latent_runs(stores, latents)
log.info("aggregated %d MNIST runs: %s", len(stores), dict(ds.sizes))
write_store(ds, snakemake.output[0],
            provenance("aggregate_mnist", {"runs": p.runs}))
