"""The library helpers the stage scripts call instead of repeating a recipe (each checked against
the recipe it replaces or a closed form)."""

import math

import numpy as np
import torch

from ridgeline.forward import log_spaced_times, time_grid
from ridgeline.models.vae import reconstruction_bce
from ridgeline.rf.flow import flow_times, initial_readout
from ridgeline.rf.quadrature import build_quadrature, configured_quadrature
from ridgeline.runtime import derived_seed, generator
from ridgeline.sampling import snapshot_grid, snapshot_indices


def test_snapshot_grid_is_the_grid_and_its_nearest_nodes():
    grid, snaps = snapshot_grid("geometric", 10.0, 1e-3, 100, 11)
    assert torch.equal(grid, time_grid("geometric", 10.0, 1e-3, 100))
    assert torch.equal(snaps, snapshot_indices(grid, log_spaced_times(10.0, 1e-3, 11)))
    assert snaps.tolist() == list(range(0, 101, 10))  # 11 log-spaced times on a 100-step geometric grid


def test_the_flow_and_gradient_descent_start_from_one_draw_and_w_inf_comes_last():
    a = initial_readout(3, 2, 50, 0.5)
    expected = torch.randn(2, 50, generator=generator(3, "rf-init"), dtype=torch.float64) * 0.5
    assert torch.equal(a, expected) and not torch.equal(a, initial_readout(4, 2, 50, 0.5))
    assert flow_times([500, 50, math.inf, 50]) == [50.0, 500.0, math.inf]


def test_configured_quadrature_seeds_its_qmc_points_from_the_run():
    q = {"time_rule": "panels", "n_time": 11, "z_rule": "qmc", "z_order": 3, "n_qmc": 8, "rows": 64}
    got = configured_quadrature(4, 10.0, quadrature=q, t0=1e-3, n_frequencies=8, seed=2, stream="rf-qmc")
    want = build_quadrature(4, 1e-3, 10.0, time_rule="panels", n_time=11, n_frequencies=8, z_rule="qmc", z_order=3,
                            n_qmc=8, seed=derived_seed(2, "rf-qmc") % 2**31)
    assert torch.equal(got.z, want.z) and torch.equal(got.t, want.t)
    other = configured_quadrature(4, 10.0, quadrature=q, t0=1e-3, n_frequencies=8, seed=3, stream="rf-qmc")
    assert not torch.equal(got.z, other.z)


def test_reconstruction_bce_of_a_coin_is_log_two_per_pixel():
    images = (np.arange(2 * 784).reshape(2, 784) % 2).astype(float)
    assert np.allclose(reconstruction_bce(images, np.full((2, 784), 0.5)).numpy(), 784 * math.log(2))
    assert float(reconstruction_bce(images, images).max()) < 1e-9  # a perfect reconstruction costs nothing


def test_the_flow_store_splits_the_excess_at_w_inf():
    import pytest

    from ridgeline.rf.stores import flow_dataset

    taus = [1.0, 10.0, math.inf]
    total, normal = np.array([3.0, 2.0, 0.5]), np.array([2.0, 1.0, 0.25])
    ds = flow_dataset(W=np.zeros((3, 2, 4)), W0=np.zeros((2, 4)), eigenvalues=np.ones(4), loss=total + 1, l_star=1.0,
                      excess=(total, normal, total - normal), taus=taus, direct_loss=total + 1)
    assert float(ds["bias"]) == 0.5 and float(ds["bias_normal"]) == 0.25
    np.testing.assert_array_equal(ds["optimization"].values, [2.5, 1.5, 0.0])
    np.testing.assert_array_equal(ds["optimization_tangential"].values, [0.75, 0.75, 0.0])
    with pytest.raises(ValueError, match="last tau must be inf"):
        flow_dataset(W=np.zeros((2, 2, 4)), W0=np.zeros((2, 4)), eigenvalues=np.ones(4), loss=total[:2], l_star=1.0,
                     excess=(total[:2], normal[:2], normal[:2]), taus=taus[:2], direct_loss=total[:2])


def test_the_ridge_of_two_modes_is_their_line():
    """Two points on the x axis: the kept SCMS points lie on the axis (their ridge), none off it."""
    from ridgeline.datasets import named_set
    from ridgeline.empirical import SmoothedEmpirical
    from ridgeline.ridge_sets import ridge_sets

    ds = ridge_sets(SmoothedEmpirical(named_set("two_mode")), [1.0, 0.3], grid_size=20, grid_margin=3.0,
                    min_gap=1e-3, scms={"tol": 1e-8, "max_iter": 500, "criterion": "relative", "method": "scms"},
                    workers=1)
    kept = ds["ridge_points"].values[ds["on_ridge"].values]
    assert kept.shape[0] > 20 and np.abs(kept[:, 1]).max() < 1e-6
    assert ds["time"].values.tolist() == [1.0, 0.3]
