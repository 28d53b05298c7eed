"""Frames at scale (ridgeline.truncated_frames, ridgeline.tangent_tracking) against the full
decomposition: the same eigenvalues, residuals, eigengaps and curvature where the frame is defined,
a dropped mass and covariance error within their certified bounds, frames reported undefined at
degenerate gaps, SCMS fixed points identical to the reference; each with a control that fails."""

import math

import pytest
import torch

from ridgeline.datasets import random_modes
from ridgeline.empirical import SmoothedEmpirical
from ridgeline.ridge import ridge_frame
from ridgeline.scms import scms_project
from ridgeline.tangent_tracking import initial_block, track_tangent
from ridgeline.truncated_frames import truncated_frame

T = 0.1  # the posterior sits on one cluster of 12 points: truncation keeps 16 of the 120


@pytest.fixture(scope="module")
def modes():
    """10 clusters of 12 points in D = 24 (clusters about 20 apart, points about 3 apart), and 300
    queries drawn from p_t: K = 16 < D, and the frame is defined at most queries."""
    g = torch.Generator().manual_seed(3)
    centres = 10 * torch.randn(10, 24, generator=g, dtype=torch.float64)
    data = (centres[:, None, :] + 0.5 * torch.randn(10, 12, 24, generator=g, dtype=torch.float64)).reshape(-1, 24)
    dist = SmoothedEmpirical(data)
    return dist, dist.draw(300, T, torch.Generator().manual_seed(1))


def _reference_cov(dist, x):
    return dist.moments(x, T, with_cov=True).cov


def test_truncated_frames_match_the_full_decomposition_where_defined(modes):
    dist, x = modes
    ref, fast = ridge_frame(dist, x, T, 2), truncated_frame(dist, x, T, 2, weight_tol=1e-14)
    assert fast.vectors.shape[2] < dist.dim  # a K x K problem, K < D
    ok = ref.defined() & fast.defined()
    assert ok.float().mean() > 0.5
    assert torch.allclose(ref.eigenvalues[:, :3], fast.eigenvalues[:, :3], rtol=0, atol=1e-8)
    assert torch.allclose(ref.residual()[ok], fast.residual()[ok], rtol=1e-9, atol=1e-9)
    assert torch.allclose(ref.eigengap()[ok], fast.eigengap()[ok], rtol=1e-9, atol=1e-9)
    assert torch.equal(ref.curvature_ok()[ok], fast.curvature_ok()[ok])
    assert torch.equal(ref.defined(), fast.defined())


def test_the_dropped_mass_and_the_covariance_error_stay_within_their_certified_bounds(modes):
    dist, x = modes
    full = _reference_cov(dist, x)
    round_off = 1e-12 * float((dist.data**2).sum(dim=1).max())  # the full covariance's own cancellation
    for tol in (1e-14, 1e-6, 0.5):
        fast = truncated_frame(dist, x, T, 2, weight_tol=tol)
        assert (fast.dropped_mass <= tol).all()
        kept = fast.vectors * fast.cov_eigenvalues[:, None, :]
        error = torch.linalg.matrix_norm(kept @ fast.vectors.transpose(1, 2) - full, ord=2)
        assert (error <= fast.cov_error_bound * (1 + 1e-9) + round_off).all()
    assert fast.vectors.shape[2] == 8 and fast.dropped_mass.max() > 1e-7  # 0.5: something was dropped
    # control: that truncation is visible against the reference (1e-14: agreement to 1e-8 above)
    ref = ridge_frame(dist, x, T, 2)
    assert (ref.eigenvalues[:, :3] - fast.eigenvalues[:, :3]).abs().max() > 1e-6


def test_a_spread_posterior_falls_back_to_the_full_frame():
    dist = SmoothedEmpirical(random_modes(60, 12, spacing=1.0, seed=3))
    x = dist.draw(50, 0.3, torch.Generator().manual_seed(1))
    fast, ref = truncated_frame(dist, x, 0.3, 2), ridge_frame(dist, x, 0.3, 2)
    assert type(fast) is type(ref) and torch.equal(fast.eigenvalues, ref.eigenvalues)


def test_a_degenerate_gap_is_reported_undefined_by_both_paths():
    square = SmoothedEmpirical(torch.tensor([[1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]]))
    centre, off = torch.zeros(1, 2, dtype=torch.float64), torch.tensor([[0.3, 0.0]], dtype=torch.float64)
    for frame in (ridge_frame, truncated_frame):
        assert not frame(square, centre, 0.5, 1).defined().item()  # isotropic: any tangent would be a guess
        assert frame(square, off, 0.5, 1).defined().item()  # control: off the centre the gap opens


def test_a_warm_started_tangent_is_within_its_estimated_angle_of_the_true_one(modes):
    dist, x = modes
    ref = ridge_frame(dist, x, T, 1)
    ok = ref.defined(1e-6)
    exact_block = initial_block(dist, x, T, 1)
    near = torch.linalg.qr(exact_block + 1e-3 * torch.randn_like(exact_block)).Q
    frame = track_tangent(dist, x, T, 1, near, angle_tol=1e-12, max_sweeps=8)
    angle = torch.asin(ref.normal_part(frame.tangent[:, :, 0]).norm(dim=1).clamp(max=1.0))
    tracked = ok & (frame.angle_bound > 0)  # 0: fell back to the full decomposition
    assert tracked.any() and (angle[tracked] <= frame.angle_bound[tracked] * (1 + 1e-6) + 1e-12).all()
    assert angle[ok].max() < 1e-9
    # control: one sweep from a random block is far from the tangent, and its estimate says so
    random = torch.linalg.qr(torch.randn_like(exact_block)).Q
    frame = track_tangent(dist, x, T, 1, random, angle_tol=math.inf, max_sweeps=1)
    angle = torch.asin(ref.normal_part(frame.tangent[:, :, 0]).norm(dim=1).clamp(max=1.0))
    assert angle[ok].max() > 1e-3 and (frame.angle_bound[ok] > 1e-3).all()


@pytest.mark.parametrize("frames", ["tracked", "truncated"])
def test_scms_with_fast_frames_finds_the_reference_fixed_points(frames):
    dist = SmoothedEmpirical(random_modes(40, 8, spacing=2.0, seed=0))
    x = dist.draw(200, 0.3, torch.Generator().manual_seed(0))
    options = dict(ridge_dim=1, tol=1e-8, max_iter=3000, criterion="absolute")
    ref = scms_project(dist, x, 0.3, **options)
    fast = scms_project(dist, x, 0.3, frames=frames, **options)
    assert torch.equal(ref.converged, fast.converged) and ref.converged.float().mean() > 0.9
    assert (ref.points - fast.points).norm(dim=1).max() < 1e-6
    assert torch.equal(ref.curvature_ok, fast.curvature_ok)
    # control: the same start projected at another time ends elsewhere (the comparison can fail)
    other = scms_project(dist, x, 0.3 * math.e, frames=frames, **options)
    assert (ref.points - other.points).norm(dim=1).max() > 1e-3


def test_tracked_frames_refuse_the_newton_method():
    dist = SmoothedEmpirical(random_modes(10, 4, seed=0))
    with pytest.raises(ValueError, match="method 'scms'"):
        scms_project(dist, dist.data[:3] + 0.1, 0.3, ridge_dim=1, frames="tracked", method="newton")
