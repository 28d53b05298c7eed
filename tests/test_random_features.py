import math

import pytest
import torch

from ridgeline.datasets import named_set
from ridgeline.forward import alpha, score_matching_weight, variance
from ridgeline.models import RandomFeatures, RFScore
from ridgeline.rf.errors import excess_loss
from ridgeline.rf.flow import flow_weights, gradient_descent, loss, spectrum
from ridgeline.rf.moments import rf_moments
from ridgeline.rf.quadrature import Quadrature, build_quadrature, gauss_hermite_normal, panel_rule, sobol_normal

T, T0, P, K = 2.0, 1e-2, 40, 6


@pytest.fixture(scope="module")
def setup():
    data = torch.as_tensor(named_set("two_mode"))
    feat = RandomFeatures(2, P, T, K, generator=torch.Generator().manual_seed(0))
    quad = build_quadrature(2, T0, T, time_rule="panels", n_time=0, n_frequencies=K, z_rule="auto", z_order=10, n_qmc=0)
    return data, feat, quad


def test_features_match_the_definition():
    feat = RandomFeatures(3, 5, 4.0, 2, generator=torch.Generator().manual_seed(1))
    x, t = torch.randn(4, 3, dtype=torch.float64), 0.7
    k = torch.tensor([1.0, 2.0], dtype=torch.float64)
    phi = torch.cat([torch.ones(1, dtype=torch.float64), torch.sin(2 * math.pi * k * t / 4),
                     torch.cos(2 * math.pi * k * t / 4)])
    expected = torch.relu(x @ feat.W_x.T + feat.W_t @ phi + feat.b)
    assert torch.allclose(feat(x, t), expected)
    assert torch.allclose(feat(x, torch.full((4,), t, dtype=torch.float64)), expected)


def test_rf_score_stacks_and_chunks_agree_with_plain_evaluation():
    feat = RandomFeatures(2, 30, 10.0, 4, generator=torch.Generator().manual_seed(2))
    W = torch.randn(3, 2, 30, dtype=torch.float64)
    x = torch.randn(3 * 10, 2, dtype=torch.float64)
    stacked = RFScore(feat, W, chunk=4).score(x, 0.4)
    h = 1 - math.exp(-0.8)
    plain = torch.cat([(feat(xg, 0.4) @ W[g].T - xg) / h for g, xg in enumerate(x.chunk(3))])
    assert torch.allclose(stacked, plain)


def test_quadrature_rules_integrate_what_they_should():
    z, w = gauss_hermite_normal(2, 8)
    assert w.sum().item() == pytest.approx(1.0)
    assert (w * z[:, 0] ** 4).sum().item() == pytest.approx(3.0)  # E z^4 = 3
    assert (w * z[:, 0] ** 2 * z[:, 1] ** 2).sum().item() == pytest.approx(1.0)
    zq, _ = sobol_normal(4, 4096, seed=0)
    assert zq.mean(0).abs().max().item() < 0.02 and (zq.var(0) - 1).abs().max().item() < 0.05
    t, wt = panel_rule(1e-3, 10.0, 128)
    # the steep weight 1/h^2 of w_SM = 1 times a Fourier mode at the highest frequency
    h = variance(t)
    fine = torch.linspace(1e-3, 10.0, 2_000_001, dtype=torch.float64)
    ref = torch.trapezoid(1 / variance(fine) ** 2 * torch.cos(2 * math.pi * 128 * fine / 10), fine)
    got = (wt / h**2 * torch.cos(2 * math.pi * 128 * t / 10)).sum()
    assert got.item() == pytest.approx(ref.item(), rel=1e-4)


def _monte_carlo_moments(data, feat, weighting, n, seed):
    g = torch.Generator().manual_seed(seed)
    t = T0 + (T - T0) * torch.rand(n, generator=g, dtype=torch.float64)
    i = torch.randint(data.shape[0], (n,), generator=g)
    z = torch.randn(n, 2, generator=g, dtype=torch.float64)
    a, h = alpha(t)[:, None], variance(t)[:, None]
    y = a * data[i]
    x = y + h.sqrt() * z
    lam = (T - T0) * score_matching_weight(weighting, h[:, 0]) / h[:, 0] ** 2 / n
    s = feat(x, t)
    return s.T @ (lam[:, None] * s), (lam[:, None] * y).T @ s


