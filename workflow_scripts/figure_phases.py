"""Distance-to-ridge curves and the reach / align / slide checks of a dataset, with its controls (rule
figure_phases)."""

import json

import matplotlib.pyplot as plt

from ridgeline import dims
from ridgeline.aggregate import combine_runs
from ridgeline.check_plots import phases_figure, summary_rows
from ridgeline.io import read_store
from ridgeline.plotting import distance_curves
from ridgeline.jobs import configure_job
from ridgeline.figure_style import save_figure

log = configure_job(snakemake.log[0])
p, dataset = snakemake.params, snakemake.wildcards.dataset
metrics = read_store(snakemake.input.metrics).sel(dataset=dataset)
fig = distance_curves(metrics.isel(seed=0), p.models, title=f"Reach on '{dataset}': distance of samples to the "
                                                              "ridge of $p_t$ along the reverse process (first seed)")
save_figure(fig, snakemake.output.distance, dpi=p.figure["dpi"], **snakemake.params.output)
plt.close(fig)
runs = {m: metrics.sel(model=m) for m in p.models}
runs.update({f"control_{name}": combine_runs({(p.seed,): read_store(path)}, key_dims=(dims.SEED,))
             for name, path in zip(p.controls, snakemake.input.controls)})
reports = []
for path in [snakemake.input.checks, *snakemake.input.control_report]:
    with open(path) as handle:
        reports.append(json.load(handle))
fig = phases_figure(runs, summary_rows(reports, dataset), p.checks, p.dim, p.ridge_dim,
                    f"'{dataset}' (D = {p.dim}): reach, align and slide, predicted against measured "
                    f"(models: {metrics.sizes['seed']} seeds, median and range; dashed: controls, first seed)")
save_figure(fig, snakemake.output.phases, dpi=p.figure["dpi"], **snakemake.params.output)
log.info("wrote %s and %s", snakemake.output.distance, snakemake.output.phases)
