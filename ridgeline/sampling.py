"""Reverse-time samplers with trajectory snapshots (science.md 5).

Time labels are forward-process times running from T down to t_min on a decreasing grid.
Euler-Maruyama:   y <- y + [y + 2 s(y, t)] dt + sqrt(2 dt) xi
Probability flow: dy = [y + s(y, t)] dt, integrated with Heun's method.
"""

import logging
from dataclasses import dataclass

import torch

from .progress import Progress

log = logging.getLogger(__name__)


@dataclass
class Trajectory:
    """Snapshots of a sampling run.

    Attributes
    ----------
    times : (S,) grid times of the snapshots, decreasing
    states : (S, n_samples, D) float64 positions at those times
    """

    times: torch.Tensor
    states: torch.Tensor

    @property
    def final(self) -> torch.Tensor:
        return self.states[-1]


def snapshot_indices(grid: torch.Tensor, times: torch.Tensor) -> torch.Tensor:
    """Indices of the grid nodes nearest (in log time) to the requested snapshot times; sorted, unique."""
    dist = (torch.log(grid)[None, :] - torch.log(times)[:, None]).abs()
    return torch.unique(dist.argmin(dim=1))


def reverse_sde_step(score, y, t, t_next, generator):
    """One Euler-Maruyama step of the reverse SDE from t to t_next < t."""
    dt = t - t_next
    noise = torch.randn(y.shape, generator=generator, dtype=y.dtype, device=y.device)
    return y + (y + 2.0 * score(y, t)) * dt + (2.0 * dt) ** 0.5 * noise


def probability_flow_step(score, y, t, t_next, generator=None):
    """One Heun step of the probability-flow ODE from t to t_next < t."""
    dt = t - t_next
    k1 = y + score(y, t)
    y_pred = y + dt * k1
    k2 = y_pred + score(y_pred, t_next)
    return y + dt * (k1 + k2) / 2.0


STEPPERS = {"sde": reverse_sde_step, "ode": probability_flow_step}


def sample(model, n_samples: int, dim: int, grid: torch.Tensor, snapshot_idx: torch.Tensor,
           method: str = "sde", generator=None, device=None, logger=log, y0=None) -> Trajectory:
    """Integrate the reverse process from y_T ~ N(0, I) along ``grid`` and record snapshots.

    Parameters
    ----------
    model : score model with ``score(x, t)``.
    grid : (N + 1,) decreasing times from T to t_min.
    snapshot_idx : sorted grid indices at which to record the state.
    method : "sde" (Euler-Maruyama) or "ode" (probability flow, Heun).
    generator : torch.Generator on ``device``: the only source of randomness.
    y0 : optional (n_samples, dim) start at grid[0] instead of N(0, I) draws.
    """
    if method not in STEPPERS:
        raise ValueError(f"unknown sampler '{method}'; choose one of {sorted(STEPPERS)}")
    step = STEPPERS[method]
    times = grid.tolist()
    wanted = set(int(i) for i in snapshot_idx)
    if y0 is None:
        y = torch.randn(n_samples, dim, generator=generator, dtype=torch.float64, device=device)
    else:
        y = torch.as_tensor(y0, dtype=torch.float64, device=device).clone()
    states = [y.clone()] if 0 in wanted else []
    with Progress(len(times) - 1, f"sample ({method})", logger) as bar:
        for i in range(len(times) - 1):
            y = step(model.score, y, times[i], times[i + 1], generator)
            if i + 1 in wanted:
                states.append(y.clone())
            bar.update(1)
    idx = torch.as_tensor(sorted(wanted))
    return Trajectory(grid[idx].clone(), torch.stack(states))
