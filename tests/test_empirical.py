import math

import numpy as np
import pytest
import torch

from ridgeline.empirical import SmoothedEmpirical, nearest_points


def _data(n, dim, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, dim, generator=g, dtype=torch.float64) * 2


def _queries(b, dim, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(b, dim, generator=g, dtype=torch.float64) * 2


def test_log_density_matches_direct_mixture():
    data, x, t = _data(7, 3), _queries(5, 3), 0.4
    a, h = math.exp(-t), 1 - math.exp(-2 * t)
    dens = torch.zeros(5, dtype=torch.float64)
    for y in data:
        dens += torch.exp(-((x - a * y) ** 2).sum(1) / (2 * h)) / (2 * math.pi * h) ** 1.5
    expected = torch.log(dens / 7)
    assert torch.allclose(SmoothedEmpirical(data).log_density(x, t), expected, rtol=1e-12)


def _central_difference(fn, x, eps=1e-6):
    """d fn(x) / d x_k by central differences, stacked along a new last axis; fn maps (B, D) -> (B, ...)."""
    steps = torch.eye(x.shape[1], dtype=torch.float64) * eps
    return torch.stack([(fn(x + e) - fn(x - e)) / (2 * eps) for e in steps], dim=-1)


@pytest.mark.parametrize("dim", [2, 3, 5])
@pytest.mark.parametrize("t", [0.05, 0.7])
def test_score_is_gradient_of_log_density(dim, t):
    dist, x = SmoothedEmpirical(_data(9, dim)), _queries(6, dim)
    fd = _central_difference(lambda y: dist.log_density(y, t), x)
    assert torch.allclose(dist.score(x, t), fd, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("dim", [2, 4])
@pytest.mark.parametrize("t", [0.05, 0.7])
def test_hessian_is_jacobian_of_score(dim, t):
    dist, x = SmoothedEmpirical(_data(9, dim)), _queries(6, dim)
    fd = _central_difference(lambda y: dist.score(y, t), x)
    H = dist.hessian(x, t)
    assert torch.allclose(H, fd, rtol=1e-5, atol=1e-5 / (1 - math.exp(-2 * t)))
    assert torch.allclose(H, H.transpose(1, 2))


def test_streamed_path_equals_dense_path():
    data, x, t = _data(300, 4), _queries(17, 4), 0.2
    dense = SmoothedEmpirical(data).moments(x, t, with_cov=True)
    streamed = SmoothedEmpirical(data, memory_elements=64).moments(x, t, with_cov=True)
    assert torch.allclose(dense.log_sum, streamed.log_sum, rtol=1e-12)
    assert torch.allclose(dense.mean, streamed.mean, rtol=1e-10, atol=1e-12)
    assert torch.allclose(dense.cov, streamed.cov, rtol=1e-8, atol=1e-12)


def test_posterior_mean_relation_and_per_point_times():
    dist, x = SmoothedEmpirical(_data(5, 2)), _queries(4, 2)
    t = torch.tensor([0.1, 0.5, 1.0, 3.0], dtype=torch.float64)
    s = dist.score(x, t)
    for k in range(4):
        h = 1 - math.exp(-2 * t[k].item())
        single = dist.score(x[k:k + 1], t[k].item())
        assert torch.allclose(s[k:k + 1], single)
        assert torch.allclose(dist.posterior_mean(x[k:k + 1], t[k].item()), x[k:k + 1] + h * single)


@pytest.mark.parametrize("t", [1e-5, 1e-4])
def test_small_times_are_finite(t):
    dist = SmoothedEmpirical(_data(20, 3))
    x = _queries(50, 3) * 5  # far from every point: log weights around -1e7
    for path in (dist, SmoothedEmpirical(dist.data, memory_elements=32)):
        mom = path.moments(x, t, with_cov=True)
        assert torch.isfinite(mom.log_sum).all() and torch.isfinite(mom.mean).all()
        assert torch.isfinite(path.hessian(x, t)).all() and torch.isfinite(path.score(x, t)).all()


def test_posterior_mean_snaps_to_nearest_point_as_t_goes_to_zero():
    data = _data(10, 2)
    dist = SmoothedEmpirical(data)
    x = data[:3] + 1e-3
    t = 1e-5
    assert torch.allclose(dist.posterior_mean(x, t), math.exp(-t) * data[:3], atol=1e-9)


def test_mnist_sized_training_set_fits_in_memory():
    g = torch.Generator().manual_seed(0)
    data = torch.rand(60_000, 784, generator=g, dtype=torch.float64)
    dist = SmoothedEmpirical(data)
    x = data[:3] * 0.9 + 0.05
    s, H = dist.score(x, 0.05), dist.hessian(x[:2], 0.05)
    assert s.shape == (3, 784) and H.shape == (2, 784, 784)
    assert torch.isfinite(s).all() and torch.isfinite(H).all()


def test_nearest_distances_match_brute_force():
    data, x, t = _data(40, 3), _queries(8, 3), 0.3
    d = torch.cdist(x, math.exp(-t) * data).sort(dim=1).values[:, :2]
    got = SmoothedEmpirical(data, memory_elements=64).nearest_distances(x, t, k=2)
    assert torch.allclose(got, d, rtol=1e-9, atol=1e-9)


def test_bad_shapes_give_clear_errors():
    with pytest.raises(ValueError, match=r"shape \(n, D\)"):
        SmoothedEmpirical(torch.zeros(5))
    with pytest.raises(ValueError, match=r"query points must have shape \(B, 2\)"):
        SmoothedEmpirical(torch.zeros(5, 2)).score(torch.zeros(3, 3), 0.1)


def test_draws_from_p_t_have_its_mean_and_covariance():
    g = torch.Generator().manual_seed(0)
    data = torch.randn(5, 3, generator=g, dtype=torch.float64) * 2
    t = 0.4
    a, h = math.exp(-t), -math.expm1(-2 * t)
    x = SmoothedEmpirical(data).draw(200_000, t, torch.Generator().manual_seed(1))
    centred = data - data.mean(dim=0)
    mixture_cov = a**2 * centred.T @ centred / 5 + h * torch.eye(3, dtype=torch.float64)
    assert x.shape == (200_000, 3) and x.dtype == torch.float64
    assert torch.allclose(x.mean(dim=0), a * data.mean(dim=0), atol=0.03)
    assert torch.allclose(torch.cov(x.T), mixture_cov, atol=0.05 * mixture_cov.abs().max())


def test_nearest_points_over_chunks_equal_the_brute_force():
    rng = np.random.default_rng(5)
    data, x = rng.normal(size=(41, 3)), rng.normal(size=(7, 3))
    d = np.linalg.norm(x[:, None] - data[None], axis=-1)
    for budget in (7 * 41, 7 * 5, 7):  # one chunk, chunks of 5 points, chunks of one point
        idx, dist = nearest_points(data, x, k=3, memory_elements=budget)
        np.testing.assert_array_equal(idx.numpy(), np.argsort(d, axis=1)[:, :3])
        np.testing.assert_allclose(dist.numpy(), np.sort(d, axis=1)[:, :3], rtol=1e-12)
    idx, dist = nearest_points(data[:2], x, k=5)  # k above n: all n points
    assert idx.shape == (7, 2)


@pytest.mark.parametrize("memory", [4 * 1024 * 1024, 40])  # dense path; chunks of a few training points
def test_hessian_vector_product_is_the_derivative_of_the_score(memory):
    g = torch.Generator().manual_seed(3)
    data = torch.randn(25, 4, generator=g, dtype=torch.float64)
    dist = SmoothedEmpirical(data, memory_elements=memory)
    x, v = torch.randn(6, 4, generator=g, dtype=torch.float64), torch.randn(6, 4, generator=g, dtype=torch.float64)
    score, hv = dist.score_and_hessian_product(x, 0.4, v)
    eps = 1e-6
    fd = (dist.score(x + eps * v, 0.4) - dist.score(x - eps * v, 0.4)) / (2 * eps)
    torch.testing.assert_close(hv, fd, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(score, dist.score(x, 0.4))
    torch.testing.assert_close(hv, (dist.hessian(x, 0.4) @ v[:, :, None])[:, :, 0])


def test_moments_in_the_span_are_those_of_the_embedded_set():
    from ridgeline.datasets import build_dataset

    data = build_dataset("triangle", embed_dim=12)
    dist = SmoothedEmpirical(data)
    basis = dist.span()[0]
    x = dist.draw(40, 0.3, torch.Generator().manual_seed(0))
    a = math.exp(-0.3)
    inner = dist.in_span().moments((x - a * dist.centre) @ basis, 0.3, with_cov=True)
    full = dist.moments(x, 0.3, with_cov=True)
    torch.testing.assert_close(inner.cov, basis.T @ full.cov @ basis, rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(inner.mean, (full.mean - a * dist.centre) @ basis, rtol=1e-9, atol=1e-12)


def _exact_covariance(dist, x, t):
    """Cov_w from centred differences, one query at a time (no cancellation); (B, D, D)."""
    mom = dist.moments(x, t)
    a = math.exp(-t)
    out = []
    for i in range(x.shape[0]):
        c = a * dist.data - mom.mean[i]
        w = torch.softmax(-((x[i] - a * dist.data) ** 2).sum(dim=1) / (2 * (1 - math.exp(-2 * t))), dim=0)
        out.append((w[:, None] * c).T @ c)
    return torch.stack(out)


@pytest.mark.parametrize("t", [0.01, 0.3])
def test_covariances_keep_their_digits_where_the_outer_products_would_cancel(t):
    # 13 points far from the origin: at small t the posterior sits on one or two points, Cov_w is
    # tiny, and S - mc mc^T from stored outer products keeps only rounding noise of |mc|^2
    data = torch.randn(13, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64) + 30.0
    x = SmoothedEmpirical(data).draw(40, t, torch.Generator().manual_seed(1))
    # the dense path (exact differences for the weights) and the streamed one (64 elements)
    for dist in (SmoothedEmpirical(data), SmoothedEmpirical(data, memory_elements=64)):
        exact = _exact_covariance(dist, x, t)
        cov = dist.moments(x, t, with_cov=True).cov
        scale = exact.diagonal(dim1=1, dim2=2).sum(dim=1)[:, None, None]
        # at most three digits lost to cancellation (CANCELLATION_LIMIT)
        assert ((cov - exact).abs() <= 1e-10 * scale + 1e-300).all()
    # control: the stored outer products alone lose the small-t covariances
    if t == 0.01:
        a, h = dist._times(x, t)
        mom = dist.moments(x, t)
        raw = dist._covariance_from_outer(x, (x**2).sum(dim=1), a, h, mom.log_sum, mom.mean)
        assert ((raw - exact).abs() > 1e-6 * scale).any()


def test_dense_moments_in_chunks_equal_one_dense_pass():
    dist = SmoothedEmpirical(torch.randn(300, 20, generator=torch.Generator().manual_seed(0), dtype=torch.float64))
    x = dist.draw(600, 0.3, torch.Generator().manual_seed(1))  # 600 x 300 x 20 > one chunk
    a, h = dist._times(x, 0.3)
    chunked, whole = dist.moments(x, 0.3), dist._dense_moments(x, a, h, False)
    assert torch.equal(chunked.shift, whole.shift) and torch.equal(chunked.log_sum, whole.log_sum)
    # control: a query moved changes its row
    moved = dist.moments(x + 1e-3, 0.3)
    assert not torch.equal(moved.shift, whole.shift)


def test_streamed_covariances_are_exactly_symmetric():
    # sets without stored outer products (n D^2 above the limit) accumulate Cov_w by GEMMs of the
    # centred differences; the eigensolvers read one triangle and the tracked frames' certificate
    # assumes C = C^T, so the result is symmetrised
    data = torch.randn(200, 32, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    dist = SmoothedEmpirical(data, memory_elements=10**5)
    dist._outer = None  # as for 60,000 latents in D = 32
    x = dist.draw(50, 0.3, torch.Generator().manual_seed(1))
    cov = dist.moments(x, 0.3, with_cov=True, batch_invariant=False).cov
    assert torch.equal(cov, cov.transpose(1, 2))
    assert torch.allclose(cov, _exact_covariance(dist, x, 0.3), rtol=0, atol=1e-12)
    # control: the raw GEMM of the same differences sums (i, j) and (j, i) apart
    a, h = dist._times(x, 0.3)
    mom = dist.moments(x, 0.3)
    z = torch.softmax(dist._log_kernel(*dist._kernel_queries(x, a), a, h, slice(0, 200)), dim=1).sqrt()[:, :, None] * (
        a[:, :, None] * data[None] - mom.mean[:, None, :])
    raw = z.transpose(1, 2) @ z
    assert not torch.equal(raw, raw.transpose(1, 2))


def test_streamed_log_kernels_keep_their_digits_far_from_the_origin():
    # 13 points 1,000 from the origin at t = 0.01 (|x|^2 / h ~ 1e8): the streamed path expands
    # |x - a y|^2 about the data centre, so its weights match the dense path's exact differences
    data = torch.randn(13, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64) + 1e3
    t = 0.01
    dense, streamed = SmoothedEmpirical(data), SmoothedEmpirical(data, memory_elements=64)
    x = dense.draw(200, t, torch.Generator().manual_seed(1))
    exact, fast = dense.moments(x, t), streamed.moments(x, t)
    assert (exact.log_sum - fast.log_sum).abs().max() < 1e-9
    assert (exact.shift - fast.shift).abs().max() < 1e-10
    # control: the same expansion about the origin, |x|^2 - 2 a x.y + a^2 |y|^2, loses ~1e-8
    a, h = dense._times(x, t)
    differences = -((x[:, None, :] - a[:, :, None] * data[None]) ** 2).sum(dim=2) / (2 * h)
    about_origin = -((x**2).sum(dim=1)[:, None] - 2 * a * (x @ data.T) + a**2 * (data**2).sum(dim=1)) / (2 * h)
    centred = streamed._log_kernel(*streamed._kernel_queries(x, a), a, h, slice(None))
    assert (centred - differences).abs().max() < 1e-9 < (about_origin - differences).abs().max()
