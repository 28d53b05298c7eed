"""SCMS tangent frames tracked by subspace iteration (docs/method.md, "Frames at scale").

An SCMS iteration needs only the top-d eigenvectors T of Cov_w (the tangent space; the step is
(I - T T^T)(m - x)); the curvature condition and the eigengap matter only where a point stops.
Between iterations a point moves little, so its frame moves little: a block of k = d + 2 vectors
carried from the previous iterate and refined by one or two sweeps of subspace iteration,

    V <- orth(Cov_w V),  then Rayleigh-Ritz in span(V),

tracks T without decomposing Cov_w: a sweep costs two (D x D) @ (D x k) products, a QR of
D x k and a k x k eigenproblem, O(D^2 k) per query instead of the O(D^3) of a decomposition.

Accuracy. For each tangent Ritz pair (mu_j, v_j), r_j = |Cov_w v_j - mu_j v_j| over the Ritz gap
delta = mu_d - mu_{d+1} estimates the angle to the true eigenvector (Davis-Kahan); it bounds it
once the Ritz pairs have separated from the rest of the spectrum, as they have from the previous
iterate's frame, but not from an arbitrary start. A query whose estimate exceeds ``angle_tol``
gets more sweeps, and after ``max_sweeps`` its frame is taken from the full decomposition. The
certificate is elsewhere: SCMS stops a point only when the full decomposition's stopping value is
below the tolerance, and records that decomposition's curvature condition and eigengap, so
converged points are judged exactly as on the reference path.
"""

from dataclasses import dataclass

import torch

from .empirical import SmoothedEmpirical
from .ridge import FrameResiduals, project_onto

#: Bound on the angle between a tracked tangent vector and the true one.
DEFAULT_ANGLE_TOL = 1e-10


@dataclass
class TangentFrame(FrameResiduals):
    """Tangent space and exact score at B queries (float64).

    Attributes
    ----------
    tangent : (B, D, d) orthonormal. block : (B, D, k) the tracked block (its first d columns are
    ``tangent``), carried to the next iteration. score : (B, D). step : (B, D) m - x. h : (B, 1).
    angle_bound : (B,) the residual estimate of the tangent's angle error (0: full decomposition).
    """

    tangent: torch.Tensor
    block: torch.Tensor
    score: torch.Tensor
    step: torch.Tensor
    h: torch.Tensor
    angle_bound: torch.Tensor

    def normal_part(self, v: torch.Tensor) -> torch.Tensor:
        """(I - T T^T) v; shape (B, D)."""
        return v - project_onto(self.tangent, v)


def _ritz(cov: torch.Tensor, block: torch.Tensor):
    """Rayleigh-Ritz of ``cov`` (B, D, D) in span(block) (B, D, k), orthonormal: descending values
    (B, k), vectors (B, D, k), and the residual norms |Cov v - mu v| (B, k)."""
    cv = cov @ block
    mu, u = torch.linalg.eigh(block.transpose(1, 2) @ cv)
    mu, u = mu.flip(1), u.flip(2)
    vectors = block @ u
    residual = (cv @ u - vectors * mu[:, None, :]).norm(dim=1)
    return mu, vectors, residual


def track_tangent(dist: SmoothedEmpirical, x, t, ridge_dim: int, block: torch.Tensor, *,
                  angle_tol=DEFAULT_ANGLE_TOL, max_sweeps: int = 8) -> TangentFrame:
    """The tangent frame at x (B, D) from the block of the previous iterate (B, D, k), k > d.

    ``angle_tol`` (scalar or (B,)): the angle estimate each query needs; queries sweep
    until they reach it, and after ``max_sweeps`` take the full decomposition.
    """
    mom = dist.moments(x, t, with_cov=True)
    d, batch = ridge_dim, x.shape[0]
    need = torch.as_tensor(angle_tol, dtype=x.dtype, device=x.device).expand(batch)
    bound = torch.full((batch,), torch.inf, dtype=x.dtype, device=x.device)
    block = block.clone()
    todo = torch.arange(batch, device=x.device)
    for sweep in range(max_sweeps):
        cov = mom.cov[todo]
        # the first pass refines the carried block in place; later ones are subspace-iteration sweeps
        cur = block[todo] if sweep == 0 else torch.linalg.qr(cov @ block[todo]).Q
        mu, vectors, residual = _ritz(cov, cur)
        gap = (mu[:, d - 1] - mu[:, d]).clamp_min(1e-300)
        block[todo], bound[todo] = vectors, residual[:, :d].max(dim=1).values / gap
        todo = todo[bound[todo] > need[todo]]
        if todo.numel() == 0:
            break
    if todo.numel():  # after max_sweeps: the full decomposition for those queries
        _, evecs = torch.linalg.eigh(mom.cov[todo])
        block[todo] = evecs.flip(2)[:, :, : block.shape[2]]
        bound[todo] = 0.0
    return TangentFrame(block[:, :, :d], block, mom.shift / mom.h, mom.shift, mom.h, bound)


def initial_block(dist: SmoothedEmpirical, x, t, ridge_dim: int) -> torch.Tensor:
    """The top d + 2 eigenvectors of Cov_w at x from the full decomposition; (B, D, min(d + 2, D))."""
    _, evecs = torch.linalg.eigh(dist.moments(x, t, with_cov=True).cov)
    k = min(ridge_dim + 2, x.shape[1])
    return evecs.flip(2)[:, :, :k].contiguous()
