"""Density of the final RF samples along a segment between two training points (rule figure_rf_segment)."""

from ridgeline.figure_style import save_figure
from ridgeline.io import read_store
from ridgeline.jobs import configure_job
from ridgeline.rf.plots import WEIGHT_LABELS, segment_figure

log = configure_job(snakemake.log[0])
cfg, (start, end), dataset = snakemake.params.figure, snakemake.params.segment, snakemake.wildcards.dataset
runs = []
for flow_path, metrics_path in zip(snakemake.input.flows, snakemake.input.metrics):
    flow, m = read_store(flow_path), read_store(metrics_path)
    runs.append((f"p={flow.attrs['p']}, {WEIGHT_LABELS[flow.attrs['weighting']]}", m["tau"].values, m["final"].values))
train = read_store(snakemake.input.dataset)["points"].values
fig = segment_figure(runs, train, start, end, 0.5, f"{dataset}: inter-mode samples spread along the ridge from "
                     f"{tuple(start)} to {tuple(end)}")
save_figure(fig, snakemake.output[0], dpi=cfg["dpi"], **snakemake.params.output)
log.info("wrote %s", snakemake.output[0])
