"""Distance of the final samples to the ridge against the normal excess loss, with its fit (rule
figure_align_vs_loss)."""

import json

from ridgeline.check_plots import align_loss_figure
from ridgeline.jobs import configure_job
from ridgeline.figure_style import save_figure

log = configure_job(snakemake.log[0])
with open(snakemake.input[0]) as handle:
    table = json.load(handle)
fig = align_loss_figure(table["points"], table["fit"],
                        "Align across models: the normal score error sets the distance to the ridge\n"
                        "(random-feature tau sweeps and neural training checkpoints, every seed)")
save_figure(fig, snakemake.output[0], dpi=snakemake.params.figure["dpi"], **snakemake.params.output)
log.info("wrote %s", snakemake.output[0])
