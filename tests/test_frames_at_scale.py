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
from ridgeline.tangent_tracking import certified_ritz, power_filter, tail_bound, track_tangent
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


def _spd(eigenvalues, seed):
    """A batch of symmetric matrices with the given descending eigenvalues (B, D) and random
    eigenvectors; returns (matrices (B, D, D), eigenvectors (B, D, D), columns in that order)."""
    g = torch.Generator().manual_seed(seed)
    q = torch.linalg.qr(torch.randn(*eigenvalues.shape, eigenvalues.shape[1], generator=g, dtype=torch.float64)).Q
    return (q * eigenvalues[:, None, :]) @ q.transpose(1, 2), q


def test_power_traces_are_the_traces_of_the_normalised_powers():
    mu = torch.rand(20, 9, generator=torch.Generator().manual_seed(0), dtype=torch.float64).sort(descending=True).values
    cov, _ = _spd(mu, 1)
    _, log_traces, scale = power_filter(cov, 3)
    cn = mu / mu.sum(dim=1, keepdim=True)
    powers = 2 ** torch.arange(5)
    expected = torch.log((cn[:, None, :] ** powers[None, :, None]).sum(dim=2))
    assert torch.allclose(log_traces, expected, rtol=0, atol=1e-12) and torch.allclose(scale, mu.sum(dim=1))
    # control: the traces of the next powers are not those
    assert not torch.allclose(log_traces[:, 1:], expected[:, :-1], rtol=0, atol=1e-3)


@pytest.mark.parametrize("tail", ["decaying", "flat", "degenerate"])
def test_the_tail_bound_lies_above_the_next_eigenvalue(tail):
    g = torch.Generator().manual_seed(2)
    mu = torch.rand(200, 16, generator=g, dtype=torch.float64).sort(descending=True).values
    if tail == "flat":  # 15 eigenvalues within 1 % of each other below a separated top
        mu = torch.cat([mu[:, :1] + 1, 0.5 + 0.005 * mu[:, 1:]], dim=1)
    elif tail == "degenerate":  # mu_1 = mu_2: no gap to certify
        mu[:, 1] = mu[:, 0]
    cov, q = _spd(mu, 3)
    _, log_traces, scale = power_filter(cov, 4)
    for angle in (0.0, 1e-6, 1e-2):  # Ritz values from blocks at these angles to the top pair
        block = torch.linalg.qr(q[:, :, :2] + angle * q[:, :, 2:4]).Q
        ritz = torch.linalg.eigvalsh(block.transpose(1, 2) @ cov @ block).flip(1)
        beta = tail_bound(log_traces, ritz / scale[:, None], 1, 16) * ritz[:, 0]
        assert (beta >= mu[:, 1] * (1 - 1e-12)).all()
        if tail == "decaying" and angle == 0.0:
            assert (beta <= 1.5 * mu[:, 1] + 0.05 * mu[:, 0]).all()  # and informative
            # control: subtracting the next Ritz value as if it were certain undercuts mu_2
            wrong = tail_bound(log_traces, ritz / scale[:, None], 2, 16) * ritz[:, 0]
            assert (wrong < mu[:, 1] * (1 - 1e-6)).any()


def test_the_certified_angle_bounds_the_true_angle_where_a_ritz_gap_estimate_does_not():
    # eigenvalues 1, 0.99, 0.1, ...: a block that holds v1 + 0.01 v2 and v3 but not v2
    mu = torch.tensor([[1.0, 0.99, 0.1, 0.05, 0.02, 0.01]], dtype=torch.float64).repeat(4, 1)
    cov, q = _spd(mu, 4)
    block = torch.linalg.qr(torch.stack([q[:, :, 0] + 0.01 * q[:, :, 1], q[:, :, 2]], dim=2)).Q
    _, log_traces, scale = power_filter(cov, 4)
    vectors, bound, ritz = certified_ritz(cov, block, log_traces, scale, 1)
    v, top = vectors[:, :, :1], q[:, :, :1]
    angle = (v - top @ (top.transpose(1, 2) @ v)).norm(dim=(1, 2))  # sin of the angle to v1
    assert (angle > 1e-3).all() and (angle <= bound * (1 + 1e-9)).all()
    # control: the residual over the Ritz gap mu~_1 - mu~_2 claims 100x less than the true angle
    residual = (cov @ vectors[:, :, :1] - vectors[:, :, :1] * ritz[:, None, :1]).norm(dim=(1, 2))
    assert (residual / (ritz[:, 0] - ritz[:, 1]) < angle / 50).all()


