"""The authors' protocol pieces: uniform training times, the best epoch, the sigma_t-sharpened sampler, their reading."""

import math

import numpy as np
import pytest
import torch
import xarray as xr

from ridgeline.authors_view import authors_groups, authors_summary
from ridgeline.datasets import named_set
from ridgeline.forward import variance
from ridgeline.models import ExactScore, ScoreMLP
from ridgeline.models.neural import dsm_loss, draw_times, train_keeping_best_epoch, train_with_checkpoints
from ridgeline.models.sharpened import SharpenedScore


def _module(seed=0):
    return ScoreMLP(2, 10.0, 1e-3, hidden=32, n_fourier=8, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("time_sampling", ["log_uniform", "uniform"])
def test_draw_times_follow_their_law(time_sampling):
    t = draw_times(200_000, 10.0, 1e-3, time_sampling, torch.Generator().manual_seed(0)).double()
    assert float(t.min()) >= 1e-3 and float(t.max()) <= 10.0
    u = torch.log(t / 1e-3) / math.log(1e4) if time_sampling == "log_uniform" else (t - 1e-3) / (10.0 - 1e-3)
    assert abs(float(u.mean()) - 0.5) < 0.005 and abs(float(u.var()) - 1 / 12) < 0.002  # uniform on [0, 1]


def test_uniform_and_log_uniform_times_estimate_the_same_integral():
    """Both importance weightings are unbiased for the dt-integral of the loss; a wrong weight is not."""
    # t_min = 0.1: the integrand ~ 1/h_t is mild enough for a uniform Monte Carlo estimate to converge
    module = ScoreMLP(2, 10.0, 0.1, hidden=32, n_fourier=8, generator=torch.Generator().manual_seed(0))
    data = torch.as_tensor(named_set("two_mode"), dtype=torch.float32)
    # reference: the dt-integral by the trapezoid rule on a fine log grid, same (x0, z) per time
    g = torch.Generator().manual_seed(1)
    x0 = data[torch.randint(len(data), (512,), generator=g)]
    z = torch.randn(512, 2, generator=g)
    grid = torch.logspace(-1, 1, 400)

    def integrand(t):  # E over (x0, z) of the unweighted per-time term: the loss at t over 1/q = t log(T/t_min)
        return dsm_loss(module, x0, torch.full((512,), float(t)), z, "1").item() / (float(t) * math.log(100.0))

    with torch.no_grad():
        values = np.array([integrand(t) for t in grid])
        reference = float(np.trapezoid(values, grid.numpy()))
        estimates = {}
        for sampling in ("log_uniform", "uniform"):
            t = draw_times(512 * 200, 10.0, 0.1, sampling, torch.Generator().manual_seed(2))
            estimates[sampling] = float(np.mean([dsm_loss(module, x0, tb, z, "1", sampling).item()
                                                 for tb in t.split(512)]))
    for sampling, value in estimates.items():
        assert value == pytest.approx(reference, rel=0.02), sampling
    # negative control: uniform times weighted as if log-uniform estimate a different integral
    with torch.no_grad():
        t = draw_times(512 * 200, 10.0, 0.1, "uniform", torch.Generator().manual_seed(2))
        wrong = float(np.mean([dsm_loss(module, x0, tb, z, "1", "log_uniform").item() for tb in t.split(512)]))
    assert abs(wrong - reference) > 0.2 * reference
    with pytest.raises(ValueError, match="log_uniform"):
        draw_times(3, 10.0, 1e-3, "beta")


def test_best_epoch_keeps_the_weights_of_the_lowest_mean_loss_epoch():
    data = named_set("two_mode")
    options = dict(weighting="1", steps=60, batch_size=32, lr=1e-2)
    losses, kept = train_keeping_best_epoch(_module(), data, 10, generator=torch.Generator().manual_seed(3),
                                            **options)
    epochs = losses.reshape(6, 10).mean(1)
    assert kept == 10 * (int(np.argmin(epochs)) + 1)
    # the same run with checkpoints at every epoch end: the kept weights are the checkpoint at `kept`
    module = _module()
    reference_losses, states = train_with_checkpoints(module, data, range(10, 61, 10),
                                                      generator=torch.Generator().manual_seed(3), **options)
    np.testing.assert_array_equal(losses, reference_losses)
    best = _module()
    train_keeping_best_epoch(best, data, 10, generator=torch.Generator().manual_seed(3), **options)
    for name, value in best.state_dict().items():
        assert torch.equal(value, states[kept][name])
    if kept != 60:  # the kept network differs from the final one
        assert any(not torch.equal(v, module.state_dict()[k]) for k, v in best.state_dict().items())


@pytest.mark.parametrize("t", [1e-3, 0.5, torch.tensor([1e-3, 0.1, 2.0])])
def test_sharpened_score_divides_by_sigma_t(t):
    model = ExactScore(named_set("triangle"))
    x = torch.randn(3, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    sigma = variance(torch.as_tensor(t, dtype=torch.float64)).sqrt()
    sharp = SharpenedScore(model)
    expected = model.score(x, t) / (sigma[:, None] if torch.as_tensor(t).ndim else sigma)
    np.testing.assert_allclose(sharp.score(x, t).numpy(), expected.numpy(), rtol=1e-12)
    if not torch.as_tensor(t).ndim and t == 1e-3:
        assert 22 < float(1 / sigma) < 23  # "22x sharper at t_min"


def _ridge_run(residual_final, resolved_final, nearest_distance, nearest_ratio):
    b = len(residual_final)
    residual = np.stack([np.ones(b), residual_final])[None]  # (ridge_dim 1, time 2, sample)
    resolved = np.stack([np.ones(b), resolved_final])[None]
    return xr.Dataset({"residual": (("ridge_dim", "time", "sample"), residual),
                       "resolved": (("ridge_dim", "time", "sample"), resolved),
                       "nearest_distance": ("sample", nearest_distance), "nearest_ratio": ("sample", nearest_ratio)},
                      coords={"ridge_dim": [25], "time": [1.0, 1e-3]})


def test_authors_reading_normalizes_by_the_maximum_and_counts_copies_per_group():
    run = _ridge_run(np.array([1.0, 2.0, 5.5, 8.0, 10.0]), np.array([0, 0, 1, 1, 1]),
                     np.array([0.01, 0.02, 0.5, 0.8, 1.0]), np.array([0.1, 0.2, 0.9, 0.9, 0.9]))
    groups = authors_groups(run, 25, 0.5, 0.6)
    np.testing.assert_allclose(groups["normalized"], [0.1, 0.2, 0.55, 0.8, 1.0])
    assert groups["time"] == 1e-3 and groups["on"].tolist() == [True, True, False, False, False]
    summary = authors_summary(run, {"ridge_dim": 25, "on_below": 0.5, "off_above": 0.6}, 1 / 3)
    assert summary["on"] == {"n": 2, "near_copies": 2, "median_nearest_distance": pytest.approx(0.015)}
    assert summary["between"]["n"] == 1 and summary["off"] == {"n": 2, "near_copies": 0,
                                                               "median_nearest_distance": pytest.approx(0.9)}
    assert summary["resolved_fraction"] == pytest.approx(0.6)
    # scaling every residual leaves the reading unchanged: it is relative to the largest
    scaled = run.assign(residual=run["residual"] * 1e3)
    assert authors_summary(scaled, {"ridge_dim": 25, "on_below": 0.5, "off_above": 0.6}, 1 / 3) == summary


def test_rank_correlation_is_spearmans():
    from scipy.stats import spearmanr

    from ridgeline.authors_view import rank_correlation

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=50), rng.normal(size=50)
    b[:25] += a[:25]
    assert rank_correlation(a, b) == pytest.approx(spearmanr(a, b).statistic, abs=1e-12)
    assert rank_correlation(a, np.exp(a)) == pytest.approx(1.0)  # any increasing map
    assert rank_correlation(a, -a**3) == pytest.approx(-1.0)
