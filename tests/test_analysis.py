"""The public API (ridgeline.analysis) on models the project does not ship: the exact score passes,
a score that puts its samples off the ridge fails (the negative control), and a model written in
another convention gets the same answer as in ridgeline's own."""

import numpy as np
import pytest
import torch

from ridgeline import analyze_samples, analyze_score
from ridgeline.datasets import named_set
from ridgeline.forward import log_spaced_times, time_grid
from ridgeline.io import NonFiniteError, read_store
from ridgeline.models.exact import ExactScore
from ridgeline.processes import ForwardProcess
from ridgeline.sampling import sample, snapshot_indices

DATA = named_set("two_mode")
SHIFTED = DATA + np.array([0.0, 2.0])  # the same line moved 2 across it: its samples end off DATA's ridge


def trajectory(points, n=300, seed=0):
    grid = time_grid("geometric", 10.0, 1e-3, 300)
    idx = snapshot_indices(grid, log_spaced_times(10.0, 1e-3, 12))
    run = sample(ExactScore(points), n, dim=2, grid=grid, snapshot_idx=idx,
                 generator=torch.Generator().manual_seed(seed))
    return run.states.numpy(), run.times.numpy()


def test_exact_trajectories_pass_reach_and_shifted_ones_fail_it():
    states, times = trajectory(DATA)
    good = analyze_samples(DATA, states, times)
    assert good["check_verdict"].sel(check="reach").item() == "pass"
    assert good["class_count"].sel({"class": "near_point"}).item() == 300
    bad = analyze_samples(DATA, *trajectory(SHIFTED))
    assert bad["check_verdict"].sel(check="reach").item() == "fail"
    assert bad["class_count"].sel({"class": "off_ridge"}).item() > 250


def test_a_run_in_another_convention_gives_the_same_metrics():
    """The same trajectories written as a VE model would (x = c(s) y at the VE times s(t))."""
    states, times = trajectory(DATA)
    ve = ForwardProcess.ve(0.01, 1.0e5)  # covers OU times up to 11.5
    s = np.array([ve.user_time(t) for t in times])
    scaled = states * np.array([ve.scale(v) for v in s])[:, None, None]
    ours = analyze_samples(DATA, states, times, reference_samples=0)
    theirs = analyze_samples(DATA, scaled, s, process=ve, reference_samples=0)
    np.testing.assert_allclose(theirs["time"].values, times, rtol=1e-10)
    np.testing.assert_allclose(theirs["scms_distance"].values, ours["scms_distance"].values, rtol=1e-6, atol=1e-9)
    unscaled = analyze_samples(DATA, scaled, times, reference_samples=0)  # control: no conversion
    assert not np.allclose(unscaled["scms_distance"].values, ours["scms_distance"].values, rtol=1e-2)


def vp_eps(points, process):
    """The exact noise prediction of ``points`` in a VP convention: a model ridgeline does not ship."""
    data = torch.as_tensor(points)

    def eps(x, s):
        a, sig = process.alpha(s), process.sigma(s)
        w = torch.softmax(-((x[:, None] - a * data[None]) ** 2).sum(-1) / (2 * sig**2), dim=1)
        return (x - a * (w @ data)) / sig
    return eps


@pytest.mark.parametrize("points, verdict", [(DATA, "pass"), (SHIFTED, "fail")])
def test_a_score_callable_is_sampled_coupled_and_judged_on_all_three_checks(points, verdict):
    vp = ForwardProcess.vp_linear()
    ds = analyze_score(DATA, vp_eps(points, vp), process=vp, prediction="eps", n_samples=200, n_steps=300,
                       n_snapshots=12, T=5.0, reference_samples=200)
    assert list(ds["check"].values) == ["reach", "align", "slide"]
    assert ds["check_verdict"].sel(check="reach").item() == verdict
    if verdict == "pass":
        assert set(ds["check_verdict"].values) == {"pass"}


def test_bad_inputs_are_named():
    with pytest.raises(NonFiniteError, match="1 of 600 values"):
        states = np.zeros((300, 2))
        states[5, 1] = np.nan
        analyze_samples(DATA, states)
    with pytest.raises(ValueError, match="match the training points"):
        analyze_samples(DATA, np.zeros((2, 10, 3)), [1.0, 0.1])
    with pytest.raises(ValueError, match="give their times"):
        analyze_samples(DATA, np.zeros((2, 10, 2)))
    with pytest.raises(ValueError, match="unknown key settings.scms.tolerance"):
        analyze_samples(DATA, np.zeros((10, 2)), settings={"scms": {"tolerance": 1}})


def test_the_result_can_be_written_as_a_store(tmp_path):
    ds = analyze_samples(DATA, trajectory(DATA, n=50)[0][-1], out=tmp_path / "mine.zarr")
    back = read_store(tmp_path / "mine.zarr")
    assert back["check_verdict"].values.tolist() == ds["check_verdict"].values.tolist()
    assert back.attrs["rule"] == "analyze"
