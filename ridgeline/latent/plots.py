"""Figures of the mnist_latent experiment: residual statistics, decoded samples, reconstructions."""

from ..figure_style import apply_style, plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

from .. import dims  # noqa: E402
from ..dims import RIDGE_DIM  # noqa: E402
from ..authors_view import authors_groups, authors_summary  # noqa: E402
from .spectrum import ACTIVE_UNIT_VARIANCE  # noqa: E402
from .summary import near_copy_groups  # noqa: E402


apply_style()

#: Line styles of the latent score models: the network and its baselines.
MODEL_STYLES = {"score": ("C0", "network"), "exact": ("C3", "exact score (memorizes)"),
                "gaussian": ("0.4", "fitted Gaussian (no ridge)")}


def model_style(model: str, models) -> tuple:
    """(colour, label) of a latent model among ``models``: the network, its checkpoints (lighter the
    earlier, ``score_step<N>``) or a baseline."""
    if model.startswith("score_step"):
        steps = sorted(int(m.removeprefix("score_step")) for m in models if m.startswith("score_step"))
        step = int(model.removeprefix("score_step"))
        shade = 0.3 + 0.4 * steps.index(step) / max(1, len(steps) - 1) if len(steps) > 1 else 0.5
        return plt.get_cmap("Blues")(shade), f"network after {step} steps"
    return MODEL_STYLES.get(model, ("C2", model))


def resolved_medians(ds: xr.Dataset, name: str = "normal_excess") -> np.ndarray:
    """Median of ``name`` over the resolved samples at each (ridge_dim, time): NaN where none is resolved."""
    values = np.where(ds["resolved"].values == 1, ds[name].values, np.nan)
    with np.errstate(all="ignore"):
        counts = np.isfinite(values).sum(-1)
        medians = np.nanmedian(np.where(counts[..., None] > 0, values, 0.0), axis=-1)
    return np.where(counts > 0, medians, np.nan)


def residual_statistics(runs: dict, title: str = "", max_excess: float = 2.0) -> plt.Figure:
    """Per d*, the model beside its baselines at resolved times only.

    Columns: the share of samples whose normal frame is resolved; the median normal excess
    h_t |P_N g|^2 - (D - d) of the resolved samples (the squared normal offset beyond p_t's noise,
    in noise dimensions; 0 is where samples of p_t sit); the curvature-satisfied fraction (100 %
    by construction where frames are unresolved).

    Parameters
    ----------
    runs : {model: ridge store} with the same ridge_dim values; model names as in MODEL_STYLES.
    max_excess : the median excess up to which a run reads "on the ridge" (drawn as a line).
    """
    first = next(iter(runs.values()))
    ridge_dims = first[RIDGE_DIM].values
    fig, axes = plt.subplots(len(ridge_dims), 3, figsize=(14, 3.2 * len(ridge_dims)), squeeze=False)
    for model, ds in runs.items():
        colour, label = model_style(model, runs)
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
        ax.axhline(0.0, c="k", lw=0.8, ls=":", label="samples of p_t (0)")
        ax.axhline(max_excess, c="k", lw=0.8, ls="--", label=f"on-ridge threshold ({max_excess:g})")
        ax.set_yscale("symlog", linthresh=1.0)
        ax.set(ylabel=r"median $h_t|P_N g|^2 - (D-d)$")
        ax.set_title(f"d* = {d}: normal offset beyond p_t's noise (noise dimensions),\nresolved samples only "
                     "(no point: none resolved)", fontsize=9)
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


