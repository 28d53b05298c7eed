"""d* from the data: covariance spectrum, participation ratio, VAE KL per dimension, Cov_w gap spectrum."""

import numpy as np
import pytest
import torch

from ridgeline.empirical import SmoothedEmpirical
from ridgeline.forward import variance
from ridgeline.latent.ridge import multi_dim_metrics
from ridgeline.latent.spectrum import (
    EFFECTIVE,
    active_units,
    covariance_spectrum,
    effective_dimension,
    gap_spectrum,
    latent_dimension_dataset,
    median_gap_spectrum,
    participation_ratio,
    resolve_ridge_dims,
)
from ridgeline.models.vae import kl_per_dimension


def collapsed_latents(n=20000, active=12, collapsed=20, seed=0) -> np.ndarray:
    """``active`` unit-variance coordinates and ``collapsed`` ones of standard deviation 0.05, rotated."""
    rng = np.random.default_rng(seed)
    scales = np.r_[np.ones(active), np.full(collapsed, 0.05)]
    rotation, _ = np.linalg.qr(rng.normal(size=(scales.size, scales.size)))
    return (rng.normal(size=(n, scales.size)) * scales) @ rotation.T


def test_participation_ratio_counts_equally_strong_directions():
    assert participation_ratio(np.r_[np.ones(12), np.zeros(20)]) == pytest.approx(12.0)
    assert participation_ratio(np.full(7, 3.0)) == pytest.approx(7.0)
    assert participation_ratio([5.0, 0.0, 0.0]) == pytest.approx(1.0)


def test_effective_dimension_finds_the_active_directions_of_rotated_latents():
    x = collapsed_latents()
    lam = covariance_spectrum(x)
    assert np.all(np.diff(lam) <= 0) and lam[11] > 0.9 and lam[12] < 0.01
    assert effective_dimension(x) == 12  # rotation-invariant: no coordinate is singled out
    assert participation_ratio(lam) == pytest.approx(12.0, rel=0.05)
    # a weak but real direction (variance 0.05 > 0.01) counts; the participation ratio barely sees it
    weak = np.random.default_rng(3).normal(size=(20000, 8)) * np.r_[1.0, 1.0, 1.0, 0.22, np.full(4, 0.05)]
    assert effective_dimension(weak) == 4 and round(participation_ratio(covariance_spectrum(weak))) == 3
    # the active-unit count is per coordinate: the rotation spreads the active variance over all 32
    assert active_units(x) == 32
    ds = latent_dimension_dataset(x, np.arange(32.0))
    assert int(ds["effective_dimension"]) == 12 and ds["kl_sorted"].values[0] == 31.0


def test_resolve_ridge_dims_replaces_the_token():
    x = collapsed_latents(n=5000)
    assert resolve_ridge_dims([3, EFFECTIVE, 25], x) == [3, 12, 25]
    assert resolve_ridge_dims([12, EFFECTIVE], x) == [12]


def test_kl_per_dimension_matches_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mu = torch.randn(50, 4, generator=g, dtype=torch.float64)
    logvar = torch.randn(50, 4, generator=g, dtype=torch.float64)
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    expected = torch.distributions.kl_divergence(q, p).mean(0)
    np.testing.assert_allclose(kl_per_dimension(mu, logvar).numpy(), expected.numpy(), rtol=1e-12)
    assert float(kl_per_dimension(torch.zeros(3, 2), torch.zeros(3, 2)).abs().max()) == 0.0  # posterior = prior


@pytest.mark.parametrize("t", [0.05, 0.5])
def test_gap_spectrum_matches_the_resolved_eigengap_of_every_split(t):
    g = torch.Generator().manual_seed(2)
    data = torch.randn(40, 5, generator=g, dtype=torch.float64) * torch.tensor([2.0, 1.0, 0.5, 0.2, 0.1])
    x = torch.randn(6, 5, generator=g, dtype=torch.float64)
    m = multi_dim_metrics(SmoothedEmpirical(data), x, t, ridge_dims=[1, 2, 3, 4])
    gaps = gap_spectrum(m["cov_eigenvalues"], np.full(6, variance(t)))
    np.testing.assert_allclose(gaps.T, variance(t) * m["eigengap"], rtol=1e-9, atol=1e-12)
    # the Hessian of log p_t is (Cov_w - h I) / h^2: its eigenvalues from autograd give the same gaps
    dist = SmoothedEmpirical(data)
    lam = torch.linalg.eigvalsh(dist.hessian(x, t)).flip(-1).numpy()
    np.testing.assert_allclose(gaps, variance(t) * (lam[:, :-1] - lam[:, 1:]), rtol=1e-7, atol=1e-10)


def test_median_gap_spectrum_ignores_padding():
    spectra = np.array([[[3.0, 1.0, 0.0], [5.0, 1.0, 0.0], [np.nan] * 3]])  # (time 1, sample 3, D 3)
    med = median_gap_spectrum(spectra, [0.5])
    np.testing.assert_allclose(med[0], np.array([3.0, 1.0]) / variance(0.5))
