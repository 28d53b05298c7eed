"""Slide: the synchronous coupling with the exact score, the linear response and the reference tangent."""

import math

import numpy as np
import pytest
import torch

from ridgeline.controls import ShiftedDataScore
from ridgeline.coupling import SlideCoupling, coupled_sample, slide_measures
from ridgeline.datasets import build_dataset, named_set
from ridgeline.empirical import SmoothedEmpirical
from ridgeline.forward import geometric_grid, log_spaced_times
from ridgeline.io import open_store
from ridgeline.models import ExactScore
from ridgeline.ridge import ridge_frame, span_tangents
from ridgeline.runtime import BlockStreams
from ridgeline.sample_store import sample_to_store, slide_window
from ridgeline.sampling import sample, snapshot_indices


def _grid(T=10.0, steps=400, snapshots=20):
    grid = geometric_grid(T, 1e-3, steps)
    return grid, snapshot_indices(grid, log_spaced_times(T, 1e-3, snapshots))


def _measures(run, dist):
    return slide_measures(
        dist,
        run.states[-1],
        exact=run.exact[-1],
        response=run.response[-1],
        integral=run.integral[-1],
        origin=run.origin,
        t_final=float(run.times[-1]),
        t_start=run.start_time,
        ridge_dim=1,
    )


@pytest.mark.parametrize("method", ["sde", "ode"])
def test_coupling_leaves_the_models_trajectory_unchanged(method):
    data = named_set("thirteen")
    dist, model = SmoothedEmpirical(data), ExactScore(data * 1.1)
    grid, idx = _grid(steps=200)
    plain = sample(
        model, 64, dim=2, grid=grid, snapshot_idx=idx, method=method, generator=torch.Generator().manual_seed(4)
    )
    coupled = coupled_sample(
        model,
        dist,
        64,
        grid=grid,
        snapshot_idx=idx,
        method=method,
        generator=torch.Generator().manual_seed(4),
        start_time=0.3,
        ridge_dim=1,
    )
    torch.testing.assert_close(coupled.states, plain.states, rtol=0, atol=0)
    assert coupled.start_time <= 0.3 and coupled.slide_times.max() < coupled.start_time


def test_the_exact_score_coupled_with_itself_never_separates():
    data = named_set("thirteen")
    dist = SmoothedEmpirical(data)
    grid, idx = _grid(steps=200)
    run = coupled_sample(
        ExactScore(data),
        dist,
        64,
        grid=grid,
        snapshot_idx=idx,
        method="sde",
        generator=torch.Generator().manual_seed(0),
        start_time=0.3,
        ridge_dim=1,
    )
    torch.testing.assert_close(run.exact[-1], run.states[-1], rtol=0, atol=0)
    out = _measures(run, dist)
    for name in ("separation", "response", "integral", "residual"):
        assert float(out[name].abs().max()) == 0.0, name


def test_a_tangential_shift_of_the_data_separates_the_samples_by_the_shift():
    """Known answer: the exact score of x_i + delta u samples p_t shifted by a_t delta along the ridge, so
    the coupled samples end delta apart at data scale. The linear response predicts it; the plain
    integral of the tangential error, which ignores the exact score's pull, overshoots by ~ln(t_s/t_min)."""
    data, delta = named_set("two_mode"), 0.5
    dist = SmoothedEmpirical(data)
    model = ShiftedDataScore(data, [delta, 0.0])
    grid, idx = _grid(steps=600)
    run = coupled_sample(
        model,
        dist,
        300,
        grid=grid,
        snapshot_idx=idx,
        method="sde",
        generator=torch.Generator().manual_seed(2),
        start_time=0.3,
        ridge_dim=1,
    )
    out = _measures(run, dist)
    sep, resp, plain = (out[k].abs().numpy() for k in ("separation", "response", "integral"))
    assert np.median(sep) == pytest.approx(delta, rel=0.02)
    assert np.median(np.abs(sep - resp) / sep) < 0.02
    assert np.median(plain) > 3 * delta  # the prediction the review proposed fails the known answer
    assert np.median(plain) == pytest.approx(delta * math.log(0.3 / 1e-3), rel=0.3)


