"""Latent baselines and the on-ridge check at resolved times: the exact score passes, a Gaussian fails."""

import math

import numpy as np
import pytest
import torch
import xarray as xr

from ridgeline.empirical import SmoothedEmpirical
from ridgeline.forward import alpha, variance
from ridgeline.latent.ridge import multi_dim_metrics, nearest_training
from ridgeline.latent.summary import combine_latent_runs, latent_checks, near_copy_groups, on_ridge_check
from ridgeline.models import GaussianScore, NeuralScore, ScoreMLP, load_latent_model
from ridgeline.models.neural import train_with_checkpoints

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
    with pytest.raises(ValueError, match="'score', 'score_step<N>', 'exact', 'gaussian'"):
        load_latent_model("ddpm", data)


def test_latent_checkpoints_load_the_network_after_n_steps(tmp_path):
    data = np.random.default_rng(0).normal(size=(64, 3))
    module = ScoreMLP(3, 10.0, 1e-3, 16, 8, 1.0, generator=torch.Generator().manual_seed(0))
    losses, states = train_with_checkpoints(module, data, [5], weighting="1", steps=10, batch_size=16, lr=1e-2,
                                            generator=torch.Generator().manual_seed(1))
    NeuralScore(module).save(tmp_path / "score.pt", losses=losses, checkpoints=states)
    x, t = torch.zeros(2, 3, dtype=torch.float64), 0.3
    early, final = (
        load_latent_model("score_step5", tmp_path / "score.pt"),
        load_latent_model("score", tmp_path / "score.pt"),
    )
    reference = ScoreMLP(3, 10.0, 1e-3, 16, 8, 1.0)
    reference.load_state_dict(states[5])
    np.testing.assert_allclose(early.score(x, t).numpy(), NeuralScore(reference).score(x, t).numpy())
    assert not np.allclose(early.score(x, t).numpy(), final.score(x, t).numpy())  # five more Adam steps
    with pytest.raises(ValueError, match="no checkpoints at steps \\[7\\]"):
        load_latent_model("score_step7", tmp_path / "score.pt")


def test_tube_ratio_and_resolved_follow_their_definitions():
    g = torch.Generator().manual_seed(1)
    dist = SmoothedEmpirical(six_clusters(g))
    x = 3 * torch.randn(30, D, generator=g, dtype=torch.float64)
    for t in (0.05, 0.8):
        h = variance(t)
        m = multi_dim_metrics(dist, x, t, ridge_dims=[1, 3], min_gap=1e-3)
        np.testing.assert_allclose(
            m["tube_ratio"], m["scaled_residual"] / np.sqrt(h * (D - np.array([[1], [3]]))), rtol=1e-12
        )
        np.testing.assert_array_equal(m["resolved"], h * m["eigengap"] >= 1e-3)
    # one training point: Cov_w = 0, H = -I/h_t, the gap is round-off and no frame is resolved
    single = SmoothedEmpirical(torch.zeros(1, D, dtype=torch.float64))
    assert not multi_dim_metrics(single, x, 0.3, ridge_dims=[1], min_gap=1e-9)["resolved"].any()


