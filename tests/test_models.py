import math

import numpy as np
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
    losses = [train_neural_score(_module(), data, "1", steps=300, batch_size=256,
                                 generator=torch.Generator().manual_seed(2)) for _ in range(2)]
    np.testing.assert_array_equal(losses[0], losses[1])
    assert losses[0][-50:].mean() < 0.7 * losses[0][:20].mean()


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
