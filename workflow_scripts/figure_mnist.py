"""Figures of one mnist_latent run: residual statistics, decoded samples, reconstructions (rule figure_mnist)."""

from ridgeline import dims
from ridgeline.figure_style import plt, save_figure
from ridgeline.io import read_store
from ridgeline.jobs import configure_job
from ridgeline.latent.figures import mnist_figures
from ridgeline.models.vae import load_vae

log = configure_job(snakemake.log[0])
p = snakemake.params
figures = mnist_figures(
    name=snakemake.wildcards.experiment, vae=load_vae(snakemake.input.vae), latents=read_store(snakemake.input.latents),
    runs={model: read_store(path) for model, path in zip(p.models, snakemake.input.ridge)},
    final=read_store(snakemake.input.samples)["states"].isel({dims.TIME: -1}).drop_vars(dims.TIME),
    images=read_store(snakemake.input.data)["images"].values, figure=p.figure, checks=p.checks,
    authors_view_settings=p.authors_view, sharpen=p.sampling["sharpen"])
for key, fig in figures.items():
    save_figure(fig, snakemake.output[key], dpi=p.figure["dpi"], **p.output)
    plt.close(fig)
log.info("wrote %s", ", ".join(snakemake.output))
