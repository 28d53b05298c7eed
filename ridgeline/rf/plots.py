"""Figures of the random-feature experiments (inputs: xarray Datasets read from the stores)."""

import math

from ..figure_style import PALETTE, apply_style, plt  # noqa: E402
import numpy as np  # noqa: E402

apply_style()

WEIGHT_LABELS = {"1": "$w_{SM}=1$", "h": "$w_{SM}=h_t$", "h2": "$w_{SM}=h_t^2$"}


def tau_label(tau: float) -> str:
    return r"$\tau=\infty$" if math.isinf(tau) else rf"$\tau={tau:g}$"


def kde_2d(points: np.ndarray, lower, upper, size: int) -> np.ndarray:
    """Gaussian KDE (Scott's bandwidth) of (B, 2) points on a size x size grid; (size, size)."""
    bw = points.std(axis=0).mean() * points.shape[0] ** (-1 / 6) + 1e-12
    gx, gy = (np.linspace(lo, hi, size) for lo, hi in zip(lower, upper))
    kx = np.exp(-((gx[:, None] - points[None, :, 0]) ** 2) / (2 * bw**2))  # (size, B)
    ky = np.exp(-((gy[:, None] - points[None, :, 1]) ** 2) / (2 * bw**2))
    return ky @ kx.T / (points.shape[0] * 2 * math.pi * bw**2)


def samples_figure(runs: list, train: np.ndarray, near_radius: float, max_points: int, kde_grid: int,
                   title: str) -> plt.Figure:
    """Final samples with a KDE background and n= counts at the training points.

    runs : list of (row label, taus (G,), final samples (G, B, 2)); one row per run, one panel per tau.
    """
    n_cols = max(len(r[1]) for r in runs)
    fig, axes = plt.subplots(len(runs), n_cols, figsize=(2.3 * n_cols, 2.4 * len(runs)), squeeze=False)
    pad = 1.5
    lower, upper = train.min(0) - pad, train.max(0) + pad
    for row, (label, taus, finals) in enumerate(runs):
        for col in range(n_cols):
            ax = axes[row, col]
            if col >= len(taus):
                ax.axis("off")
                continue
            x = finals[col]
            dens = kde_2d(x[np.isfinite(x).all(1)], lower, upper, kde_grid)
            image = ax.imshow(dens, origin="lower", extent=(lower[0], upper[0], lower[1], upper[1]), cmap="Blues",
                              aspect="auto")
            ax.scatter(*x[:max_points].T, s=0.5, c="k", alpha=0.3, rasterized=True)
            near = np.linalg.norm(x[:, None] - train[None], axis=2) <= near_radius
            for xi, count in zip(train, near.sum(0)):
                ax.scatter(*xi, marker="x", c=PALETTE["vermillion"], s=20)
                ax.annotate(f"n={count}", xi, textcoords="offset points", xytext=(3, 4), fontsize=7, color=PALETTE["vermillion"])
            ax.set_xlim(lower[0], upper[0])
            ax.set_ylim(lower[1], upper[1])
            ax.set_title(f"{label}, {tau_label(taus[col])}", fontsize=8)
            ax.set_xlabel("$x_1$")
            ax.set_ylabel("$x_2$")
    fig.suptitle(title)
    fig.tight_layout()
    fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.6, label="density of the final samples (KDE)")
    return fig


def zero_by_construction(flow, rtol: float = 1e-9) -> bool:
    """True when a flow store's normal architectural bias is zero up to round-off: two_mode's targets
    a_t x_i have no normal component, so W_inf fits none (only the initial readout's normal part,
    decaying with tau, gives finite-tau runs a normal error)."""
    return abs(float(flow["bias_normal"])) <= rtol * max(abs(float(flow["bias_tangential"])), 1e-300)