def test_moments_agree_with_a_large_monte_carlo_estimate(setup):
    data, feat, quad = setup
    mom = rf_moments(feat, data, weighting="h2", quad=quad)
    U_mc, V_mc = _monte_carlo_moments(data, feat, "h2", 400_000, 3)
    assert (torch.linalg.norm(mom.U - U_mc) / torch.linalg.norm(U_mc)).item() < 5e-3
    assert (torch.linalg.norm(mom.V - V_mc) / torch.linalg.norm(V_mc)).item() < 2e-2


@pytest.mark.parametrize("per_node", [False, True])
@pytest.mark.parametrize("rows", [1, 700, 10**6])
def test_moments_equal_the_quadrature_sum_of_the_plain_feature_definition(rows, per_node):
    """U and V against sum_{t, i, z} w s s^T with s = feat(x, t) formed point by point.

    Blocks of one node, several nodes and the whole rule; D = 3 with 4 x 4 x 4 Gauss-Hermite
    nodes, the same at every time node or rotated differently at each; p = 37 is not a multiple
    of the Gram blocks.
    """
    data = torch.randn(3, 3, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    feat = RandomFeatures(3, 37, T, K, generator=torch.Generator().manual_seed(6))
    quad = build_quadrature(3, T0, T, time_rule="simpson", n_time=9, n_frequencies=K, z_rule="gauss_hermite",
                            z_order=4, n_qmc=0)
    if per_node:
        rotations = torch.linalg.qr(torch.randn(9, 3, 3, generator=torch.Generator().manual_seed(7),
                                                dtype=torch.float64)).Q
        quad = Quadrature(quad.t, quad.t_weights, quad.z @ rotations.transpose(1, 2), quad.z_weights)
    mom = rf_moments(feat, data, weighting="h", quad=quad, rows=rows)
    U = torch.zeros(37, 37, dtype=torch.float64)
    V = torch.zeros(3, 37, dtype=torch.float64)
    for j, (t, wt) in enumerate(zip(quad.t, quad.t_weights)):
        h = variance(t)
        lam = wt * score_matching_weight("h", h) / h**2 / data.shape[0]
        z = quad.z[j] if per_node else quad.z
        for y in alpha(t) * data:
            s = feat(y + h.sqrt() * z, t)
            U += s.T @ (lam * quad.z_weights[:, None] * s)
            V += y[:, None] * (lam * quad.z_weights @ s)[None]
    assert torch.equal(mom.U, mom.U.T)
    assert torch.allclose(mom.U, U, rtol=1e-12, atol=1e-12 * U.abs().max().item())
    assert torch.allclose(mom.V, V, rtol=1e-12, atol=1e-12 * V.abs().max().item())
    assert mom.n_evaluations == 9 * 3 * 4**3


def test_per_node_qmc_sets_are_independent_reproducible_and_normal():
    quad = build_quadrature(5, T0, T, time_rule="simpson", n_time=33, n_frequencies=K, z_rule="qmc", z_order=0,
                            n_qmc=256, seed=11)
    again = build_quadrature(5, T0, T, time_rule="simpson", n_time=33, n_frequencies=K, z_rule="qmc", z_order=0,
                             n_qmc=256, seed=11)
    other = build_quadrature(5, T0, T, time_rule="simpson", n_time=33, n_frequencies=K, z_rule="qmc", z_order=0,
                             n_qmc=256, seed=12)
    assert quad.z.shape == (33, 256, 5) and quad.z_weights.shape == (256,)
    assert torch.equal(quad.z, again.z) and not torch.equal(quad.z, other.z)
    assert not torch.equal(quad.z[0], quad.z[1])
    pooled = quad.z.reshape(-1, 5)
    assert pooled.mean(0).abs().max().item() < 0.01 and (pooled.var(0) - 1).abs().max().item() < 0.02
    shared = build_quadrature(5, T0, T, time_rule="simpson", n_time=33, n_frequencies=K, z_rule="qmc_shared",
                              z_order=0, n_qmc=256, seed=11)
    assert shared.z.shape == (256, 5)


@pytest.fixture(scope="module")
def solved(setup):
    data, feat, quad = setup
    mom = rf_moments(feat, data, weighting="h", quad=quad)
    W0 = torch.randn(2, P, generator=torch.Generator().manual_seed(4), dtype=torch.float64) / math.sqrt(P)
    return mom, spectrum(mom.U), W0


def test_flow_matches_numerical_integration_of_the_ode(solved):
    mom, spec, W0 = solved
    taus = [0.5, 3.0, 20.0]
    W = flow_weights(spec, mom.V, W0, taus)
    # RK4 on dW/dtau = -(2/p)(W U - V), step well below the stiffest time scale p / (2 mu_max)
    f = lambda Wc: -(2.0 / P) * (Wc @ mom.U - mom.V)  # noqa: E731
    dt = 0.2 * P / (2 * spec.values.max().item())
    Wc, tau = W0.clone(), 0.0
    for k, target in enumerate(taus):
        n = math.ceil((target - tau) / dt)
        step = (target - tau) / n
        for _ in range(n):
            k1 = f(Wc); k2 = f(Wc + step / 2 * k1); k3 = f(Wc + step / 2 * k2); k4 = f(Wc + step * k3)  # noqa: E702
            Wc = Wc + step / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        tau = target
        assert torch.allclose(W[k], Wc, rtol=1e-6, atol=1e-8)


def test_gradient_descent_follows_the_flow_at_tau_eta_steps_over_D(solved):
    mom, spec, W0 = solved
    eta = 0.02 * 2 * P / spec.values.max().item()  # small against the stiffest direction
    steps = [10, 100, 400]
    taus, A = gradient_descent(mom.U, mom.V, W0 * math.sqrt(P), eta, steps)
    assert torch.allclose(taus, torch.tensor([eta * s / 2 for s in steps], dtype=torch.float64))
    W_flow = flow_weights(spec, mom.V, W0, taus.tolist())
    rel = torch.linalg.norm(A / math.sqrt(P) - W_flow, dim=(1, 2)) / torch.linalg.norm(W_flow - W0, dim=(1, 2))
    assert rel.max().item() < 0.05  # O(eta) discretization gap


def test_infinite_time_is_a_minimizer_and_losses_bound_the_minimum(solved, setup):
    mom, spec, W0 = solved
    W_inf = flow_weights(spec, mom.V, W0, [math.inf])[0]
    grad = W_inf @ mom.U - mom.V
    assert (torch.linalg.norm(grad) / torch.linalg.norm(mom.V)).item() < 1e-7
    g = torch.Generator().manual_seed(5)
    for W in [W_inf, W0, W0 + 0.1 * torch.randn(2, P, generator=g, dtype=torch.float64)]:
        assert loss(mom.U, mom.V, mom.c, W).item() >= mom.l_star - 1e-9
        assert loss(mom.U, mom.V, mom.c, W).item() >= loss(mom.U, mom.V, mom.c, W_inf).item() - 1e-12
    # the loss decreases monotonically along the flow
    Ls = loss(mom.U, mom.V, mom.c, flow_weights(spec, mom.V, W0, [0, 1, 10, 100, math.inf]))
    assert bool((torch.diff(Ls) <= 1e-12).all())


def test_excess_loss_decomposition_adds_up_and_matches_y_x_for_two_points(solved, setup):
    data, feat, quad = setup
    mom, spec, W0 = solved
    W = flow_weights(spec, mom.V, W0, [1.0, 10.0, math.inf])
    ex = excess_loss(feat, data, W, weighting="h", quad=quad)
    L = loss(mom.U, mom.V, mom.c, W)
    assert torch.allclose(ex.direct_loss, L, rtol=1e-10)  # point-by-point loss = moment formula
    assert torch.allclose(ex.normal + ex.tangential, ex.total)
    assert torch.allclose(ex.total, L - mom.l_star, rtol=2e-3)  # Pythagoras, up to quadrature
    bias, opt = ex.total[-1], ex.total[:-1] - ex.total[-1]
    assert torch.allclose(bias + opt, ex.total[:-1])
    # two points on the x axis: the normal direction is y, the tangent x
    from ridgeline.empirical import SmoothedEmpirical
    from ridgeline.rf.moments import quadrature_batches

    dist, ey2 = SmoothedEmpirical(data), torch.zeros(3, dtype=torch.float64)
    for blk in quadrature_batches(data, quad, "h"):
        err = torch.einsum("rp,gdp->grd", blk.features(feat), W) - dist.posterior_mean(blk.x, blk.t)[None]
        ey2 += (err[:, :, 1] ** 2) @ blk.w
    assert torch.allclose(ex.normal, ey2 / 2, rtol=1e-9, atol=1e-14)
