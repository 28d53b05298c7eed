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


class PhaseTotals:
    """Per-snapshot reach and align statistics accumulated over blocks of samples.

    The tube fraction needs a count per snapshot; the offset ratio and correlation need the
    means and centred (co)moments of the measured and predicted offsets, merged across blocks
    by the pairwise update of Chan, Golub & LeVeque (1979), so no (time, sample) array of all
    samples is ever held.

    Parameters
    ----------
    rho : tube radius around the ridge.
    """

    def __init__(self, rho: float):
        self.rho, self.n, self.inside, self.moments = float(rho), 0, None, None

    def add(self, distance: np.ndarray, measured: np.ndarray | None = None,
            predicted: np.ndarray | None = None) -> None:
        """Add a block: distances (S, b) to the ridge; optional offsets measured, predicted (S, b)."""
        inside = (distance <= self.rho).sum(axis=1)
        self.inside = inside if self.inside is None else self.inside + inside
        if measured is not None:
            block = _centred_moments(measured, predicted)
            self.moments = block if self.moments is None else _merge(self.moments, self.n, block, distance.shape[1])
        self.n += distance.shape[1]

    def tube_fraction(self) -> np.ndarray:
        """Fraction of samples within rho of the ridge at each snapshot; (S,)."""
        return self.inside / self.n

    def offset_agreement(self) -> tuple[np.ndarray, np.ndarray]:
        """Ratio mean(measured) / mean(predicted) and Pearson correlation across all samples added; (S,), (S,).

        Snapshots where the prediction vanishes for every sample (the exact score) give NaN, and
        so do correlations with a constant side.
        """
        mean_m, mean_p, ss_m, ss_p, cross = self.moments
        ratio = np.where(mean_p > 0, mean_m / np.where(mean_p > 0, mean_p, 1.0), np.nan)
        both = (ss_m > 0) & (ss_p > 0)
        corr = np.where(both, cross / np.sqrt(np.where(both, ss_m * ss_p, 1.0)), np.nan)
        return ratio, np.clip(corr, -1.0, 1.0)


def _centred_moments(a: np.ndarray, b: np.ndarray) -> tuple:
    """Means, centred sums of squares and cross products of (S, n) arrays along samples; each (S,)."""
    mean_a, mean_b = a.mean(axis=1), b.mean(axis=1)
    da, db = a - mean_a[:, None], b - mean_b[:, None]
    return mean_a, mean_b, (da * da).sum(axis=1), (db * db).sum(axis=1), (da * db).sum(axis=1)


def _merge(left: tuple, n_left: int, right: tuple, n_right: int) -> tuple:
    """Centred moments of the union of two sample sets from those of each."""
    mean_a, mean_b, ss_a, ss_b, cross = left
    r_mean_a, r_mean_b, r_ss_a, r_ss_b, r_cross = right
    n = n_left + n_right
    delta_a, delta_b = r_mean_a - mean_a, r_mean_b - mean_b
    weight = n_left * n_right / n
    return (mean_a + delta_a * n_right / n, mean_b + delta_b * n_right / n,
            ss_a + r_ss_a + delta_a**2 * weight, ss_b + r_ss_b + delta_b**2 * weight,
            cross + r_cross + delta_a * delta_b * weight)


def sample_phases(metrics, rho: float, late_time: float) -> dict:
    """Per-sample reach and slide of a :func:`ridgeline.metrics.trajectory_metrics` Dataset (any block of samples).

    Returns a dict of xarray Variables on (sample): ``reach_time`` and, when the score-error split
    is present, ``late_drift`` and ``predicted_drift``.
    """
    from . import dims
    from .io import variable

    times = metrics[dims.TIME].values
    out = {"reach_time": variable(reach_times(times, metrics["scms_distance"].values, rho), (dims.SAMPLE,),
                                  f"first snapshot time within {rho} of the ridge (reach)")}
    if "normal_offset" in metrics:
        drift, predicted = late_drift(times, metrics["projection"].values,
                                      metrics["score_error_tangential"].values, late_time)
        out.update(
            late_drift=variable(drift, (dims.SAMPLE,), f"ridge-projection motion for t <= {late_time} (slide)",
                                "length"),
            predicted_drift=variable(predicted, (dims.SAMPLE,), f"2 int |e_T| dt over t <= {late_time}", "length"),
        )
    return out


def add_block(totals: PhaseTotals, metrics) -> None:
    """Add a block's :func:`ridgeline.metrics.trajectory_metrics` Dataset to ``totals``."""
    if "normal_offset" in metrics:
        totals.add(metrics["scms_distance"].values, metrics["normal_offset"].values,
                   metrics["predicted_offset"].values)
    else:
        totals.add(metrics["scms_distance"].values)


def time_summaries(totals: PhaseTotals) -> dict:
    """Per-snapshot tube fraction and, when offsets were added, offset ratio and correlation (align)."""
    from . import dims
    from .io import variable

    out = {"tube_fraction": variable(totals.tube_fraction(), (dims.TIME,),
                                     f"fraction of samples within {totals.rho} of the ridge")}
    if totals.moments is not None:
        ratio, corr = totals.offset_agreement()
        out.update(
            offset_ratio=variable(ratio, (dims.TIME,), "mean normal offset / mean predicted h_t |e_N| (align)"),
            offset_correlation=variable(corr, (dims.TIME,), "correlation of normal offset and h_t |e_N|"),
        )
    return out


def phase_summaries(metrics, rho: float, late_time: float) -> dict:
    """Reach / align / slide summaries of a :func:`ridgeline.metrics.trajectory_metrics` Dataset.

    Returns a dict of xarray Variables: ``reach_time`` (sample), ``tube_fraction`` (time), and, when
    the score-error split is present, ``offset_ratio`` and ``offset_correlation`` (time),
    ``late_drift`` and ``predicted_drift`` (sample). Blocks of samples give the same through
    :func:`sample_phases` per block and one :class:`PhaseTotals` (see :mod:`ridgeline.metrics_store`).
    """
    totals = PhaseTotals(rho)
    add_block(totals, metrics)
    return {**sample_phases(metrics, rho, late_time), **time_summaries(totals)}
