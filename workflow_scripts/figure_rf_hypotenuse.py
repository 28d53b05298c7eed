"""Density of the final samples along the hypotenuse of triangle_mid (rule figure_rf_hypotenuse)."""

from ridgeline.io import read_store
from ridgeline.rf_plots import WEIGHT_LABELS, hypotenuse_figure
from ridgeline.jobs import configure_job
from ridgeline.figure_style import save_figure

log = configure_job(snakemake.log[0])
cfg = snakemake.params.figure
runs = []
for flow_path, metrics_path in zip(snakemake.input.flows, snakemake.input.metrics):
    flow, m = read_store(flow_path), read_store(metrics_path)
    runs.append((f"p={flow.attrs['p']}, {WEIGHT_LABELS[flow.attrs['weighting']]}", m["tau"].values, m["final"].values))
fig = hypotenuse_figure(runs, 0.5, "triangle_mid: inter-mode samples spread along the hypotenuse ridge")
save_figure(fig, snakemake.output[0], dpi=cfg["dpi"], **snakemake.params.output)
log.info("wrote %s", snakemake.output[0])
