"""|A_GD - A_flow| vs tau (rule figure_gd_vs_flow)."""

from ridgeline.io import read_store
from ridgeline.rf.plots import gd_vs_flow_figure
from ridgeline.jobs import configure_job
from ridgeline.figure_style import save_figure

log = configure_job(snakemake.log[0])
fig = gd_vs_flow_figure(read_store(snakemake.input[0]), "Plain GD on L(A) follows the closed-form flow")
save_figure(fig, snakemake.output[0], dpi=snakemake.params.figure["dpi"], **snakemake.params.output)
log.info("wrote %s", snakemake.output[0])
