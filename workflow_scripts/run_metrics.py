"""Ridge metrics of one sampling run at every snapshot, streamed over blocks of samples (rule run_metrics)."""

from ridgeline.device import resolve_device
from ridgeline.io import open_store, read_store
from ridgeline.jobs import configure_job
from ridgeline.metrics_store import metrics_stage

log = configure_job(snakemake.log[0], snakemake.threads)
p = snakemake.params
metrics_stage(snakemake.output[0], read_store(snakemake.input.dataset)["points"].values,
              open_store(snakemake.input.samples), snakemake.input.checkpoint, model=snakemake.wildcards.model,
              metrics={**p.metrics, "tube_scale": p.tube_scale}, ridge_dim=p.ridge_dim, rf_tau=p.rf_tau,
              controls=p.controls, seed=int(snakemake.wildcards.seed), device=resolve_device(p.device), logger=log)
