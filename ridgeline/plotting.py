"""Figures. Every function takes xarray Datasets read from the stores and returns a Figure."""

import numpy as np
import xarray as xr

from . import dims
from .figure_style import CLASS_COLOURS, PALETTE, apply_style, plt

apply_style()


def _nearest_times(available: np.ndarray, n_panels: int) -> list[int]:
    """Indices of ``n_panels`` snapshot times spread evenly in log time."""
    if n_panels >= available.size:
        return list(range(available.size))
    targets = np.geomspace(available[0], available[-1], n_panels)
    return sorted({int(np.abs(np.log(available) - np.log(t)).argmin()) for t in targets})


def reach_align_slide(ridges: xr.Dataset, samples: dict, train: np.ndarray, *, n_panels: int = 6,
                      max_points: int = 1000, title: str = "") -> plt.Figure:
    """Samples over the ridge of p_t at several inference times; one row per model.

    Parameters
    ----------
    ridges : store of the ``ridge_set`` rule (ridge points per time, ``on_ridge`` mask).
    samples : {model name: sample store (``states`` on (time, sample, coord))}.
    train : (n, 2) training points x_i (shown scaled, a_t x_i).
    """
    times = ridges[dims.TIME].values
    cols = _nearest_times(times, n_panels)
    fig, axes = plt.subplots(len(samples), len(cols), figsize=(2.6 * len(cols), 2.7 * len(samples)),
                             squeeze=False, sharex=True, sharey=True)
    for row, (model, store) in enumerate(samples.items()):
        for col, k in enumerate(cols):
            ax = axes[row, col]
            t = float(times[k])
            pts = ridges["ridge_points"].isel({dims.TIME: k}).values
            ok = ridges["on_ridge"].isel({dims.TIME: k}).values
            ax.scatter(*pts[ok].T, s=0.3, c="0.55", rasterized=True, label="ridge $R_t$")
            x = store["states"].sel({dims.TIME: t}, method="nearest").values[:max_points]
            ax.scatter(*x.T, s=1.5, c=PALETTE["blue"], alpha=0.5, rasterized=True, label="samples")
            ax.scatter(*(np.exp(-t) * train).T, marker="x", s=18, c=PALETTE["vermillion"], label="$a_t x_i$")
            ax.set_title(f"{model}, t = {t:.3g}", fontsize=9)
            ax.set_aspect("equal")
    lim = 1.35 * np.abs(train).max()
    axes[0, 0].set_xlim(-lim, lim)
    axes[0, 0].set_ylim(-lim, lim)
    axes[0, -1].legend(loc="upper right", fontsize=7, markerscale=2)
    fig.suptitle(title or "Reach, align, slide: samples approach and then move along the ridge of $p_t$")
    fig.tight_layout()
    return fig


def distance_curves(metrics: xr.Dataset, models: list[str], max_curves: int = 200,
                    title: str | None = None) -> plt.Figure:
    """Per-sample SCMS distance to the ridge vs inference time, with the median, per model."""
    fig, axes = plt.subplots(1, len(models), figsize=(7.0, 3.2), squeeze=False, sharey=True)
    for ax, model in zip(axes[0], models):
        d = metrics["scms_distance"].sel(model=model)
        t = metrics["t"].sel(model=model).values
        ax.plot(t, d.values[:, :max_curves], c=PALETTE["blue"], lw=0.3, alpha=0.3)
        ax.plot(t, np.nanmedian(d.values, axis=1), c="k", lw=2, label="median")
        ax.set_xscale("log")
        ax.set_yscale("symlog", linthresh=1e-3)
        ax.invert_xaxis()
        ax.set_xlabel("inference time t (reverse direction →)")
        ax.set_title(model)
    axes[0, 0].set_ylabel("distance to ridge |x - SCMS(x)|")
    axes[0, 0].legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig




def neural_vs_rf(ridges: xr.Dataset, finals: dict, metrics: xr.Dataset, train: np.ndarray, *, ridge_time: float,
                 max_points: int = 1000, title: str = "") -> plt.Figure:
    """Where each score model interpolates, and the normal / tangential score errors behind it.

    Top row: final samples of every model over the ridge of p_t at ``ridge_time``, coloured by
    final class. Bottom row: median |P_N e| and |P_T e| of the score error vs inference time, per
    score run, and the final class fractions.

    Parameters
    ----------
    ridges : store of the ``ridge_set`` rule.
    finals : {panel label: (final samples (B, 2), class index (B,) into ``metrics["class"]``)}.
    metrics : the aggregated metrics of this dataset and seed (dims model, time, sample, class).
    train : (n, 2) training points.
    """
    names = list(finals)
    width = max(3, len(names))
    fig, axes = plt.subplots(2, width, figsize=(7.0, 5.6), squeeze=False)
    k = int(np.abs(ridges[dims.TIME].values - ridge_time).argmin())
    pts, ok = ridges["ridge_points"].isel({dims.TIME: k}).values, ridges["on_ridge"].isel({dims.TIME: k}).values
    lim = 1.35 * np.abs(train).max()
    classes = [str(c) for c in metrics["class"].values]
    for ax, name in zip(axes[0], names):
        x, label = (np.asarray(v)[:max_points] for v in finals[name])
        ax.scatter(*pts[ok].T, s=0.3, c="0.8", rasterized=True)
        for j, cls in enumerate(classes):
            sel = label == j
            ax.scatter(*x[sel].T, s=2, c=CLASS_COLOURS.get(cls, "k"), alpha=0.6, rasterized=True,
                       label=f"{cls} ({sel.sum()})")
        ax.scatter(*train.T, marker="x", s=25, c="k")
        ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal")
        ax.set_title(name, fontsize=9)
        ax.legend(fontsize=6, markerscale=3, loc="lower right")
    for ax in axes[0, len(names):]:
        ax.axis("off")
    for ax, part, what in zip(axes[1], ("normal", "tangential"), ("normal $|P_N e|$\n(sets the distance to $R_t$)",
                                                                 "tangential $|P_T e|$\n(drives the slide along $R_t$)")):
        for model in metrics["model"].values:
            if model == "exact":
                continue
            t = metrics["t"].sel(model=model).values
            ax.plot(t, np.nanmedian(metrics[f"score_error_{part}"].sel(model=model).values, axis=1), label=model)
        ax.set(xscale="log", yscale="log", xlabel="inference time t", ylabel="median over samples")
        ax.set_title(f"score error at the samples, {what}", fontsize=9)
        ax.invert_xaxis()
        ax.legend(fontsize=7)
    fractions = np.stack([np.bincount(np.asarray(v[1]), minlength=len(classes)) / len(v[1]) for v in finals.values()])
    bottom = np.zeros(len(names))
    short = [n.split(":")[0] for n in names]
    for j, cls in enumerate(classes):
        axes[1, 2].bar(short, fractions[:, j], bottom=bottom, color=CLASS_COLOURS.get(cls), label=cls)
        bottom += fractions[:, j]
    axes[1, 2].set(ylabel="fraction of final samples", title="final classes")
    axes[1, 2].tick_params(axis="x", labelrotation=30, labelsize=7)
    axes[1, 2].legend(fontsize=7)
    for ax in axes[1, 3:]:
        ax.axis("off")
    fig.suptitle(title or "Interpolation depends on the architecture")
    fig.tight_layout()
    return fig
