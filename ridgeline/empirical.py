"""The smoothed empirical distribution p_t of a training set (docs/science.md 2).

p_t(x) = (1/n) sum_i N(x; a_t x_i, h_t I). Every quantity is a softmax-weighted moment of the
scaled training points y_i = a_t x_i, computed in float64 with a streaming logsumexp over chunks
of training points, so that n = 60,000 points in D = 784 fit in memory.
"""

import math
from dataclasses import dataclass, fields

import torch

from .forward import alpha, variance

#: float64 elements one intermediate (B x chunk x D) may hold: 32 MiB, below glibc's largest mmap
#: threshold, so chunks are recycled by the allocator instead of page-faulted in afresh each time.
DEFAULT_MEMORY_ELEMENTS = 4 * 1024 * 1024

#: float64 elements of one (b x n x D) array of the dense path: 8 MiB. Larger arrays are served by
#: fresh mmap'd pages on every call (glibc), which made the dense moments of 600 queries in D = 32
#: four times slower; the dense path therefore takes queries in chunks of this size.
DENSE_CHUNK_ELEMENTS = 1024 * 1024

#: Largest loss of precision, rho = (tr S + |mc|^2) / (tr S - |mc|^2), accepted from the covariance
#: by stored outer products (:meth:`SmoothedEmpirical._covariance`): 1e3, three digits.
CANCELLATION_LIMIT = 1e3

#: Largest n * D^2 for which the centred outer products (y_i - ybar)(y_i - ybar)^T are kept (float64
#: elements, 128 MiB): the covariance then is one GEMM of the weights with them.
OUTER_PRODUCT_LIMIT = 16 * 1024 * 1024


#: Relative singular value at or below which a direction of the centred training points counts as
#: outside their span (an exactly embedded set leaves ~1e-16 there).
SPAN_RTOL = 1e-10


def astuple_shallow(moments: "KernelMoments") -> tuple:
    """The fields of a :class:`KernelMoments` in order, without copying them."""
    return tuple(getattr(moments, f.name) for f in fields(moments))


@dataclass
class KernelMoments:
    """Softmax moments of the scaled training points at query points x (shapes for B queries).

    Attributes
    ----------
    log_sum : (B,) logsumexp_i(-|x - a_t x_i|^2 / (2 h_t))
    mean : (B, D) posterior mean m_t(x) = sum_i w_i a_t x_i
    shift : (B, D) mean-shift vector m_t(x) - x (computed without cancellation where possible)
    cov : (B, D, D) or None, Cov_w(a_t x_i)
    a, h : (B, 1) the signal scale and noise variance used
    """

    log_sum: torch.Tensor
    mean: torch.Tensor
    shift: torch.Tensor
    cov: torch.Tensor | None
    a: torch.Tensor
    h: torch.Tensor


