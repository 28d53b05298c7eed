"""Ridge geometry of p_t from its Hessian (docs/science.md 3).

Eigenpairs of H = hess log p_t(x), lambda_1 >= ... >= lambda_D. For ridge dimension d the normal
frame is E = [v_{d+1} .. v_D]; the ridge is where E E^T grad log p_t = 0 and lambda_{d+1} < 0.
"""

from dataclasses import dataclass

import torch

from .empirical import KernelMoments, SmoothedEmpirical


def project_onto(basis: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Q Q^T v for orthonormal (or zero) columns Q (B, D, k) and vectors v (B, D); shape (B, D)."""
    return (basis @ (basis.transpose(1, 2) @ v[:, :, None]))[:, :, 0]


class FrameResiduals:
    """The residuals every frame shares, from its ``normal_part``, ``score`` (B, D) and ``h`` (B, 1)."""

    def tangent_part(self, v: torch.Tensor) -> torch.Tensor:
        """P_T v = v - E E^T v; shape (B, D)."""
        return v - self.normal_part(v)

    def residual(self) -> torch.Tensor:
        """Ridge residual r_t(x) = |E^T grad log p_t(x)|; shape (B,)."""
        return self.normal_part(self.score).norm(dim=1)

    def scaled_residual(self) -> torch.Tensor:
        """h_t * r_t(x), a length comparable across t; shape (B,)."""
        return self.h[:, 0] * self.residual()

    def certified_angle(self) -> torch.Tensor | None:
        """Bound on sin(angle) between this frame's tangent and the exact one, shape (B,); None for
        frames that decompose their covariance (tracked frames certify a positive one)."""
        return None

    def stop_verdict(self, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(curvature condition lambda_{d+1} < 0, eigengap lambda_d - lambda_{d+1}) at the queries
        ``rows`` (indices), where points stop; each (B',)."""
        return self.curvature_ok()[rows], self.eigengap()[rows]

    def relative_residual(self) -> torch.Tensor:
        """|E^T g| / |g| in [0, 1]; 0 where the score vanishes, NaN where it is not finite; shape (B,)."""
        g = self.score.norm(dim=1)
        ratio = torch.where(g > 0, self.residual() / g.clamp_min(1e-300), torch.zeros_like(g))
        return torch.where(torch.isfinite(g), ratio, torch.full_like(g, float("nan")))


@dataclass
class RidgeFrame(FrameResiduals):
    """Local ridge geometry at B query points (all float64).

    Attributes
    ----------
    normal : (B, D, D-d) normal frame E (columns v_{d+1} .. v_D)
    eigenvalues : (B, D) Hessian eigenvalues in descending order
    score : (B, D) grad log p_t(x)
    step : (B, D) mean-shift vector m_t(x) - x (= h_t * score)
    h : (B, 1) noise variance h_t
    """

    normal: torch.Tensor
    eigenvalues: torch.Tensor
    score: torch.Tensor
    step: torch.Tensor
    h: torch.Tensor

    @property
    def ridge_dim(self) -> int:
        return self.eigenvalues.shape[1] - self.normal.shape[2]

    def normal_part(self, v: torch.Tensor) -> torch.Tensor:
        """P_N v = E E^T v for vectors v of shape (B, D)."""
        return project_onto(self.normal, v)

    def residual(self) -> torch.Tensor:
        """Ridge residual r_t(x) = |E^T grad log p_t(x)|; shape (B,)."""
        return (self.normal.transpose(1, 2) @ self.score[:, :, None]).norm(dim=(1, 2))

    def curvature_ok(self) -> torch.Tensor:
        """lambda_{d+1} < 0; shape (B,), bool."""
        return self.eigenvalues[:, self.ridge_dim] < 0

    def eigengap(self) -> torch.Tensor:
        """beta = lambda_d - lambda_{d+1}; shape (B,)."""
        d = self.ridge_dim
        return self.eigenvalues[:, d - 1] - self.eigenvalues[:, d]

    def defined(self, min_gap: float = 1e-9) -> torch.Tensor:
        """Where the frame is determined: dimensionless eigengap h_t (lambda_d - lambda_{d+1}) above
        ``min_gap``; elsewhere the tangent is an arbitrary choice among equal eigenvalues (e.g. a
        point whose posterior sits on one training point: Cov_w = 0). Shape (B,), bool."""
        return self.h[:, 0] * self.eigengap() > min_gap

    def newton_step(self) -> torch.Tensor:
        """-E diag(1/lambda_N) E^T g, the Newton step in the normal space; shape (B, D)."""
        lam_n = self.eigenvalues.flip(1)[:, : self.normal.shape[2]]  # ascending: the normal eigenvalues
        coef = self.normal.transpose(1, 2) @ self.score[:, :, None]
        return -(self.normal @ (coef / lam_n[:, :, None]))[:, :, 0]


#: Largest order that torch's CUDA ``eigh`` decomposes in one batched cuSOLVER call. Above it,
#: torch (2.11) loops over the batch with one ``syevd`` per matrix: a (2000, 64, 64) batch then
#: takes seconds on a GPU, against 0.36 s for LAPACK on 2 CPU threads, and the D = 64 metrics of
#: the paper configuration did not finish on an H200 (README "GPU and clusters").
CUDA_BATCHED_EIGH_MAX_ORDER = 32


def host_eigh_needed(device: torch.device, shape) -> bool:
    """True when a batch of ``shape`` (B, D, D) on ``device`` is decomposed faster on the CPU."""
    batched = len(shape) == 3 and shape[0] > 1
    return torch.device(device).type == "cuda" and batched and shape[-1] > CUDA_BATCHED_EIGH_MAX_ORDER


def symmetric_eigh(H: torch.Tensor, atol=0.0, on_host: bool | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Ascending eigenpairs of a batch of symmetric matrices (B, D, D).

    1 x 1 and 2 x 2 matrices use the closed form (faster, and avoids cusolver failures on huge
    batches); where the two eigenvalues of a 2 x 2 matrix differ by at most ``2 * atol`` (scalar
    or (B,)) it is isotropic up to round-off and the coordinate axes are returned, as eigh does
    for a multiple of the identity. Batches that CUDA would decompose one matrix at a time (see
    :func:`host_eigh_needed`; ``on_host`` overrides it) are decomposed by LAPACK on the CPU and
    the eigenpairs moved back to ``H``'s device. Matrices with a non-finite entry get NaN
    eigenpairs (LAPACK would fail on the whole batch).
    """
    if H.shape[-1] == 1:
        return H[:, :, 0].clone(), torch.ones_like(H)
    if H.shape[-1] == 2:
        return _eigh_2x2(H, atol)
    finite = torch.isfinite(H).flatten(1).all(dim=1) if H.ndim == 3 else None
    if finite is not None and not bool(finite.all()):  # LAPACK refuses NaN: those rows stay NaN
        evals = torch.full(H.shape[:2], float("nan"), dtype=H.dtype, device=H.device)
        evecs = torch.full_like(H, float("nan"))
        evals[finite], evecs[finite] = symmetric_eigh(H[finite], atol, on_host)
        return evals, evecs
    if host_eigh_needed(H.device, H.shape) if on_host is None else on_host:
        evals, evecs = torch.linalg.eigh(H.cpu())
        return evals.to(H.device), evecs.to(H.device)
    return torch.linalg.eigh(H)


def _eigh_2x2(H: torch.Tensor, atol=0.0) -> tuple[torch.Tensor, torch.Tensor]:
    a, b, _, c = H.reshape(-1, 4).unbind(1)  # one view each (small batches pay per operation)
    diff = a - c
    mid = (a + c) / 2
    rad = torch.hypot(diff / 2, b)
    lo, hi = mid - rad, mid + rad
    # eigenvector of `hi` at angle theta with tan(2 theta) = 2b / (a - c); `lo` is orthogonal
    theta = (0.5 * torch.atan2(2 * b, diff)).masked_fill_(rad <= atol, 0.0)
    cos, sin = torch.cos(theta), torch.sin(theta)
    # columns v_lo = (-sin, cos) and v_hi = (cos, sin), written row by row
    evecs = torch.stack([-sin, cos, cos, sin], dim=1).view(-1, 2, 2)
    return torch.stack([lo, hi], dim=1), evecs


def hessian_eigenvalues(cov_eigenvalues: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """Eigenvalues of H = -I/h + Cov/h^2 from those of Cov (same order); h of shape (B, 1)."""
    return -1.0 / h + cov_eigenvalues / h**2


def span_eigh(cov: torch.Tensor, basis: torch.Tensor, complement: torch.Tensor, atol=0.0):
    """Ascending eigenpairs of covariances that lie in the span of ``basis``.

    Parameters
    ----------
    cov : (B, D, D) covariances with range inside span(basis).
    basis : (D, k) and complement : (D, D - k), orthonormal.

    Returns (B, D) eigenvalues, 0 for the D - k complement directions first, then the k of the
    (B, k, k) matrix basis^T cov basis; and the (B, D, D) eigenvectors, complement first.
    """
    batch = cov.shape[0]
    mu_k, v_k = symmetric_eigh(basis.T @ cov @ basis, atol=atol)
    mu = torch.cat([mu_k.new_zeros(batch, complement.shape[1]), mu_k], dim=1)
    evecs = torch.cat([complement.expand(batch, -1, -1), basis @ v_k], dim=2)
    return mu, evecs


def frame_from_moments(mom: KernelMoments, ridge_dim: int, span=None) -> RidgeFrame:
    """Build a :class:`RidgeFrame` from kernel moments with one eigendecomposition per point.

    H = -I/h + Cov/h^2 shares its eigenvectors with Cov, and its eigenvalues are the increasing
    map mu -> -1/h + mu/h^2 of Cov's, so only the covariance is decomposed (better conditioned).
    With ``span`` = (basis (D, k), complement (D, D - k)) of the training points
    (:meth:`SmoothedEmpirical.span`) and d <= k < D, only the k x k block in the span is
    decomposed: the complement is normal with Cov eigenvalue 0 (3 points in D = 64: 2 x 2, closed
    form, instead of 64 x 64).
    """
    dim = mom.mean.shape[1]
    if not 1 <= ridge_dim < dim:
        raise ValueError(f"ridge dimension must satisfy 1 <= d < D = {dim}, got d = {ridge_dim}")
    # Cov eigenvalues closer than 1e-12 h_t (dimensionless gap 1e-12) are equal up to round-off
    atol = 1e-12 * mom.h[:, 0]
    if span is not None and ridge_dim <= span[0].shape[1] < dim:
        mu, evecs = span_eigh(mom.cov, *span, atol=atol)
    else:
        mu, evecs = symmetric_eigh(mom.cov, atol=atol)
    evals = hessian_eigenvalues(mu, mom.h)
    normal = evecs[:, :, : dim - ridge_dim]
    return RidgeFrame(normal, evals.flip(1), mom.shift / mom.h, mom.shift, mom.h)


def ridge_frame(dist: SmoothedEmpirical, x, t, ridge_dim: int) -> RidgeFrame:
    """Ridge frame of p_t at query points x (B, D)."""
    return frame_from_moments(dist.moments(x, t, with_cov=True), ridge_dim, span=dist.span())


def ridge_frame_batched(dist: SmoothedEmpirical, x, t, ridge_dim: int, batch: int = 4096):
    """Yield (slice, RidgeFrame) over query batches, so that (B, D, D) Hessians stay bounded."""
    x = dist._check_queries(x)
    batch = max(1, min(batch, dist.memory_elements // max(1, dist.dim * dist.dim)))
    for start in range(0, x.shape[0], batch):
        sl = slice(start, start + batch)
        yield sl, ridge_frame(dist, x[sl], t, ridge_dim)


def span_tangents(dist: SmoothedEmpirical, x, t, ridge_dim: int) -> torch.Tensor | None:
    """Tangent frames of p_t at x (B, D) from the k x k covariance in the span of the data; (B, D, d).

    The same tangent as :func:`ridge_frame` (the top d eigenvectors of Cov_w, which lies in the
    span), at O(B n k + B k^3) cost instead of forming (B, D, D) matrices. None when the data span
    all of R^D or fewer than d dimensions (use :func:`ridge_frame`).
    """
    cov = span_covariance(dist, x, t, ridge_dim)
    if cov is None:
        return None
    basis, cov, h = cov
    _, vectors = symmetric_eigh(cov, atol=1e-12 * h[:, 0])
    return basis @ vectors[:, :, basis.shape[1] - ridge_dim:]


def span_covariance(dist: SmoothedEmpirical, x, t, ridge_dim: int):
    """(basis (D, k), Cov_w in span coordinates (B, k, k), h_t (B, 1)) at x (B, D), or None when the
    data span all of R^D or fewer than d dimensions (see :func:`span_tangents`)."""
    basis = dist.span()[0]
    k = basis.shape[1]
    if not ridge_dim <= k < dist.dim:
        return None
    x = dist._check_queries(x)
    a, h = dist._times(x, t)
    mom = dist.in_span().moments((x - a * dist.centre) @ basis, t, with_cov=True)
    return basis, mom.cov, h
