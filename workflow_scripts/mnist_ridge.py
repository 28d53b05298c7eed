"""Ridge analysis of the latent samples for every d*, streamed over blocks of samples (rule mnist_ridge)."""

from ridgeline.device import resolve_device
from ridgeline.io import open_store, read_store
from ridgeline.latent.spectrum import effective_dimension, resolve_ridge_dims
from ridgeline.latent.store import latent_ridge_to_store
from ridgeline.provenance import provenance
from ridgeline.jobs import configure_job

log = configure_job(snakemake.log[0], snakemake.threads)
cfg, seed = snakemake.params.ridge, int(snakemake.wildcards.seed)
device = resolve_device(snakemake.params.device)
latents = read_store(snakemake.input.latents)["points"].values
run = open_store(snakemake.input.samples)
ridge_dims = resolve_ridge_dims(cfg["ridge_dims"], latents)
project_dims = None if cfg.get("project_dims") is None else resolve_ridge_dims(cfg["project_dims"], latents)
log.info("effective dimension of the latents (principal directions with variance > 0.01): %d; d* = %s",
         effective_dimension(latents),
         ridge_dims)
summary = latent_ridge_to_store(
    snakemake.output[0],
    latents,
    run["time"].values,
    run["states"],
    ridge_dims=ridge_dims,
    gap_thresholds=cfg["gap_thresholds"],
    scms=cfg["scms"],
    attrs=provenance("mnist_ridge", {**cfg, "model": snakemake.wildcards.latent}, seed),
    device=device,
    block_points=cfg["block_points"],
    logger=log,
    min_gap=cfg["min_gap"],
    project_dims=project_dims,
)
for d in ridge_dims:
    frac = summary["curvature_fraction"].sel(ridge_dim=d).values
    log.info("d* = %d: curvature-satisfied fraction from T to t_min: %s", d, " ".join(f"{f:.2f}" for f in frac))
    frac = summary["resolved_fraction"].sel(ridge_dim=d).values
    log.info("d* = %d: resolved-frame fraction from T to t_min: %s", d, " ".join(f"{f:.2f}" for f in frac))
