import math

import numpy as np
import pytest
import torch
import xarray as xr

from ridgeline.datasets import named_set
from ridgeline.forward import geometric_grid, log_spaced_times
from ridgeline.io import read_store
from ridgeline.models import ExactScore
from ridgeline.runtime import BlockStreams
from ridgeline.sample_store import sample_to_store
from ridgeline.sampling import sample, sample_in_blocks, snapshot_indices


class GaussianScore:
    """Exact score of the OU marginal of N(mu, s^2 I) data: p_t = N(a mu, (a^2 s^2 + h) I)."""

    def __init__(self, mu, s):
        self.mu, self.s = torch.as_tensor(mu, dtype=torch.float64), s

    def marginal(self, t):
        a, h = math.exp(-t), 1 - math.exp(-2 * t)
        return a * self.mu, a**2 * self.s**2 + h

    def score(self, x, t):
        m, v = self.marginal(float(t))
        return -(x - m) / v

    def posterior_mean(self, x, t):
        return x + (1 - math.exp(-2 * float(t))) * self.score(x, t)


@pytest.mark.parametrize("method", ["sde", "ode"])
def test_sampler_reproduces_ou_marginals_for_gaussian_data(method):
    model = GaussianScore([1.5, -0.5], 0.3)
    grid = geometric_grid(8.0, 1e-3, 400)
    idx = snapshot_indices(grid, log_spaced_times(8.0, 1e-3, 6))
    traj = sample(model, 40_000, dim=2, grid=grid, snapshot_idx=idx, method=method,
                  generator=torch.Generator().manual_seed(0))
    assert traj.states.shape == (len(idx), 40_000, 2)
    for t, x in zip(traj.times.tolist(), traj.states):
        m, v = model.marginal(t)
        se = math.sqrt(v / 40_000)
        assert torch.allclose(x.mean(0), m, atol=6 * se + 0.01)
        assert x.var(0).mean().item() == pytest.approx(v, rel=0.05)


def test_exact_score_sampler_collapses_onto_training_points():
    data = named_set("triangle")
    model = ExactScore(data)
    grid = geometric_grid(10.0, 1e-4, 600)
    idx = snapshot_indices(grid, torch.tensor([10.0, 1e-4], dtype=torch.float64))
    traj = sample(model, 1000, dim=2, grid=grid, snapshot_idx=idx, method="sde",
                  generator=torch.Generator().manual_seed(1))
    nearest = torch.cdist(traj.final, math.exp(-1e-4) * torch.as_tensor(data)).min(dim=1).values
    # memorization: at t_min the samples sit within a few sqrt(h_tmin) ~ 0.014 of the points
    assert torch.quantile(nearest, 0.99).item() < 0.06
    counts = torch.cdist(traj.final, torch.as_tensor(data)).argmin(dim=1).bincount(minlength=3)
    assert bool((counts > 200).all())  # every point is reproduced, none dominates


def test_same_generator_seed_gives_identical_trajectories():
    model = ExactScore(named_set("thirteen"))
    grid = geometric_grid(10.0, 1e-3, 50)
    idx = torch.tensor([0, 25, 50])
    a = sample(model, 64, dim=2, grid=grid, snapshot_idx=idx, method="sde", generator=torch.Generator().manual_seed(5))
    b = sample(model, 64, dim=2, grid=grid, snapshot_idx=idx, method="sde", generator=torch.Generator().manual_seed(5))
    c = sample(model, 64, dim=2, grid=grid, snapshot_idx=idx, method="sde", generator=torch.Generator().manual_seed(6))
    assert torch.equal(a.states, b.states)
    assert not torch.equal(a.states, c.states)
    assert torch.equal(a.times, grid[idx])


def test_snapshot_indices_pick_nearest_nodes_in_log_time():
    grid = geometric_grid(10.0, 1e-3, 100)
    idx = snapshot_indices(grid, log_spaced_times(10.0, 1e-3, 11))
    assert idx.tolist() == list(range(0, 101, 10))


def test_unknown_sampler():
    with pytest.raises(ValueError, match="unknown sampler"):
        sample(ExactScore(named_set("two_mode")), 4, dim=2, grid=geometric_grid(1.0, 0.1, 3),
               snapshot_idx=torch.tensor([3]), method="leapfrog")


def _blocked(model, n, dim, grid, idx, block, group_size=1, seed=4):
    """Run sample_in_blocks; return the snapshot times, the (S, G*n-by-sample) states and the record calls."""
    calls, states = [], {}

    def record(slot, samples, y):
        calls.append((slot, samples, y.shape[0]))
        states[(slot, samples.start)] = y.clone()

    times = sample_in_blocks(
        model,
        n,
        dim=dim,
        grid=grid,
        snapshot_idx=idx,
        method="sde",
        streams=BlockStreams(seed, "test"),
        record=record,
        block_samples=block,
        group_size=group_size,
    )
    return times, states, calls