def embedded_clusters(generator, dim: int, spread: float = 0.1) -> torch.Tensor:
    """Six clusters on a circle of radius 3 in the first two of ``dim`` coordinates; the other
    dim - 2 are collapsed to noise of sd ``spread`` (like a VAE's unused latent dimensions)."""
    angle = torch.arange(6, dtype=torch.float64).repeat(N // 6) * 2 * math.pi / 6
    data = spread * torch.randn(N, dim, generator=generator, dtype=torch.float64)
    data[:, 0] += 3 * torch.cos(angle)
    data[:, 1] += 3 * torch.sin(angle)
    return data


def sampled_run(data, model: str, generator, n: int = 400) -> xr.Dataset:
    """Samples of p_t (exact: the smoothed empirical law; gaussian: the fitted Gaussian's p_t) at TIMES,
    measured against the d* = 1 ridge of the smoothed empirical p_t of ``data``."""
    dist, fitted = SmoothedEmpirical(data), GaussianScore(data)
    dim = data.shape[1]
    names = ("resolved", "tube_ratio", "normal_excess")
    values = {name: [] for name in names}
    for t in TIMES:
        a, h = alpha(t), variance(t)
        z = torch.randn(n, dim, generator=generator, dtype=torch.float64)
        if model == "exact":
            x = a * data[torch.randint(0, len(data), (n,), generator=generator)] + math.sqrt(h) * z
        else:
            x = a * fitted.mean + (z * torch.sqrt(a**2 * fitted.variances + h)) @ fitted.basis.T
        m = multi_dim_metrics(dist, x, float(t), ridge_dims=[1], min_gap=1e-6)
        for name in names:
            values[name].append(m[name][0])
    _, _, ratio = nearest_training(data, x)
    return xr.Dataset(
        {name: (("time", "sample"), np.array(v)) for name, v in values.items()} | {"nearest_ratio": ("sample", ratio)},
        coords={"time": TIMES},
    )


def test_normal_excess_is_the_squared_offset_beyond_the_noise():
    g = torch.Generator().manual_seed(4)
    dist = SmoothedEmpirical(six_clusters(g))
    x = 3 * torch.randn(30, D, generator=g, dtype=torch.float64)
    h = variance(0.2)
    m = multi_dim_metrics(dist, x, 0.2, ridge_dims=[1, 3])
    expected = m["scaled_residual"] ** 2 / h - (D - np.array([[1], [3]]))
    np.testing.assert_allclose(m["normal_excess"], expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(
        m["normal_excess"], (D - np.array([[1], [3]])) * (m["tube_ratio"] ** 2 - 1), rtol=1e-10, atol=1e-10
    )


def test_on_ridge_check_passes_samples_of_p_t_and_fails_a_fitted_gaussian():
    g = torch.Generator().manual_seed(2)
    data = six_clusters(g)
    exact = on_ridge_check(sampled_run(data, "exact", g), max_excess=2.0, min_resolved=0.5)
    gaussian = on_ridge_check(sampled_run(data, "gaussian", g), max_excess=2.0, min_resolved=0.5)
    assert exact.verdict == "pass" and abs(exact.statistic) < 2.0  # p_t's own noise: no excess
    assert gaussian.verdict == "fail" and gaussian.statistic > 10  # the Gaussian fills the circle's inside
    assert gaussian.detail["worst_time"] == pytest.approx(TIMES[-1])
    assert max(exact.detail["window_standard_errors"]) < 1.0  # the verdicts are not sampling noise
    # the early times, where every p_t looks alike, read the Gaussian on the ridge: only the worst time fails it
    assert gaussian.detail["window_medians"][0] < 2.0


def test_collapsed_directions_hide_the_gaussian_from_the_tube_ratio_not_from_the_excess():
    """Negative control of the statistic itself: with 30 collapsed normal directions the tube ratio
    of a fitted Gaussian stays inside the 2-width tube (the old check passes it); its excess does not."""
    g = torch.Generator().manual_seed(2)
    data = embedded_clusters(g, 32)
    gaussian, exact = sampled_run(data, "gaussian", g), sampled_run(data, "exact", g)
    old_statistic = float(np.max(np.median(gaussian["tube_ratio"].values, axis=1)))
    assert old_statistic < 2.0  # the tube ratio, diluted by sqrt(D - d), reads the Gaussian "on the ridge"
    assert on_ridge_check(gaussian, max_excess=2.0, min_resolved=0.5).verdict == "fail"
    assert on_ridge_check(exact, max_excess=2.0, min_resolved=0.5).verdict == "pass"


def test_near_copy_groups_count_copies_per_group():
    times = [1.0, 0.1, 0.01]
    run = xr.Dataset(
        {
            "resolved": (("time", "sample"), np.array([[1, 1, 1, 1, 1]] * 2 + [[0, 0, 0, 0, 1]])),
            "tube_ratio": (("time", "sample"), np.array([[0.5, 0.5, 3.0, 3.0, 0.5]] * 3)),
            "nearest_ratio": ("sample", np.array([0.1, 0.9, 0.2, 0.8, 0.9])),
        },
        coords={"time": times},
    )
    groups = near_copy_groups(run, tube_scale=2.0, min_resolved=0.5, max_copy_ratio=1 / 3)
    assert groups["time"] == 0.1  # the latest snapshot where most frames are resolved
    assert groups["on"] == {"n": 3, "near_copies": 1} and groups["off"] == {"n": 2, "near_copies": 1}
    assert groups["unresolved"] == {"n": 0, "near_copies": 0}


def test_no_resolved_snapshot_is_undetermined_not_a_pass():
    run = xr.Dataset(
        {
            "resolved": (("time", "sample"), np.zeros((3, 5), bool)),
            "normal_excess": (("time", "sample"), np.full((3, 5), 0.1)),
        },
        coords={"time": [1.0, 0.1, 0.01]},
    )
    result = on_ridge_check(run, 2.0, 0.5)
    assert result.verdict == "undetermined" and math.isnan(result.statistic)


def test_latent_checks_judge_the_baselines_and_report_the_network():
    g = torch.Generator().manual_seed(3)
    data = six_clusters(g)
    runs = {}
    for model in ("score", "exact", "gaussian"):
        run = sampled_run(data, "gaussian" if model == "gaussian" else "exact", g, n=200)
        runs[("toy", 0, model)] = run.expand_dims(ridge_dim=[1]).transpose("ridge_dim", ...)
    latents = {
        ("toy", 0): xr.Dataset(
            {
                "points": (("train", "coord"), data.numpy()),
                "loss_history": (("epoch", "part"), np.array([[3.0], [2.0]])),
                "kl_per_dim": ("coord", np.arange(data.shape[1]) / 2.0),
            }
        )
    }
    ds = combine_latent_runs(runs, latents)
    assert float(ds["vae_final_loss"].squeeze()) == 2.0 and "model" not in ds["vae_final_loss"].dims
    assert ds["kl_sorted"].squeeze().values.tolist() == sorted(np.arange(data.shape[1]) / 2.0, reverse=True)
    assert "model" not in ds["effective_dimension"].dims
    cfg = {"max_excess": 2.0, "min_resolved": 0.5, "tube_scale": 2.0, "max_copy_ratio": 1 / 3}
    report = latent_checks(ds, cfg)
    by_model = {e["model"]: e for e in report["entries"]}
    assert by_model["exact"]["as_expected"] and by_model["gaussian"]["as_expected"]
    assert by_model["score"]["expected"] is None and report["all_as_expected"] is True
    # a Gaussian that passed would be reported: flip its samples to the exact law's
    runs[("toy", 0, "gaussian")] = runs[("toy", 0, "exact")]
    assert latent_checks(combine_latent_runs(runs, latents), cfg)["all_as_expected"] is False


def test_runs_with_fewer_samples_are_judged_on_their_own_samples_not_the_padding():
    """An aggregated store pads a 100-sample run to the 200 of another with NaN: its resolved
    fraction, window and verdict must be those of the run alone."""
    g = torch.Generator().manual_seed(5)
    data = six_clusters(g)
    small = sampled_run(data, "gaussian", g, n=100)
    runs = {
        ("a", 0, "gaussian"): sampled_run(data, "gaussian", g, n=200).expand_dims(ridge_dim=[1]),
        ("b", 0, "gaussian"): small.expand_dims(ridge_dim=[1]),
    }
    ds = combine_latent_runs(runs, {})
    assert ds.sizes["sample"] == 200
    alone = on_ridge_check(small, max_excess=2.0, min_resolved=0.5)
    padded = on_ridge_check(ds.sel(experiment="b", seed=0, model="gaussian", ridge_dim=1), 2.0, 0.5)
    np.testing.assert_allclose(padded.detail["resolved_fraction"], alone.detail["resolved_fraction"])
    assert padded.statistic == pytest.approx(alone.statistic) and padded.verdict == alone.verdict == "fail"
