"""Ridge frames from the significantly weighted training points only (docs/method.md, "Frames at scale").

At a query x the covariance Cov_w = sum_i w_i (a y_i - m)(a y_i - m)^T of p_t's posterior is
dominated, at small t, by the few points whose weight w_i is not negligible. Keeping per query the
K largest weights (K doubled from 8 until at most ``weight_tol`` of the mass is left out, at
least d + 1), renormalised to w'_i on that set S, gives Cov' = Z^T Z with Z = sqrt(w') (a y - m')
of shape (K, D): a matrix of rank at most K whose eigenpairs come from the K x K Gram matrix
Z Z^T (a Rayleigh-Ritz step that is exact in span(Z)), at O(K^2 D + K^3) per query instead of
O(n D^2 + D^3). Every other direction is an eigenvector of Cov' with eigenvalue 0, so the
Hessian -I/h + Cov/h^2 has eigenvalue -1/h there: the normal frame never needs to be formed.

Certified bound. With the dropped mass eps = sum_{i not in S} w_i and
R = max_{i not in S} |a y_i - m'| <= max_i |x - a y_i| + |x - m'|,

    || Cov_w - Cov' ||_2 <= eps (||Cov'||_2 + R^2) + eps^2 R^2 <= eps (||Cov'||_2 + 2 R^2),

since Cov_w - Cov' = eps (E_u[(Y - m')(Y - m')^T] - Cov') - eps^2 (m_u - m')(m_u - m')^T for the
dropped points' normalised weights u. Each frame reports eps and this bound (``cov_error_bound``);
by Davis-Kahan the tangent space moves by at most bound / (h^2 beta) for the Hessian eigengap beta.
The score and the mean-shift step are exact (all n points): only the frame is truncated.
"""

from dataclasses import dataclass

import torch

from .empirical import SmoothedEmpirical
from .ridge import FrameResiduals, RidgeFrame, project_onto, ridge_frame, symmetric_eigh

#: Default dropped mass per query: far below the SCMS tolerances and the eigengap thresholds in use.
DEFAULT_WEIGHT_TOL = 1e-14


@dataclass
class TruncatedFrame(FrameResiduals):
    """Ridge geometry at B queries from K significantly weighted points (float64).

    Attributes
    ----------
    vectors : (B, D, K) eigenvectors of Cov' in descending order of ``cov_eigenvalues`` (B, K);
        columns of zero eigenvalue are zero vectors.
    score : (B, D) exact grad log p_t(x). step : (B, D) exact m_t(x) - x. h : (B, 1).
    ridge_dim : d. dropped_mass : (B,) eps. cov_error_bound : (B,) the bound on ||Cov_w - Cov'||_2.
    """

    vectors: torch.Tensor
    cov_eigenvalues: torch.Tensor
    score: torch.Tensor
    step: torch.Tensor
    h: torch.Tensor
    ridge_dim: int
    dropped_mass: torch.Tensor
    cov_error_bound: torch.Tensor

    @property
    def eigenvalues(self) -> torch.Tensor:
        """(B, D) Hessian eigenvalues, descending: -1/h + mu/h^2 for the K Ritz values, then -1/h."""
        batch, dim = self.score.shape
        top = -1.0 / self.h + self.cov_eigenvalues / self.h**2
        rest = (-1.0 / self.h).expand(batch, dim - top.shape[1])
        return torch.cat([top, rest], dim=1)

    def normal_part(self, v: torch.Tensor) -> torch.Tensor:
        """E E^T v = v - T T^T v for vectors v (B, D), T the top d eigenvectors."""
        return v - project_onto(self.vectors[:, :, : self.ridge_dim], v)

    def curvature_ok(self) -> torch.Tensor:
        """lambda_{d+1} < 0; shape (B,), bool."""
        return self.eigenvalues[:, self.ridge_dim] < 0

    def eigengap(self) -> torch.Tensor:
        """lambda_d - lambda_{d+1}; shape (B,)."""
        lam = self.eigenvalues
        return lam[:, self.ridge_dim - 1] - lam[:, self.ridge_dim]

    def defined(self, min_gap: float = 1e-9) -> torch.Tensor:
        """Where the frame is determined: dimensionless eigengap h_t (lambda_d - lambda_{d+1}) above
        ``min_gap``; elsewhere the tangent is an arbitrary choice among equal eigenvalues (e.g. a
        point whose posterior sits on one training point: Cov_w = 0). Shape (B,), bool."""
        return self.h[:, 0] * self.eigengap() > min_gap

    def newton_step(self) -> torch.Tensor:
        """-E diag(1/lambda_N) E^T g: the Ritz normal directions with their eigenvalues, the rest of
        the normal space (eigenvalue -1/h) with factor h; shape (B, D)."""
        d, g = self.ridge_dim, self.score
        lam = self.eigenvalues[:, d: self.vectors.shape[2]]
        ritz = self.vectors[:, :, d:]
        coef = ritz.transpose(1, 2) @ g[:, :, None]
        rest = g - project_onto(self.vectors, g)
        return -(ritz @ (coef / lam[:, :, None]))[:, :, 0] + self.h * rest


