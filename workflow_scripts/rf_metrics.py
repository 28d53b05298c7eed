"""Counts, classification, ridge positions and residuals of every tau of an RF run, in blocks of samples (rule rf_metrics)."""

from ridgeline.device import resolve_device
from ridgeline.empirical import SmoothedEmpirical
from ridgeline.io import open_store, read_store
from ridgeline.provenance import provenance
from ridgeline.rf.metrics_store import rf_metrics_to_store
from ridgeline.jobs import configure_job

log = configure_job(snakemake.log[0], snakemake.threads)
cfg, d = snakemake.params.metrics, snakemake.params.ridge_dim
device = resolve_device(snakemake.params.device)
points = read_store(snakemake.input.dataset)["points"].values
run = open_store(snakemake.input.samples)
rf_metrics_to_store(
    snakemake.output[0],
    SmoothedEmpirical(points, device=device),
    run["time"],
    taus=run["tau"],
    states=run["states"],
    ridge_dim=d,
    cfg=cfg,
    attrs=provenance("rf_metrics", {"metrics": cfg, "ridge_dim": d}),
    block_points=cfg["block_points"],
    logger=log,
)
