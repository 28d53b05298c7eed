"""Figures of the checks: prediction against measurement, with the controls beside the models.

Every function takes Datasets or dicts read from the stores and returns a Figure.
"""

import numpy as np
import xarray as xr

from .figure_style import CLASS_COLOURS, PALETTE, plt

#: Colours of the score models and line styles of the controls, the same in every figure.
MODEL_COLOURS = {"exact": PALETTE["black"], "neural": PALETTE["blue"], "neural_gen": PALETTE["green"],
                 "rf": PALETTE["orange"]}
CONTROL_COLOURS = {"normal_removed": PALETTE["vermillion"], "random_field": PALETTE["purple"],
                   "tangential_push": PALETTE["sky"], "normal_shift": PALETTE["yellow"], "tangential_shift": PALETTE["grey"]}


#: Axis limit of the align and slide panels: controls built to fail lie far beyond it (their
#: statistics are in the legends).
OFFSET_LIMIT = 30.0


def _colour(name: str, k: int) -> str:
    return MODEL_COLOURS.get(name) or CONTROL_COLOURS.get(name.removeprefix("control_")) or f"C{k % 10}"


def _label(name: str, summary: dict, check: str) -> str:
    row = summary.get((name, check))
    if not row:
        return name
    verdicts = ", ".join(f"{n} {v}" for v, n in row["verdicts"].items())
    return f"{name}: {row['text']} ({verdicts})"


