"""Reverse-time samplers with trajectory snapshots (docs/science.md 5).

Time labels are forward-process times running from T down to t_min on a decreasing grid.
Euler-Maruyama:   y <- y + [y + 2 s(y, t)] dt + sqrt(2 dt) xi
Probability flow: dy = [y + s(y, t)] dt, integrated with Heun's method.

:func:`sample` integrates one batch and returns its snapshots; :func:`sample_in_blocks` integrates
blocks of samples, each from its own random stream, and hands every snapshot of a block to a
callback (the sampling jobs write it to the store, see :mod:`ridgeline.sample_store`), so memory
does not grow with the number of samples.
"""

import logging
from dataclasses import dataclass
from functools import partial

import torch

from .time_grids import nearest_nodes
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


def snapshot_grid(
    grid: str, T: float, t_min: float, n_steps: int, n_snapshots: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """The sampler's time grid (N + 1,) named ``grid`` from T to t_min, and the sorted indices of its
    nodes nearest (in log time) to ``n_snapshots`` log-spaced snapshot times: the keys of
    ``sampling`` (grid, n_steps, n_snapshots) with a dataset's T and t_min."""
    from .forward import log_spaced_times, time_grid

    nodes = time_grid(grid, T, t_min, n_steps)
    return nodes, snapshot_indices(nodes, log_spaced_times(T, t_min, n_snapshots))


def snapshot_indices(grid: torch.Tensor, times: torch.Tensor) -> torch.Tensor:
    """Indices of the grid nodes nearest (in log time) to the requested snapshot times; sorted, unique."""
    nodes = nearest_nodes(grid.cpu().numpy(), torch.as_tensor(times).cpu().numpy())
    return torch.from_numpy(nodes).to(grid.device)


def reverse_sde_step(score, y, t, t_next, noise):
    """One Euler-Maruyama step of the reverse SDE from t to t_next < t; noise (B, D) ~ N(0, I)."""
    dt = t - t_next
    return y + (y + 2.0 * score(y, t)) * dt + (2.0 * dt) ** 0.5 * noise


def probability_flow_step(score, y, t, t_next, noise=None):
    """One Heun step of the probability-flow ODE from t to t_next < t (``noise`` is unused)."""
    dt = t - t_next
    k1 = y + score(y, t)
    y_pred = y + dt * k1
    k2 = y_pred + score(y_pred, t_next)
    return y + dt * (k1 + k2) / 2.0


STEPPERS = {"sde": reverse_sde_step, "ode": probability_flow_step}
#: Steppers that take Gaussian noise at every step (drawn from the run's generator, in step order).
NOISY = {"sde"}


#: Samples integrated together by default; more are drawn in blocks, each from its own random stream.
DEFAULT_BLOCK_SAMPLES = 65536


def snapshot_times(grid: torch.Tensor, snapshot_idx) -> torch.Tensor:
    """Grid times of the recorded snapshots (sorted, unique indices); shape (S,)."""
    return grid[torch.as_tensor(list(_snapshot_slots(snapshot_idx)), device=grid.device)].clone()


def _integrate(method: str, score, y, times: list, slots: dict, generator, record, bar, companion=None) -> None:
    """Step ``y`` along ``times``; call ``record(slot, y)`` at the grid indices in ``slots``.

    ``companion`` (optional, see :class:`ridgeline.coupling.SlideCoupling`) is started at the
    first grid time at or below its ``start_time`` and then stepped with the same noise as ``y``;
    inside its window ``record`` also receives ``companion=`` its state.
    """
    step = _stepper(method)
    state = None
    if 0 in slots:
        record(slots[0], y)
    for i in range(len(times) - 1):
        t, t_next = times[i], times[i + 1]
        noise = torch.randn(y.shape, generator=generator, dtype=y.dtype, device=y.device) if method in NOISY else None
        if companion is not None and state is None and t <= companion.start_time:
            state = companion.start(y, t)
        if state is None:
            y = step(score, y, t, t_next, noise)
        else:
            first = _FirstCall(score)
            y_next = step(first, y, t, t_next, noise)
            state.step(step, y, first.value, t, t_next, noise)
            y = y_next
        if i + 1 in slots:
            record(slots[i + 1], y) if state is None else record(slots[i + 1], y, companion=state)
        bar.update(1)


class _FirstCall:
    """A score callable that keeps its first value (the model score at the step's start)."""

    def __init__(self, score):
        self.score, self.value = score, None

    def __call__(self, x, t):
        out = self.score(x, t)
        if self.value is None:
            self.value = out
        return out


def _stepper(method: str):
    if method not in STEPPERS:
        raise ValueError(f"unknown sampler '{method}'; choose one of {sorted(STEPPERS)}")
    return STEPPERS[method]


def _snapshot_slots(snapshot_idx) -> dict:
    """Grid index -> position in the recorded snapshots (sorted, unique)."""
    return {i: j for j, i in enumerate(sorted(set(int(i) for i in snapshot_idx)))}


def sample(
    model,
    n_samples: int,
    *,
    dim: int,
    grid: torch.Tensor,
    snapshot_idx: torch.Tensor,
    method: str = "sde",
    generator=None,
    device=None,
    logger=log,
    y0=None,
) -> Trajectory:
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
    _stepper(method)
    slots = _snapshot_slots(snapshot_idx)
    if y0 is None:
        y = torch.randn(n_samples, dim, generator=generator, dtype=torch.float64, device=device)
    else:
        y = torch.as_tensor(y0, dtype=torch.float64, device=device).clone()
    states = torch.empty(len(slots), *y.shape, dtype=y.dtype, device=y.device)
    with Progress(len(grid) - 1, f"sample ({method})", logger) as bar:
        _integrate(method, model.score, y, grid.tolist(), slots, generator, states.__setitem__, bar)
    return Trajectory(snapshot_times(grid, snapshot_idx), states)


def sample_in_blocks(
    model,
    n_samples: int,
    *,
    dim: int,
    grid: torch.Tensor,
    snapshot_idx: torch.Tensor,
    method: str,
    streams,
    record,
    block_samples: int = DEFAULT_BLOCK_SAMPLES,
    device=None,
    logger=log,
    group_size: int = 1,
    coupling=None,
) -> torch.Tensor:
    """Sample in blocks of at most ``block_samples``, handing each snapshot of a block to ``record``.

    Memory is that of one block, however many samples are asked for. Block k starts from its own
    N(0, I) draws and takes all its noise from ``streams(k)``, so a block's samples depend on the
    seed, the block size and k only. With n_samples <= block_samples this is :func:`sample` with
    the generator ``streams(0)``, draw for draw.

    Parameters
    ----------
    model, dim, grid, snapshot_idx, method : as in :func:`sample`.
    streams : callable k -> torch.Generator on ``device`` for block k.
    record : callable(slot, samples, y): snapshot ``slot`` (position in the sorted snapshots) of
        the samples ``samples`` (a slice of range(n_samples)); y has shape (group_size * m, dim)
        for the m samples of the block, group-major.
    group_size : models evaluated on G groups of equal size (a stack of random-feature models, one
        per tau) take G rows per sample: each block holds its m samples of every group.
    coupling : optional :class:`ridgeline.coupling.SlideCoupling`: over its window the first
        ``coupling.n_samples`` samples of the first block are also integrated with the exact score
        from the same states and noise, and ``record`` receives ``companion=`` its state at the
        snapshots inside the window (block 0 only).

    Returns
    -------
    (S,) the grid times of the snapshots.
    """
    _stepper(method)
    slots = _snapshot_slots(snapshot_idx)
    times = grid.tolist()
    starts = range(0, n_samples, max(1, int(block_samples)))
    label = f"sample ({method})" if len(starts) == 1 else f"sample ({method}, {len(starts)} blocks)"
    with Progress((len(times) - 1) * len(starts), label, logger) as bar:
        for k, start in enumerate(starts):
            samples = slice(start, min(n_samples, start + int(block_samples)))
            gen = streams(k)
            rows = group_size * (samples.stop - samples.start)
            y = torch.randn(rows, dim, generator=gen, dtype=torch.float64, device=device)
            _integrate(
                method,
                model.score,
                y,
                times,
                slots,
                gen,
                partial(_record_block, record, samples),
                bar,
                coupling if k == 0 else None,
            )
    return snapshot_times(grid, snapshot_idx)


def _record_block(record, samples: slice, slot: int, y: torch.Tensor, **companion) -> None:
    record(slot, samples, y, **companion)