def test_a_tracked_tangent_is_within_its_certified_angle_of_the_true_one(modes):
    dist, x = modes
    ref = ridge_frame(dist, x, T, 1)
    ok = ref.defined(1e-6)
    true_tangent = torch.linalg.eigh(_reference_cov(dist, x)).eigenvectors.flip(2)[:, :, :2]
    for start in (None, torch.linalg.qr(true_tangent + 1e-3 * torch.randn_like(true_tangent)).Q):
        frame = track_tangent(dist, x, T, 1, start, angle_tol=1e-12)
        # the certificate is about the covariance the frame was given (the GEMM one, within 1e-12
        # of the reference's: tests/test_empirical.py)
        top = torch.linalg.eigh(frame.cov).eigenvectors[:, :, -1:]
        v = frame.tangent
        angle = (v - top @ (top.transpose(1, 2) @ v)).norm(dim=(1, 2))
        assert (angle[ok] <= frame.angle_bound[ok] * (1 + 1e-6) + 1e-15).all()
        assert angle[ok].max() < 1e-11 and (frame.angle_bound[ok] <= 1e-12).all()
        assert ref.normal_part(frame.tangent[:, :, 0]).norm(dim=1)[ok].max() < 1e-9  # and the reference's
    # control: one filter sweep from a random block, allowed no fallback, leaves queries uncertified
    random = torch.linalg.qr(torch.randn_like(true_tangent)).Q
    frame = track_tangent(dist, x, T, 1, random, angle_tol=math.inf, max_sweeps=1, squarings=0, applications=1)
    angle = ref.normal_part(frame.tangent[:, :, 0]).norm(dim=1)
    assert angle[ok].max() > 1e-3 and (frame.angle_bound[ok] >= angle[ok] * (1 - 1e-6)).all()


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
    # the reported stopping value and eigengap are those of the full decomposition at the point
    at = ridge_frame(dist, fast.points, 0.3, 1)
    scale = at.score.norm(dim=1)
    assert ((fast.residual - at.residual()).abs() <= 1e-9 * scale).all() and (fast.residual < 1e-8).all()
    assert torch.allclose(fast.eigengap, at.eigengap(), rtol=1e-9, atol=0)
    # control: the same start projected at another time ends elsewhere (the comparison can fail)
    other = scms_project(dist, x, 0.3 * math.e, frames=frames, **options)
    assert (ref.points - other.points).norm(dim=1).max() > 1e-3


def test_tracked_frames_refuse_the_newton_method():
    dist = SmoothedEmpirical(random_modes(10, 4, seed=0))
    with pytest.raises(ValueError, match="method 'scms'"):
        scms_project(dist, dist.data[:3] + 0.1, 0.3, ridge_dim=1, frames="tracked", method="newton")


@pytest.mark.parametrize("frames", ["full", "truncated", "tracked"])
@pytest.mark.parametrize("dim", [2, 8])
def test_non_finite_starting_points_stop_at_once_and_leave_the_others_alone(frames, dim):
    dist = SmoothedEmpirical(random_modes(40, dim, spacing=2.0, seed=0))
    x = dist.draw(20, 0.3, torch.Generator().manual_seed(0))
    bad = x.clone()
    bad[3], bad[5, 0] = float("nan"), float("inf")
    options = dict(ridge_dim=1, tol=1e-8, max_iter=500, criterion="absolute", frames=frames)
    res, clean = scms_project(dist, bad, 0.3, **options), scms_project(dist, x, 0.3, **options)
    for i in (3, 5):  # stopped at once, not converged, nothing finite reported
        assert res.iterations[i] == 0 and not res.converged[i] and not res.curvature_ok[i]
        assert torch.isnan(res.residual[i]) and torch.isnan(res.eigengap[i])
    good = torch.ones(20, dtype=torch.bool)
    good[[3, 5]] = False
    # control: the finite points converge where they do without the bad ones
    assert clean.converged[good].all() and res.converged[good].all()
    assert (res.points[good] - clean.points[good]).norm(dim=1).max() < 1e-9
