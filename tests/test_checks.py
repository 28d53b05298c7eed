"""The reach, align and slide checks: statistics, and the controls that must fail or pass them."""

import math

import numpy as np
import pytest
import torch

from ridgeline.checks import (
    ROLES,
    align_check,
    check_runs,
    controls_report,
    reach_check,
    run_checks,
    slide_check,
    summarize_seeds,
)
from ridgeline.controls import (
    CONTROLS,
    build_control,
    principal_directions,
)
from ridgeline.coupling import SlideCoupling
from ridgeline.datasets import build_dataset, is_collinear, named_set
from ridgeline.empirical import SmoothedEmpirical
from ridgeline.forward import geometric_grid, log_spaced_times
from ridgeline.io import open_store, read_store
from ridgeline.metrics_store import metrics_to_store
from ridgeline.runtime import BlockStreams
from ridgeline.sample_store import sample_to_store
from ridgeline.sampling import snapshot_indices

METRICS = {"near_radius": 0.5, "tube_scale": 2.0, "classify": {"time": 0.3, "tube_radius": 0.3},
           "scms": dict(tol=1e-6, max_iter=500, criterion="relative", method="scms")}
CHECKS = {"min_gap": 1e-9, "reach": {"tube_scale": 2.0, "min_time": 0.1, "max_deficit": 0.1},
          "align": {"max_time": 1.0, "min_resolved": 0.5, "max_residual": 1.5, "slope_tolerance": 0.5,
                    "max_slope_error": 0.2},
          "slide": {"start_time": 0.3, "tolerance": 0.25, "floor": 0.01, "min_explained": 0.8}}
CONTROL_CFG = {"push": 1.0, "normal_shift": 2.0, "tangential_shift": 0.5,
               "random_field": {"amplitude": 2.0, "n_waves": 16, "wavenumber": 1.0}}


def _measure(tmp_path, name, data, n=400, steps=500, snapshots=24):
    """Sample a control through the pipeline's store path (coupled), measure it; the metrics Dataset."""
    dist = SmoothedEmpirical(data)
    model = build_control(name, dist, 1, CONTROL_CFG, torch.Generator().manual_seed(3))
    grid = geometric_grid(10.0, 1e-3, steps)
    idx = snapshot_indices(grid, log_spaced_times(10.0, 1e-3, snapshots))
    sample_to_store(tmp_path / f"s_{name}.zarr", model, n_samples=n, dim=data.shape[1], grid=grid, snapshot_idx=idx,
                    method="sde", streams=BlockStreams(1, "s"), attrs={}, long_name="y", units="length",
                    coupling=SlideCoupling(dist, 1, CHECKS["slide"]["start_time"], "sde"))
    metrics_to_store(tmp_path / f"m_{name}.zarr", dist, open_store(tmp_path / f"s_{name}.zarr"), ridge_dim=1,
                     cfg=METRICS, attrs={}, model=model)
    return read_store(tmp_path / f"m_{name}.zarr")


@pytest.fixture(scope="module")
def control_results(tmp_path_factory):
    """Every control on two_mode, judged by the checks: {control: {check: CheckResult}}."""
    tmp = tmp_path_factory.mktemp("controls")
    data = named_set("two_mode")
    runs = {name: _measure(tmp, name, data) for name in CONTROLS}
    exact = runs["exact"]["tube_fraction"].values
    return {name: run_checks(ds, exact, 2, 1, CHECKS) for name, ds in runs.items()}


@pytest.mark.parametrize("check", sorted(ROLES))
def test_every_negative_control_fails_and_every_positive_control_passes(control_results, check):
    for name, role in ROLES[check].items():
        verdict = control_results[name][check].verdict
        assert verdict == ("fail" if role == "negative" else "pass"), (check, name, control_results[name][check])


def test_the_positive_controls_reach_their_known_answers(control_results):
    # tangential push: the normal dynamics are the exact score's, so is the tube fraction
    assert control_results["tangential_push"]["reach"].statistic <= 0.02
    # normal shift by delta: e_N(r) = a_t delta / h_t and the offset is a_t delta, a slope of 1
    align = control_results["normal_shift"]["align"]
    assert align.detail["slope_tested"] and abs(align.detail["slope"] - 1) < 0.1
    # tangential shift by delta: the coupled samples are delta apart at data scale
    assert control_results["tangential_shift"]["slide"].detail["median_separation"] == pytest.approx(0.5, rel=0.05)
    assert control_results["exact"]["slide"].detail["median_separation"] == 0.0


def test_controls_report_lists_each_role_with_its_expected_verdict(control_results):
    report = controls_report({("two_mode", name): result for name, result in control_results.items()})
    assert report["all_as_expected"]
    roles = {(e["check"], e["control"]): e["role"] for e in report["entries"]}
    assert roles[("align", "normal_removed")] == "negative" and roles[("slide", "tangential_shift")] == "positive"
    assert len(report["entries"]) == sum(len(r) for r in ROLES.values())
    flipped = {k: dict(v) for k, v in control_results.items()}
    flipped["random_field"]["slide"] = control_results["exact"]["slide"]  # a negative control that passes
    assert not controls_report({("two_mode", n): r for n, r in flipped.items()})["all_as_expected"]


