"""Other diffusion conventions (ridgeline.processes) against closed forms: the exact score of a
point set written in a VP or VE convention, converted, equals ridgeline's exact OU score; using it
without the time and scale change (the negative control) does not."""

import math

import numpy as np
import pytest
import torch

from ridgeline.datasets import named_set
from ridgeline.models.exact import ExactScore
from ridgeline.processes import ConvertedScore, ForwardProcess

DATA = torch.as_tensor(named_set("triangle_mid"))


def user_exact(process, kind):
    """The exact score (or epsilon) of DATA in the user's convention: a mixture of N(alpha x_i, sigma^2 I)."""
    def fn(x, s):
        a, sig = process.alpha(s), process.sigma(s)
        d2 = ((x[:, None, :] - a * DATA[None]) ** 2).sum(-1)
        w = torch.softmax(-d2 / (2 * sig**2), dim=1)
        score = (w[:, :, None] * (a * DATA[None] - x[:, None, :])).sum(1) / sig**2
        return score if kind == "score" else -sig * score
    return fn


PROCESSES = [ForwardProcess.vp_linear(), ForwardProcess.ve(0.01, 50.0), ForwardProcess.named("vp_linear:0.5,10")]


@pytest.mark.parametrize("process", PROCESSES, ids=lambda p: p.name)
@pytest.mark.parametrize("kind", ["score", "eps"])
def test_a_converted_exact_score_equals_ridgeline_exact_score(process, kind):
    exact = ExactScore(DATA)
    converted = ConvertedScore(user_exact(process, kind), process, kind)
    y = torch.randn(64, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64) * 3
    lo, hi = process.ou_time(process.s_min + 1e-3), process.ou_time(process.s_max)
    for t in np.geomspace(max(lo, 2e-3), min(hi, 5.0), 7):
        want, got = exact.score(y, float(t)), converted.score(y, float(t))
        assert torch.allclose(got, want, rtol=1e-8, atol=1e-8 * float(want.abs().max())), (process.name, t)


@pytest.mark.parametrize("process", PROCESSES[:2], ids=lambda p: p.name)
def test_without_the_time_and_scale_change_the_score_is_wrong(process):
    """Negative control: the user's score used as if it were OU (s = t, no scale) misses by far."""
    exact, raw = ExactScore(DATA), user_exact(process, "score")
    y = torch.randn(64, 2, generator=torch.Generator().manual_seed(2), dtype=torch.float64) * 3
    for t in (0.05, 0.1):
        err = (raw(y, t) - exact.score(y, t)).norm() / exact.score(y, t).norm()
        assert err > 0.3, (process.name, t, float(err))


def test_time_maps_are_inverse_and_known_in_closed_form():
    vp, ve, ou = ForwardProcess.vp_linear(0.1, 20.0), ForwardProcess.ve(0.01, 50.0), ForwardProcess.ou()
    for s in (0.01, 0.3, 0.9):
        assert vp.user_time(vp.ou_time(s)) == pytest.approx(s, rel=1e-12)
        assert ve.user_time(ve.ou_time(s)) == pytest.approx(s, rel=1e-12)
        # VP: t = -log(alpha^2) / 2 and no scale change; VE: t = log(1 + sigma^2) / 2, c = sqrt(1 + sigma^2)
        assert vp.ou_time(s) == pytest.approx(0.5 * (0.1 * s + 9.95 * s * s), rel=1e-12)
        assert vp.scale(s) == pytest.approx(1.0, rel=1e-12)
        assert ve.scale(s) == pytest.approx(math.sqrt(1 + ve.sigma(s) ** 2), rel=1e-12)
        assert ou.ou_time(s) == pytest.approx(s, rel=1e-12) and ou.scale(s) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="outside what the vp_linear"):
        vp.user_time(50.0)
    with pytest.raises(ValueError, match="unknown forward process"):
        ForwardProcess.named("cosine")


def test_states_map_to_ou_by_the_scale():
    ve = ForwardProcess.ve(0.01, 50.0)
    x = np.ones((2, 3, 2))
    y, t = ve.to_ou(x, [0.5, 0.1])
    assert y[0, 0, 0] == pytest.approx(1 / ve.scale(0.5)) and t[1] == pytest.approx(ve.ou_time(0.1))
