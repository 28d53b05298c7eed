"""Median distance of the final samples to the ridge against the normal excess loss, over the neural
training sweep and the random-feature tau sweep, with the log-log fit (rule align_vs_loss)."""

import json

from ridgeline.align_loss import fit_log_log, rf_points, sweep_points
from ridgeline.checks import json_ready
from ridgeline.io import read_store
from ridgeline.provenance import provenance
from ridgeline.jobs import configure_job

log = configure_job(snakemake.log[0])
p = snakemake.params
sweeps = {tuple(run): read_store(path) for run, path in zip(p.sweep_runs, snakemake.input.sweeps)}
rf = {tuple(run): (read_store(m), read_store(f))
      for run, m, f in zip(p.rf_runs, snakemake.input.rf_metrics, snakemake.input.rf_flows)}
points = sweep_points(sweeps) + rf_points(rf)
fit = fit_log_log(points)
log.info("log10 distance = %.3f + %.3f log10 normal excess (r = %.3f, n = %d, %d excluded; predicted slope %.1f)",
         fit["intercept"], fit["slope"], fit["r"], fit["n"], fit["excluded"], fit["predicted_slope"])
with open(snakemake.output[0], "w") as handle:
    json.dump(json_ready({"fit": fit, "points": points, "provenance": provenance("align_vs_loss", {})}), handle,
              indent=1)
