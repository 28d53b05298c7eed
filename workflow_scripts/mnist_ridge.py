"""Ridge analysis of the latent samples for every d*, streamed over blocks of samples (rule mnist_ridge)."""

from ridgeline.device import resolve_device
from ridgeline.io import open_store, read_store
from ridgeline.latent_store import latent_ridge_to_store
from ridgeline.provenance import provenance
from ridgeline.runtime import configure_job

log = configure_job(snakemake.log[0], snakemake.threads)
cfg, seed = snakemake.params.ridge, int(snakemake.wildcards.seed)
device = resolve_device(snakemake.params.device)
latents = read_store(snakemake.input.latents)["points"].values
run = open_store(snakemake.input.samples)
summary = latent_ridge_to_store(snakemake.output[0], latents, run["time"].values, run["states"], cfg["ridge_dims"],
                                cfg["gap_thresholds"], cfg["scms"],
                                provenance("mnist_ridge", {**cfg, "model": snakemake.wildcards.latent}, seed), device,
                                cfg["block_points"], log, cfg["min_gap"])
for d in cfg["ridge_dims"]:
    frac = summary["curvature_fraction"].sel(ridge_dim=d).values
    log.info("d* = %d: curvature-satisfied fraction from T to t_min: %s", d, " ".join(f"{f:.2f}" for f in frac))
    frac = summary["resolved_fraction"].sel(ridge_dim=d).values
    log.info("d* = %d: resolved-frame fraction from T to t_min: %s", d, " ".join(f"{f:.2f}" for f in frac))
