"""Moment matrices of the random-feature loss (docs/science.md 4b).

With features s = s(x, t), x = a_t y + sqrt(h_t) z, y = a_t x_i and lambda(t) = w_SM(t) / h_t^2:
U = E[lambda s s^T] (p x p), V = E[lambda y s^T] (D x p), c = E[lambda |y|^2], and the loss is
L(W) = (1/D) [tr(W U W^T) - 2 tr(V W^T) + c]. E averages over training points, integrates over
t with the time rule and over z with the normal rule. L* (the loss of the exact posterior mean
m_t, the minimum over all functions) is accumulated in the same pass.
"""

import logging
from dataclasses import dataclass

import torch

from ..empirical import SmoothedEmpirical
from ..forward import alpha, score_matching_weight, variance
from ..progress import Progress
from .quadrature import Quadrature

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
    """A block of R = J n Q quadrature points: J time nodes x n training points x Q normal nodes.

    x, y : (R, D) noisy points a_t x_i + sqrt(h_t) z and clean targets a_t x_i. t : (R,) times.
    w : (R,) weights (t-weight * lambda(t) * z-weight / n). nodes : (J,) the block's time nodes.
    clean : (J, n, D) the targets a_t x_i once per (node, point); z : (J, Q, D) or (1, Q, D) the
    normal nodes of each time node or of all; noise_scale : (J,) sqrt(h_t). Rows are ordered
    (node, point, normal node).
    """

    x: torch.Tensor
    y: torch.Tensor
    t: torch.Tensor
    w: torch.Tensor
    nodes: torch.Tensor
    clean: torch.Tensor
    z: torch.Tensor
    noise_scale: torch.Tensor

    def features(self, features) -> torch.Tensor:
        """Random features at the block's points; (R, p).

        The pre-activation W_x x + o(t) = (W_x a_t x_i + o(t)) + sqrt(h_t) W_x z is formed from its
        (node, point) and normal-node parts, so no (R, D) x (D, p) product and no (R, p) gather of
        the time offsets is needed.
        """
        J, n, dim = self.clean.shape
        offsets = features.time_offsets(self.nodes)  # (J, p)
        centre = torch.addmm(offsets.repeat_interleave(n, dim=0), self.clean.reshape(-1, dim), features.W_x.T)
        pre = torch.addcmul(centre.reshape(J, n, 1, -1), self.noise_scale[:, None, None, None],
                            (self.z @ features.W_x.T)[:, None])
        return pre.relu_().reshape(-1, features.p)


def quadrature_batches(data: torch.Tensor, quad: Quadrature, weighting: str, rows: int = 8192):
    """Yield :class:`QuadratureBlock` s of about ``rows`` points covering the whole (t, i, z) rule."""
    n, dim = data.shape
    device = data.device
    per_node = quad.z.ndim == 3
    wz = quad.z_weights.to(device)
    n_z = wz.shape[0]
    step = max(1, rows // (n * n_z))
    for start in range(0, quad.t.numel(), step):
        t = quad.t[start:start + step].to(device)
        z = (quad.z[start:start + step] if per_node else quad.z[None]).to(device)  # (J or 1, Q, D)
        a, h = alpha(t), variance(t)
        lam = quad.t_weights[start:start + step].to(device) * score_matching_weight(weighting, h) / h**2
        y = a[:, None, None] * data[None]  # (J, n, D)
        x = y[:, :, None, :] + h.sqrt()[:, None, None, None] * z[:, None]  # (J, n, Q, D)
        w = lam[:, None, None] * wz[None, None, :] / n
        node = torch.arange(t.numel(), device=device)[:, None, None].expand(-1, n, n_z).reshape(-1)
        yield QuadratureBlock(x.reshape(-1, dim), y[:, :, None, :].expand_as(x).reshape(-1, dim), t[node],
                              w.expand(-1, n, -1).reshape(-1), t, y, z, h.sqrt())


def add_gram(U: torch.Tensor, s: torch.Tensor, blocks: int = 4) -> None:
    """Add s^T s (s: (R, p)) to the upper triangle of U (p, p) in place; the lower one is not kept.

    One product per block row of the upper triangle, so about (blocks + 1) / (2 blocks) of the
    flops of the full s^T s (5/8 for 4 blocks); the symmetric rank-k update without a BLAS syrk.
    Call :func:`symmetrize_upper` when done.
    """
    p = s.shape[1]
    edges = [round(k * p / blocks) for k in range(blocks + 1)]
    for lo, hi in zip(edges[:-1], edges[1:]):
        U[lo:hi, lo:].addmm_(s[:, lo:hi].T, s[:, lo:])


def symmetrize_upper(U: torch.Tensor) -> torch.Tensor:
    """The symmetric matrix whose upper triangle is that of U."""
    return torch.triu(U) + torch.triu(U, 1).T


def rf_moments(features, data, *, weighting: str, quad: Quadrature, rows: int = 8192, logger=log) -> RFMoments:
    """Accumulate U, V, c and L* over the quadrature in chunks of about ``rows`` points."""
    data = torch.as_tensor(data, dtype=torch.float64, device=features.device)
    exact = SmoothedEmpirical(data)
    p, dim = features.p, data.shape[1]
    U = torch.zeros(p, p, dtype=torch.float64, device=data.device)
    V = torch.zeros(dim, p, dtype=torch.float64, device=data.device)
    c = l_star = torch.zeros((), dtype=torch.float64, device=data.device)
    total = quad.t.numel() * data.shape[0] * quad.z_weights.shape[0]
    with Progress(total, f"RF moments (w_SM={weighting}, p={p})", logger) as bar:
        for blk in quadrature_batches(data, quad, weighting, rows):
            root_w = blk.w.sqrt()[:, None]  # weights are positive: U = sum (sqrt(w) s)(sqrt(w) s)^T
            s = blk.features(features).mul_(root_w)
            add_gram(U, s)
            V += (root_w * blk.y).T @ s
            c = c + (blk.w * (blk.y**2).sum(1)).sum()
            l_star = l_star + (blk.w * ((exact.posterior_mean(blk.x, blk.t) - blk.y) ** 2).sum(1)).sum()
            bar.update(blk.x.shape[0])
    return RFMoments(symmetrize_upper(U), V, float(c), float(l_star) / dim, total)
