"""Figures of the mnist_latent experiment: residual statistics, decoded samples, reconstructions."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

from . import dims  # noqa: E402
from .dims import RIDGE_DIM  # noqa: E402


#: Line styles of the latent score models: the network and its baselines.
MODEL_STYLES = {"score": ("C0", "network"), "exact": ("C3", "exact score (memorizes)"),
                "gaussian": ("0.4", "fitted Gaussian (no ridge)")}


def resolved_medians(ds: xr.Dataset, name: str = "tube_ratio") -> np.ndarray:
    """Median of ``name`` over the resolved samples at each (ridge_dim, time): NaN where none is resolved."""
    values = np.where(ds["resolved"].values == 1, ds[name].values, np.nan)
    with np.errstate(all="ignore"):
        counts = np.isfinite(values).sum(-1)
        medians = np.nanmedian(np.where(counts[..., None] > 0, values, 0.0), axis=-1)
    return np.where(counts > 0, medians, np.nan)


def residual_statistics(runs: dict, title: str = "", tube_scale: float = 2.0) -> plt.Figure:
    """Per d*, the model beside its baselines at resolved times only.

    Columns: the share of samples whose normal frame is resolved; the median normal distance in
    units of p_t's normal width (tube ratio, resolved samples only; 1 is where samples of p_t sit);
    the curvature-satisfied fraction (100 % by construction where frames are unresolved).

    Parameters
    ----------
    runs : {model: ridge store} with the same ridge_dim values; model names as in MODEL_STYLES.
    tube_scale : the tube ratio up to which a run reads "on the ridge" (drawn as a line).
    """
    first = next(iter(runs.values()))
    ridge_dims = first[RIDGE_DIM].values
    fig, axes = plt.subplots(len(ridge_dims), 3, figsize=(14, 3.2 * len(ridge_dims)), squeeze=False)
    for model, ds in runs.items():
        colour, label = MODEL_STYLES.get(model, ("C2", model))
        times = ds[dims.TIME].values
        medians = resolved_medians(ds)
        for row, d in enumerate(ridge_dims):
            sel = ds.sel({RIDGE_DIM: d})
            axes[row, 0].plot(times, sel["resolved_fraction"].values, "o-", c=colour, label=label, ms=3)
            axes[row, 1].plot(times, medians[row], "o-", c=colour, label=label, ms=3)
            axes[row, 2].plot(times, sel["curvature_fraction"].values, "o-", c=colour, label=label, ms=3)
    for row, d in enumerate(ridge_dims):
        axes[row, 0].set_title(f"d* = {d}: frames resolved ($h_t$ gap ≥ min_gap)", fontsize=9)
        axes[row, 0].set(ylabel="fraction of samples", ylim=(-0.02, 1.02))
        ax = axes[row, 1]
        ax.axhline(1.0, c="k", lw=0.8, ls=":", label="p_t's own normal width")
        ax.axhline(tube_scale, c="k", lw=0.8, ls="--", label=f"on-ridge threshold ({tube_scale:g})")
        ax.set(yscale="log", ylabel=r"median $h_t|P_N g| / \sqrt{h_t (D-d)}$")
        ax.set_title(f"d* = {d}: distance to the ridge, resolved samples only (none: no point)", fontsize=9)
        axes[row, 2].set(ylabel="fraction of samples", ylim=(-0.02, 1.02))
        axes[row, 2].set_title(f"d* = {d}: curvature $\\lambda_{{d+1}} < 0$ (100 % by construction\n"
                               "where H ≈ −I/h_t: read only where frames are resolved)", fontsize=9)
        for ax in axes[row]:
            ax.set(xscale="log", xlabel="inference time t")
            ax.invert_xaxis()
            ax.legend(fontsize=7)
    fig.suptitle(title or "Latent samples and the ridge of p_t, at resolved times")
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
