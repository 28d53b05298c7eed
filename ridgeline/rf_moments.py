"""Moment matrices of the random-feature loss (science.md 4b).

With features s = s(x, t), x = a_t y + sqrt(h_t) z, y = a_t x_i and lambda(t) = w_SM(t) / h_t^2:
U = E[lambda s s^T] (p x p), V = E[lambda y s^T] (D x p), c = E[lambda |y|^2], and the loss is
L(W) = (1/D) [tr(W U W^T) - 2 tr(V W^T) + c]. E averages over training points, integrates over
t with the time rule and over z with the normal rule. L* (the loss of the exact posterior mean
m_t, the minimum over all functions) is accumulated in the same pass.
"""

import logging
from dataclasses import dataclass

import torch

from .empirical import SmoothedEmpirical
from .forward import alpha, score_matching_weight, variance
from .progress import Progress
from .rf_quadrature import Quadrature

log = logging.getLogger(__name__)


@dataclass
class RFMoments:
    """U (p, p), V (D, p), c, the irreducible loss L* and the number of feature evaluations."""

    U: torch.Tensor
    V: torch.Tensor
    c: float
    l_star: float
    n_evaluations: int


@dataclass
class QuadratureBlock:
    """A block of R quadrature points sharing J time nodes.

    x, y : (R, D) noisy points and clean targets a_t x_i. t : (R,) times. w : (R,) weights
    (t-weight * lambda(t) * z-weight / n). nodes : (J,) the block's time nodes; node : (R,) index
    of each row's node (so time-only quantities are computed J times, not R times).
    """

    x: torch.Tensor
    y: torch.Tensor
    t: torch.Tensor
    w: torch.Tensor
    nodes: torch.Tensor
    node: torch.Tensor

    def features(self, features) -> torch.Tensor:
        """Random features at the block's points; (R, p)."""
        return features.with_offsets(self.x, features.time_offsets(self.nodes)[self.node])


def quadrature_batches(data: torch.Tensor, quad: Quadrature, weighting: str, rows: int = 8192):
    """Yield :class:`QuadratureBlock` s of about ``rows`` points covering the whole (t, i, z) rule."""
    n, dim = data.shape
    device = data.device
    z, wz = quad.z.to(device), quad.z_weights.to(device)
    per_time = n * z.shape[0]
    step = max(1, rows // per_time)
    for start in range(0, quad.t.numel(), step):
        t = quad.t[start:start + step].to(device)
        a, h = alpha(t), variance(t)
        lam = quad.t_weights[start:start + step].to(device) * score_matching_weight(weighting, h) / h**2
        y = a[:, None, None] * data[None]  # (J, n, D)
        x = y[:, :, None, :] + h.sqrt()[:, None, None, None] * z[None, None]  # (J, n, Q, D)
        w = lam[:, None, None] * wz[None, None, :] / n
        node = torch.arange(t.numel(), device=device)[:, None, None].expand(-1, n, z.shape[0]).reshape(-1)
        yield QuadratureBlock(x.reshape(-1, dim), y[:, :, None, :].expand_as(x).reshape(-1, dim), t[node],
                              w.expand(-1, n, -1).reshape(-1), t, node)


def rf_moments(features, data, weighting: str, quad: Quadrature, rows: int = 8192, logger=log) -> RFMoments:
    """Accumulate U, V, c and L* over the quadrature in chunks of about ``rows`` points."""
    data = torch.as_tensor(data, dtype=torch.float64, device=features.device)
    exact = SmoothedEmpirical(data)
    p, dim = features.p, data.shape[1]
    U = torch.zeros(p, p, dtype=torch.float64, device=data.device)
    V = torch.zeros(dim, p, dtype=torch.float64, device=data.device)
    c = l_star = torch.zeros((), dtype=torch.float64, device=data.device)
    total = quad.t.numel() * data.shape[0] * quad.z.shape[0]
    with Progress(total, f"RF moments (w_SM={weighting}, p={p})", logger) as bar:
        for blk in quadrature_batches(data, quad, weighting, rows):
            s = blk.features(features)
            U += s.T @ (blk.w[:, None] * s)
            V += (blk.w[:, None] * blk.y).T @ s
            c = c + (blk.w * (blk.y**2).sum(1)).sum()
            l_star = l_star + (blk.w * ((exact.posterior_mean(blk.x, blk.t) - blk.y) ** 2).sum(1)).sum()
            bar.update(blk.x.shape[0])
    return RFMoments(U, V, float(c), float(l_star) / dim, total)
