"""The authors' on/off-ridge reading of latent samples, beside the nearest-latent distances (docs/method.md).

The authors' notebook computes, for each final sample at t = t_min (1e-3) and d* = 25, the raw ridge
residual |P_N grad log p_t|, divides every residual by the largest one, and calls a sample "on the
ridge" below 0.5 and "off the ridge" above 0.6. ridgeline reproduces that reading on the same
stores (``residual`` at the last snapshot) and reports, for each group, how close its samples
are to a training latent: at t = 1e-3 the frame is mostly unresolved and the split can separate
near-copies of training latents (small residual: the score vanishes at a training point) from
novel samples, which is memorization, not a ridge.
"""

import numpy as np
import xarray as xr

from . import dims
from .aggregate import run_snapshot_times
from .dims import RIDGE_DIM


def authors_groups(run: xr.Dataset, ridge_dim: int, on_below: float, off_above: float) -> dict:
    """Max-normalized residual at the last snapshot and the authors' on/off groups, for one run.

    Parameters
    ----------
    run : ridge store of one run (dims ridge_dim, time, sample) with ``residual``.
    ridge_dim : the d* of the reading (25 in the notebook). on_below, off_above : thresholds on
        the normalized residual (0.5, 0.6).

    Returns
    -------
    dict of (B,) arrays: ``normalized`` (residual / max residual; NaN where not finite), ``on``,
    ``off`` (bool), ``time`` (the snapshot time) and ``index`` (its position).
    """
    one = run.sel({RIDGE_DIM: ridge_dim})
    # the last snapshot of this run (an aggregated store pads runs with fewer snapshots with NaN)
    filled = np.flatnonzero(np.isfinite(one["residual"].values).any(axis=-1))
    last = int(filled[-1]) if filled.size else one.sizes[dims.TIME] - 1
    sel = one.isel({dims.TIME: last})
    residual = np.asarray(sel["residual"].values, dtype=float)
    finite = np.isfinite(residual)
    top = residual[finite].max() if finite.any() else np.nan
    normalized = np.where(finite, residual / top, np.nan) if top > 0 else np.full_like(residual, np.nan)
    with np.errstate(invalid="ignore"):
        on, off = normalized < on_below, normalized > off_above
    time = float(run_snapshot_times(sel))
    return {"normalized": normalized, "on": on, "off": off, "time": time, "index": last}


def rank_correlation(a, b) -> float:
    """Spearman rank correlation of two (n,) arrays over their finite pairs (NaN with fewer than 3)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    keep = np.isfinite(a) & np.isfinite(b)
    if keep.sum() < 3:
        return float("nan")
    ranks = [np.argsort(np.argsort(v[keep])).astype(float) for v in (a, b)]
    return float(np.corrcoef(ranks[0], ranks[1])[0, 1])


def authors_summary(run: xr.Dataset, cfg: dict, max_copy_ratio: float) -> dict:
    """The authors' groups of one run with their sizes, near-copy counts and median nearest-latent distance.

    cfg : ``mnist.authors_view`` (ridge_dim, on_below, off_above). A sample is a near-copy when its
    nearest training latent is closer than ``max_copy_ratio`` times the second nearest.
    Returns a JSON-ready dict: ``time``, ``resolved_fraction`` at that time,
    ``rank_correlation_with_nearness`` (Spearman correlation of the normalized residual with the
    distance to the nearest training latent: where the frame is unresolved the residual measures
    that distance), and per group (``on``, ``between``, ``off``) n, near_copies and
    median_nearest_distance.
    """
    groups = authors_groups(run, cfg["ridge_dim"], cfg["on_below"], cfg["off_above"])
    present = np.isfinite(groups["normalized"])
    copies = run["nearest_ratio"].values < max_copy_ratio
    distance = run["nearest_distance"].values
    masks = {"on": groups["on"], "between": present & ~groups["on"] & ~groups["off"], "off": groups["off"]}
    resolved = run.sel({RIDGE_DIM: cfg["ridge_dim"]})["resolved"].values[groups["index"]] == 1
    correlation = rank_correlation(groups["normalized"], distance)
    out = {"ridge_dim": int(cfg["ridge_dim"]), "time": groups["time"],
           "resolved_fraction": float(resolved[present].mean()) if present.any() else None,
           "rank_correlation_with_nearness": correlation if np.isfinite(correlation) else None}
    for name, mask in masks.items():
        out[name] = {"n": int(mask.sum()), "near_copies": int((mask & copies).sum()),
                     "median_nearest_distance": float(np.median(distance[mask])) if mask.any() else None}
    return out
