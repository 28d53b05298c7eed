"""Reach, align, slide: phase summaries of sample trajectories around the ridge (science.md 6).

Inputs are per-snapshot arrays on (time, sample) with times decreasing from T to t_min.
- reach: the first snapshot at which a sample is within the tube radius rho of the ridge;
- align: the measured distance to the ridge against the predicted normal offset h_t |e_N|, where
  e = s_model - grad log p_t is the model's score error and e_N its normal part (near the ridge the
  normal dynamics relax to the point where -y_N / h_t + e_N = 0);
- slide: the motion of the ridge projection in the late phase against the drift 2 int |e_T| dt that
  the tangential error adds to the reverse SDE (y <- y + [y + 2 s] dt + ...).
"""

import numpy as np
import torch

from .empirical import SmoothedEmpirical
from .ridge import ridge_frame_batched


def score_error_parts(model, dist: SmoothedEmpirical, x, t: float, ridge_dim: int) -> tuple[torch.Tensor, torch.Tensor]:
    """P_N e and P_T e of the score error e = s_model(x, t) - grad log p_t(x); each (B, D)."""
    x = dist._check_queries(x)
    normal, tangent = [], []
    for sl, frame in ridge_frame_batched(dist, x, t, ridge_dim):
        err = model.score(x[sl], t) - frame.score
        n = frame.normal_part(err)
        normal.append(n)
        tangent.append(err - n)
    return torch.cat(normal), torch.cat(tangent)


def offset_along_error(x: torch.Tensor, projection: torch.Tensor, normal_error: torch.Tensor) -> torch.Tensor:
    """Signed normal offset: the displacement x - proj(x) from the ridge along e_N / |e_N|; (B,).

    Zero where e_N = 0. Averaged over samples it measures the shift h_t |e_N| that the error
    causes, free of the symmetric spread of the samples around the ridge.
    """
    norm = normal_error.norm(dim=1)
    unit = normal_error / torch.where(norm > 0, norm, torch.ones_like(norm))[:, None]
    return ((x - projection) * unit).sum(dim=1)


def reach_times(times: np.ndarray, distance: np.ndarray, rho: float) -> np.ndarray:
    """Time of the first snapshot (from T downwards) with distance <= rho; NaN if never. (S,), (S, B) -> (B,)."""
    inside = distance <= rho
    first = inside.argmax(axis=0)
    return np.where(inside.any(axis=0), times[first], np.nan)


def tube_fraction(distance: np.ndarray, rho: float) -> np.ndarray:
    """Fraction of samples within rho of the ridge at each snapshot; (S, B) -> (S,)."""
    return (distance <= rho).mean(axis=1)


def offset_agreement(measured: np.ndarray, predicted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ratio mean(measured)/mean(predicted) and Pearson correlation across samples, per snapshot.

    measured : (S, B) signed normal offsets (:func:`offset_along_error`); predicted : (S, B) h_t |e_N|.
    Snapshots where the prediction vanishes for every sample (the exact score) give NaN.
    """
    mean_pred = predicted.mean(axis=1)
    ratio = np.where(mean_pred > 0, measured.mean(axis=1) / np.where(mean_pred > 0, mean_pred, 1.0), np.nan)
    corr = np.array([_pearson(m, p) for m, p in zip(measured, predicted)])
    return ratio, corr


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    if a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def late_drift(times: np.ndarray, projections: np.ndarray, tangential_error: np.ndarray,
               late_time: float) -> tuple[np.ndarray, np.ndarray]:
    """Slide: ridge-projection displacement vs 2 int |e_T| dt over the snapshots with t <= late_time.

    Parameters
    ----------
    times : (S,) decreasing. projections : (S, B, D) projections on R_t. tangential_error : (S, B).

    Returns
    -------
    drift (B,) = |proj(t_min)/a_tmin - proj(t_late)/a_tlate| (at data scale, so the shrinking of R_t
    with a_t is not counted), predicted (B,) = 2 int_{t_min}^{t_late} |e_T| dt (trapezoid).
    """
    late = times <= late_time
    if late.sum() < 2:
        nan = np.full(projections.shape[1], np.nan)
        return nan, nan
    idx = np.flatnonzero(late)
    start, end = (projections[k] * np.exp(times[k]) for k in (idx[0], idx[-1]))
    drift = np.linalg.norm(end - start, axis=1)
    t = times[idx]
    e = tangential_error[idx]
    predicted = 2.0 * np.sum((e[1:] + e[:-1]) / 2.0 * (t[:-1] - t[1:])[:, None], axis=0)
    return drift, predicted


def phase_summaries(metrics, rho: float, late_time: float) -> dict:
    """Reach / align / slide summaries of a :func:`ridgeline.metrics.trajectory_metrics` Dataset.

    Returns a dict of xarray Variables: ``reach_time`` (sample), ``tube_fraction`` (time), and, when
    the score-error split is present, ``offset_ratio`` and ``offset_correlation`` (time),
    ``late_drift`` and ``predicted_drift`` (sample).
    """
    from . import dims
    from .io import variable

    times = metrics[dims.TIME].values
    distance = metrics["scms_distance"].values
    out = {
        "reach_time": variable(reach_times(times, distance, rho), (dims.SAMPLE,),
                               f"first snapshot time within {rho} of the ridge (reach)"),
        "tube_fraction": variable(tube_fraction(distance, rho), (dims.TIME,),
                                  f"fraction of samples within {rho} of the ridge"),
    }
    if "normal_offset" in metrics:
        ratio, corr = offset_agreement(metrics["normal_offset"].values, metrics["predicted_offset"].values)
        drift, predicted = late_drift(times, metrics["projection"].values,
                                      metrics["score_error_tangential"].values, late_time)
        out.update(
            offset_ratio=variable(ratio, (dims.TIME,), "mean normal offset / mean predicted h_t |e_N| (align)"),
            offset_correlation=variable(corr, (dims.TIME,), "correlation of normal offset and h_t |e_N|"),
            late_drift=variable(drift, (dims.SAMPLE,), f"ridge-projection motion for t <= {late_time} (slide)",
                                "length"),
            predicted_drift=variable(predicted, (dims.SAMPLE,), f"2 int |e_T| dt over t <= {late_time}", "length"),
        )
    return out