def test_one_block_draws_exactly_what_sample_draws():
    model = ExactScore(named_set("thirteen"))
    grid, idx = geometric_grid(10.0, 1e-3, 40), torch.tensor([0, 20, 40])
    ref = sample(model, 50, dim=2, grid=grid, snapshot_idx=idx, method="sde", generator=BlockStreams(4, "test")(0))
    times, states, _ = _blocked(model, 50, 2, grid, idx, block=50)
    assert torch.equal(times, ref.times)
    assert all(torch.equal(states[(j, 0)], ref.states[j]) for j in range(3))


def test_each_block_is_an_independent_run_of_its_own_stream():
    model = ExactScore(named_set("thirteen"))
    grid, idx = geometric_grid(10.0, 1e-3, 40), torch.tensor([0, 40])
    _, states, calls = _blocked(model, 70, 2, grid, idx, block=32)
    assert sorted({(c[1].start, c[1].stop, c[2]) for c in calls}) == [(0, 32, 32), (32, 64, 32), (64, 70, 6)]
    for k, (start, m) in enumerate([(0, 32), (32, 32), (64, 6)]):
        ref = sample(model, m, dim=2, grid=grid, snapshot_idx=idx, method="sde", generator=BlockStreams(4, "test")(k))
        assert torch.equal(states[(1, start)], ref.states[1])
    assert not torch.allclose(states[(0, 0)], states[(0, 32)])  # blocks do not repeat each other's draws


def test_blocked_sampling_reproduces_the_ou_marginals():
    model = GaussianScore([1.5, -0.5], 0.3)
    grid = geometric_grid(8.0, 1e-3, 300)
    idx = torch.tensor([len(grid) - 1])
    _, states, _ = _blocked(model, 20_000, 2, grid, idx, block=3_000)
    final = torch.cat([states[key] for key in sorted(states)])
    m, v = model.marginal(float(grid[-1]))
    assert torch.allclose(final.mean(0), m, atol=6 * math.sqrt(v / 20_000) + 0.01)
    assert final.var(0).mean().item() == pytest.approx(v, rel=0.05)


def test_store_of_grouped_blocks_matches_the_group_major_rows(tmp_path):
    model = GaussianScore([0.5, 0.5], 0.2)
    grid, idx = geometric_grid(5.0, 1e-2, 20), torch.tensor([0, 10, 20])
    taus = xr.DataArray([1.0, 2.0, 3.0], dims="tau")
    path = sample_to_store(
        tmp_path / "s.zarr",
        model,
        n_samples=10,
        dim=2,
        grid=grid,
        snapshot_idx=idx,
        method="sde",
        streams=BlockStreams(4, "test"),
        attrs={"seed": 4},
        long_name="sample position",
        units="length",
        block_samples=4,
        groups=taus,
    )
    ds = read_store(path)
    _, states, calls = _blocked(model, 10, 2, grid, idx, block=4, group_size=3)
    assert ds["states"].dims == ("tau", "time", "sample", "coord") and ds["states"].shape == (3, 3, 10, 2)
    assert ds["states"].encoding["chunks"] == (3, 1, 4, 2)  # one chunk per snapshot and block: no rewrites
    assert max(c[2] for c in calls) == 3 * 4  # a block holds its 4 samples of every group
    for (slot, start), y in states.items():
        m = y.shape[0] // 3
        assert np.array_equal(ds["states"].values[:, slot, start : start + m], y.reshape(3, m, 2).numpy())
    assert np.array_equal(ds["time"].values, grid[idx].numpy()) and ds.attrs["seed"] == 4


class _BlowsUpBelow:
    """A score that is exact-like (Gaussian) until t < t_bad, where it returns inf for rows >= 3."""

    def __init__(self, t_bad):
        self.inner, self.t_bad = GaussianScore([0.5, 0.5], 0.2), t_bad

    def score(self, x, t):
        s = self.inner.score(x, t)
        if t < self.t_bad:
            s = s.clone()
            s[3:] = float("inf")
        return s


@pytest.mark.parametrize("t_bad, fails", [(0.5, True), (0.0, False)])
def test_a_run_whose_samples_turn_non_finite_is_not_written(tmp_path, t_bad, fails):
    """The store would hold inf/NaN in 'states': the job fails naming the store, the variable and
    the count, and nothing is put in place. The same run with a finite score is written (control)."""
    grid, idx = geometric_grid(5.0, 1e-2, 20), torch.tensor([0, 10, 20])
    run = lambda: sample_to_store(
        tmp_path / "s.zarr",
        _BlowsUpBelow(t_bad),
        n_samples=10,
        dim=2,
        grid=grid,
        snapshot_idx=idx,
        method="sde",
        streams=BlockStreams(0, "test"),
        attrs={},
        long_name="sample position",
        units="length",
    )
    if not fails:
        assert np.isfinite(read_store(run())["states"].values).all()
        return
    from ridgeline.io import NonFiniteError

    with pytest.raises(NonFiniteError) as err:
        run()
    bad = int(np.count_nonzero(grid[idx] < 0.5)) * 7 * 2  # snapshots after t_bad, rows 3..9, 2 coords
    assert f"'states': {bad:,} of 60 values" in str(err.value) and "s.zarr" in str(err.value)
    assert "sampling steps" in str(err.value)
    assert list(tmp_path.iterdir()) == []
