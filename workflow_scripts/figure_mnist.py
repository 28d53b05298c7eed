"""Figures of one mnist_latent run: residual statistics, decoded samples, reconstructions (rule figure_mnist)."""

import matplotlib.pyplot as plt
import numpy as np

from ridgeline import dims
from ridgeline.io import read_store
from ridgeline.latent.spectrum import latent_dimension_dataset, median_gap_spectrum
from ridgeline.latent.plots import authors_view, decoded_samples, dimension_spectra, reconstructions, residual_statistics
from ridgeline.models.vae import decode, load_vae
from ridgeline.jobs import configure_job
from ridgeline.figure_style import save_figure

log = configure_job(snakemake.log[0])
cfg, checks, name = snakemake.params.figure, snakemake.params.checks, snakemake.wildcards.experiment
vae = load_vae(snakemake.input.vae)
latents = read_store(snakemake.input.latents)
runs = {model: read_store(path) for model, path in zip(snakemake.params.models, snakemake.input.ridge)}
ridge = runs["score"]
final = read_store(snakemake.input.samples)["states"].isel({dims.TIME: -1}).drop_vars(dims.TIME)
n = len(latents["points"])

fig = residual_statistics(runs, f"Do latent samples sit on the ridge of $p_t$? '{name}' latents (n = {n}, "
                                f"D = {latents['points'].shape[1]}): the network beside the memorizing exact score "
                                "and a fitted Gaussian,\nat the times where the normal frame is resolved",
                          checks["max_excess"])
save_figure(fig, snakemake.output.residuals, dpi=cfg["dpi"], **snakemake.params.output)
plt.close(fig)

summary = latent_dimension_dataset(latents["points"].values, latents["kl_per_dim"].values)
reference = "exact" if "exact" in runs else "score"  # the exact score samples p_t itself
times = runs[reference][dims.TIME].values
fig = dimension_spectra(summary, median_gap_spectrum(runs[reference]["cov_eigenvalues"].values, times), times,
                        ridge["ridge_dim"].values,
                        f"'{name}': how many dimensions do the latents use? (dotted: the analysed d*; eigengaps at the "
                        f"{'exact score' if reference == 'exact' else 'network'}'s samples)")
save_figure(fig, snakemake.output.dimension, dpi=cfg["dpi"], **snakemake.params.output)
plt.close(fig)
sampler = ("the σ_t-sharpened sampler of the authors' notebook" if snakemake.params.sampling["sharpen"]
           else "the consistent reverse SDE")
fig = authors_view(runs["score"], snakemake.params.authors_view, checks["max_copy_ratio"],
                   f"'{name}': the authors' on/off-ridge reading of the network's samples ({sampler}),\n"
                   "and how close the same samples are to a training latent")
save_figure(fig, snakemake.output.authors, dpi=cfg["dpi"], **snakemake.params.output)
plt.close(fig)
ridge_dim = int(summary["effective_dimension"]) if cfg["ridge_dim"] == "effective" else cfg["ridge_dim"]

ridge = ridge.assign(states_final=final, train_latents=latents["points"])
fig = decoded_samples(ridge, lambda z: decode(vae, z).numpy(), ridge_dim, checks, cfg["n_images"],
                      f"'{name}': are generated digits copies? Decoded samples closest to (top) and farthest\n"
                      f"from (bottom) the d* = {ridge_dim} ridge, their SCMS projections and nearest training latents")
save_figure(fig, snakemake.output.decoded, dpi=cfg["dpi"], **snakemake.params.output)
plt.close(fig)

images = read_store(snakemake.input.data)["images"].values
shown = np.linspace(0, len(images) - 1, min(cfg["n_images"], len(images))).astype(int)  # spread over classes
recon = decode(vae, latents["points"].values[shown]).numpy()
hp = vae.hparams
fig = reconstructions(images[shown], recon, float(latents["loss_history"].values[-1, 0]),
                      "-".join(str(w) for w in [hp["pixels"], *hp["hidden"], hp["latent"]]))
save_figure(fig, snakemake.output.reconstructions, dpi=cfg["dpi"], **snakemake.params.output)
log.info("wrote %s", ", ".join(snakemake.output))
