"""Samples over the ridge of a 2D p_t at several inference times (rule figure_reach_align_slide)."""

from ridgeline.io import read_store
from ridgeline.plotting import reach_align_slide
from ridgeline.jobs import configure_job
from ridgeline.figure_style import save_figure

log = configure_job(snakemake.log[0])
cfg, models = snakemake.params.figure, snakemake.params.models
dataset = snakemake.wildcards.dataset
train = read_store(snakemake.input.dataset)["points"].values
samples = {m: read_store(snakemake.input[f"samples_{m}"]) for m in models}
fig = reach_align_slide(read_store(snakemake.input.ridges), samples, train, n_panels=cfg["n_panels"],
                        max_points=cfg["max_points"],
                        title=f"Reach, align, slide on '{dataset}': samples follow the ridge of $p_t$")
save_figure(fig, snakemake.output[0], dpi=cfg["dpi"], **snakemake.params.output)
log.info("wrote %s", snakemake.output[0])
