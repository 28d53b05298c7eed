"""Ridge analysis of the latent samples for every d* (rule mnist_ridge)."""

import torch

from ridgeline.device import resolve_device
from ridgeline.io import read_store, write_store
from ridgeline.latent_ridge import latent_ridge_dataset
from ridgeline.provenance import provenance
from ridgeline.runtime import configure_job

log = configure_job(snakemake.log[0], snakemake.threads)
cfg, seed = snakemake.params.ridge, int(snakemake.wildcards.seed)
device = resolve_device(snakemake.params.device)
latents = read_store(snakemake.input.latents)["points"].values
run = read_store(snakemake.input.samples)
states = torch.as_tensor(run["states"].values, device=device)
ds = latent_ridge_dataset(latents, run["time"].values, states, cfg["ridge_dims"], cfg["gap_thresholds"], cfg["scms"],
                          log)
for d in cfg["ridge_dims"]:
    frac = ds["curvature_fraction"].sel(ridge_dim=d).values
    log.info("d* = %d: curvature-satisfied fraction from T to t_min: %s", d, " ".join(f"{f:.2f}" for f in frac))
write_store(ds, snakemake.output[0], provenance("mnist_ridge", cfg, seed))
