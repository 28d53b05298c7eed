"""How far an explicit sampler's steps may go: the step factor far from the data, the fewest
stable steps, and how many snapshots a grid can hold. Numpy only: the configuration is checked
with it at parse time, before any job (:mod:`ridgeline.config_rules`)."""

import numpy as np

from .time_grids import log_spaced_times, nearest_nodes, time_grid

#: Samplers whose step factor is known (see :func:`step_amplification`).
METHODS = ("sde", "ode")


def step_amplification(grid: str, T: float, t_min: float, n_steps: int, method: str) -> np.ndarray:
    """How much each step of the ``method`` sampler amplifies a perturbation far from the data.

    Far from the training points the exact score is s(y) = -(y - a_t m) / h_t (one point m carries
    all the weight), the direction in which the drift contracts fastest: its Jacobian is
    (1 - 2 / h_t) I + 2 a_t^2 Cov_w / h_t^2 (sde) and (1 - 1 / h_t) I + a_t^2 Cov_w / h_t^2 (ode),
    and Cov_w is positive semi-definite. An explicit step of size dt multiplies a perturbation
    there by |1 - dt (2 / h_t - 1)| (Euler-Maruyama) or |1 + z + z^2 / 2| with
    z = -dt (1 / h_t - 1) (Heun); above 1 the numerical error grows from step to step although the
    true reverse flow contracts.

    Returns
    -------
    (n_steps,) float64 amplification of each step of the grid.
    """
    if method not in METHODS:
        raise ValueError(f"unknown sampler '{method}'; choose one of {list(METHODS)}")
    t = time_grid(grid, T, t_min, n_steps)
    dt, h = t[:-1] - t[1:], -np.expm1(-2.0 * t[:-1])  # h_t = 1 - exp(-2t), as in ridgeline.forward
    if method == "sde":
        return np.abs(1.0 - dt * (2.0 / h - 1.0))
    z = -dt * (1.0 / h - 1.0)
    return np.abs(1.0 + z + z * z / 2.0)


def stable_steps(grid: str, T: float, t_min: float, method: str, max_amplification: float = 1.0) -> int:
    """The fewest steps whose grid keeps every :func:`step_amplification` at most ``max_amplification``."""
    def stable(n):
        return float(step_amplification(grid, T, t_min, n, method).max()) <= max_amplification

    hi = 1
    while not stable(hi):
        hi *= 2
        if hi > 2 ** 30:
            raise ValueError(f"no grid of up to 2^30 steps keeps the {method} sampler stable from T={T}")
    lo = hi // 2
    while hi - lo > 1:  # stable(hi); lo is 0 or unstable
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if stable(mid) else (mid, hi)
    return hi


def snapshot_count(grid: str, T: float, t_min: float, n_steps: int, n_snapshots: int) -> int:
    """How many distinct grid nodes the ``n_snapshots`` log-spaced snapshot times fall on."""
    nodes = time_grid(grid, T, t_min, n_steps)
    return int(nearest_nodes(nodes, log_spaced_times(T, t_min, n_snapshots)).size)
