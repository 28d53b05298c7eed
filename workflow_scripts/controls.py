"""Verdicts of the control score models on reach, align and slide, and of the latent baselines on the
on-ridge check, against the verdicts they were built to get (rule controls)."""

import json

from ridgeline.control_report import judge_controls
from ridgeline.io import open_store
from ridgeline.jobs import configure_job
from ridgeline.provenance import provenance

log = configure_job(snakemake.log[0])
p = snakemake.params
runs = [*p.runs, *[[d, "exact"] for d in p.datasets]]
metrics = {tuple(run): open_store(path) for run, path in zip(runs, snakemake.input.metrics)}
latent_reports = [json.loads(open(path).read()) for path in snakemake.input.mnist]
report = judge_controls(metrics, latent_reports, ridge_dim=p.ridge_dim, checks=p.checks, logger=log)
report["provenance"] = provenance("controls", {"checks": p.checks, "controls": p.controls}, p.seed)
with open(snakemake.output[0], "w") as handle:
    json.dump(report, handle, indent=1)
