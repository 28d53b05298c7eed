"""Forward Ornstein-Uhlenbeck process, time grids and quadrature weights (docs/science.md 1, 5).

dX = -X dt + sqrt(2) dW, so X_t | X_0 ~ N(a_t X_0, h_t I) with a_t = exp(-t), h_t = 1 - exp(-2t).
"""

import math

import torch

from . import time_grids


def alpha(t):
    """Signal scale a_t = exp(-t) (tensor or float)."""
    return torch.exp(-t) if torch.is_tensor(t) else math.exp(-t)


def variance(t):
    """Noise variance h_t = 1 - exp(-2t), computed with expm1 so it stays exact as t -> 0."""
    return -torch.expm1(-2.0 * t) if torch.is_tensor(t) else -math.expm1(-2.0 * t)


def geometric_grid(T: float, t_min: float, n_steps: int) -> torch.Tensor:
    """Decreasing grid t_i = T (t_min/T)^(i/N), i = 0..N; shape (N+1,), float64."""
    return torch.from_numpy(time_grids.geometric(T, t_min, n_steps))


def linear_grid(T: float, t_min: float, n_steps: int) -> torch.Tensor:
    """Decreasing uniform grid from T to t_min; shape (N+1,), float64."""
    return torch.from_numpy(time_grids.linear(T, t_min, n_steps))


def cosine_grid(T: float, t_min: float, n_steps: int) -> torch.Tensor:
    """Decreasing grid denser at both ends: t = t_min + (T - t_min)(1 - cos(pi u))/2, u from 1 to 0."""
    return torch.from_numpy(time_grids.cosine(T, t_min, n_steps))


def time_grid(kind: str, T: float, t_min: float, n_steps: int) -> torch.Tensor:
    """Grid by name (one of :data:`ridgeline.time_grids.GRIDS`)."""
    return torch.from_numpy(time_grids.time_grid(kind, T, t_min, n_steps))


def log_spaced_times(T: float, t_min: float, n: int) -> torch.Tensor:
    """``n`` log-spaced times from T down to t_min (inclusive); shape (n,), float64."""
    return torch.from_numpy(time_grids.log_spaced_times(T, t_min, n))


def simpson_weights(t: torch.Tensor) -> torch.Tensor:
    """Composite Simpson weights on a uniform increasing grid with an odd number of nodes.

    Parameters
    ----------
    t : (N,) tensor, uniform, N odd.
    """
    n = t.numel()
    if n < 3 or n % 2 == 0:
        raise ValueError(f"Simpson's rule needs an odd number (>= 3) of nodes, got {n}")
    dt = (t[-1] - t[0]) / (n - 1)
    w = torch.ones(n, dtype=t.dtype)
    w[1:-1:2] = 4.0
    w[2:-1:2] = 2.0
    return w * dt / 3.0


def trapezoid_weights(t: torch.Tensor) -> torch.Tensor:
    """Trapezoid weights on any increasing grid; shape (N,)."""
    dt = torch.diff(t)
    w = torch.zeros_like(t)
    w[:-1] += dt / 2
    w[1:] += dt / 2
    return w


def gauss_legendre_panels(edges: torch.Tensor, order: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Gauss-Legendre nodes and weights on consecutive panels [edges[k], edges[k+1]].

    Returns nodes and weights, each of shape (len(edges) - 1) * order, increasing.
    """
    import numpy as np

    x, w = np.polynomial.legendre.leggauss(order)
    x = torch.as_tensor(x, dtype=torch.float64)
    w = torch.as_tensor(w, dtype=torch.float64)
    lo, hi = edges[:-1, None], edges[1:, None]
    nodes = (lo + hi) / 2 + (hi - lo) / 2 * x[None, :]
    weights = (hi - lo) / 2 * w[None, :]
    return nodes.reshape(-1), weights.reshape(-1)


#: Score-matching weightings w_SM(t), named as in the config.
WEIGHTINGS = ("1", "h", "h2")


def score_matching_weight(name: str, h: torch.Tensor) -> torch.Tensor:
    """w_SM(t) in {1, h_t, h_t^2} evaluated at noise variances ``h`` (any shape)."""
    if name == "1":
        return torch.ones_like(h)
    if name == "h":
        return h
    if name == "h2":
        return h**2
    raise ValueError(f"unknown weighting '{name}'; choose one of {WEIGHTINGS}")