def truncated_frame(dist: SmoothedEmpirical, x, t, ridge_dim: int, weight_tol: float = DEFAULT_WEIGHT_TOL
                    ) -> "TruncatedFrame | RidgeFrame":
    """The :class:`TruncatedFrame` of p_t at queries x (B, D) from the weights above ``weight_tol``.

    The kept count K is the same for the whole batch: the first of 8, 16, 32, ... (at least d + 1)
    that leaves a dropped mass of at most ``weight_tol`` at every query. Where that K would reach
    min(n, D) the posterior is too spread for a saving, and the full frame
    (:func:`ridgeline.ridge.ridge_frame`) is returned instead.
    """
    if not 1 <= ridge_dim < dist.dim:
        raise ValueError(f"ridge dimension must satisfy 1 <= d < D = {dist.dim}, got d = {ridge_dim}")
    x = dist._check_queries(x)
    a, h = dist._times(x, t)
    logk = dist._log_kernel(*dist._kernel_queries(x, a), a, h, slice(None))  # (B, n)
    log_sum = torch.logsumexp(logk, dim=1)
    logw = logk - log_sum[:, None]
    w = logw.exp()
    mean = a * (w @ dist.data)
    step = mean - x
    heaviest = _heaviest(logw, weight_tol, ridge_dim, limit=min(dist.n, dist.dim))
    if heaviest is None:
        return ridge_frame(dist, x, t, ridge_dim)
    top, idx, dropped = heaviest
    w_kept = (top - torch.log1p(-dropped)[:, None]).exp()  # renormalised on S
    points = a[:, :, None] * dist.data[idx]  # (B, K, D)
    mean_kept = (w_kept[:, :, None] * points).sum(dim=1)
    z = w_kept.sqrt()[:, :, None] * (points - mean_kept[:, None, :])
    mu, vectors = _ritz_pairs(z, h)
    far = (-2.0 * h[:, 0] * logk.min(dim=1).values).clamp_min(0).sqrt() + (x - mean_kept).norm(dim=1)
    bound = dropped * (mu[:, 0] + 2.0 * far**2)
    return TruncatedFrame(vectors, mu, step / h, step, h, ridge_dim, dropped, bound)


def _heaviest(logw: torch.Tensor, weight_tol: float, ridge_dim: int, limit: int, first: int = 8):
    """The K largest log weights per query (B, K), their indices and the dropped mass (B,), for the
    first K of first, 2 first, 4 first, ... (at least d + 1) that leaves at most ``weight_tol`` out
    at every query: O(B n) per try, no sort of the n weights. None when K would reach ``limit``."""
    kept = max(ridge_dim + 1, first)
    while kept < limit:
        top, idx = logw.topk(kept, dim=1)
        dropped = _dropped_mass(logw, idx)
        if bool((dropped <= weight_tol).all()):
            return top, idx, dropped
        kept *= 2
    return None


def _dropped_mass(logw: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """sum of the weights not in ``idx`` per query, without cancellation; shape (B,)."""
    rest = logw.scatter(1, idx, -torch.inf)
    return torch.logsumexp(rest, dim=1).exp()


def _ritz_pairs(z: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Descending eigenpairs of Z^T Z from the Gram matrix Z Z^T; mu (B, K), vectors (B, D, K)."""
    batch, kept, dim = z.shape
    if kept >= dim:  # no saving: decompose the D x D covariance itself
        mu, vec = symmetric_eigh(z.transpose(1, 2) @ z, atol=1e-12 * h[:, 0])
        return mu.flip(1)[:, :kept].clamp_min(0), vec.flip(2)[:, :, :kept]
    gram = z @ z.transpose(1, 2)
    mu, u = symmetric_eigh(gram, atol=1e-12 * h[:, 0])
    mu, u = mu.flip(1).clamp_min(0), u.flip(2)
    # Ritz values below 1e-12 h are zero up to round-off: their directions join the null space
    significant = mu > 1e-12 * h
    mu = torch.where(significant, mu, torch.zeros_like(mu))
    scale = torch.where(significant, mu.clamp_min(1e-300).rsqrt(), torch.zeros_like(mu))
    vectors = (z.transpose(1, 2) @ u) * scale[:, None, :]
    return mu, vectors
