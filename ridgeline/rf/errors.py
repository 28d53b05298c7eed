"""Excess loss of score models (random-feature readouts, networks) split into normal and tangential parts.

By Pythagoras L(W) - L* = (1/D) E[lambda |m_W - m_t|^2] (m_t the exact posterior mean). The error
e = m_W - m_t at each quadrature point (x, t) is split with the ridge frame of p_t at x:
|e|^2 = |P_N e|^2 + |P_T e|^2. For W(tau) and W(inf) this gives, per direction, the total excess
loss, the architectural bias (tau = inf) and the optimization error (their difference).
"""

from dataclasses import dataclass

import torch

from ..empirical import SmoothedEmpirical
from ..progress import Progress
from .moments import quadrature_batches
from .quadrature import Quadrature
from ..ridge import frame_from_moments


@dataclass
class ExcessLoss:
    """Per-readout (G,) sums over the quadrature, each already divided by D.

    Attributes
    ----------
    total : (1/D) E[lambda |m_W - m_t|^2]
    normal : (1/D) E[lambda |P_N (m_W - m_t)|^2]
    tangential : (1/D) E[lambda |P_T (m_W - m_t)|^2]
    direct_loss : (1/D) E[lambda |m_W - y|^2], L(W) evaluated point by point (a check on the moments)
    """

    total: torch.Tensor
    normal: torch.Tensor
    tangential: torch.Tensor
    direct_loss: torch.Tensor


def excess_loss(features, data, W: torch.Tensor, *, weighting: str, quad: Quadrature, ridge_dim: int = 1,
                rows: int = 8192, logger=None) -> ExcessLoss:
    """Excess loss of readouts W (G, D, p) split along the ridge frames of p_t."""
    W = W.to(features.device, torch.float64)

    def readout_means(blk):
        return torch.einsum("rp,gdp->grd", blk.features(features), W)

    return excess_loss_split(
        readout_means,
        W.shape[0],
        data,
        weighting=weighting,
        quad=quad,
        ridge_dim=ridge_dim,
        rows=rows,
        logger=logger,
        label=f"RF excess loss (w_SM={weighting})",
        device=features.device,
    )


def excess_loss_split(
    posterior_means,
    n_models: int,
    data,
    *,
    weighting: str,
    quad: Quadrature,
    ridge_dim: int = 1,
    rows: int = 8192,
    logger=None,
    label: str = "excess loss",
    device=None,
) -> ExcessLoss:
    """Excess loss of G score models, each split along the ridge frames of p_t at the quadrature points.

    Parameters
    ----------
    posterior_means : callable(block) -> (G, R, D) posterior means m(x, t) of the G models at the
        R points ``block.x`` and times ``block.t`` of a :class:`ridgeline.rf.moments.QuadratureBlock`.
    n_models : G. data : (n, D) training points. quad : the quadrature (time and normal rules).
    """
    data = torch.as_tensor(data, dtype=torch.float64, device=device)
    dist = SmoothedEmpirical(data)
    sums = torch.zeros(4, n_models, dtype=torch.float64, device=data.device)
    total = quad.t.numel() * data.shape[0] * quad.z_weights.shape[0]
    progress = Progress(total, label, logger) if logger else None
    for blk in quadrature_batches(data, quad, weighting, rows):
        mom = dist.moments(blk.x, blk.t, with_cov=True)
        frame = frame_from_moments(mom, ridge_dim, span=dist.span())
        m_w = posterior_means(blk)
        err = m_w - mom.mean[None]
        coef = torch.einsum("rdk,grd->grk", frame.normal, err)
        sq_err, sq_normal = (err**2).sum(2), (coef**2).sum(2)
        sums += torch.stack([sq_err, sq_normal, sq_err - sq_normal, ((m_w - blk.y[None]) ** 2).sum(2)]) @ blk.w
        if progress:
            progress.update(blk.x.shape[0])
    if progress:
        progress.close()
    sums = sums / data.shape[1]
    return ExcessLoss(*sums)
