import math

import numpy as np
import pytest
import torch

from ridgeline.datasets import named_set
from ridgeline.empirical import SmoothedEmpirical
from ridgeline.models import ExactScore, NeuralScore, ScoreMLP, train_neural_score
from ridgeline.models.neural import dsm_loss


def _module(seed=0, dim=2):
    return ScoreMLP(dim, 10.0, 1e-3, hidden=64, n_fourier=16, generator=torch.Generator().manual_seed(seed))


def test_exact_model_matches_the_smoothed_empirical_score():
    data = named_set("triangle")
    x = torch.randn(5, 2, dtype=torch.float64)
    model = ExactScore(data)
    assert torch.allclose(model.score(x, 0.3), SmoothedEmpirical(data).score(x, 0.3))
    h = 1 - math.exp(-0.6)
    assert torch.allclose(model.posterior_mean(x, 0.3), x + h * model.score(x, 0.3))


def test_initialisation_is_reproducible_from_the_generator():
    a, b, c = _module(0), _module(0), _module(1)
    for pa, pb, pc in zip(a.state_dict().values(), b.state_dict().values(), c.state_dict().values()):
        assert torch.equal(pa, pb)
    assert not torch.equal(a.net[0].weight, c.net[0].weight)


def test_training_reduces_the_loss_and_is_reproducible():
    data = named_set("two_mode")
    # a fixed evaluation batch: (x0, t, z) with t log-uniform on [t_min, T], as in training
    g = torch.Generator().manual_seed(9)
    x0 = torch.as_tensor(data, dtype=torch.float32)[torch.randint(len(data), (4096,), generator=g)]
    t = 1e-3 * 1e4 ** torch.rand(4096, generator=g)
    z = torch.randn(4096, 2, generator=g)
    module = _module()
    before = dsm_loss(module, x0, t, z, "1").item()
    losses = [train_neural_score(m, data, weighting="1", steps=300, batch_size=256,
                                 generator=torch.Generator().manual_seed(2))
              for m in (module, _module())]
    np.testing.assert_array_equal(losses[0], losses[1])
    assert dsm_loss(module, x0, t, z, "1").item() < 0.8 * before


def test_dsm_loss_weightings_scale_by_h_at_fixed_time():
    module = _module()
    x0 = torch.randn(64, 2)
    t = torch.full((64,), 0.5)
    z = torch.randn(64, 2)
    losses = {w: dsm_loss(module, x0, t, z, w).item() for w in ("1", "h", "h2")}
    h = 1 - math.exp(-1.0)
    assert abs(losses["h"] - losses["1"] * h) < 1e-5 * losses["1"]
    assert abs(losses["h2"] - losses["1"] * h * h) < 1e-5 * losses["1"]


def test_neural_score_parametrization_and_round_trip(tmp_path):
    module = _module()
    model = NeuralScore(module)
    x = torch.randn(7, 2, dtype=torch.float64)
    t = 0.2
    eps = module(x.float(), torch.full((7,), t)).double()
    h = 1 - math.exp(-2 * t)
    assert torch.allclose(model.score(x, t), -eps / math.sqrt(h), rtol=1e-5)
    assert torch.allclose(model.posterior_mean(x, t), x + h * model.score(x, t))
    model.save(tmp_path / "m.pt", losses=np.arange(3))
    again = NeuralScore.load(tmp_path / "m.pt")
    assert torch.equal(again.score(x, t), model.score(x, t))


def test_stationary_skip_adds_sqrt_h_x_to_the_network_and_none_does_not():
    x = torch.randn(9, 3)
    t = torch.logspace(-3, 1, 9)
    h = 1 - torch.exp(-2 * t)
    with_skip = ScoreMLP(3, 10.0, 1e-3, hidden=32, n_fourier=8, generator=torch.Generator().manual_seed(4))
    plain = ScoreMLP(3, 10.0, 1e-3, hidden=32, n_fourier=8, generator=torch.Generator().manual_seed(4), skip="none")
    net = with_skip.net(torch.cat([x, with_skip.embed_time(t)], dim=1))
    torch.testing.assert_close(with_skip(x, t), net + h.sqrt()[:, None] * x)
    torch.testing.assert_close(plain(x, t), net)


def test_stationary_skip_with_a_silent_network_is_the_score_of_n01():
    # p_t of N(0, I) data is N(0, I) at every t: score -x, which the skip gives when the MLP outputs 0
    module = _module(dim=4)
    with torch.no_grad():
        module.net[-1].weight.zero_()
        module.net[-1].bias.zero_()
    x = 50.0 * torch.randn(6, 4, dtype=torch.float64)
    for t in (1e-3, 0.1, 5.0):
        torch.testing.assert_close(NeuralScore(module).score(x, t), -x, rtol=1e-6, atol=1e-4)


def test_checkpoints_without_skip_load_as_plain_eps_predictions(tmp_path):
    module = ScoreMLP(2, 10.0, 1e-3, hidden=16, n_fourier=4, generator=torch.Generator().manual_seed(1), skip="none")
    x = torch.randn(5, 2, dtype=torch.float64)
    hparams = {k: v for k, v in module.hparams.items() if k != "skip"}
    torch.save({"hparams": hparams, "state_dict": module.state_dict()}, tmp_path / "old.pt")
    loaded = NeuralScore.load(tmp_path / "old.pt")
    assert loaded.module.hparams["skip"] == "none"
    torch.testing.assert_close(loaded.score(x, 0.3), NeuralScore(module).score(x, 0.3))


def test_unknown_skip_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="stationary"):
        ScoreMLP(2, 10.0, 1e-3, skip="identity")
