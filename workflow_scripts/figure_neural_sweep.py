"""Final classes, distance to the ridge and excess losses along neural training (rule figure_neural_sweep)."""

from ridgeline.check_plots import sweep_figure
from ridgeline.io import read_store
from ridgeline.jobs import configure_job
from ridgeline.figure_style import save_figure

log = configure_job(snakemake.log[0])
sweep = read_store(snakemake.input[0])
fig = sweep_figure(sweep, "Neural training sweep: from under-trained (off the ridge) through generalizing\n"
                          f"(between training points) to memorizing; {sweep.sizes['seed']} seeds, median and range")
save_figure(fig, snakemake.output[0], dpi=snakemake.params.figure["dpi"], **snakemake.params.output)
log.info("wrote %s", snakemake.output[0])