def test_the_old_align_prediction_is_a_tautology(tmp_path):
    """The ratio of the measured distance to h_t |e_N| taken *at the sample* is 1 for a model with no
    normal score at all (finding 1 of the review): it cannot fail. The check at the ridge fails it."""
    data = named_set("two_mode")
    ds = _measure(tmp_path, "normal_removed", data, n=200, steps=300, snapshots=16)
    dist = SmoothedEmpirical(data)
    model = build_control("normal_removed", dist, 1, CONTROL_CFG, None)
    x = torch.tensor([[0.5, 2.0], [-1.0, -2.2], [2.0, 1.9]], dtype=torch.float64)
    from ridgeline.phases import score_error_parts

    for t in (0.01, 0.1, 1.0):
        e_n = score_error_parts(model, dist, x, t, 1)[0].norm(dim=1)
        old_ratio = x[:, 1].abs() / (-math.expm1(-2 * t) * e_n)
        np.testing.assert_allclose(old_ratio.numpy(), 1.0, rtol=1e-9)  # the old check passes any such model
    exact = _measure(tmp_path, "exact", data, n=200, steps=300, snapshots=16)["tube_fraction"].values
    assert run_checks(ds, exact, 2, 1, CHECKS)["align"].verdict == "fail"


def test_reach_check_is_the_largest_shortfall_after_min_time():
    times = np.array([10.0, 1.0, 0.1, 0.01])
    exact = np.array([0.95, 0.95, 0.95, 0.95])
    model = np.array([0.95, 0.70, 0.90, 0.10])  # the last snapshot lies before min_time: not judged
    result = reach_check(times, model, exact, 0.1, 0.1)
    assert result.statistic == pytest.approx(0.25) and result.verdict == "fail" and result.detail["worst_snapshot"] == 1
    assert reach_check(times, exact, exact, 0.1, 0.1).verdict == "pass"
    assert reach_check(times, model, np.full(4, np.nan), 0.1, 0.1).verdict == "undetermined"


def _offsets(slope, n=4000, size=0.5, seed=0):
    """Offsets of n samples at 3 times: predicted |p| = size sqrt(h), measured along it = slope |p| + noise."""
    rng = np.random.default_rng(seed)
    times = np.array([1.0, 0.5, 0.2])
    h = -np.expm1(-2 * times)[:, None]
    predicted = size * np.sqrt(h) * rng.uniform(0.5, 1.5, (3, n))
    noise = rng.standard_normal((3, n)) * np.sqrt(h)
    along = slope * predicted + noise
    return times, predicted, along, np.abs(along - predicted), np.ones((3, n), dtype=bool)


def test_align_check_passes_offsets_at_their_prediction_and_fails_a_wrong_slope():
    args = dict(normal_dims=1, max_time=1.0, min_resolved=0.5, max_residual=1.5, slope_tolerance=0.5,
                max_slope_error=0.2)
    good = align_check(*_offsets(1.0), **args)
    assert good.verdict == "pass" and good.statistic == pytest.approx(1.0, abs=0.05)
    assert good.detail["slope"] == pytest.approx(1.0, abs=0.05)
    none = align_check(*_offsets(0.0), **args)  # offsets unrelated to the prediction
    assert none.verdict == "fail" and none.statistic < 1.5 and abs(none.detail["slope"]) < 0.1
    times, predicted, along, residual, resolved = _offsets(1.0)
    unresolved = align_check(times, predicted, along, residual, resolved & False, **args)
    assert unresolved.verdict == "undetermined"
    wide = align_check(times, predicted, 3 * along, np.abs(3 * along - predicted), resolved, **args)
    assert wide.verdict == "fail" and wide.statistic > 1.5


def test_slide_check_counts_the_separations_the_response_explains():
    separation = np.array([1.0, -0.5, 0.0, 2.0, 0.3])
    response = np.array([1.1, -0.45, 0.005, -2.0, 0.0])
    result = slide_check(separation, response, np.ones(5, bool), 0.25, 0.01, 0.8)
    assert result.statistic == pytest.approx(3 / 5) and result.verdict == "fail"
    resolved = np.array([True, True, True, False, False])
    assert slide_check(separation, response, resolved, 0.25, 0.01, 0.8).verdict == "pass"


def test_summaries_over_seeds_give_median_and_range():
    results = [reach_check([1.0], [0.9 - d], [0.95], 0.1, 0.1) for d in (0.0, 0.2, 0.01)]
    row = summarize_seeds(results)
    assert row["median"] == pytest.approx(0.06) and row["min"] == pytest.approx(0.05)
    assert row["max"] == pytest.approx(0.25) and row["verdicts"] == {"pass": 2, "fail": 1}
    assert row["text"] == "0.06 [0.05-0.25]"


def test_check_runs_judges_each_run_against_its_own_seeds_exact_run(control_results, tmp_path):
    data = named_set("two_mode")
    runs = {("two_mode", "exact", 0): _measure(tmp_path, "exact", data, n=100, steps=200, snapshots=12),
            ("two_mode", "control_normal_removed", 0): _measure(tmp_path, "normal_removed", data, n=100, steps=200,
                                                                snapshots=12)}
    report = check_runs(runs, CHECKS, 1)
    verdicts = {(r["model"], c): r[c]["verdict"] for r in report["runs"] for c in ("reach", "align")}
    assert verdicts[("exact", "reach")] == "pass" and verdicts[("control_normal_removed", "reach")] == "fail"
    assert {(r["model"], r["check"]) for r in report["summary"]} >= {("exact", "slide"), ("exact", "align")}


def test_controls_need_collinear_data_and_find_its_directions():
    assert is_collinear(named_set("two_mode")) and is_collinear(build_dataset("two_mode", embed_dim=8))
    assert not is_collinear(named_set("thirteen"))
    tangent, normal = principal_directions(named_set("two_mode"))
    np.testing.assert_allclose(np.abs(tangent), [1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(np.abs(normal), [0.0, 1.0], atol=1e-12)
    with pytest.raises(ValueError, match="unknown control"):
        build_control("nonsense", SmoothedEmpirical(named_set("two_mode")), 1, CONTROL_CFG, None)
