import math

import pytest
import torch

from ridgeline.datasets import embed, named_set, random_modes
from ridgeline.empirical import SmoothedEmpirical
from ridgeline.ridge import frame_from_moments, host_eigh_needed, ridge_frame, ridge_frame_batched, symmetric_eigh
from ridgeline.scms import scms_project


def test_closed_form_2x2_matches_eigh():
    g = torch.Generator().manual_seed(0)
    H = torch.randn(500, 2, 2, generator=g, dtype=torch.float64)
    H = H + H.transpose(1, 2)
    H[:5, 0, 1] = H[:5, 1, 0] = 0.0  # already diagonal, incl. ties below
    H[3] = torch.eye(2, dtype=torch.float64)
    evals, evecs = symmetric_eigh(H)
    assert torch.allclose(evals, torch.linalg.eigvalsh(H), atol=1e-12)
    assert torch.allclose(H @ evecs, evecs * evals[:, None, :], atol=1e-12)
    assert torch.allclose(evecs.transpose(1, 2) @ evecs, torch.eye(2, dtype=torch.float64).expand(500, 2, 2), atol=1e-12)


def test_closed_form_1x1_is_the_entry_with_a_unit_vector():
    H = torch.randn(7, 1, 1, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    evals, evecs = symmetric_eigh(H)
    ref_evals, ref_evecs = torch.linalg.eigh(H)
    assert torch.equal(evals, ref_evals) and torch.equal(evecs.abs(), ref_evecs.abs())
    assert torch.equal(evecs, torch.ones_like(H))


def test_host_eigh_is_chosen_only_for_cuda_batches_that_cuda_would_loop_over():
    cuda, cpu = torch.device("cuda"), torch.device("cpu")
    assert host_eigh_needed(cuda, (2000, 64, 64))
    assert host_eigh_needed("cuda:1", (2, 33, 33))
    assert not host_eigh_needed(cuda, (2000, 32, 32))  # one batched cuSOLVER call
    assert not host_eigh_needed(cuda, (1, 64, 64))  # a single matrix: one syevd either way
    assert not host_eigh_needed(cpu, (2000, 64, 64))


def test_host_eigh_returns_the_eigenpairs_of_a_d64_batch_on_the_input_device():
    g = torch.Generator().manual_seed(1)
    A = torch.randn(40, 64, 64, generator=g, dtype=torch.float64)
    H = A @ A.transpose(1, 2) / 64
    evals, evecs = symmetric_eigh(H, on_host=True)
    assert evals.device == H.device and evecs.device == H.device
    reference = torch.linalg.eigh(H)
    assert torch.equal(evals, reference[0]) and torch.equal(evecs, reference[1])
    assert torch.allclose(H @ evecs, evecs * evals[:, None, :], atol=1e-12)


@pytest.mark.parametrize("dim,ridge_dim", [(2, 1), (3, 1), (3, 2), (5, 2)])
def test_frame_is_orthonormal_and_eigenvalues_match_hessian(dim, ridge_dim):
    g = torch.Generator().manual_seed(dim)
    dist = SmoothedEmpirical(torch.randn(8, dim, generator=g, dtype=torch.float64) * 2)
    x = torch.randn(6, dim, generator=g, dtype=torch.float64)
    fr = ridge_frame(dist, x, 0.3, ridge_dim)
    E = fr.normal
    assert E.shape == (6, dim, dim - ridge_dim)
    assert torch.allclose(E.transpose(1, 2) @ E, torch.eye(dim - ridge_dim, dtype=torch.float64).expand(6, -1, -1),
                          atol=1e-10)
    H = dist.hessian(x, 0.3)
    assert torch.allclose(fr.eigenvalues, torch.linalg.eigvalsh(H).flip(1), rtol=1e-9, atol=1e-9)
    # E spans the eigenvectors of the D - d smallest eigenvalues: H E = E diag(lambda_N)
    lam_n = fr.eigenvalues.flip(1)[:, : dim - ridge_dim]
    assert torch.allclose(H @ E, E * lam_n[:, None, :], rtol=1e-8, atol=1e-8)


def test_normal_and_tangent_parts_add_up_and_are_orthogonal():
    dist = SmoothedEmpirical(named_set("thirteen"))
    g = torch.Generator().manual_seed(3)
    x, v = (torch.randn(20, 2, generator=g, dtype=torch.float64) * 3 for _ in range(2))
    fr = ridge_frame(dist, x, 0.2, 1)
    n, tg = fr.normal_part(v), fr.tangent_part(v)
    assert torch.allclose(n + tg, v)
    assert torch.allclose((n * tg).sum(1), torch.zeros(20, dtype=torch.float64), atol=1e-12)


@pytest.mark.parametrize("t", [0.05, 0.5, 2.0])
def test_points_on_the_two_mode_axis_are_ridge_points(t):
    """For (-3,0),(3,0) the x axis is the 1-D ridge at every t: zero residual, lambda_2 = -1/h < 0."""
    dist = SmoothedEmpirical(named_set("two_mode"))
    x = torch.stack([torch.linspace(-2.5, 2.5, 11, dtype=torch.float64), torch.zeros(11, dtype=torch.float64)], 1)
    fr = ridge_frame(dist, x, t, 1)
    assert torch.allclose(fr.residual(), torch.zeros(11, dtype=torch.float64), atol=1e-12)
    assert bool(fr.curvature_ok().all())
    h = 1 - math.exp(-2 * t)
    assert torch.allclose(fr.eigenvalues[:, 1], torch.full((11,), -1 / h, dtype=torch.float64), rtol=1e-9)
    assert bool((fr.eigengap() >= 0).all())
    # the normal part of any vector is its y component there
    v = torch.tensor([[1.0, 2.0]], dtype=torch.float64).expand(11, 2)
    assert torch.allclose(fr.normal_part(v), torch.tensor([[0.0, 2.0]], dtype=torch.float64).expand(11, 2), atol=1e-12)


def test_off_ridge_point_has_positive_residual_and_residual_scalings():
    dist = SmoothedEmpirical(named_set("two_mode"))
    x = torch.tensor([[1.0, 0.7]], dtype=torch.float64)
    fr = ridge_frame(dist, x, 0.5, 1)
    r = fr.residual()
    assert r.item() > 0.1
    assert fr.scaled_residual().item() == pytest.approx(fr.h.item() * r.item())
    assert fr.relative_residual().item() == pytest.approx(r.item() / fr.score.norm().item())


def test_batched_frames_cover_all_points():
    dist = SmoothedEmpirical(named_set("triangle"))
    x = torch.randn(50, 2, dtype=torch.float64)
    res = torch.cat([fr.residual() for _, fr in ridge_frame_batched(dist, x, 0.3, 1, batch=7)])
    assert torch.allclose(res, ridge_frame(dist, x, 0.3, 1).residual())


def test_invalid_ridge_dimension():
    dist = SmoothedEmpirical(named_set("triangle"))
    with pytest.raises(ValueError, match="1 <= d < D"):
        ridge_frame(dist, torch.zeros(1, 2, dtype=torch.float64), 0.3, 2)


@pytest.mark.parametrize("kind,dim,rank", [("triangle", 64, 2), ("two_mode", 16, 1), ("thirteen", 5, 2)])
def test_span_of_an_embedded_set_is_its_intrinsic_span(kind, dim, rank):
    data = embed(named_set(kind), dim, seed=1)
    basis, complement = SmoothedEmpirical(data).span()
    assert basis.shape == (dim, rank) and complement.shape == (dim, dim - rank)
    full = torch.cat([basis, complement], dim=1)
    assert torch.allclose(full.T @ full, torch.eye(dim, dtype=torch.float64), atol=1e-12)
    centred = torch.as_tensor(data - data.mean(axis=0))
    assert (centred @ complement).abs().max() < 1e-12


def frames_both_ways(data, t, ridge_dim, n=400, seed=0):
    """Frames of p_t at n points drawn from it: from the full D x D and from the span eigh."""
    dist = SmoothedEmpirical(data)
    x = dist.draw(n, t, torch.Generator().manual_seed(seed))
    mom = dist.moments(x, t, with_cov=True)
    return frame_from_moments(mom, ridge_dim), frame_from_moments(mom, ridge_dim, span=dist.span()), mom


@pytest.mark.parametrize("kind,dim,ridge_dim", [("triangle", 64, 1), ("two_mode", 16, 1), ("thirteen", 7, 2)])
def test_span_frame_gives_the_projections_and_spectrum_of_the_full_eigendecomposition(kind, dim, ridge_dim):
    full, span, mom = frames_both_ways(embed(named_set(kind), dim, seed=2), 0.4, ridge_dim)
    assert torch.allclose(span.eigenvalues, full.eigenvalues, rtol=1e-10, atol=1e-10 / mom.h.min())
    # the frame is defined where lambda_d > lambda_{d+1}: compare projections there
    ok = full.eigengap() * mom.h[:, 0] > 1e-6
    assert ok.sum() > 100
    v = torch.randn(ok.shape[0], dim, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    assert torch.allclose(span.normal_part(v)[ok], full.normal_part(v)[ok], atol=1e-9)
    assert torch.allclose(span.relative_residual()[ok], full.relative_residual()[ok], atol=1e-9)
    assert torch.equal(span.curvature_ok(), full.curvature_ok())


def test_full_rank_data_and_ridges_wider_than_the_span_take_the_full_eigendecomposition():
    full, span, _ = frames_both_ways(random_modes(40, 6, seed=0), 0.4, 2)  # span = all of R^6
    assert torch.equal(span.normal, full.normal) and torch.equal(span.eigenvalues, full.eigenvalues)
    full, span, _ = frames_both_ways(embed(named_set("two_mode"), 5, seed=0), 0.4, 2)  # d = 2 > k = 1
    assert torch.equal(span.normal, full.normal) and torch.equal(span.eigenvalues, full.eigenvalues)


def test_metrics_of_a_low_rank_set_never_decompose_a_matrix_of_the_ambient_order(monkeypatch):
    # 5 modes in R^3 embedded in R^40: centred, they span 3 dimensions, so every frame (metrics and
    # SCMS) needs at most a 3 x 3 eigh; a 40 x 40 one is what stalls CUDA (one syevd per matrix)
    from ridgeline.metrics import trajectory_metrics

    orders = []
    eigh = torch.linalg.eigh

    def recording_eigh(H, *args, **kwargs):
        orders.append(H.shape[-1])
        return eigh(H, *args, **kwargs)

    monkeypatch.setattr(torch.linalg, "eigh", recording_eigh)
    dist = SmoothedEmpirical(embed(random_modes(5, 3, seed=0), 40, seed=4))
    times = [1.0, 0.3]
    states = torch.stack([dist.draw(50, t, torch.Generator().manual_seed(5)) for t in times])
    scms = dict(tol=1e-8, max_iter=500, criterion="relative", method="newton")
    ds = trajectory_metrics(dist, times, states, ridge_dim=1, scms=scms, near_radius=0.5, workers=1)
    assert orders and max(orders) == 3
    assert ds["scms_converged"].values.mean() > 0.9


@pytest.mark.parametrize("criterion", ["relative", "scaled"])
def test_non_finite_points_are_never_converged(criterion):
    """NaN and overflowing starts stop at once, unconverged, with a NaN residual; the others are untouched."""
    dist = SmoothedEmpirical(named_set("two_mode"))
    good = torch.tensor([[0.3, 0.2], [-0.7, 0.1]], dtype=torch.float64)
    bad = torch.tensor([[float("nan"), 0.0], [1e200, 0.0], [float("inf"), 1.0]], dtype=torch.float64)
    mixed = scms_project(dist, torch.cat([bad, good]), 0.3, ridge_dim=1, tol=1e-6, max_iter=50, criterion=criterion)
    alone = scms_project(dist, good, 0.3, ridge_dim=1, tol=1e-6, max_iter=50, criterion=criterion)
    assert not mixed.converged[:3].any() and not mixed.curvature_ok[:3].any()
    assert torch.isnan(mixed.residual[:3]).all() and (mixed.iterations[:3] == 0).all()
    assert torch.equal(mixed.points[3:], alone.points) and mixed.converged[3:].all()
    # the frame itself reports a NaN relative residual where the score is not finite (it read 0 before)
    frame = ridge_frame(dist, bad[:1], 0.3, 1)
    assert torch.isnan(frame.relative_residual()).all()