def dimension_spectra(summary: xr.Dataset, gaps: np.ndarray, times: np.ndarray, ridge_dims, title: str = "") -> plt.Figure:
    """Where d* comes from: the latents' covariance spectrum, the VAE's KL per dimension, p_t's gap spectrum.

    Parameters
    ----------
    summary : :func:`ridgeline.latent.spectrum.latent_dimension_dataset` of the latents.
    gaps : (time, D - 1) median dimensionless eigengaps h_t (lambda_k - lambda_{k+1}) of Cov_w at
        samples of p_t. times : (time,). ridge_dims : the analysed d* values (marked).
    """
    fig, axes = plt.subplots(1, 3, figsize=(7.0, 3.1))
    rank = summary[dims.RANK].values
    effective = int(summary["effective_dimension"])
    axes[0].semilogy(rank, np.maximum(summary["covariance_eigenvalue"].values, 1e-12), "o-", ms=3)
    axes[0].axhline(ACTIVE_UNIT_VARIANCE, c="0.5", lw=0.8, ls=":", label=f"activity threshold {ACTIVE_UNIT_VARIANCE:g}")
    axes[0].set(xlabel="rank k", ylabel="eigenvalue (latent units²)")
    axes[0].set_title(f"covariance of the latents: {effective} directions above {ACTIVE_UNIT_VARIANCE:g}\n"
                      f"(participation ratio {float(summary['participation_ratio']):.1f})", fontsize=9)
    axes[1].bar(rank, summary["kl_sorted"].values, color="0.5")
    axes[1].set(xlabel="latent dimension (sorted)", ylabel="mean KL (nats)")
    axes[1].set_title(f"VAE KL per latent dimension\n({int(summary['active_units'])} coordinates with encoder-mean "
                      "variance > 0.01)", fontsize=9)
    cmap = plt.get_cmap("viridis")
    for k, t in enumerate(times):
        if np.isfinite(gaps[k]).any():
            axes[2].semilogy(rank[:-1], np.maximum(gaps[k], 1e-18), c=cmap(k / max(1, len(times) - 1)), lw=1,
                             label=f"t = {t:.2g}")
    axes[2].set(xlabel="split d* = k", ylabel=r"median $h_t(\lambda_k - \lambda_{k+1})$")
    axes[2].set_title("eigengap of the Hessian of log p_t\nat samples of p_t, per time", fontsize=9)
    axes[2].legend(fontsize=6, ncol=2)
    for ax in axes:
        ax.axvline(effective, c="C3", lw=1, ls="--", label=f"effective dimension {effective}")
        for d in ridge_dims:
            ax.axvline(d, c="k", lw=0.5, ls=":")
    axes[0].legend(fontsize=7)
    fig.suptitle(title or "How many dimensions the latents use (dotted: the analysed d*)")
    fig.tight_layout()
    return fig


def latest_resolved_snapshot(ds: xr.Dataset, min_resolved: float) -> int | None:
    """Index of the latest snapshot whose resolved fraction is at least ``min_resolved`` (ds: one d*)."""
    window = np.flatnonzero(ds["resolved_fraction"].values >= min_resolved)
    return int(window[-1]) if window.size else None


