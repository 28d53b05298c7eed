"""The figure of one analysed run (:mod:`ridgeline.analysis`): where the final samples are, how far
from the ridge they are over time, the tube fraction against the exact score's, and the checks."""

import numpy as np
import xarray as xr

from . import dims
from .figure_style import CLASS_COLOURS, PALETTE, TEXT_WIDTH, apply_style, plt
from .metrics import CLASSES

apply_style()


def analysis_figure(ds: xr.Dataset, train: np.ndarray, final=None, title: str = "") -> plt.Figure:
    """Four panels: the final samples by class (2-D data, when ``final`` (n, 2) is given) or their
    distance to the ridge by class, distance to the ridge against t, tube fractions against t, class
    counts with the check verdicts."""
    fig, axes = plt.subplots(2, 2, figsize=(TEXT_WIDTH, 5.6))
    if final is not None and train.shape[1] == 2:
        _final_samples(axes[0, 0], ds, train, np.asarray(final))
    else:
        _final_distances(axes[0, 0], ds)
    _distance(axes[0, 1], ds)
    _tube(axes[1, 0], ds)
    _classes(axes[1, 1], ds)
    fig.suptitle(title or "Your model against the ridge of the smoothed training distribution")
    fig.tight_layout()
    return fig


def _final_samples(ax, ds, train, final):
    label = ds["final_class"].values.astype(int)
    for k, name in enumerate(CLASSES):
        sel = label == k
        ax.scatter(*final[sel].T, s=3, c=CLASS_COLOURS[name], alpha=0.6, rasterized=True,
                   label=f"{name.replace('_', ' ')} ({int(sel.sum())})")
    ax.scatter(*train.T, marker="x", s=30, c=PALETTE["black"], label="training points")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_title("final samples by class")
    ax.legend(loc="best", markerscale=2)


def _final_distances(ax, ds):
    final = ds["final_class"].values.astype(int)
    d = ds["scms_distance"].isel({dims.TIME: -1}).values
    for k, name in enumerate(CLASSES):
        sel = final == k
        if sel.any():
            ax.hist(d[sel], bins=40, color=CLASS_COLOURS[name], alpha=0.7, label=name.replace("_", " "))
    ax.set_xlabel("final distance to the ridge")
    ax.set_ylabel("samples")
    ax.set_title("final samples by class")
    ax.legend()


def _distance(ax, ds):
    t = ds[dims.TIME].values
    d = np.maximum(ds["scms_distance"].values, 1e-8)  # on a log axis; 0 = on the ridge to SCMS tolerance
    q = np.nanquantile(d, [0.25, 0.5, 0.75], axis=1)
    ax.fill_between(t, q[0], q[2], color=PALETTE["blue"], alpha=0.25, label="quartiles")
    ax.plot(t, q[1], "o-", ms=3, color=PALETTE["blue"], label="median")
    if "tube_radius" in ds:
        ax.plot(t, ds["tube_radius"].values, "--", color=PALETTE["black"], label="reach tube radius")
    ax.set_yscale("log")
    _time_axis(ax, "distance to the ridge of $p_t$", "reach: distance to the ridge")


def _tube(ax, ds):
    t = ds[dims.TIME].values
    ax.plot(t, ds["tube_fraction"].values, "o-", ms=3, color=PALETTE["blue"], label="your model")
    if np.isfinite(ds["exact_tube_fraction"].values).any():
        ax.plot(t, ds["exact_tube_fraction"].values, "s--", ms=3, color=PALETTE["orange"], label="exact score")
    ax.set_ylim(-0.02, 1.02)
    _time_axis(ax, "fraction inside the reach tube", "reach: tube fraction")


def _time_axis(ax, ylabel: str, title: str) -> None:
    """Inference time on a log axis running in the reverse direction (T on the left), labels, legend."""
    ax.set_xscale("log")
    ax.invert_xaxis()
    ax.set_xlabel("inference time $t$ (OU convention)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()


def _classes(ax, ds):
    counts = ds["class_count"].values
    ax.bar(range(len(CLASSES)), counts, color=[CLASS_COLOURS[c] for c in CLASSES])
    ax.set_xticks(range(len(CLASSES)), [c.replace("_", " ") for c in CLASSES])
    ax.set_ylabel("final samples")
    verdicts = [f"{c}: {v}" for c, v in zip(ds["check"].values, ds["check_verdict"].values)]
    ax.set_title("final classes; checks: " + ", ".join(verdicts), fontsize=8)
