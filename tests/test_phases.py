import math

import numpy as np
import pytest
import torch
from scipy.stats import chi2

from ridgeline.datasets import named_set
from ridgeline.empirical import SmoothedEmpirical
from ridgeline.forward import geometric_grid
from ridgeline.metrics import trajectory_metrics
from ridgeline.models import ExactScore
from ridgeline.phases import TubeCounts, align_measures, reach_times, score_error_parts, tube_radius
from ridgeline.sampling import sample
from ridgeline.scms import scms_project

SCMS = dict(tol=1e-9, max_iter=2000, criterion="relative", method="scms")


class ShiftedScore:
    """The exact score plus an error field ``e`` constant in x (a synthetic, known score error).

    ``e`` is a vector, or a function of t returning one.
    """

    def __init__(self, data, e):
        self.exact, self.e = ExactScore(data), e

    def score(self, x, t):
        e = self.e(float(t)) if callable(self.e) else self.e
        return self.exact.score(x, t) + torch.as_tensor(e, dtype=torch.float64)

    def posterior_mean(self, x, t):
        return x + (1 - math.exp(-2 * float(t))) * self.score(x, t)


def test_a_ridge_point_stays_on_the_ridge_under_the_exact_score():
    data = named_set("two_mode")
    y0 = torch.stack([torch.linspace(-2.5, 2.5, 7, dtype=torch.float64), torch.zeros(7, dtype=torch.float64)], 1)
    grid = geometric_grid(0.2, 1e-3, 200)
    idx = torch.arange(0, 201, 20)
    traj = sample(ExactScore(data), 7, dim=2, grid=grid, snapshot_idx=idx, method="ode", y0=y0)
    ds = trajectory_metrics(SmoothedEmpirical(data), traj.times, traj.states, ridge_dim=1, scms=SCMS, near_radius=0.5)
    np.testing.assert_allclose(ds["scms_distance"].values, 0.0, atol=1e-12)
    np.testing.assert_allclose(ds["residual"].values, 0.0, atol=1e-9)


def test_score_error_parts_of_a_known_error_field():
    data = named_set("two_mode")
    model = ShiftedScore(data, [0.3, -0.4])
    x = torch.tensor([[0.5, 0.0], [-1.0, 0.0]], dtype=torch.float64)
    normal, tangential = score_error_parts(model, SmoothedEmpirical(data), x, 0.3, 1)
    # the normal direction on the axis is y
    np.testing.assert_allclose(normal.numpy(), [[0.0, -0.4], [0.0, -0.4]], atol=1e-12)
    np.testing.assert_allclose(tangential.numpy(), [[0.3, 0.0], [0.3, 0.0]], atol=1e-12)


def test_offset_predicted_at_the_ridge_is_the_shift_of_normally_shifted_data():
    """A normal error e_N(t) = a_t delta / h_t, constant in x, is the score error of the data shifted by
    delta off the ridge: the reverse process samples that shifted family, so the offset at every t is
    a_t delta = h_t e_N(r), measured from the ridge projection r (align's known answer)."""
    data = named_set("two_mode")
    delta = 0.3

    def error(t):
        return [0.0, math.exp(-t) * delta / -math.expm1(-2 * t)]

    model = ShiftedScore(data, error)
    grid = geometric_grid(5.0, 1e-3, 800)
    idx = torch.arange(0, 801, 100)
    z = torch.randn(200, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    y0 = torch.cat([z, z * torch.tensor([1.0, -1.0], dtype=torch.float64)])  # antithetic in the normal direction
    traj = sample(model, 400, dim=2, grid=grid, snapshot_idx=idx, method="ode", y0=y0)
    ds = trajectory_metrics(SmoothedEmpirical(data), traj.times, traj.states, ridge_dim=1, scms=SCMS, near_radius=0.5,
                            model=model)
    t = traj.times.numpy()
    predicted = ds["offset_predicted"].values
    np.testing.assert_allclose(predicted, np.broadcast_to((np.exp(-t) * delta)[:, None], predicted.shape), rtol=1e-9)
    late = t < 0.5
    mean_along = ds["offset_along"].values.mean(axis=1)  # antithetic pairs cancel the spread
    np.testing.assert_allclose(mean_along[late], np.exp(-t[late]) * delta, rtol=0.02)


def test_a_normal_error_that_is_not_at_the_ridge_predicts_no_offset():
    """The negative control of the tautology: a model with no normal score at all (s = P_T g) has no
    normal error at the ridge (P_N g(r) = 0), so the offset it predicts there is 0 however far its
    samples are; the old prediction h_t |P_N e(x)| at the sample equals the distance itself."""
    data = named_set("two_mode")
    dist = SmoothedEmpirical(data)
    x = torch.tensor([[1.0, 2.0], [-2.0, -1.5], [0.5, 0.7]], dtype=torch.float64)
    proj = scms_project(dist, x, 0.1, ridge_dim=1, **SCMS).points

    class NoNormal:
        def score(self, y, t):
            g = dist.score(y, t)
            return torch.stack([g[:, 0], torch.zeros_like(g[:, 1])], dim=1)

    out = align_measures(NoNormal(), dist, x, proj, 0.1, 1)
    np.testing.assert_allclose(out["offset_predicted"].numpy(), 0.0, atol=1e-12)
    np.testing.assert_allclose(out["offset_measured"].numpy(), x[:, 1].abs().numpy(), rtol=1e-9)
    old = (1 - math.exp(-0.2)) * score_error_parts(NoNormal(), dist, x, 0.1, 1)[0].norm(dim=1)
    np.testing.assert_allclose(old.numpy(), x[:, 1].abs().numpy(), rtol=1e-9)  # the tautology


def test_reach_times_and_tube_counts_with_a_radius_per_snapshot():
    times = np.array([10.0, 1.0, 0.1, 0.01])
    radii = np.array([0.2, 0.2, 0.2, 0.05])
    distance = np.array([[2.0, 2.0, 0.5], [0.8, 2.0, 0.1], [0.1, 2.0, 0.05], [0.01, 2.0, 0.06]])
    np.testing.assert_allclose(reach_times(times, distance, radii), [0.1, np.nan, 1.0])
    counts = TubeCounts(radii)
    counts.add(distance[:, :1])
    counts.add(distance[:, 1:])  # blocks add up
    np.testing.assert_allclose(counts.fraction(), [0, 1 / 3, 2 / 3, 1 / 3])


@pytest.mark.parametrize("dim", [2, 17])
def test_the_tube_radius_is_the_normal_width_of_p_t(dim):
    """c sqrt(h_t (D - d)): samples of a Gaussian N(0, h_t) in the D - d normal directions fall inside
    it with the chi-square probability of c^2 (D - d)."""
    t, c = 0.05, 2.0
    rho = tube_radius(t, dim, 1, c)
    h = -math.expm1(-2 * t)
    z = np.random.default_rng(0).standard_normal((20000, dim - 1)) * math.sqrt(h)
    inside = (np.linalg.norm(z, axis=1) <= rho).mean()
    assert abs(inside - chi2.cdf(c**2 * (dim - 1), dim - 1)) < 0.01
