"""Samples over the ridge at several inference times, and distance-to-ridge curves."""

import matplotlib.pyplot as plt

from ridgeline.io import read_store
from ridgeline.plotting import distance_curves, phase_figure, reach_align_slide
from ridgeline.runtime import configure_job

log = configure_job(snakemake.log[0])
cfg, models = snakemake.params.figure, snakemake.params.models
dataset = snakemake.wildcards.dataset
train = read_store(snakemake.input.dataset)["points"].values
samples = {m: read_store(snakemake.input[f"samples_{m}"]) for m in models}
fig = reach_align_slide(read_store(snakemake.input.ridges), samples, train, cfg["n_panels"], cfg["max_points"],
                        title=f"Reach, align, slide on '{dataset}': samples follow the ridge of $p_t$")
fig.savefig(snakemake.output.ras, dpi=cfg["dpi"])
plt.close(fig)
metrics = read_store(snakemake.input.metrics).sel(dataset=dataset).isel(seed=0)
fig = distance_curves(metrics, models)
fig.savefig(snakemake.output.distance, dpi=cfg["dpi"])
plt.close(fig)
fig = phase_figure(metrics, models, snakemake.params.tube_radius)
fig.savefig(snakemake.output.phases, dpi=cfg["dpi"])
log.info("wrote %s, %s and %s", snakemake.output.ras, snakemake.output.distance, snakemake.output.phases)
