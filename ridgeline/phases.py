"""Reach and align measurements of sample trajectories around the ridge (docs/method.md).

Inputs are per-snapshot arrays on (time, sample) with times decreasing from T to t_min.
- reach: the distance |x - r| of a sample x to its ridge projection r = SCMS(x) against a tube
  whose radius follows the normal width of p_t itself, rho_t = c sqrt(h_t (D - d));
- align: the offset predicted from the model's score error *at the ridge*, h_t P_N e(r) with
  e = s_model - grad log p_t, against the measured normal offset P_N (x - r).
The slide measurements need a coupled run (:mod:`ridgeline.coupling`).
"""

import numpy as np
import torch

from .empirical import SmoothedEmpirical
from .forward import variance
from .ridge import ridge_frame_batched


def tube_radius(t, dim: int, ridge_dim: int, scale: float):
    """rho_t = scale sqrt(h_t (D - d)): ``scale`` normal widths of p_t (float or array like ``t``)."""
    return scale * np.sqrt(-np.expm1(-2.0 * np.asarray(t, dtype=np.float64)) * (dim - ridge_dim))


def score_error_parts(model, dist: SmoothedEmpirical, x, t: float, ridge_dim: int) -> tuple[torch.Tensor, torch.Tensor]:
    """P_N e and P_T e of the score error e = s_model(x, t) - grad log p_t(x) in the frame at x; each (B, D)."""
    x = dist._check_queries(x)
    normal, tangent = [], []
    for sl, frame in ridge_frame_batched(dist, x, t, ridge_dim):
        err = model.score(x[sl], t) - frame.score
        n = frame.normal_part(err)
        normal.append(n)
        tangent.append(err - n)
    return torch.cat(normal), torch.cat(tangent)


def align_measures(model, dist: SmoothedEmpirical, x, projection, t: float, ridge_dim: int) -> dict:
    """Predicted and measured normal offsets of samples x (B, D) from their ridge projections (B, D).

    In the frame of p_t at the projection r: predicted p = h_t P_N e(r), measured m = P_N (x - r).

    Returns
    -------
    dict of (B,) tensors: ``offset_predicted`` |p|, ``offset_along`` m . p / |p| (0 where p = 0),
    ``offset_residual`` |m - p|, ``offset_measured`` |m| and ``projection_gap`` h_t (lambda_d -
    lambda_{d+1}) at r (the frame is resolved where it is not negligible).
    """
    x, r = dist._check_queries(x), dist._check_queries(projection)
    h = variance(float(t))
    out = {k: [] for k in ("offset_predicted", "offset_along", "offset_residual", "offset_measured", "projection_gap")}
    for sl, frame in ridge_frame_batched(dist, r, t, ridge_dim):
        p = h * frame.normal_part(model.score(r[sl], t) - frame.score)
        m = frame.normal_part(x[sl] - r[sl])
        size = p.norm(dim=1)
        out["offset_predicted"].append(size)
        out["offset_along"].append(torch.where(size > 0, (m * p).sum(dim=1) / size.clamp_min(1e-300), torch.zeros_like(size)))
        out["offset_residual"].append((m - p).norm(dim=1))
        out["offset_measured"].append(m.norm(dim=1))
        out["projection_gap"].append(h * frame.eigengap())
    return {k: torch.cat(v) for k, v in out.items()}


def reach_times(times: np.ndarray, distance: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """Time of the first snapshot (from T downwards) inside the tube; NaN if never. (S,), (S, B), (S,) -> (B,)."""
    inside = distance <= np.asarray(radii)[:, None]
    first = inside.argmax(axis=0)
    return np.where(inside.any(axis=0), times[first], np.nan)


class TubeCounts:
    """Samples inside the reach tube at each snapshot, accumulated over blocks of samples.

    Parameters
    ----------
    radii : (S,) tube radius at each snapshot (:func:`tube_radius`).
    """

    def __init__(self, radii):
        self.radii, self.n, self.inside = np.asarray(radii, dtype=np.float64), 0, None

    def add(self, distance: np.ndarray) -> None:
        """Add a block of distances (S, b) to the ridge."""
        inside = (distance <= self.radii[:, None]).sum(axis=1)
        self.inside = inside if self.inside is None else self.inside + inside
        self.n += distance.shape[1]

    def fraction(self) -> np.ndarray:
        """Fraction of samples within the tube at each snapshot; (S,)."""
        return self.inside / self.n