def phases_figure(runs: dict, summary: dict, cfg: dict, dim: int, ridge_dim: int, title: str) -> plt.Figure:
    """Reach, align and slide of one dataset: every model (all seeds) and every control (one seed).

    Parameters
    ----------
    runs : {name: metrics Dataset with a ``seed`` dimension} (score models as in metrics.zarr,
        controls ``control_<name>`` from their run stores, expanded to one seed).
    summary : {(name, check): summary row of checks.json / controls.json}.
    cfg : the ``checks`` config section. dim, ridge_dim : D and d.
    """
    fig, grid = plt.subplots(2, 2, figsize=(7.0, 7.6))
    axes = grid.ravel()
    for k, (name, ds) in enumerate(runs.items()):
        style = dict(c=_colour(name, k), ls="--" if name.startswith("control_") else "-")
        _reach_panel(axes[0], ds, name, style, summary)
        _align_panel(axes[1], ds, name, style, summary, cfg)
        if "slide_separation" in ds:
            _slide_panel(axes[2], ds, name, style, summary, cfg, "slide_response")
            _slide_panel(axes[3], ds, name, style, {}, cfg, "slide_integral")
    t_min = min(float(np.nanmin(ds["t"].values)) for ds in runs.values())
    axes[0].axvspan(cfg["reach"]["min_time"], t_min, color="0.92", zorder=0, label="not judged (slide phase)")
    axes[0].set(xscale="log", xlabel="inference time t (reverse direction →)",
                ylabel=f"fraction within {cfg['reach']['tube_scale']:g} √(h_t (D−d)) of $R_t$",
                title="Reach: tube fraction, model vs exact score")
    axes[0].invert_xaxis()
    axes[1].set(xlabel=r"predicted normal offset $|h_t P_N e(r)| / \sqrt{h_t}$",
                ylabel=r"measured offset along it $/ \sqrt{h_t}$",
                title=f"Align (t ≤ {cfg['align']['max_time']:g}, resolved frames): medians per bin")
    axes[2].set(xlabel="predicted: linear response $P_T R / a_t$", ylabel="measured: separation $P_T(y - y^e)/a_t$",
                title=f"Slide (t ≤ {cfg['slide']['start_time']:g}, coupled with the exact score)")
    axes[3].set(xlabel=r"plain integral $\int c\, P_T e / a_t\, d\tau$", ylabel="measured separation",
                title="Slide without the exact dynamics (fails its positive control)")
    for ax in axes[1:]:
        lim = min(OFFSET_LIMIT, max(1e-3, *np.abs(ax.get_xlim()), *np.abs(ax.get_ylim())))
        ax.plot([-lim, lim], [-lim, lim], c="0.5", lw=0.8, ls=":", label="measured = predicted")
        ax.set_xscale("symlog", linthresh=1e-2)
        ax.set_yscale("symlog", linthresh=1e-2)
        ax.set(xlim=(-1.2 * lim, 1.2 * lim), ylim=(-1.2 * lim, 1.2 * lim))
    for ax in axes:
        ax.legend(fontsize=5.5, loc="best", framealpha=0.8)
        ax.title.set_fontsize(8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def _reach_panel(ax, ds: xr.Dataset, name: str, style: dict, summary: dict) -> None:
    t = np.nanmedian(ds["t"].values, axis=0)
    frac = ds["tube_fraction"].values  # (seed, time)
    ax.plot(t, np.nanmedian(frac, axis=0), lw=2.2 if name == "exact" else 1.4, label=_label(name, summary, "reach"),
            **style)
    if frac.shape[0] > 1:
        ax.fill_between(t, np.nanmin(frac, axis=0), np.nanmax(frac, axis=0), color=style["c"], alpha=0.15, lw=0)


def _align_panel(ax, ds: xr.Dataset, name: str, style: dict, summary: dict, cfg: dict) -> None:
    if "offset_predicted" not in ds:
        return
    h = -np.expm1(-2.0 * ds["t"].values)[..., None]  # (seed, time, 1)
    window = ds["t"].values[..., None] <= cfg["align"]["max_time"]
    use = window & (ds["projection_gap"].values >= cfg["min_gap"]) & np.isfinite(ds["offset_along"].values)
    x = (ds["offset_predicted"].values / np.sqrt(h))[use]
    y = (ds["offset_along"].values / np.sqrt(h))[use]
    if x.size == 0:
        return
    edges = np.unique(np.quantile(x, np.linspace(0, 1, 9)))
    if edges.size < 2:
        ax.errorbar(np.median(x), np.median(y), fmt="o", c=style["c"], label=_label(name, summary, "align"))
        return
    which = np.clip(np.digitize(x, edges[1:-1]), 0, edges.size - 2)
    centre = [np.median(x[which == b]) for b in range(edges.size - 1) if (which == b).any()]
    stats = [np.quantile(y[which == b], [0.25, 0.5, 0.75]) for b in range(edges.size - 1) if (which == b).any()]
    q = np.asarray(stats)
    ax.errorbar(centre, q[:, 1], yerr=[q[:, 1] - q[:, 0], q[:, 2] - q[:, 1]], fmt="o", ms=3, lw=1, capsize=2,
                c=style["c"], ls=style["ls"], label=_label(name, summary, "align"))


def _slide_panel(ax, ds: xr.Dataset, name: str, style: dict, summary: dict, cfg: dict, predictor: str) -> None:
    ok = ds["slide_resolved_gap"].values >= cfg["min_gap"]
    x, y = ds[predictor].values[ok], ds["slide_separation"].values[ok]
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep][:1500], y[keep][:1500]
    ax.scatter(x, y, s=3, alpha=0.35, c=style["c"], marker="o" if style["ls"] == "-" else "x", rasterized=True,
               label=_label(name, summary, "slide") if summary else name)


