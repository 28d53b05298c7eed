"""Cross-key rules (ridgeline.config_rules): each broken rule is refused with its key and fix, and
the shipped configurations (the positive controls) break none. The stability bound is checked
against the sampler itself: refused settings blow up, the suggested step count does not."""

import copy
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from ridgeline.config_rules import affine_rank, config_problems, overflow_problem
from ridgeline.datasets import build_dataset, named_set
from ridgeline.forward import time_grid
from ridgeline.models.exact import ExactScore
from ridgeline.sampling import sample
from ridgeline.stability import snapshot_count, stable_steps, step_amplification

CONFIG = Path(__file__).resolve().parents[1] / "config"


def load(name="test.yaml"):
    cfg = yaml.safe_load((CONFIG / name).read_text())
    cfg["mnist"].setdefault("protocols", {})
    return cfg


def points_of(cfg):
    return {name: build_dataset(name=name, **{k: v for k, v in entry.items() if k != "T"})
            for name, entry in cfg["datasets"].items()}


def problems(edit, name="test.yaml"):
    cfg = load(name)
    edit(cfg)
    return config_problems(cfg, points_of(cfg))


@pytest.mark.parametrize("name", ["test.yaml", "config.yaml"])
def test_the_shipped_configurations_break_no_rule(name):
    assert problems(lambda c: None, name) == []


@pytest.mark.parametrize("edit, expected", [
    (lambda c: c["datasets"]["thirteen"].update(T=100.0), "set sampling.n_steps to at least 570"),
    (lambda c: c["datasets"]["thirteen"].update(T=float("inf")), "datasets.thirteen.T is inf"),
    (lambda c: c["metrics"].update(near_radius=float("nan")), "metrics.near_radius is NaN"),
    (lambda c: c["sampling"].update(t_min=20.0), "sampling.t_min = 20.0 must lie below"),
    (lambda c: c["checks"]["slide"].update(start_time=1e-4), "checks.slide.start_time = 0.0001 must exceed"),
    (lambda c: c["ridge"].update(ridge_dim=2), "ridge.ridge_dim = 2 must lie below the dimension D = 2"),
    (lambda c: c["rf"]["quadrature"].update(time_rule="simpson", n_time=200), "use 201"),
    (lambda c: c["sampling"].update(n_snapshots=10, n_steps=3), "only 4 distinct grid nodes"),
    (lambda c: c["datasets"]["thirteen"].update(kind="points", points=[[1.0, 2.0]] * 3), "copies of one point"),
    (lambda c: c["datasets"]["thirteen"].update(kind="points", points=[[1e200, 0.0], [0.0, 1e200]]),
     "overflow float64"),
    (lambda c: c["datasets"]["thirteen"].update(kind="points", points=[[9000.0, 0.0], [0.0, 9000.0]]),
     "raise T to at least 12"),
    (lambda c: [c["datasets"][n].update(T=10.0) for n in c["datasets"]], "sampling.T = 10.0 has no effect"),
    (lambda c: c["mnist"]["sampling"].update(n_steps=3), "mnist: sampling.n_steps = 3"),
    (lambda c: c["figures"]["rf"].update(segments={"nowhere": [[0, 0], [1, 1]]}), "nowhere is not defined"),
    (lambda c: (c["score_runs"].update(datasets=[]), c["rf"].update(experiments=[]), c["mnist"].update(runs=[])),
     "nothing to run"),
])
def test_each_broken_rule_is_refused_with_its_key_and_fix(edit, expected):
    found = problems(edit)
    assert any(expected in p for p in found), found


def test_infinity_is_refused_except_where_it_means_the_equilibrium():
    assert problems(lambda c: c["rf"].update(taus=[50, float("inf")])) == []
    found = problems(lambda c: c["neural_sweep"].update(z_order=3) or c["controls"].update(push=float("inf")))
    assert found == ["controls.push is inf; give a finite number"]


def test_a_2d_ridge_in_3d_needs_points_that_span_two_dimensions():
    line = np.array([[0.0, 0, 0], [1, 0, 0], [2, 0, 0]])
    assert affine_rank(line) == 1 and affine_rank(line[:1]) == 0
    assert affine_rank(np.array([[0.0, 0, 0], [1, 0, 0], [0, 1, 0]])) == 2

    def edit(c):
        c["datasets"]["thirteen"] = {"kind": "points", "points": line.tolist()}
        c["ridge"]["ridge_dim"] = 2
        c["score_runs"]["datasets"] = ["thirteen"]
        c["score_runs"]["rf"]["datasets"] = []
        c["controls"]["datasets"] = []
    assert any("span only 1 dimension" in p for p in problems(edit))


def test_overflow_is_found_only_where_squares_overflow():
    assert overflow_problem(np.array([[1e150, 0.0]])) == ""
    assert "overflow" in overflow_problem(np.array([[1e160, 0.0]]))


@pytest.mark.parametrize("T", [100.0, 30.0])
def test_the_stability_bound_predicts_where_the_sampler_blows_up(T):
    """Refused: a grid whose steps amplify blows the samples up by orders of magnitude beyond the
    data (two_mode at |x| = 3). With the suggested step count no snapshot leaves the data's scale
    (noise is inflated near the bound, 2 / (2 - dt) in variance, but does not grow) and the final
    samples sit on the two points. One step fewer than suggested amplifies: the count is the bound."""
    model = ExactScore(named_set("two_mode"))
    needed = stable_steps("geometric", T, 1e-3, "sde")
    assert float(step_amplification("geometric", T, 1e-3, needed - 1, "sde").max()) > 1.0
    runs = {}
    for n in (needed // 6, needed):
        grid = time_grid("geometric", T, 1e-3, n)
        runs[n] = sample(model, 500, dim=2, grid=grid, snapshot_idx=torch.arange(n + 1),
                         generator=torch.Generator().manual_seed(0))
    assert float(runs[needed // 6].states.abs().max()) > 1e3
    assert float(runs[needed].states.abs().max()) < 30.0
    final = runs[needed].final
    assert float((final[:, 0].abs() - 3.0).abs().max()) < 0.3 and float(final[:, 1].abs().max()) < 0.3


def test_the_ode_sampler_is_stable_at_large_steps_where_the_sde_is_not():
    assert float(step_amplification("geometric", 1000.0, 1e-3, 100, "ode").max()) <= 1.0
    assert float(step_amplification("geometric", 1000.0, 1e-3, 100, "sde").max()) > 1.0


def test_snapshot_count_counts_distinct_grid_nodes():
    assert snapshot_count("geometric", 10.0, 1e-3, 3, 10) == 4
    assert snapshot_count("geometric", 10.0, 1e-3, 9, 10) == 10
    # a linear grid crowds log-spaced small-t snapshots onto its first node
    assert snapshot_count("linear", 10.0, 1e-3, 500, 30) < 30


def test_problems_are_all_listed_at_once():
    def edit(c):
        c["sampling"]["n_steps"] = 3
        c["rf"]["quadrature"].update(time_rule="simpson", n_time=200)
    found = problems(edit)
    assert any("unstable" in p for p in found) and any("must be odd" in p for p in found)
    assert len(found) == len(set(found))


def test_the_rules_do_not_change_the_configuration():
    cfg = load()
    before = copy.deepcopy(cfg)
    config_problems(cfg, points_of(cfg))
    assert cfg == before
