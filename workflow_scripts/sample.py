"""Reverse-time sampling with snapshots for one (dataset, model, seed), coupled with the exact score
over the slide window (rule sample)."""

from ridgeline.device import resolve_device
from ridgeline.io import read_store
from ridgeline.jobs import configure_job
from ridgeline.sample_runs import sample_stage

log = configure_job(snakemake.log[0], snakemake.threads)
p = snakemake.params
sample_stage(snakemake.output[0], read_store(snakemake.input.dataset)["points"].values, snakemake.input.checkpoint,
             model=snakemake.wildcards.model, sampling=p.sampling, times=p.times, ridge_dim=p.ridge_dim,
             slide=p.slide, rf_tau=p.rf_tau, controls=p.controls, seed=int(snakemake.wildcards.seed),
             device=resolve_device(p.device), logger=log)
