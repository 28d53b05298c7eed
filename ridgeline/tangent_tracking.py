"""SCMS tangent frames from a spectral filter, with a certified angle (docs/method.md, "Frames at scale").

An SCMS iteration needs only the top-d eigenvectors T of Cov_w (the tangent space; the step is
(I - T T^T)(m - x)); the curvature condition and the eigengap matter only where a point stops.
Instead of decomposing Cov_w (C below), each query

1. forms the filter F = Cn^(2^s) of Cn = C / tr C by s squarings (``squarings``, default 3:
   Cn^8), which also give the power traces tr Cn^p for p = 1, 2, ..., 2^(s+1);
2. applies it to a block V of k = d + 1 vectors carried from the previous SCMS iterate,
   V <- orth(F^a V) (``applications`` a = 8: subspace iteration on C^64, the directions beyond
   the block shrink by (mu_{k+1} / mu_d)^64 per sweep);
3. takes the Rayleigh-Ritz pairs (mu~_j, v_j) of C in span(V) and certifies the tangent:
   Davis-Kahan's sin-theta theorem bounds the angle between span(v_1..v_d) and the top-d
   eigenspace by |R|_F / (mu~_d - beta), R = C V_d - V_d diag(mu~), for any upper bound beta of
   mu_{d+1}. Ritz values lie below the eigenvalues they approximate (interlacing), so for every
   power p the trace gives beta_p = (tr C^p - sum_{j<=d} mu~_j^p)^(1/p) >= mu_{d+1}; the smallest
   beta_p (after a rounding allowance) is used.

A query repeats steps 2-3 until its bound is below ``angle_tol`` (at most ``max_sweeps`` times;
a query with no certified gap after two sweeps stops sweeping) and otherwise takes the full
decomposition. The bound is a certificate, not an estimate: SCMS stops a point when its stopping
value plus the largest change the bound allows is below the tolerance, and records the exact
eigenvalues (one ``eigvalsh``) for its curvature condition and eigengap.

Cost per query in D = 32: three 32 x 32 products and eight thin ones against one 32 x 32
decomposition (docs/benchmarks.md: 4-5x faster SCMS on the D = 32 problem).
"""

from dataclasses import dataclass

import torch

from .empirical import SmoothedEmpirical
from .ridge import FrameResiduals, hessian_eigenvalues, project_onto, symmetric_eigh

#: Bound on sin(angle) between a tracked tangent space and the true one. A wrong tangent leaks
#: sin(angle) |m - x| of each step along the ridge; 1e-10 keeps that below 1e-8 over 100 steps.
DEFAULT_ANGLE_TOL = 1e-10

#: Squarings of the filter (Cn^8) and its applications per sweep: in D = 32 a thin product in row
#: form costs a seventh of a squaring, and 3 / 8 measured 3 % faster than 4 / 4 (C^64 either way;
#: the traces then reach p = 16, which left 4 of 46,136 frames uncertified on the benchmark).
DEFAULT_SQUARINGS = 3
DEFAULT_APPLICATIONS = 8


