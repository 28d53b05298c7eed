"""Time grids of the reverse process and the snapshot nodes on them, in numpy (docs/science.md 5).

Torch-free, so the configuration checks at parse time (:mod:`ridgeline.stability`) use the very
grids the samplers integrate on; :mod:`ridgeline.forward` hands them to torch.
"""

import math

import numpy as np


def geometric(T: float, t_min: float, n_steps: int) -> np.ndarray:
    """Decreasing grid t_i = T (t_min/T)^(i/N), i = 0..N; shape (N+1,), float64."""
    check_range(T, t_min, n_steps)
    i = np.arange(n_steps + 1, dtype=np.float64)
    return T * (t_min / T) ** (i / n_steps)


def linear(T: float, t_min: float, n_steps: int) -> np.ndarray:
    """Decreasing uniform grid from T to t_min; shape (N+1,), float64."""
    check_range(T, t_min, n_steps)
    return np.linspace(T, t_min, n_steps + 1, dtype=np.float64)


def cosine(T: float, t_min: float, n_steps: int) -> np.ndarray:
    """Decreasing grid denser at both ends: t = t_min + (T - t_min)(1 - cos(pi u))/2, u from 1 to 0."""
    check_range(T, t_min, n_steps)
    u = np.linspace(1.0, 0.0, n_steps + 1, dtype=np.float64)
    return t_min + (T - t_min) * (1.0 - np.cos(math.pi * u)) / 2.0


GRIDS = {"geometric": geometric, "linear": linear, "cosine": cosine}


def time_grid(kind: str, T: float, t_min: float, n_steps: int) -> np.ndarray:
    """Grid by name (one of ``GRIDS``); shape (N+1,), decreasing from T to t_min."""
    if kind not in GRIDS:
        raise ValueError(f"unknown time grid '{kind}'; choose one of {sorted(GRIDS)}")
    return GRIDS[kind](T, t_min, n_steps)


def log_spaced_times(T: float, t_min: float, n: int) -> np.ndarray:
    """``n`` log-spaced times from T down to t_min (inclusive); shape (n,), float64."""
    if n < 2:
        raise ValueError(f"need at least 2 snapshot times, got {n}")
    return geometric(T, t_min, n - 1)


def nearest_nodes(grid: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Indices of the grid nodes nearest (in log time) to ``times``; sorted, unique; int64."""
    dist = np.abs(np.log(grid)[None, :] - np.log(times)[:, None])
    return np.unique(dist.argmin(axis=1)).astype(np.int64)


def check_range(T: float, t_min: float, n_steps: int) -> None:
    """Refuse a grid that does not run down from T to 0 < t_min < T in at least one step."""
    if not (0 < t_min < T):
        raise ValueError(f"need 0 < t_min < T, got t_min={t_min}, T={T}")
    if n_steps < 1:
        raise ValueError(f"need at least one step, got n_steps={n_steps}")