def sweep_figure(sweep: xr.Dataset, title: str) -> plt.Figure:
    """Final classes, distance to the ridge and excess losses against training steps, per dataset.

    ``sweep`` is results/neural_sweep.zarr (dims dataset, seed, step, class): medians over seeds
    with their min-max band; the step with the most inter-mode samples is marked per seed.
    """
    datasets = list(sweep["dataset"].values)
    fig, axes = plt.subplots(2, len(datasets), figsize=(4.6 * len(datasets), 7.4), squeeze=False)
    colours = CLASS_COLOURS
    for col, dataset in enumerate(datasets):
        ds = sweep.sel(dataset=dataset)
        steps = ds["step"].values
        top, bottom = axes[0, col], axes[1, col]
        for name in ds["class"].values:
            frac = ds["class_fraction"].sel({"class": name}).values  # (seed, step)
            top.plot(steps, np.nanmedian(frac, axis=0), "o-", ms=3, c=colours.get(str(name)), label=str(name))
            top.fill_between(steps, np.nanmin(frac, axis=0), np.nanmax(frac, axis=0), color=colours.get(str(name)),
                             alpha=0.15, lw=0)
        inter = ds["class_fraction"].sel({"class": "inter_mode"}).values
        peaks = steps[np.nanargmax(inter, axis=1)]
        for peak in peaks:
            top.axvline(peak, c=PALETTE["green"], lw=0.8, ls=":")
        top.set(xscale="log", ylim=(0, 1), xlabel="training steps", ylabel="fraction of final samples",
                title=f"{dataset}: inter-mode peak at steps {sorted(set(int(p) for p in peaks))}")
        for var, colour, label in (("excess_normal", PALETTE["purple"], "normal excess loss"),
                                   ("excess_tangential", PALETTE["sky"], "tangential excess loss")):
            bottom.plot(steps, np.nanmedian(ds[var].values, axis=0), "s-", ms=3, c=colour, label=label)
        bottom.set(xscale="log", yscale="log", xlabel="training steps", ylabel="excess loss (length²)")
        twin = bottom.twinx()
        twin.plot(steps, np.nanmedian(ds["median_ridge_distance"].values, axis=0), "o--", ms=3, c="k",
                  label="median distance to the ridge")
        twin.set(yscale="log", ylabel="median final distance to the ridge")
        lines = bottom.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
        bottom.legend(lines, [ln.get_label() for ln in lines], fontsize=7)
        top.legend(fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def align_loss_figure(points: list[dict], fit: dict, title: str) -> plt.Figure:
    """Median final distance to the ridge against the normal excess loss, one point per model and seed."""
    fig, ax = plt.subplots(figsize=(7.5, 5.5))
    families = sorted({(p["family"], p["dataset"]) for p in points})
    markers = "os^vD<>p*h"
    for k, (family, dataset) in enumerate(families):
        sel = [p for p in points if (p["family"], p["dataset"]) == (family, dataset) and p["excess_normal"] > 0]
        if sel:
            ax.scatter([p["excess_normal"] for p in sel], [p["distance"] for p in sel], s=18, alpha=0.7,
                       marker=markers[k % len(markers)], label=f"{family}, {dataset}")
    positive = [p["excess_normal"] for p in points if p["excess_normal"] > 0]
    if np.isfinite(fit["slope"]) and positive:
        x = np.geomspace(min(positive), max(positive), 50)
        lo, hi = fit["slope_interval"]
        ax.plot(x, 10 ** fit["intercept"] * x ** fit["slope"], "k-",
                label=f"fit: slope {fit['slope']:.2f} [{lo:.2f}, {hi:.2f}], r = {fit['r']:.2f}, n = {fit['n']}")
        mid = np.exp(np.mean(np.log(x)))
        ax.plot(x, 10 ** (fit["intercept"] + fit["slope"] * np.log10(mid)) * (x / mid) ** fit["predicted_slope"],
                "k:", label=f"predicted slope {fit['predicted_slope']:g} (align)")
    ax.set(xscale="log", yscale="log", xlabel="normal excess loss (1/D) ∫λ E|P_N(m − m_t)|² dt",
           ylabel="median distance of the final samples to the reference ridge")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def summary_rows(reports: list[dict], dataset: str) -> dict:
    """{(run name, check): summary row} of one dataset from checks.json and controls.json contents."""
    rows = {}
    for report in reports:
        for row in report.get("summary", []):
            if row["dataset"] == dataset:
                rows[(row["model"], row["check"])] = row
        for e in report.get("entries", []):
            if e["dataset"] == dataset and e["control"] != "exact":
                stat = "undetermined" if e["statistic"] is None else f"{e['statistic']:.3g}"
                rows[(f"control_{e['control']}", e["check"])] = {"text": f"{stat}, {e['role']}",
                                                                  "verdicts": {e["verdict"]: 1}}
    return rows