@dataclass
class TangentFrame(FrameResiduals):
    """Tangent space and exact score at B queries (float64).

    Attributes
    ----------
    tangent : (B, D, d) orthonormal. block : (B, D, k) the tracked block (its first d columns are
    ``tangent``), carried to the next iteration. score : (B, D). step : (B, D) m - x. h : (B, 1).
    angle_bound : (B,) certified bound on sin(angle) between ``tangent`` and the top-d eigenspace
    of Cov_w (0 where the full decomposition was taken; inf where nothing is certified).
    cov : (B, D, D) Cov_w, kept for the exact eigenvalues where a point stops.
    """

    tangent: torch.Tensor
    block: torch.Tensor
    score: torch.Tensor
    step: torch.Tensor
    h: torch.Tensor
    angle_bound: torch.Tensor
    cov: torch.Tensor

    def normal_part(self, v: torch.Tensor) -> torch.Tensor:
        """(I - T T^T) v; shape (B, D)."""
        return v - project_onto(self.tangent, v)

    def certified_angle(self) -> torch.Tensor:
        """The certified bound on sin(angle) to the exact tangent; shape (B,)."""
        return self.angle_bound

    def stop_verdict(self, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Curvature condition and eigengap at ``rows`` from the exact eigenvalues of Cov_w."""
        d = self.tangent.shape[2]
        lam = hessian_eigenvalues(torch.linalg.eigvalsh(self.cov[rows]), self.h[rows]).flip(1)
        return lam[:, d] < 0, lam[:, d - 1] - lam[:, d]


def power_filter(cov: torch.Tensor, squarings: int):
    """The filter Cn^(2^s) of Cn = C / tr C and the log power traces of Cn.

    Returns F (B, D, D); ``log_traces`` (B, s + 2), log tr Cn^p for p = 1, 2, 4, ..., 2^(s+1)
    (the last one is |F|_F^2); and tr C (B,). Cn has eigenvalues in [0, 1] summing to 1, so its
    powers cannot overflow and the top one, at least 1/D, cannot underflow either.
    """
    scale = cov.diagonal(dim1=1, dim2=2).sum(dim=1).clamp_min(torch.finfo(cov.dtype).tiny)
    power = cov / scale[:, None, None]
    traces = [torch.ones_like(scale)]
    for _ in range(squarings):
        power = torch.bmm(power, power)
        traces.append(power.diagonal(dim1=1, dim2=2).sum(dim=1))
    traces.append(torch.linalg.matrix_norm(power) ** 2)
    return power, torch.log(torch.stack(traces, dim=1)), scale


def tail_bound(log_traces: torch.Tensor, ritz: torch.Tensor, ridge_dim: int, dim: int) -> torch.Tensor:
    """Upper bound beta on mu_{d+1} / mu~_1 from the power traces; shape (B,).

    ``log_traces`` (B, m): log tr Cn^p for p = 1, 2, 4, ..., 2^(m-1); ``ritz`` (B, k) Ritz values
    of Cn, descending, the first d used. For each p,
    mu_{d+1}^p <= tr Cn^p - sum_{i<=d} mu~_i^p (+ a rounding allowance of 8 p D eps tr Cn^p),
    since the Ritz values lie below the eigenvalues (interlacing); the smallest bound is returned.
    """
    eps = torch.finfo(ritz.dtype).eps
    top = ritz[:, :1].clamp_min(torch.finfo(ritz.dtype).tiny)
    powers = 2.0 ** torch.arange(log_traces.shape[1], dtype=ritz.dtype, device=ritz.device)
    log_ratio = torch.log((ritz[:, :ridge_dim] / top).clamp_min(0.0))
    head = torch.exp(powers[None, :, None] * log_ratio[:, None, :]).sum(dim=2)  # sum (mu~_i / mu~_1)^p
    trace = torch.exp(log_traces - powers[None, :] * torch.log(top))  # tr Cn^p / mu~_1^p
    rest = (trace - head).clamp_min(0.0) + 8 * powers * dim * eps * trace
    return (rest ** (1.0 / powers)).min(dim=1).values


def _ritz(cov: torch.Tensor, block: torch.Tensor):
    """Rayleigh-Ritz of ``cov`` (B, D, D) in span(block) (B, D, k), orthonormal: descending values
    (B, k), vectors (B, D, k), and the residual matrix C V - V diag(mu) (B, D, k)."""
    # C V = (V^T C)^T: C is symmetric (to rounding, which the certificate allows for)
    cv = torch.bmm(block.transpose(1, 2), cov).transpose(1, 2)
    mu, u = symmetric_eigh(torch.bmm(block.transpose(1, 2), cv))
    mu, u = mu.flip(1), u.flip(2)
    vectors = torch.bmm(block, u)
    return mu, vectors, torch.bmm(cv, u) - vectors * mu[:, None, :]


def certified_ritz(cov, block, log_traces, scale, ridge_dim: int):
    """Ritz pairs of ``cov`` in span(block) and the certified bound on sin(angle) of the first d;
    returns (vectors (B, D, k), bound (B,), values (B, k)); the bound is inf where no gap is
    certified."""
    mu, vectors, res = _ritz(cov, block)
    d, dim = ridge_dim, cov.shape[1]
    beta = tail_bound(log_traces, mu / scale[:, None], d, dim) * mu[:, 0]
    gap = mu[:, d - 1] - beta
    eps = torch.finfo(cov.dtype).eps
    residual = torch.linalg.matrix_norm(res[:, :, :d]) + dim * eps * scale
    bound = torch.where(gap > 0, residual / gap.clamp_min(torch.finfo(cov.dtype).tiny), torch.full_like(gap, torch.inf))
    return vectors, bound, mu


def _filtered(filt: torch.Tensor, block: torch.Tensor, applications: int) -> torch.Tensor:
    """orth(F^a V) for filters F (B, D, D) and blocks V (B, D, k); shape (B, D, k)."""
    rows = block.transpose(1, 2)  # F is symmetric: V^T F = (F V)^T, and the row form is 2x faster
    for _ in range(applications):
        rows = torch.bmm(rows, filt)
    return torch.linalg.qr(rows.transpose(1, 2)).Q


def track_tangent(dist: SmoothedEmpirical, x, t, ridge_dim: int, block: torch.Tensor | None = None, *,
                  angle_tol=DEFAULT_ANGLE_TOL, squarings: int = DEFAULT_SQUARINGS,
                  max_sweeps: int = 6, extra: int = 1,
                  applications: int = DEFAULT_APPLICATIONS) -> TangentFrame:
    """The tangent frame at x (B, D), its angle certified below ``angle_tol`` (scalar or (B,)).

    ``block`` (B, D, k), k > d: the previous iterate's block (None: start from the d + ``extra``
    columns of Cov_w with the largest diagonal). Each sweep applies the filter of ``squarings``
    squarings ``applications`` times. Queries not certified after ``max_sweeps`` sweeps take the
    full decomposition (bound 0). Cov_w comes from the stored outer products where they keep
    its digits (``batch_invariant=False``: its last bits depend on the batch).
    """
    mom = dist.moments(x, t, with_cov=True, batch_invariant=False)
    cov, d, batch = mom.cov, ridge_dim, x.shape[0]
    k = min(d + extra, x.shape[1]) if block is None else block.shape[2]
    if block is None:
        cols = cov.diagonal(dim1=1, dim2=2).topk(k, dim=1).indices
        block = cov.gather(2, cols[:, None, :].expand(-1, cov.shape[1], -1))
    need = torch.as_tensor(angle_tol, dtype=x.dtype, device=x.device).expand(batch)
    filt, log_traces, scale = power_filter(cov, squarings)
    todo, fallback = torch.arange(batch, device=x.device), []
    for sweep in range(max_sweeps):
        if sweep == 0:  # every query: no copies of the (B, D, D) arrays
            cur = _filtered(filt, block, applications)
            block, bound, _ = certified_ritz(cov, cur, log_traces, scale, d)
        else:
            cur = _filtered(filt[todo], block[todo], applications)
            block[todo], bound[todo], _ = certified_ritz(cov[todo], cur, log_traces[todo], scale[todo], d)
        todo = todo[~(bound[todo] <= need[todo])]
        if sweep:  # no certified gap after two sweeps: more sweeps would not give one
            fallback.append(todo[torch.isinf(bound[todo])])
            todo = todo[~torch.isinf(bound[todo])]
        if todo.numel() == 0:
            break
    todo = torch.cat([todo, *fallback])
    todo = todo[torch.isfinite(cov[todo]).all(dim=2).all(dim=1)]  # a non-finite query keeps its NaN
    if todo.numel():  # not certified: the full decomposition for those queries
        block[todo] = torch.linalg.eigh(cov[todo]).eigenvectors.flip(2)[:, :, : block.shape[2]]
        bound[todo] = 0.0
    return TangentFrame(block[:, :, :d], block, mom.shift / mom.h, mom.shift, mom.h, bound, cov)


class TangentTracker:
    """Tracked frames along an SCMS run: each call starts from the block the last one left.

    ``tracker(x, t, ridge_dim)`` gives the :class:`TangentFrame` at x (B, D);
    ``tracker.follow(frame, keep)`` carries its block to the next call for the queries ``keep``
    (a mask; None: all).
    """

    def __init__(self, dist: SmoothedEmpirical):
        self.dist, self.block = dist, None

    def __call__(self, x, t, ridge_dim: int) -> TangentFrame:
        return track_tangent(self.dist, x, t, ridge_dim, self.block)

    def follow(self, frame: TangentFrame, keep: torch.Tensor | None) -> None:
        self.block = frame.block if keep is None else frame.block[keep]
