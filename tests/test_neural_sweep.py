"""Neural training-length sweep: checkpoints, the stacked model, classes per checkpoint, the generalizing pick."""

import numpy as np
import pytest
import torch

from ridgeline.datasets import named_set
from ridgeline.forward import geometric_grid
from ridgeline.models import NeuralScore, ScoreMLP
from ridgeline.models.neural import load_modules, train_with_checkpoints
from ridgeline.models.stacked import StackedNeuralScore
from ridgeline.neural_sweep import generalizing_step, neural_sweep, stack_posterior_means
from ridgeline.rf.errors import excess_loss_split
from ridgeline.rf.quadrature import build_quadrature
from ridgeline.runtime import BlockStreams

METRICS = {"near_radius": 0.5, "classify": {"time": 0.3, "tube_radius": 0.3},
           "scms": dict(tol=1e-6, max_iter=300, criterion="relative", method="scms")}


def _module(seed=0):
    return ScoreMLP(2, 10.0, 1e-3, hidden=32, n_fourier=8, generator=torch.Generator().manual_seed(seed))


def _train(steps, checkpoints):
    module = _module()
    losses, states = train_with_checkpoints(module, named_set("two_mode"), checkpoints, steps=steps, batch_size=64,
                                            generator=torch.Generator().manual_seed(1))
    return module, losses, states


def test_a_checkpoint_is_the_network_trained_for_that_many_steps():
    _, losses_short, _ = _train(20, [])
    short = _module()
    train_with_checkpoints(short, named_set("two_mode"), [], steps=20, batch_size=64,
                           generator=torch.Generator().manual_seed(1))
    _, losses, states = _train(40, [20, 40])
    for name, value in short.state_dict().items():
        torch.testing.assert_close(states[20][name], value, rtol=0, atol=0)
    np.testing.assert_array_equal(losses[:20], losses_short)


def test_saved_checkpoints_load_and_a_missing_one_names_the_fix(tmp_path):
    module, losses, states = _train(30, [10])
    NeuralScore(module).save(tmp_path / "net.pt", losses=losses, checkpoints=states)
    early, final = load_modules(tmp_path / "net.pt", steps=[10, None])
    for name, value in states[10].items():
        torch.testing.assert_close(early.state_dict()[name], value, rtol=0, atol=0)
    x = torch.randn(5, 2, dtype=torch.float64)
    torch.testing.assert_close(NeuralScore(final).score(x, 0.2), NeuralScore(module).score(x, 0.2))
    with pytest.raises(ValueError, match="neural.checkpoints"):
        load_modules(tmp_path / "net.pt", steps=[7])


def test_the_stacked_model_evaluates_every_checkpoint_as_its_own_network():
    _, _, states = _train(30, [5, 15, 30])
    modules = []
    for step in (5, 15, 30):
        m = _module()
        m.load_state_dict(states[step])
        modules.append(m.eval())
    stack = StackedNeuralScore(modules)
    x = torch.randn(3 * 7, 2, dtype=torch.float64)
    want = torch.cat([NeuralScore(m).score(x[7 * k: 7 * k + 7], 0.4) for k, m in enumerate(modules)])
    torch.testing.assert_close(stack.score(x, 0.4), want, rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="equal groups"):
        stack.score(x[:20], 0.4)
    with pytest.raises(ValueError, match="share"):
        StackedNeuralScore([modules[0], _module(seed=9)])


def _checkpoint_modules(states: dict, steps) -> list:
    """Fresh networks holding the saved weights of ``steps``, in evaluation mode."""
    modules = []
    for step in steps:
        module = _module()
        module.load_state_dict(states[step])
        modules.append(module.eval())
    return modules


def test_the_excess_of_a_stack_is_each_networks_excess():
    _, _, states = _train(30, [5, 30])
    modules = _checkpoint_modules(states, (5, 30))
    data = named_set("two_mode")
    quad = build_quadrature(2, 1e-3, 10.0, time_rule="panels", n_time=201, n_frequencies=8, z_rule="auto", z_order=3,
                            n_qmc=16, seed=0)
    both = excess_loss_split(stack_posterior_means(StackedNeuralScore(modules), 2), 2, data, weighting="1", quad=quad,
                             ridge_dim=1, rows=4096)
    for k, m in enumerate(modules):
        one = excess_loss_split(stack_posterior_means(StackedNeuralScore([m]), 1), 1, data, weighting="1", quad=quad,
                                ridge_dim=1, rows=4096)
        for part in ("total", "normal", "tangential"):
            np.testing.assert_allclose(getattr(both, part)[k].item(), getattr(one, part)[0].item(), rtol=1e-5)
        assert one.total.item() == pytest.approx(one.normal.item() + one.tangential.item(), rel=1e-12)


def test_the_sweep_classifies_every_checkpoint_and_picks_the_most_inter_mode():
    module, _, states = _train(40, [10, 20])
    modules = [*_checkpoint_modules(states, (10, 20)), module]
    quad = build_quadrature(2, 1e-3, 10.0, time_rule="panels", n_time=201, n_frequencies=8, z_rule="auto", z_order=3,
                            n_qmc=16, seed=0)
    ds = neural_sweep(modules, [10, 20, 40], named_set("two_mode"), metrics=METRICS, ridge_dim=1,
                      grid=geometric_grid(10.0, 1e-3, 80), method="sde", n_samples=30,
                      streams=BlockStreams(0, "sweep"), block_samples=1000, weighting="1", quadrature=quad, rows=4096)
    assert ds["class_count"].sum("class").values.tolist() == [30, 30, 30]
    np.testing.assert_allclose(ds["class_fraction"].sum("class").values, 1.0)
    inter = ds["class_fraction"].sel({"class": "inter_mode"}).values
    assert ds.attrs["generalizing_step"] == [10, 20, 40][int(np.argmax(inter))] == generalizing_step(ds)
    assert (ds["excess_normal"] >= 0).all() and (ds["excess_tangential"] >= 0).all()


def test_the_exact_posterior_mean_has_no_excess_and_its_loss_is_the_irreducible_one():
    """An oracle for the generic excess split: m = m_t gives 0, and its point-by-point loss is L*."""
    from ridgeline.empirical import SmoothedEmpirical
    from ridgeline.models import RandomFeatures
    from ridgeline.rf.moments import rf_moments

    data = named_set("triangle")
    dist = SmoothedEmpirical(data)
    quad = build_quadrature(2, 1e-3, 10.0, time_rule="panels", n_time=201, n_frequencies=8, z_rule="auto", z_order=4,
                            n_qmc=16, seed=0)

    def exact_means(blk):
        return dist.moments(blk.x, blk.t).mean[None]

    ex = excess_loss_split(exact_means, 1, data, weighting="h", quad=quad, ridge_dim=1, rows=4096)
    assert abs(ex.total.item()) < 1e-12 and abs(ex.normal.item()) < 1e-12
    features = RandomFeatures(2, 20, 10.0, 8, generator=torch.Generator().manual_seed(0))
    l_star = rf_moments(features, data, weighting="h", quad=quad, rows=4096).l_star
    assert ex.direct_loss.item() == pytest.approx(l_star, rel=1e-10)
