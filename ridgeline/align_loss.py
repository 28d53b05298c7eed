"""Align across models: distance of the final samples to the ridge against the normal excess loss.

Align predicts a normal offset h_t |e_N| from the normal score error, so across models the
distance of the final samples to the (reference) ridge should grow like the root of the normal
excess loss, (1/D) int lambda E|P_N (m - m_t)|^2 dt = (1/D) int lambda h_t^2 E|e_N|^2 dt: a
slope of 1/2 on log-log axes. The points are the random-feature readouts of the tau sweep and the
checkpoints of the neural training sweep, one per (run, seed); the fit is least squares on
log10 values with a bootstrap interval of the slope.
"""

import math

import numpy as np

#: The slope align predicts for log(distance) against log(normal excess loss).
PREDICTED_SLOPE = 0.5


def sweep_points(sweeps: dict) -> list[dict]:
    """One point per checkpoint of every neural sweep store: {(dataset, seed): Dataset}."""
    points = []
    for (dataset, seed), ds in sweeps.items():
        for k, step in enumerate(ds["step"].values):
            points.append({"family": "neural", "dataset": dataset, "seed": int(seed), "label": f"step {int(step)}",
                           "excess_normal": float(ds["excess_normal"].values[k]),
                           "excess_tangential": float(ds["excess_tangential"].values[k]),
                           "distance": float(ds["median_ridge_distance"].values[k])})
    return points


def rf_points(runs: dict) -> list[dict]:
    """One point per tau of every random-feature run: {(dataset, p, weighting, seed): (metrics, flow)}."""
    points = []
    for (dataset, p, weighting, seed), (metrics, flow) in runs.items():
        distance = np.median(metrics["ridge_distance"].values, axis=1)
        for k, tau in enumerate(metrics["tau"].values):
            j = int(np.flatnonzero(flow["tau"].values == tau)[0])
            points.append({"family": f"rf p={p} w={weighting}", "dataset": dataset, "seed": int(seed),
                           "label": f"tau {tau:g}", "excess_normal": float(flow["excess_normal"].values[j]),
                           "excess_tangential": float(flow["excess_tangential"].values[j]),
                           "distance": float(distance[k])})
    return points


def fit_log_log(points: list[dict], n_boot: int = 2000, seed: int = 0, zero_rtol: float = 1e-9) -> dict:
    """Least-squares fit of log10(distance) on log10(normal excess loss), with a bootstrap slope interval.

    Points whose normal excess is zero by construction (at most ``zero_rtol`` of their tangential
    excess, e.g. a set whose targets have no normal component) or not finite are left out and
    counted. Returns slope, intercept, Pearson r, n, the 95 % bootstrap interval of the slope and
    the predicted slope.
    """
    keep = [p for p in points if math.isfinite(p["excess_normal"]) and math.isfinite(p["distance"])
            and p["distance"] > 0 and p["excess_normal"] > zero_rtol * max(p["excess_tangential"], 0.0)]
    out = {"predicted_slope": PREDICTED_SLOPE, "n": len(keep), "excluded": len(points) - len(keep)}
    if len(keep) < 3:
        return {**out, "slope": math.nan, "intercept": math.nan, "r": math.nan, "slope_interval": [math.nan] * 2}
    x = np.log10([p["excess_normal"] for p in keep])
    y = np.log10([p["distance"] for p in keep])
    slope, intercept = np.polyfit(x, y, 1)
    rng = np.random.default_rng(seed)
    boot = [np.polyfit(x[i], y[i], 1)[0] for i in (rng.integers(0, len(x), len(x)) for _ in range(n_boot))
            if np.ptp(x[i]) > 0]
    return {**out, "slope": float(slope), "intercept": float(intercept), "r": float(np.corrcoef(x, y)[0, 1]),
            "slope_interval": [float(np.quantile(boot, 0.025)), float(np.quantile(boot, 0.975))]}
