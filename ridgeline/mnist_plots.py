"""Figures of the mnist_latent experiment: residual statistics, decoded samples, reconstructions."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

from . import dims  # noqa: E402
from .latent_ridge import GAP_THRESHOLD, RIDGE_DIM  # noqa: E402


def residual_statistics(ds: xr.Dataset, title: str = "") -> plt.Figure:
    """Per d*: histograms of the raw and h_t-scaled residuals at every snapshot time (colour = t),
    the curvature-satisfied fraction vs t, and the eigengap-filtered mean relative residual vs t."""
    ridge_dims, times = ds[RIDGE_DIM].values, ds[dims.TIME].values
    fig, axes = plt.subplots(len(ridge_dims), 4, figsize=(16, 3.2 * len(ridge_dims)), squeeze=False)
    colours = plt.cm.viridis(np.linspace(0, 1, len(times)))
    for row, d in enumerate(ridge_dims):
        sel = ds.sel({RIDGE_DIM: d})
        for col, name in enumerate(("residual", "scaled_residual")):
            ax = axes[row, col]
            values = np.log10(np.clip(sel[name].values, 1e-12, None))
            bins = np.linspace(np.nanmin(values), np.nanmax(values), 50)
            for k, t in enumerate(times):
                ax.hist(values[k], bins=bins, histtype="step", color=colours[k], label=f"t = {t:.3g}")
            ax.set(xlabel=f"log10 {'raw' if col == 0 else 'h_t-scaled'} residual", ylabel="samples")
            ax.set_title(f"d* = {d}: {'raw' if col == 0 else 'scaled'} residual per snapshot", fontsize=9)
        ax = axes[row, 2]
        ax.plot(times, sel["curvature_fraction"].values, "o-")
        ax.set(xscale="log", ylim=(-0.02, 1.02), xlabel="inference time t", ylabel="fraction of samples")
        ax.set_title(f"d* = {d}: curvature condition $\\lambda_{{d+1}} < 0$", fontsize=9)
        ax.invert_xaxis()
        ax = axes[row, 3]
        filtered = sel["gap_filtered_relative_residual"]
        for thr in ds[GAP_THRESHOLD].values:
            ax.plot(times, filtered.sel({GAP_THRESHOLD: thr}).values, "o-", label=f"gap > {thr:g}")
        values = filtered.values
        positive = bool((np.isfinite(values) & (values > 0)).any())
        ax.set(xscale="log", yscale="log" if positive else "linear", xlabel="inference time t",
               ylabel="mean relative residual")
        ax.set_title(f"d* = {d}: where the ridge is defined (gap filter)", fontsize=9)
        if not np.isfinite(values).any():
            ax.text(0.5, 0.5, "no sample above any gap threshold", ha="center", transform=ax.transAxes)
        ax.invert_xaxis()
        ax.legend(fontsize=7)
    axes[0, 0].legend(fontsize=6, ncol=2, title="colour: time, T -> t_min", title_fontsize=6)
    fig.suptitle(title or "Latent samples approach the ridge of p_t")
    fig.tight_layout()
    return fig


def _show(ax, image, caption):
    ax.imshow(np.asarray(image).reshape(28, 28), cmap="gray_r", vmin=0, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(caption, fontsize=7)


def decoded_samples(ds: xr.Dataset, decode, ridge_dim: int, n_images: int = 8, title: str = "") -> plt.Figure:
    """On-ridge (smallest scaled residual at t_min) and off-ridge (largest) final samples, decoded,
    each above its decoded SCMS ridge projection and its decoded nearest training latent.

    Parameters
    ----------
    ds : ridge store of one run (dims ridge_dim, time, sample, coord) with ``states_final`` (sample, coord)
        and ``train_latents`` (train, coord). decode : latents (m, D) -> images (m, 784).
    """
    sel = ds.sel({RIDGE_DIM: ridge_dim})
    scaled = sel["scaled_residual"].isel({dims.TIME: -1}).values
    order = np.argsort(scaled)
    groups = {"on ridge": order[:n_images], "off ridge": order[::-1][:n_images]}
    fig, axes = plt.subplots(6, n_images, figsize=(1.3 * n_images, 9.2), squeeze=False)
    for g, (name, idx) in enumerate(groups.items()):
        final = ds["states_final"].values[idx]
        proj = sel["projection"].values[idx]
        nearest = ds["train_latents"].values[ds["nearest_index"].values[idx]]
        images = decode(np.concatenate([final, proj, nearest]))
        for j, i in enumerate(idx):
            _show(axes[3 * g, j], images[j], f"{name}\nr={scaled[i]:.1e}\nnn={ds['nearest_distance'].values[i]:.2f}")
            _show(axes[3 * g + 1, j], images[n_images + j], f"SCMS proj.\n|x-P|={sel['projection_distance'].values[i]:.2f}")
            _show(axes[3 * g + 2, j], images[2 * n_images + j], "nearest train")
    fig.suptitle(title or f"Decoded final samples on and off the d* = {ridge_dim} ridge")
    fig.tight_layout()
    return fig


def reconstructions(images: np.ndarray, recon: np.ndarray, final_loss: float, architecture: str) -> plt.Figure:
    """Training images (top) and their VAE reconstructions from the encoder means (bottom).

    images, recon : (m, 784). architecture : e.g. "784-400-200-32", for the title.
    """
    n_images = len(images)
    fig, axes = plt.subplots(2, n_images, figsize=(1.2 * n_images, 3.0), squeeze=False)
    for j in range(n_images):
        _show(axes[0, j], images[j], "input")
        _show(axes[1, j], recon[j], "decoded mean")
    fig.suptitle(f"VAE {architecture}: reconstructions from the encoder means (final loss {final_loss:.1f} nats "
                 "per image)")
    fig.tight_layout()
    return fig
