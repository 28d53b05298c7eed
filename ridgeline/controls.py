"""Control score models: built to violate or to satisfy reach, align and slide (docs/method.md).

Each control exposes ``score(x, t)`` and ``posterior_mean(x, t)`` like the other score models,
so it runs through the same sampler, coupling and measurements as the models under study.

- ``exact``: grad log p_t (the memorizing reference).
- ``normal_removed``: P_T grad log p_t, the exact score without its normal part (frame of p_t at
  x): nothing pulls samples back to the ridge. Violates reach and align.
- ``random_field``: -x + a random smooth field, unrelated to the data. Violates all three.
- ``tangential_push``: grad log p_t + c u, u the unit tangent of the ridge frame at x: the normal
  score is exact. For collinear data the normal and tangential coordinates decouple, so its reach
  curve is the exact score's (a known answer) and its predicted normal offset is zero.
- ``normal_shift`` and ``tangential_shift``: the exact score of the training points shifted by
  delta along a normal direction (outside their span) or along their principal axis. For
  collinear data the first samples p_t shifted by a_t delta off the ridge, so the offset
  predicted at the ridge is exactly a_t delta; the second samples p_t shifted along the ridge, so
  its tangential separation from the exact score's coupled samples is delta at data scale.
"""

import math

import numpy as np
import torch

from .checks import CONTROL_PREFIX as PREFIX
from .empirical import SmoothedEmpirical
from .forward import variance
from .ridge import ridge_frame_batched

CONTROLS = ("exact", "normal_removed", "random_field", "tangential_push", "normal_shift", "tangential_shift")


class _ScoreOnly:
    """posterior_mean(x, t) = x + h_t score(x, t) for controls defined by their score."""

    def posterior_mean(self, x, t):
        return x + variance(float(t)) * self.score(x, t)


class ExactControl(_ScoreOnly):
    """grad log p_t of ``dist``."""

    def __init__(self, dist: SmoothedEmpirical):
        self.dist = dist

    def score(self, x, t):
        return self.dist.score(x, t)


class NormalRemovedScore(_ScoreOnly):
    """P_T(x) grad log p_t(x): the exact score with its normal part removed."""

    def __init__(self, dist: SmoothedEmpirical, ridge_dim: int):
        self.dist, self.ridge_dim = dist, int(ridge_dim)

    def score(self, x, t):
        return torch.cat([frame.tangent_part(frame.score) for _, frame in ridge_frame_batched(self.dist, x, t,
                                                                                              self.ridge_dim)])


class TangentialPushScore(_ScoreOnly):
    """grad log p_t(x) + c P_T(x) v / |P_T(x) v|: a push of size c along the ridge, towards ``direction``.

    Where P_T v vanishes (tangent orthogonal to v) the push is zero.
    """

    def __init__(self, dist: SmoothedEmpirical, ridge_dim: int, magnitude: float, direction):
        self.dist, self.ridge_dim, self.magnitude = dist, int(ridge_dim), float(magnitude)
        self.direction = torch.as_tensor(direction, dtype=torch.float64, device=dist.data.device)

    def score(self, x, t):
        parts = []
        for sl, frame in ridge_frame_batched(self.dist, x, t, self.ridge_dim):
            u = frame.tangent_part(self.direction.expand(frame.score.shape[0], -1))
            norm = u.norm(dim=1, keepdim=True)
            u = torch.where(norm > 0, u / norm.clamp_min(1e-300), torch.zeros_like(u))
            parts.append(frame.score + self.magnitude * u)
        return torch.cat(parts)


class RandomFieldScore(_ScoreOnly):
    """-x + sum_k c_k sin(w_k . x + phi_k): a smooth random field unrelated to the data.

    Parameters
    ----------
    dim : D. amplitude : root-mean-square size of the field. n_waves : number of plane waves.
    wavenumber : standard deviation of the w_k entries (1/length). generator : torch.Generator.
    """

    def __init__(self, dim: int, amplitude: float, n_waves: int, wavenumber: float, generator, device=None):
        draw = dict(generator=generator, dtype=torch.float64)
        self.w = (torch.randn(n_waves, dim, **draw) * wavenumber).to(device)
        self.phi = (torch.rand(n_waves, **draw) * 2 * math.pi).to(device)
        self.c = (torch.randn(n_waves, dim, **draw) * amplitude * math.sqrt(2.0 / (n_waves * dim))).to(device)

    def score(self, x, t):
        return -x + torch.sin(x @ self.w.T + self.phi) @ self.c


class ShiftedDataScore(_ScoreOnly):
    """The exact score of the training points shifted by ``shift`` (D,)."""

    def __init__(self, data, shift, device=None):
        self.dist = SmoothedEmpirical(np.asarray(data, dtype=np.float64) + np.asarray(shift, dtype=np.float64),
                                      device=device)

    def score(self, x, t):
        return self.dist.score(x, t)


def principal_directions(data) -> tuple[np.ndarray, np.ndarray]:
    """The principal axis of the centred training points and a unit direction of least variance.

    For points on a line the second is orthogonal to the line: a normal direction of the ridge.
    Returns two unit vectors (D,).
    """
    centred = np.asarray(data, dtype=np.float64) - np.mean(data, axis=0)
    _, _, vh = np.linalg.svd(centred, full_matrices=True)
    return vh[0], vh[-1]


def build_control(name: str, dist: SmoothedEmpirical, ridge_dim: int, cfg: dict, generator):
    """The control ``name`` (one of :data:`CONTROLS`) for the training set of ``dist``.

    Parameters
    ----------
    cfg : the ``controls`` config section: ``push`` (magnitude c), ``normal_shift`` and
        ``tangential_shift`` (delta of each), and ``random_field`` (``amplitude``, ``n_waves``,
        ``wavenumber``).
    generator : torch.Generator (CPU) of the random field.
    """
    data = dist.data.cpu().numpy()
    tangent, normal = principal_directions(data)
    device = dist.data.device
    if name == "exact":
        return ExactControl(dist)
    if name == "normal_removed":
        return NormalRemovedScore(dist, ridge_dim)
    if name == "random_field":
        rf = cfg["random_field"]
        return RandomFieldScore(dist.dim, rf["amplitude"], rf["n_waves"], rf["wavenumber"], generator, device)
    if name == "tangential_push":
        return TangentialPushScore(dist, ridge_dim, cfg["push"], tangent)
    if name == "normal_shift":
        return ShiftedDataScore(data, cfg["normal_shift"] * normal, device)
    if name == "tangential_shift":
        return ShiftedDataScore(data, cfg["tangential_shift"] * tangent, device)
    raise ValueError(f"unknown control '{name}'; choose one of {CONTROLS}")


def load_run_model(name: str, points, checkpoint, *, device=None, rf_tau: float = math.inf, ridge_dim: int = 1,
                   controls: dict | None = None, seed: int = 0):
    """The score model of a pipeline run: a control ``control_<name>`` or a score model
    (:func:`ridgeline.models.load_score_model`).

    ``controls`` (the ``controls`` config section), ``ridge_dim`` and ``seed`` build the controls.
    """
    from .models import load_score_model
    from .runtime import generator

    if name.startswith("ext_"):
        return None  # an external run (config `external`): its samples only, no score to measure
    if not name.startswith(PREFIX):
        return load_score_model(name, points, checkpoint, device, rf_tau)
    if controls is None:
        raise ValueError(f"model '{name}' is a control: pass the `controls` config section")
    dist = SmoothedEmpirical(points, device=device)
    return build_control(name[len(PREFIX):], dist, ridge_dim, controls, generator(seed, "control-random-field"))