def errors_figure(flows: list, title: str) -> plt.Figure:
    """Normal and tangential excess loss vs tau (top) and bias vs optimization error (bottom).

    flows : list of (p, weighting, rf_flow store); one column per p, one colour per weighting.
    """
    ps = list(dict.fromkeys(p for p, _, _ in flows))
    fig, axes = plt.subplots(2, len(ps), figsize=(max(7.5, 5.2 * len(ps)), 7.5), squeeze=False)
    floor = {}
    colors = {"1": PALETTE["blue"], "h": PALETTE["orange"], "h2": PALETTE["green"]}
    for p, w, ds in flows:
        col = ps.index(p)
        tau = ds["tau"].values
        finite = np.isfinite(tau)
        top, bottom = axes[0, col], axes[1, col]
        c = colors[w]
        bottom.plot(tau[finite], ds["optimization"].values[finite], "-o", c=c, ms=3,
                    label=f"optimization error, {WEIGHT_LABELS[w]}")
        bottom.axhline(float(ds["bias"]), c=c, ls=":", label=f"architectural bias, {WEIGHT_LABELS[w]}")
        top.plot(tau[finite], ds["excess_tangential"].values[finite], "-o", c=c, ms=3,
                 label=f"tangential, {WEIGHT_LABELS[w]}")
        top.axhline(float(ds["bias_tangential"]), c=c, lw=0.8, ls="-", alpha=0.6)
        top.plot(tau[finite], ds["excess_normal"].values[finite], "--s", c=c, ms=3, label=f"normal, {WEIGHT_LABELS[w]}")
        shown = np.concatenate([ds["excess_tangential"].values[finite], ds["excess_normal"].values[finite]])
        floor[col] = min(floor.get(col, np.inf), shown[shown > 0].min() / 3)
        if zero_by_construction(ds):
            top.annotate(f"normal bias 0 by construction ({WEIGHT_LABELS[w]}): the targets have no normal component",
                         (0.02, 0.03 + 0.06 * list(colors).index(w)), xycoords="axes fraction", fontsize=6, color=c)
        elif float(ds["bias_normal"]) >= floor[col]:
            top.axhline(float(ds["bias_normal"]), c=c, lw=0.8, ls="--", alpha=0.6)
        else:
            top.annotate(f"normal bias {float(ds['bias_normal']):.1e} ({WEIGHT_LABELS[w]})", (0.02, 0.03 + 0.06 * list(
                colors).index(w)), xycoords="axes fraction", fontsize=6, color=c)
    for col, p in enumerate(ps):
        axes[0, col].set_ylim(bottom=floor[col])
        for ax in axes[:, col]:
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel(r"gradient-flow time $\tau$")
            ax.legend(fontsize=6)
        axes[0, col].set_title(f"p = {p}: excess loss by direction (lines: " + r"$\tau=\infty$)", fontsize=9)
        axes[0, col].set_ylabel(r"$(1/D)\,E[\lambda |P(m_W - m_t)|^2]$")
        axes[1, col].set_title(f"p = {p}: optimization error vs architectural bias", fontsize=9)
        axes[1, col].set_ylabel("excess loss")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def residual_figure(runs: list, title: str, bins: int = 40) -> plt.Figure:
    """Histograms of the h_t-scaled ridge residual of the final samples, one curve per tau.

    runs : list of (label, taus (G,), scaled residuals (G, B)).
    """
    fig, axes = plt.subplots(1, len(runs), figsize=(4.2 * len(runs), 3.4), squeeze=False, sharey=True)
    for ax, (label, taus, res) in zip(axes[0], runs):
        finite = res[np.isfinite(res) & (res > 0)]
        lo, hi = (np.log10(finite.min()), np.log10(finite.max())) if finite.size else (-8, 0)
        edges = np.logspace(lo, hi + 1e-9, bins + 1)
        cmap = plt.get_cmap("viridis")
        for k, (tau, r) in enumerate(zip(taus, res)):
            ax.hist(r[r > 0], bins=edges, histtype="step", color=cmap(k / max(1, len(taus) - 1)), label=tau_label(tau))
        ax.set_xscale("log")
        ax.set_xlabel(r"scaled ridge residual $h_t\,|E^T\nabla\log p_t|$ at $t_{min}$")
        ax.set_title(label, fontsize=9)
    axes[0, 0].set_ylabel("final samples")
    axes[0, -1].legend(fontsize=6)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def segment_figure(runs: list, train, start, end, tube: float, title: str) -> plt.Figure:
    """Density of the position along the segment ``start`` -> ``end`` of final samples within ``tube``
    of its line; the training points on the segment are marked.

    runs : list of (label, taus (G,), final samples (G, B, 2)). Position s = 0 at ``start``, 1 at ``end``.
    """
    a, b = np.asarray(start, dtype=float), np.asarray(end, dtype=float)
    length = float(np.linalg.norm(b - a))
    u = (b - a) / length
    normal = np.array([-u[1], u[0]])
    fig, axes = plt.subplots(1, len(runs), figsize=(max(7.0, 5 * len(runs)), 3.6), squeeze=False)
    cmap = plt.get_cmap("viridis")
    on_segment = [(p - a) @ u / length for p in np.asarray(train, dtype=float)
                  if abs((p - a) @ normal) < 1e-9 * length and 0 < (p - a) @ u < length]
    for ax, (label, taus, finals) in zip(axes[0], runs):
        for k, (tau, x) in enumerate(zip(taus, finals)):
            close = np.abs((x - a) @ normal) < tube
            s = (x[close] - a) @ u / length
            ax.hist(s, bins=np.linspace(-0.1, 1.1, 49), density=False, histtype="step",
                    color=cmap(k / max(1, len(taus) - 1)), label=f"{tau_label(tau)} ({close.sum()})")
        for k, s0 in enumerate(on_segment):
            ax.axvline(s0, c=PALETTE["vermillion"], ls=":", lw=1, label="training point" if k == 0 else None)
        ax.set_xlabel(f"position along the segment: {tuple(a)} → {tuple(b)}")
        ax.set_ylabel("final samples")
        ax.set_title(label, fontsize=9)
        ax.legend(fontsize=6)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def gd_vs_flow_figure(ds, title: str) -> plt.Figure:
    """|A_GD - A_flow| and the distance travelled by the flow vs tau."""
    fig, ax = plt.subplots(figsize=(5, 3.6))
    tau = ds["tau"].values
    ax.loglog(tau, ds["gap"].values, "-o", label=r"$|A_{GD} - A_{flow}|_F$")
    ax.loglog(tau, ds["moved"].values, "--s", label=r"$|A_{flow}(\tau) - A_0|_F$")
    ax.set_xlabel(r"$\tau = \eta \cdot$steps$/D$")
    ax.set_ylabel("Frobenius norm")
    ax.set_title(f"{title}\n(eta = {ds.attrs.get('eta', float('nan')):g})", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
