"""Distance-to-ridge curves and the reach / align / slide summaries of a dataset (rule figure_phases)."""

import matplotlib.pyplot as plt
import numpy as np

from ridgeline.io import read_store
from ridgeline.plotting import distance_curves, phase_figure
from ridgeline.runtime import configure_job

log = configure_job(snakemake.log[0])
cfg, models = snakemake.params.figure, snakemake.params.models
dataset = snakemake.wildcards.dataset
metrics = read_store(snakemake.input[0]).sel(dataset=dataset).isel(seed=0)
fig = distance_curves(metrics, models, title=f"Reach on '{dataset}': distance of samples to the ridge of $p_t$ "
                                            "along the reverse process")
fig.savefig(snakemake.output.distance, dpi=cfg["dpi"])
plt.close(fig)
fig = phase_figure(metrics, models, snakemake.params.tube_radius)
# the aggregate pads `coord` to the largest dimension of all datasets: count this one's coordinates
dim = int(np.isfinite(metrics["projection"].isel(model=0, time=0, sample=0).values).sum())
fig.suptitle(f"'{dataset}' (D = {dim}): reach, align, slide")
fig.tight_layout()
fig.savefig(snakemake.output.phases, dpi=cfg["dpi"])
log.info("wrote %s and %s", snakemake.output.distance, snakemake.output.phases)
