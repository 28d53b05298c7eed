"""Final classes, distance to the ridge and excess losses along neural training (rule figure_neural_sweep)."""

from ridgeline.check_plots import sweep_figure
from ridgeline.io import read_store
from ridgeline.runtime import configure_job

log = configure_job(snakemake.log[0])
sweep = read_store(snakemake.input[0])
fig = sweep_figure(sweep, "Neural training sweep: from under-trained (off the ridge) through generalizing\n"
                          f"(between training points) to memorizing; {sweep.sizes['seed']} seeds, median and range")
fig.savefig(snakemake.output[0], dpi=snakemake.params.figure["dpi"])
log.info("wrote %s", snakemake.output[0])
