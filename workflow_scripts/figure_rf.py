"""Samples with KDE and counts per tau; error split vs tau; residual histograms (rule figure_rf)."""

import matplotlib.pyplot as plt

from ridgeline.io import read_store
from ridgeline.rf.plots import WEIGHT_LABELS, errors_figure, residual_figure, samples_figure
from ridgeline.jobs import configure_job
from ridgeline.figure_style import save_figure

log = configure_job(snakemake.log[0])
cfg, dataset = snakemake.params.figure, snakemake.wildcards.dataset
train = read_store(snakemake.input.dataset)["points"].values
flows = [read_store(f) for f in snakemake.input.flows]
metrics = [read_store(m) for m in snakemake.input.metrics]
labels = [f"p={f.attrs['p']}, {WEIGHT_LABELS[f.attrs['weighting']]}" for f in flows]
taus = [m["tau"].values for m in metrics]
outputs = [
    (samples_figure([(lab, tau, m["final"].values) for lab, tau, m in zip(labels, taus, metrics)], train,
                    snakemake.params.near_radius, cfg["max_points"], cfg["kde_grid"],
                    f"{dataset}: where random-feature samples go as training time tau grows"), snakemake.output.samples),
    (errors_figure([(f.attrs["p"], f.attrs["weighting"], f) for f in flows],
                   f"{dataset}: tangential error dominates; normal error vanishes at equilibrium"),
     snakemake.output.errors),
    (residual_figure([(lab, tau, m["scaled_residual"].values[:, -1]) for lab, tau, m in zip(labels, taus, metrics)],
                     f"{dataset}: samples align with the ridge (ridge residual at t_min)"), snakemake.output.residuals),
]
for fig, path in outputs:
    save_figure(fig, path, dpi=cfg["dpi"], **snakemake.params.output)
    plt.close(fig)
    log.info("wrote %s", path)
