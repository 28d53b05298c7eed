"""Latent baselines and the on-ridge check at resolved times: the exact score passes, a Gaussian fails."""

import math

import numpy as np
import pytest
import torch
import xarray as xr

from ridgeline.empirical import SmoothedEmpirical
from ridgeline.forward import alpha, variance
from ridgeline.latent_ridge import multi_dim_metrics
from ridgeline.latent_summary import combine_latent_runs, latent_checks, on_ridge_check
from ridgeline.models import GaussianScore, load_latent_model

D, N = 8, 300
TIMES = np.geomspace(2.0, 0.01, 8)


def six_clusters(generator) -> torch.Tensor:
    """300 points in D = 8: six tight clusters on a circle of radius 3 (a ridge between them)."""
    angle = torch.arange(6, dtype=torch.float64).repeat(N // 6) * 2 * math.pi / 6
    data = 0.1 * torch.randn(N, D, generator=generator, dtype=torch.float64)
    data[:, 0] += 3 * torch.cos(angle)
    data[:, 1] += 3 * torch.sin(angle)
    return data


@pytest.mark.parametrize("t", [0.01, 0.3, torch.tensor([0.02, 0.5, 1.5])])
def test_gaussian_score_is_the_gradient_of_its_log_density(t):
    g = torch.Generator().manual_seed(0)
    data = torch.randn(50, 4, generator=g, dtype=torch.float64) @ torch.diag(torch.tensor([2.0, 1.0, 0.3, 0.0],
                                                                                            dtype=torch.float64))
    model = GaussianScore(data)
    x = torch.randn(3, 4, generator=g, dtype=torch.float64).requires_grad_(True)
    tt = torch.as_tensor(t, dtype=torch.float64)
    a, h = alpha(tt), variance(tt)
    cov = torch.cov(data.T, correction=0)
    a_, h_ = (a[:, None, None], h[:, None, None]) if tt.ndim else (a, h)
    density = torch.distributions.MultivariateNormal((a[:, None] if tt.ndim else a) * data.mean(0),
                                                     a_**2 * cov + h_ * torch.eye(4, dtype=torch.float64))
    (grad,) = torch.autograd.grad(density.log_prob(x).sum(), x)
    np.testing.assert_allclose(model.score(x.detach(), t).numpy(), grad.numpy(), rtol=1e-9, atol=1e-10)
    mean = model.posterior_mean(x.detach(), t)
    np.testing.assert_allclose(mean.numpy(), (x.detach() + (h[:, None] if tt.ndim else h) * grad).numpy(), rtol=1e-9,
                               atol=1e-12)


def test_latent_models_load_by_name():
    data = np.random.default_rng(0).normal(size=(20, 3))
    assert isinstance(load_latent_model("gaussian", data), GaussianScore)
    x = torch.zeros(2, 3, dtype=torch.float64)
    exact = load_latent_model("exact", data)
    np.testing.assert_allclose(exact.score(x, 0.5).numpy(), SmoothedEmpirical(data).score(x, 0.5).numpy())
    with pytest.raises(ValueError, match="score, exact, gaussian|'score', 'exact', 'gaussian'"):
        load_latent_model("ddpm", data)


def test_tube_ratio_and_resolved_follow_their_definitions():
    g = torch.Generator().manual_seed(1)
    dist = SmoothedEmpirical(six_clusters(g))
    x = 3 * torch.randn(30, D, generator=g, dtype=torch.float64)
    for t in (0.05, 0.8):
        h = variance(t)
        m = multi_dim_metrics(dist, x, t, [1, 3], min_gap=1e-3)
        np.testing.assert_allclose(m["tube_ratio"], m["scaled_residual"] / np.sqrt(h * (D - np.array([[1], [3]]))),
                                   rtol=1e-12)
        np.testing.assert_array_equal(m["resolved"], h * m["eigengap"] >= 1e-3)
    # one training point: Cov_w = 0, H = -I/h_t, the gap is round-off and no frame is resolved
    single = SmoothedEmpirical(torch.zeros(1, D, dtype=torch.float64))
    assert not multi_dim_metrics(single, x, 0.3, [1], min_gap=1e-9)["resolved"].any()


def sampled_run(data, model: str, generator, n: int = 400) -> xr.Dataset:
    """Samples of p_t (exact: the smoothed empirical law; gaussian: the fitted Gaussian's p_t) at TIMES,
    measured against the ridge of the smoothed empirical p_t of ``data``."""
    dist, fitted = SmoothedEmpirical(data), GaussianScore(data)
    resolved, ratio = [], []
    for t in TIMES:
        a, h = alpha(t), variance(t)
        z = torch.randn(n, D, generator=generator, dtype=torch.float64)
        if model == "exact":
            x = a * data[torch.randint(0, len(data), (n,), generator=generator)] + math.sqrt(h) * z
        else:
            x = a * fitted.mean + (z * torch.sqrt(a**2 * fitted.variances + h)) @ fitted.basis.T
        m = multi_dim_metrics(dist, x, float(t), [1], min_gap=1e-6)
        resolved.append(m["resolved"][0])
        ratio.append(m["tube_ratio"][0])
    return xr.Dataset({"resolved": (("time", "sample"), np.array(resolved)),
                       "tube_ratio": (("time", "sample"), np.array(ratio))}, coords={"time": TIMES})


def test_on_ridge_check_passes_samples_of_p_t_and_fails_a_fitted_gaussian():
    g = torch.Generator().manual_seed(2)
    data = six_clusters(g)
    exact = on_ridge_check(sampled_run(data, "exact", g), tube_scale=2.0, min_resolved=0.5)
    gaussian = on_ridge_check(sampled_run(data, "gaussian", g), tube_scale=2.0, min_resolved=0.5)
    assert exact.verdict == "pass" and 0.7 < exact.statistic < 1.3  # p_t's own normal width
    assert gaussian.verdict == "fail" and gaussian.statistic > 2.5  # the Gaussian fills the circle's inside
    assert gaussian.detail["worst_time"] == pytest.approx(TIMES[-1])
    # a pooled median over the window would pass the Gaussian: the early times, where every p_t looks alike
    pooled = np.median(np.asarray(sampled_run(data, "gaussian", g)["tube_ratio"]))
    assert pooled < 2.0


def test_no_resolved_snapshot_is_undetermined_not_a_pass():
    run = xr.Dataset({"resolved": (("time", "sample"), np.zeros((3, 5), bool)),
                      "tube_ratio": (("time", "sample"), np.full((3, 5), 0.1))}, coords={"time": [1.0, 0.1, 0.01]})
    result = on_ridge_check(run, 2.0, 0.5)
    assert result.verdict == "undetermined" and math.isnan(result.statistic)


def test_latent_checks_judge_the_baselines_and_report_the_network():
    g = torch.Generator().manual_seed(3)
    data = six_clusters(g)
    runs = {}
    for model in ("score", "exact", "gaussian"):
        run = sampled_run(data, "gaussian" if model == "gaussian" else "exact", g, n=200)
        runs[("toy", 0, model)] = run.expand_dims(ridge_dim=[1]).transpose("ridge_dim", ...)
    losses = {("toy", 0): xr.DataArray(np.array([[3.0], [2.0]]), dims=("epoch", "part"))}
    ds = combine_latent_runs(runs, losses)
    assert float(ds["vae_final_loss"].squeeze()) == 2.0 and "model" not in ds["vae_final_loss"].dims
    report = latent_checks(ds, tube_scale=2.0, min_resolved=0.5)
    by_model = {e["model"]: e for e in report["entries"]}
    assert by_model["exact"]["as_expected"] and by_model["gaussian"]["as_expected"]
    assert by_model["score"]["expected"] is None and report["all_as_expected"] is True
    # a Gaussian that passed would be reported: flip its samples to the exact law's
    runs[("toy", 0, "gaussian")] = runs[("toy", 0, "exact")]
    assert latent_checks(combine_latent_runs(runs, losses), 2.0, 0.5)["all_as_expected"] is False