def _show(ax, image, caption):
    ax.imshow(np.asarray(image).reshape(28, 28), cmap="gray_r", vmin=0, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(caption, fontsize=7)


def decoded_samples(ds: xr.Dataset, decode, ridge_dim: int, checks: dict, n_images: int = 8,
                    title: str = "") -> plt.Figure:
    """The samples closest to and farthest from the ridge at the latest resolved time, decoded,
    each above its decoded SCMS ridge projection and its decoded nearest training latent. A
    projection whose frame is undefined at its start (t_min) says so: its path is an arbitrary
    choice of tangent among equal eigenvalues (docs/benchmarks.md).

    Parameters
    ----------
    ds : ridge store of one run (dims ridge_dim, time, sample, coord) with ``states_final`` (sample, coord)
        and ``train_latents`` (train, coord). decode : latents (m, D) -> images (m, 784).
    checks : ``mnist.checks`` (min_resolved, tube_scale, max_copy_ratio): the snapshot, the group
        boundary and the near-copy criterion of :func:`ridgeline.latent.summary.near_copy_groups`.
    """
    sel = ds.sel({RIDGE_DIM: ridge_dim})
    k = latest_resolved_snapshot(sel, checks["min_resolved"])
    k = ds.sizes[dims.TIME] - 1 if k is None else k
    ratio = np.where(sel["resolved"].values[k] == 1, sel["tube_ratio"].values[k], np.nan)
    order = np.argsort(np.where(np.isfinite(ratio), ratio, np.inf))[: int(np.isfinite(ratio).sum())]
    groups = {"closest": order[:n_images], "farthest": order[::-1][:n_images]}
    copies = ds["nearest_ratio"].values < checks["max_copy_ratio"]
    # the projection starts at t_min: where the frame is undefined there, its path is an arbitrary choice
    defined_at_start = sel["resolved"].values[-1] == 1
    fig, axes = plt.subplots(6, n_images, figsize=(1.3 * n_images, 9.6), squeeze=False)
    for g, (name, idx) in enumerate(groups.items()):
        final = ds["states_final"].values[idx]
        proj = sel["projection"].values[idx]
        nearest = ds["train_latents"].values[ds["nearest_index"].values[idx]]
        images = decode(np.concatenate([final, proj, nearest])) if len(idx) else []
        for j, i in enumerate(idx):
            tag = " COPY" if copies[i] else ""
            _show(axes[3 * g, j], images[j], f"{name}{tag}\nratio={ratio[i]:.2f}\nnn={ds['nearest_distance'].values[i]:.2f}")
            label = "SCMS proj." if defined_at_start[i] else "SCMS proj. (frame\nundefined at t_min)"
            _show(axes[3 * g + 1, j], images[len(idx) + j], f"{label}\n|x-P|={sel['projection_distance'].values[i]:.2f}")
            _show(axes[3 * g + 2, j], images[2 * len(idx) + j], "nearest train")
    counts = near_copy_groups(sel, checks["tube_scale"], checks["min_resolved"], checks["max_copy_ratio"])
    summary = "; ".join(f"{name}: {c['n']} samples, {c['near_copies']} near-copies" for name, c in counts.items()
                        if name != "time")
    fig.suptitle((title or f"Decoded final samples by distance to the d* = {ridge_dim} ridge")
                 + f"\nat t = {float(ds[dims.TIME].values[k]):.3g} (latest resolved snapshot; ratio = tube ratio, "
                   f"on ridge ≤ {checks['tube_scale']:g})\n{summary}", fontsize=9)
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


def authors_view(run: xr.Dataset, cfg: dict, max_copy_ratio: float, title: str = "") -> plt.Figure:
    """The authors' max-normalized residual histogram at t_min beside the same samples' nearest-latent distances.

    Parameters
    ----------
    run : ridge store of one run with ``residual``, ``resolved``, ``nearest_distance`` and ``nearest_ratio``.
    cfg : ``mnist.authors_view`` (ridge_dim, on_below, off_above, bins).
    max_copy_ratio : near-copy criterion (nearest / second-nearest training latent below it).
    """
    groups = authors_groups(run, cfg["ridge_dim"], cfg["on_below"], cfg["off_above"])
    summary = authors_summary(run, cfg, max_copy_ratio)
    normalized, distance = groups["normalized"], run["nearest_distance"].values
    copies = run["nearest_ratio"].values < max_copy_ratio
    fig, axes = plt.subplots(1, 3, figsize=(7.0, 3.3))
    axes[0].hist(normalized[np.isfinite(normalized)], bins=cfg["bins"], color="skyblue", edgecolor="k", lw=0.3)
    for value, style in ((cfg["on_below"], "--"), (cfg["off_above"], ":")):
        axes[0].axvline(value, c="k", ls=style, lw=0.8)
    axes[0].set(xlabel=f"|P_N ∇log p_t| / max at t = {groups['time']:.2g}, d* = {cfg['ridge_dim']}",
                ylabel="samples",
                title=f"the authors' reading: on < {cfg['on_below']:g} ({summary['on']['n']}), "
                      f"off > {cfg['off_above']:g} ({summary['off']['n']})\nframes resolved at this t: "
                      f"{100 * (summary['resolved_fraction'] or 0):.0f} %")
    bins = np.geomspace(max(distance[np.isfinite(distance)].min(), 1e-6), distance[np.isfinite(distance)].max(), 40)
    for name, colour in (("on", "C2"), ("off", "C3")):
        mask = groups[name]
        axes[1].hist(distance[mask], bins=bins, color=colour, alpha=0.6,
                     label=f"{name}: {summary[name]['n']} samples, {summary[name]['near_copies']} near-copies")
    axes[1].set(xscale="log", xlabel="distance to the nearest training latent", ylabel="samples",
                title="the same samples: how close to a training latent?")
    axes[1].legend(fontsize=7)
    axes[2].scatter(distance[~copies], normalized[~copies], s=4, c="C0", label="novel")
    axes[2].scatter(distance[copies], normalized[copies], s=4, c="C3",
                    label=f"near-copy (nearest < {max_copy_ratio:.2g} × second nearest)")
    corr = summary["rank_correlation_with_nearness"]
    axes[2].set(xscale="log", xlabel="distance to the nearest training latent", ylabel="normalized residual",
                title="residual against nearness" + ("" if corr is None else f" (Spearman {corr:.2f})"))
    axes[2].legend(fontsize=7)
    fig.suptitle(title or "The authors' on/off-ridge histogram and the nearest-latent distances")
    fig.tight_layout()
    return fig
