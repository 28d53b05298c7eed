import math

import numpy as np
import torch

from ridgeline.datasets import named_set
from ridgeline.empirical import SmoothedEmpirical
from ridgeline.forward import geometric_grid
from ridgeline.metrics import trajectory_metrics
from ridgeline.models import ExactScore
from ridgeline.phases import PhaseTotals, late_drift, reach_times, score_error_parts
from ridgeline.sampling import sample

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
    traj = sample(ExactScore(data), 7, 2, grid, idx, "ode", y0=y0)
    ds = trajectory_metrics(SmoothedEmpirical(data), traj.times, traj.states, 1, SCMS, 0.5)
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


def test_predicted_normal_offset_matches_the_measured_one():
    """A normal error e_N(t) = a_t delta / h_t, constant in x, shifts the samples off the ridge by h_t e_N.

    It is the score error of the data shifted by delta in the normal direction, so the reverse
    process samples exactly that shifted family: the offset at every t is a_t delta = h_t e_N (align).
    """
    data = named_set("two_mode")
    delta = 0.3

    def error(t):
        return [0.0, math.exp(-t) * delta / -math.expm1(-2 * t)]

    model = ShiftedScore(data, error)
    grid = geometric_grid(5.0, 1e-3, 800)
    idx = torch.arange(0, 801, 100)
    z = torch.randn(200, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    y0 = torch.cat([z, z * torch.tensor([1.0, -1.0], dtype=torch.float64)])  # antithetic in the normal direction
    traj = sample(model, 400, 2, grid, idx, "ode", y0=y0)
    ds = trajectory_metrics(SmoothedEmpirical(data), traj.times, traj.states, 1, SCMS, 0.5, model=model)
    measured, predicted = ds["normal_offset"].values, ds["predicted_offset"].values
    t = traj.times.numpy()
    np.testing.assert_allclose(predicted, np.broadcast_to((np.exp(-t) * delta)[:, None], predicted.shape), rtol=1e-9)
    totals = PhaseTotals(0.1)
    totals.add(ds["scms_distance"].values, measured, predicted)
    ratio, _ = totals.offset_agreement()
    late = t < 0.5
    np.testing.assert_allclose(ratio[late], 1.0, rtol=0.02)


def test_reach_time_and_tube_fraction():
    times = np.array([10.0, 1.0, 0.1, 0.01])
    distance = np.array([[2.0, 2.0, 0.5], [0.8, 2.0, 0.1], [0.1, 2.0, 0.05], [0.01, 2.0, 0.01]])
    np.testing.assert_allclose(reach_times(times, distance, 0.2), [0.1, np.nan, 1.0])
    totals = PhaseTotals(0.2)
    totals.add(distance)
    np.testing.assert_allclose(totals.tube_fraction(), [0, 1 / 3, 2 / 3, 2 / 3])


def test_late_drift_against_integrated_tangential_error():
    times = np.array([1.0, 0.1, 0.05, 0.01])
    proj = np.zeros((4, 2, 2))
    proj[:, 0, 0] = np.array([0.0, 0.0, 0.3, 0.5]) * np.exp(-times)  # slides 0.5 at data scale
    e_t = np.ones((4, 2))
    drift, predicted = late_drift(times, proj, e_t, late_time=0.1)
    np.testing.assert_allclose(drift, [0.5, 0.0], atol=1e-12)
    np.testing.assert_allclose(predicted, 2 * 0.09)
