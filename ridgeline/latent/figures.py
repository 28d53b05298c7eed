"""The figures of one latent experiment (rule figure_mnist), each with a title that reads without
the code: residual statistics, the dimension spectra, the authors' on/off-ridge reading, decoded
samples near and far from the ridge, and the VAE's reconstructions."""

import numpy as np
import xarray as xr

from .. import dims
from ..models.vae import decode
from .plots import authors_view, decoded_samples, dimension_spectra, reconstructions, residual_statistics
from .spectrum import latent_dimension_dataset, median_gap_spectrum


def mnist_figures(*, name: str, vae, latents: xr.Dataset, runs: dict, final: xr.DataArray, images: np.ndarray,
                  figure: dict, checks: dict, authors_view_settings: dict, sharpen: bool) -> dict:
    """The five figures of experiment ``name``.

    Parameters
    ----------
    vae : the trained VAE. latents : the mnist_vae store. runs : {model: mnist_ridge store}, with
        ``score`` (the network) and optionally ``exact`` and the baselines. final : (sample, coord)
        final latent samples of the network. images : (n, 784) training images.
    figure : the ``mnist.figure`` config section (n_images, ridge_dim). checks : the latent checks'
        thresholds. authors_view_settings : the authors' reading. sharpen : the sampler's sharpening.

    Returns
    -------
    {"residuals", "dimension", "authors", "decoded", "reconstructions"}: matplotlib figures.
    """
    n, dim = latents["points"].shape
    out = {"residuals": residual_statistics(
        runs, f"Do latent samples sit on the ridge of $p_t$? '{name}' latents (n = {n}, D = {dim}): the network "
              "beside the memorizing exact score and a fitted Gaussian,\nat the times where the normal frame is "
              "resolved", checks["max_excess"])}
    summary = latent_dimension_dataset(latents["points"].values, latents["kl_per_dim"].values)
    reference = "exact" if "exact" in runs else "score"  # the exact score samples p_t itself
    times = runs[reference][dims.TIME].values
    out["dimension"] = dimension_spectra(
        summary, median_gap_spectrum(runs[reference]["cov_eigenvalues"].values, times), times,
        runs["score"]["ridge_dim"].values,
        f"'{name}': how many dimensions do the latents use? (dotted: the analysed d*; eigengaps at the "
        f"{'exact score' if reference == 'exact' else 'network'}'s samples)")
    sampler = "the σ_t-sharpened sampler of the authors' notebook" if sharpen else "the consistent reverse SDE"
    out["authors"] = authors_view(runs["score"], authors_view_settings, checks["max_copy_ratio"],
                                  f"'{name}': the authors' on/off-ridge reading of the network's samples ({sampler}),\n"
                                  "and how close the same samples are to a training latent")
    ridge_dim = int(summary["effective_dimension"]) if figure["ridge_dim"] == "effective" else figure["ridge_dim"]
    ridge = runs["score"].assign(states_final=final, train_latents=latents["points"])
    out["decoded"] = decoded_samples(
        ridge, lambda z: decode(vae, z).numpy(), ridge_dim, checks, figure["n_images"],
        f"'{name}': are generated digits copies? Decoded samples closest to (top) and farthest\n"
        f"from (bottom) the d* = {ridge_dim} ridge, their SCMS projections and nearest training latents")
    shown = np.linspace(0, len(images) - 1, min(figure["n_images"], len(images))).astype(int)  # spread over classes
    hp = vae.hparams
    out["reconstructions"] = reconstructions(images[shown], decode(vae, latents["points"].values[shown]).numpy(),
                                             float(latents["loss_history"].values[-1, 0]),
                                             "-".join(str(w) for w in [hp["pixels"], *hp["hidden"], hp["latent"]]))
    return out
