import math

import pytest
import torch

from ridgeline import forward


@pytest.mark.parametrize("t", [1e-8, 1e-3, 0.5, 10.0])
def test_alpha_and_variance_closed_forms(t):
    assert forward.alpha(t) == pytest.approx(math.exp(-t))
    assert forward.variance(t) == pytest.approx(1 - math.exp(-2 * t), rel=1e-12)
    tt = torch.tensor([t], dtype=torch.float64)
    assert forward.variance(tt).item() == pytest.approx(forward.variance(t), rel=1e-14)
    # h_t ~ 2t for small t: expm1 keeps relative accuracy where 1 - exp(-2t) would not
    if t < 1e-6:
        assert forward.variance(t) == pytest.approx(2 * t, rel=1e-6)


@pytest.mark.parametrize("kind", ["geometric", "linear", "cosine"])
def test_grids_run_from_T_to_t_min(kind):
    g = forward.time_grid(kind, 10.0, 1e-3, 50)
    assert g.shape == (51,)
    assert g[0].item() == pytest.approx(10.0) and g[-1].item() == pytest.approx(1e-3)
    assert bool((torch.diff(g) < 0).all())


def test_geometric_grid_ratio_is_constant():
    g = forward.geometric_grid(10.0, 1e-3, 100)
    r = g[1:] / g[:-1]
    assert torch.allclose(r, r[0].expand_as(r), rtol=1e-12)


def test_bad_range_is_rejected():
    with pytest.raises(ValueError, match="0 < t_min < T"):
        forward.geometric_grid(1.0, 2.0, 10)
    with pytest.raises(ValueError, match="unknown time grid"):
        forward.time_grid("spiral", 1.0, 0.1, 10)


def test_simpson_is_exact_for_cubics():
    t = torch.linspace(0.0, 2.0, 21, dtype=torch.float64)
    w = forward.simpson_weights(t)
    f = 3 * t**3 - t**2 + 2
    exact = 3 * 2**4 / 4 - 2**3 / 3 + 4
    assert (w * f).sum().item() == pytest.approx(exact, rel=1e-13)
    with pytest.raises(ValueError, match="odd number"):
        forward.simpson_weights(torch.linspace(0, 1, 4, dtype=torch.float64))


def test_trapezoid_and_gauss_legendre_integrate_exp():
    t = torch.linspace(0.0, 1.0, 2001, dtype=torch.float64)
    assert (forward.trapezoid_weights(t) * torch.exp(t)).sum().item() == pytest.approx(math.e - 1, rel=1e-6)
    nodes, weights = forward.gauss_legendre_panels(torch.tensor([0.0, 0.3, 1.0], dtype=torch.float64), 6)
    assert (weights * torch.exp(nodes)).sum().item() == pytest.approx(math.e - 1, rel=1e-12)
    assert bool((torch.diff(nodes) > 0).all())


def test_log_spaced_times_endpoints():
    s = forward.log_spaced_times(10.0, 1e-3, 11)
    assert s.shape == (11,) and s[0].item() == pytest.approx(10.0) and s[-1].item() == pytest.approx(1e-3)


@pytest.mark.parametrize("name,power", [("1", 0), ("h", 1), ("h2", 2)])
def test_score_matching_weights(name, power):
    h = torch.tensor([0.1, 0.5])
    assert torch.allclose(forward.score_matching_weight(name, h), h**power)