def test_the_response_of_a_small_error_in_a_gaussian_basin_is_the_separation():
    """One training point: p_t is Gaussian and the exact dynamics are linear, so a constant small error
    moves the coupled samples exactly as the linear response integrates it (up to O(dt))."""
    data = np.array([[0.0, 0.0], [1e-3, 0.0]])  # two nearly equal points: a ridge along x, p_t ~ Gaussian

    class Pushed:
        def score(self, x, t):
            return SmoothedEmpirical(data).score(x, t) + torch.tensor([0.3, 0.0], dtype=torch.float64)

    dist = SmoothedEmpirical(data)
    grid, idx = _grid(T=2.0, steps=800)
    run = coupled_sample(
        Pushed(),
        dist,
        50,
        grid=grid,
        snapshot_idx=idx,
        method="sde",
        generator=torch.Generator().manual_seed(5),
        start_time=0.5,
        ridge_dim=1,
    )
    sep, resp = (run.states[-1] - run.exact[-1])[:, 0], run.response[-1][:, 0]
    np.testing.assert_allclose(resp.numpy(), sep.numpy(), rtol=0.02)


def test_span_tangents_are_the_frames_tangents_for_embedded_data():
    data = build_dataset("triangle", embed_dim=20)
    dist = SmoothedEmpirical(data)
    x = dist.draw(300, 0.4, torch.Generator().manual_seed(0))
    tangents = span_tangents(dist, x, 0.4, 1)
    frame = ridge_frame(dist, x, 0.4, 1)
    v = torch.randn(x.shape, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    projected = (tangents @ (tangents.transpose(1, 2) @ v[:, :, None]))[:, :, 0]
    ok = (1 - math.exp(-0.8)) * frame.eigengap() >= 1e-9
    np.testing.assert_allclose(projected[ok].numpy(), frame.tangent_part(v)[ok].numpy(), atol=1e-10)
    assert span_tangents(SmoothedEmpirical(named_set("thirteen")), x[:, :2], 0.4, 1) is None  # full span


def test_the_store_holds_the_coupled_samples_of_the_first_block(tmp_path):
    data = named_set("two_mode")
    dist = SmoothedEmpirical(data)
    model = ShiftedDataScore(data, [0.4, 0.0])
    grid, idx = _grid(steps=300)
    path = sample_to_store(
        tmp_path / "s.zarr",
        model,
        n_samples=90,
        dim=2,
        grid=grid,
        snapshot_idx=idx,
        method="sde",
        streams=BlockStreams(3, "s"),
        attrs={},
        long_name="y",
        units="length",
        block_samples=40,
        coupling=SlideCoupling(dist, 1, 0.3, "sde", n_samples=25),
    )
    store = open_store(path)
    assert store.sizes["slide_sample"] == 25 and store.attrs["slide_start_time"] <= 0.3
    whole = coupled_sample(
        model,
        dist,
        40,
        grid=grid,
        snapshot_idx=idx,
        method="sde",
        generator=BlockStreams(3, "s")(0),
        start_time=0.3,
        ridge_dim=1,
    )
    np.testing.assert_array_equal(store["slide_exact"].values, whole.exact[:, :25].numpy())
    np.testing.assert_array_equal(store["slide_origin"].values, whole.origin[:25].numpy())
    np.testing.assert_array_equal(store["states"].values[:, :40], whole.states.numpy())


def test_a_window_without_snapshots_is_refused_with_the_fix():
    grid, idx = _grid(steps=100, snapshots=3)
    with pytest.raises(ValueError, match="checks.slide.start_time"):
        slide_window(grid, idx[:1], 0.3)