class SmoothedEmpirical:
    """Gaussian-KDE view of a training set under the forward OU process.

    Parameters
    ----------
    data : (n, D) array-like, the training points x_i.
    device : torch.device or None.
    memory_elements : int, budget for intermediate chunks (float64 elements).
    """

    def __init__(self, data, device=None, memory_elements: int = DEFAULT_MEMORY_ELEMENTS):
        self.data = torch.as_tensor(data, dtype=torch.float64, device=device)
        if self.data.ndim != 2 or self.data.shape[0] < 1:
            raise ValueError(f"data must have shape (n, D) with n >= 1, got {tuple(self.data.shape)}")
        self.memory_elements = int(memory_elements)
        self.centre = self.data.mean(dim=0)
        self._centred_sq_norms = ((self.data - self.centre) ** 2).sum(dim=1)  # |y_i - c|^2: log-kernels
        self._span = None
        self._in_span = None
        n, dim = self.data.shape
        self._outer = None
        if n * dim * dim <= OUTER_PRODUCT_LIMIT:
            # upper triangle only: the covariance is symmetric, so the GEMM below halves
            self._upper = torch.triu_indices(dim, dim, device=self.data.device)
            yc = self.data - self.centre
            self._outer = yc[:, self._upper[0]] * yc[:, self._upper[1]]  # (n, D (D + 1) / 2)
            # position in the upper triangle of every entry (r, c) of a D x D matrix, row-major
            position = torch.empty(dim, dim, dtype=torch.int64, device=self.data.device)
            position[self._upper[0], self._upper[1]] = torch.arange(self._upper.shape[1], device=self.data.device)
            position[self._upper[1], self._upper[0]] = position[self._upper[0], self._upper[1]]
            self._symmetric = position.reshape(-1)

    @property
    def n(self) -> int:
        return self.data.shape[0]

    def span(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Orthonormal bases of the span of the centred training points and of its complement.

        Every weighted covariance Cov_w(a_t x_i) lies in that span, since
        a_t x_i - m = a_t sum_j w_j (x_i - x_j). Directions whose singular value is at most
        :data:`SPAN_RTOL` times the largest count as outside it. Computed once (on the CPU).

        Returns
        -------
        basis : (D, k) and complement : (D, D - k), on the data's device.
        """
        if self._span is None:
            with torch.inference_mode(False):  # a cache: ordinary tensors even when first asked in inference mode
                self._span = self._span_bases()
        return self._span

    def _span_bases(self) -> tuple[torch.Tensor, torch.Tensor]:
        centred = (self.data - self.centre).cpu()
        _, s, vh = torch.linalg.svd(centred, full_matrices=self.n < self.dim)  # vh: (D, D)
        k = int((s > SPAN_RTOL * s.max()).sum()) if float(s.max()) > 0 else 0
        vh = vh.to(self.data.device)
        return vh[:k].T.contiguous(), vh[k:].T.contiguous()

    def in_span(self) -> "SmoothedEmpirical":
        """p_t of the training points in the coordinates of their span: y_i = B^T (x_i - c), (n, k).

        The weights w_i(x) depend only on B^T (x - a_t c), the span coordinates of a query (the
        complement part of x - a_t x_i is the same for every i), so moments in the span are those
        of this k-dimensional set at the query B^T (x - a_t c), with B the basis of :meth:`span`.
        """
        if self._in_span is None:
            basis = self.span()[0]
            with torch.inference_mode(False):  # a cache, like the span
                self._in_span = SmoothedEmpirical((self.data - self.centre) @ basis, memory_elements=self.memory_elements)
        return self._in_span

    @property
    def dim(self) -> int:
        return self.data.shape[1]

    def draw(self, n: int, t: float, generator: torch.Generator) -> torch.Tensor:
        """n independent draws from p_t: a_t x_i + sqrt(h_t) z, i uniform, z ~ N(0, I); shape (n, D).

        The CPU ``generator`` draws the indices, then the noise; the draws land on the data's device.
        """
        idx = torch.randint(self.n, (n,), generator=generator)
        z = torch.randn(n, self.dim, generator=generator, dtype=torch.float64)
        device = self.data.device
        return alpha(float(t)) * self.data[idx.to(device)] + math.sqrt(variance(float(t))) * z.to(device)

    def _times(self, x: torch.Tensor, t) -> tuple[torch.Tensor, torch.Tensor]:
        """a_t and h_t as (B, 1) tensors for a scalar t or per-point times t of shape (B,)."""
        if torch.is_tensor(t) and t.ndim == 1:
            t = t.to(dtype=torch.float64, device=x.device)[:, None]
            return alpha(t), variance(t)
        t = float(t)
        shape = (x.shape[0], 1)
        full = torch.full
        return full(shape, alpha(t), dtype=x.dtype, device=x.device), full(
            shape, variance(t), dtype=x.dtype, device=x.device
        )

    def _chunk(self, batch: int, width: int) -> int:
        return max(1, min(self.n, self.memory_elements // max(1, batch * width)))

    def _kernel_queries(self, x, a) -> tuple[torch.Tensor, torch.Tensor]:
        """Queries for :meth:`_log_kernel`: x~ = x - a c (B, D) and q = |x~|^2 + 2 a x~.c (B,).

        |x - a y|^2 expanded about the data centre c is q - 2 a x~.y + a^2 |y - c|^2: its terms
        round at eps |x~| |a c| instead of eps |x|^2 for the expansion about the origin, which
        matters for data far from the origin at small h (|x|^2 / h large).
        """
        shifted = x - a * self.centre
        return shifted, (shifted**2).sum(dim=1) + 2.0 * a[:, 0] * (shifted @ self.centre)

    def _log_kernel(self, shifted, q, a, h, sl) -> torch.Tensor:
        """-|x - a y_i|^2 / (2h) for the training slice ``sl`` from :meth:`_kernel_queries`; shape (B, chunk)."""
        # in place, in the order of q - 2 a x~.y + a^2 |y - c|^2 (a broadcast expression allocates 4 arrays)
        sq = (shifted @ self.data[sl].T).mul_(2.0 * a).neg_().add_(q[:, None])
        sq.add_(a**2 * self._centred_sq_norms[sl][None, :])
        return sq.clamp_min_(0.0).neg_().div_(2.0 * h)

    def moments(self, x, t, with_cov: bool = False, batch_invariant: bool = True) -> KernelMoments:
        """Softmax moments at query points ``x`` (B, D) and time ``t`` (scalar or (B,)).

        Small problems (B * n * D within the memory budget) take a dense path on exact
        differences, query by query (the same bits whatever the batch); large ones stream over
        chunks of training points (:meth:`_covariance`). ``batch_invariant=False`` streams every
        batch when the outer products are stored (covariances by one GEMM, 2-3x faster for a few
        hundred queries in D = 32), whose last bits depend on the batch size.
        """
        x = self._check_queries(x)
        a, h = self._times(x, t)
        if with_cov and not batch_invariant and self._outer is not None:
            return self._streamed_moments(x, a, h, with_cov)
        if x.shape[0] * self.n * self.dim <= self.memory_elements:
            step = max(1, DENSE_CHUNK_ELEMENTS // (self.n * self.dim))
            if x.shape[0] <= step:
                return self._dense_moments(x, a, h, with_cov)
            parts = [self._dense_moments(x[i : i + step], a[i : i + step], h[i : i + step], with_cov)
                     for i in range(0, x.shape[0], step)]
            return KernelMoments(*(None if f[0] is None else torch.cat(f) for f in zip(*map(astuple_shallow, parts))))
        return self._streamed_moments(x, a, h, with_cov)

    def _dense_moments(self, x, a, h, with_cov) -> KernelMoments:
        # (B, n, D): a y_i - x, written in place (one broadcast expression costs ~10x more)
        diff = torch.mul(self.data[None], a[:, :, None]).sub_(x[:, None, :])
        logk = -(diff**2).sum(dim=2) / (2.0 * h)
        log_sum = torch.logsumexp(logk, dim=1)
        w = torch.exp(logk - log_sum[:, None])
        shift = (w[:, None, :] @ diff)[:, 0, :]  # m - x
        cov = None
        if with_cov:  # per query: its covariance does not depend on the batch
            centred = diff - shift[:, None, :]
            cov = (w[:, :, None] * centred).transpose(1, 2) @ centred
        return KernelMoments(log_sum, x + shift, shift, cov, a, h)

    def _streamed_moments(self, x, a, h, with_cov) -> KernelMoments:
        shifted, q = self._kernel_queries(x, a)
        run_max = torch.full((x.shape[0],), -math.inf, dtype=x.dtype, device=x.device)
        run_sum = torch.zeros_like(run_max)
        first = torch.zeros_like(x)
        step = self._chunk(x.shape[0], 1)
        for start in range(0, self.n, step):
            sl = slice(start, start + step)
            logk = self._log_kernel(shifted, q, a, h, sl)
            new_max = torch.maximum(run_max, logk.max(dim=1).values)
            rescale = torch.exp(run_max - new_max)
            e = torch.exp(logk - new_max[:, None])
            run_sum = run_sum * rescale + e.sum(dim=1)
            first = first * rescale[:, None] + e @ self.data[sl]
            run_max = new_max
        log_sum = run_max + torch.log(run_sum)
        mean = a * first / run_sum[:, None]
        # one chunk held every training point: the covariance reuses its log-kernel
        known = logk if step >= self.n else None
        cov = self._covariance(shifted, q, a, h, log_sum, mean, known) if with_cov else None
        return KernelMoments(log_sum, mean, mean - x, cov, a, h)

    def _covariance(self, shifted, q, a, h, log_sum, mean, logk=None) -> torch.Tensor:
        """Weighted covariance sum_i w_i (a y_i - m)(a y_i - m)^T; shape (B, D, D).

        With the stored outer products of the centred data it is a^2 (S - mc mc^T),
        S = sum_i w_i yc_i yc_i^T, one (B x n) @ (n x D (D + 1) / 2) product (upper triangle).
        That difference loses the digits of rho = (tr S + |mc|^2) / (tr S - |mc|^2) to
        cancellation (a posterior concentrated far from the centre: small t); queries with
        rho above :data:`CANCELLATION_LIMIT`, and sets without stored products, accumulate it
        from centred differences in chunks instead. ``logk``: the (B, n) log-kernel when known.
        """
        if self._outer is None:
            return self._covariance_from_differences(shifted, q, a, h, log_sum, mean)
        cov = self._covariance_from_outer(shifted, q, a, h, log_sum, mean, logk)
        exact = self._cancelled(cov, mean, a)
        if bool(exact.any()):
            cov[exact] = self._covariance_from_differences(shifted[exact], q[exact], a[exact], h[exact],
                                                           log_sum[exact], mean[exact])
        return cov

    def _cancelled(self, cov, mean, a) -> torch.Tensor:
        """Queries whose covariance from outer products lost more than :data:`CANCELLATION_LIMIT`
        (rho above it, or no spread left); shape (B,), bool."""
        spread = cov.diagonal(dim1=1, dim2=2).sum(dim=1) / a[:, 0] ** 2  # tr S - |mc|^2
        centre_sq = ((mean / a - self.centre) ** 2).sum(dim=1)
        return ~(spread * CANCELLATION_LIMIT >= spread + 2 * centre_sq)

    def _covariance_from_differences(self, shifted, q, a, h, log_sum, mean) -> torch.Tensor:
        cov = torch.zeros(shifted.shape[0], self.dim, self.dim, dtype=shifted.dtype, device=shifted.device)
        step = self._chunk(shifted.shape[0], self.dim)
        for start in range(0, self.n, step):
            sl = slice(start, start + step)
            w = torch.exp(self._log_kernel(shifted, q, a, h, sl) - log_sum[:, None])
            z = w.sqrt()[:, :, None] * (a[:, :, None] * self.data[sl][None] - mean[:, None, :])
            cov += z.transpose(1, 2) @ z
        # GEMM sums (i, j) and (j, i) in different orders: make the covariance exactly symmetric
        # (eigensolvers read one triangle; certificates assume a symmetric matrix)
        return (cov + cov.transpose(1, 2)).mul_(0.5)

    def _covariance_from_outer(self, shifted, q, a, h, log_sum, mean, logk=None) -> torch.Tensor:
        if logk is not None:
            upper = torch.exp(logk - log_sum[:, None]) @ self._outer
        else:
            upper = torch.zeros(shifted.shape[0], self._outer.shape[1], dtype=shifted.dtype, device=shifted.device)
            step = self._chunk(shifted.shape[0], 1)
            for start in range(0, self.n, step):
                sl = slice(start, start + step)
                w = torch.exp(self._log_kernel(shifted, q, a, h, sl) - log_sum[:, None])
                upper += w @ self._outer[sl]
        return self._covariance_from_upper(upper, mean, a)

    def _covariance_from_upper(self, upper, mean, a) -> torch.Tensor:
        """a^2 (S - mc mc^T) from the upper triangle of S (B, D (D + 1) / 2); shape (B, D, D)."""
        # one gather fills both triangles of S (torch.gather: 5x faster than indexing); then in place
        index = self._symmetric[None].expand(upper.shape[0], -1)
        second = torch.gather(upper, 1, index).view(upper.shape[0], self.dim, self.dim)
        mc = mean / a - self.centre
        return second.sub_(mc[:, :, None] * mc[:, None, :]).mul_(a[:, :, None] ** 2)

    def log_density(self, x, t) -> torch.Tensor:
        """log p_t(x); shape (B,)."""
        mom = self.moments(x, t)
        return mom.log_sum - math.log(self.n) - 0.5 * self.dim * torch.log(2 * math.pi * mom.h[:, 0])

    def posterior_mean(self, x, t) -> torch.Tensor:
        """m_t(x) = sum_i w_i a_t x_i; shape (B, D)."""
        return self.moments(x, t).mean

    def score(self, x, t) -> torch.Tensor:
        """grad log p_t(x) = (m_t(x) - x) / h_t; shape (B, D)."""
        mom = self.moments(x, t)
        return mom.shift / mom.h

    def hessian(self, x, t) -> torch.Tensor:
        """hess log p_t(x) = -I/h_t + Cov_w(a_t x_i)/h_t^2; shape (B, D, D)."""
        mom = self.moments(x, t, with_cov=True)
        return hessian_from_moments(mom)

    def score_and_hessian_product(self, x, t, v) -> tuple[torch.Tensor, torch.Tensor]:
        """grad log p_t(x) and (hess log p_t(x)) v without forming the Hessian; each (B, D).

        H v = -v/h + Cov_w v / h^2 with Cov_w v = sum_i w_i c_i (c_i . v), c_i = a_t x_i - m_t(x),
        taken over chunks of training points from exact differences (no second-moment cancellation).
        """
        x = self._check_queries(x)
        v = torch.as_tensor(v, dtype=x.dtype, device=x.device)
        mom = self.moments(x, t)
        a, h = mom.a, mom.h
        shifted, q = self._kernel_queries(x, a)
        cov_v = torch.zeros_like(x)
        step = self._chunk(x.shape[0], self.dim)
        for start in range(0, self.n, step):
            sl = slice(start, start + step)
            w = torch.exp(self._log_kernel(shifted, q, a, h, sl) - mom.log_sum[:, None])  # (B, chunk)
            c = a[:, :, None] * self.data[sl][None] - mom.mean[:, None, :]  # (B, chunk, D)
            cov_v += ((w * (c @ v[:, :, None])[:, :, 0])[:, :, None] * c).sum(dim=1)
        return mom.shift / h, -v / h + cov_v / h**2

    def nearest_distances(self, x, t, k: int = 2) -> torch.Tensor:
        """Distances from x to its ``k`` nearest scaled training points a_t x_i; shape (B, k)."""
        x = self._check_queries(x)
        a, _ = self._times(x, t)
        k = min(k, self.n)
        shifted, q = self._kernel_queries(x, a)
        best = torch.full((x.shape[0], k), math.inf, dtype=x.dtype, device=x.device)
        step = self._chunk(x.shape[0], 1)
        for start in range(0, self.n, step):
            sl = slice(start, start + step)
            sq = q[:, None] - 2.0 * a * (shifted @ self.data[sl].T) + a**2 * self._centred_sq_norms[sl][None, :]
            best = torch.cat([best, sq.clamp_min(0.0)], dim=1).topk(k, dim=1, largest=False).values
        return best.sqrt()

    def _check_queries(self, x) -> torch.Tensor:
        x = torch.as_tensor(x, dtype=torch.float64, device=self.data.device)
        if x.ndim != 2 or x.shape[1] != self.dim:
            raise ValueError(f"query points must have shape (B, {self.dim}), got {tuple(x.shape)}")
        return x


def nearest_points(data, x, k: int = 1, memory_elements: int = DEFAULT_MEMORY_ELEMENTS):
    """Indices of and distances to the ``k`` nearest rows of ``data`` for each row of ``x``.

    The distances are taken over chunks of ``data``, B x chunk within ``memory_elements``, keeping
    the k nearest so far, so memory does not grow with n. Computed on ``data``'s device.

    Parameters
    ----------
    data : (n, D). x : (B, D).

    Returns
    -------
    indices (B, min(k, n)) int64 and distances (B, min(k, n)) float64, nearest first.
    """
    y = torch.as_tensor(data, dtype=torch.float64)
    x = torch.as_tensor(x, dtype=torch.float64, device=y.device)
    k = min(int(k), y.shape[0])
    step = max(1, int(memory_elements) // max(1, x.shape[0]))
    best = torch.empty(x.shape[0], 0, dtype=x.dtype, device=y.device)
    best_idx = torch.empty(x.shape[0], 0, dtype=torch.int64, device=y.device)
    for start in range(0, y.shape[0], step):
        d = torch.cdist(x, y[start:start + step])
        idx = torch.arange(start, start + d.shape[1], device=y.device).expand(x.shape[0], -1)
        values, cols = torch.cat([best, d], dim=1), torch.cat([best_idx, idx], dim=1)
        near = values.topk(min(k, values.shape[1]), dim=1, largest=False, sorted=True)
        best, best_idx = near.values, cols.gather(1, near.indices)
    return best_idx, best


def hessian_from_moments(mom: KernelMoments) -> torch.Tensor:
    """-I/h + Cov/h^2 from precomputed moments; shape (B, D, D)."""
    dim = mom.mean.shape[1]
    eye = torch.eye(dim, dtype=mom.mean.dtype, device=mom.mean.device)
    h = mom.h[:, :, None]
    return -eye / h + mom.cov / h**2
