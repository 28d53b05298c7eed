"""Quadrature rules for the random-feature moments (docs/science.md 4b).

Expectations over z ~ N(0, I_D): a tensor Gauss-Hermite rule for D <= 3, scrambled Sobol points
mapped through the normal quantile (randomized quasi-Monte Carlo) above, with an independent
scramble at every time node, so that the z errors of the nodes average out over the time rule
instead of repeating at every node (``qmc``); ``qmc_shared`` uses one point set at every node.

Integrals over t in [t0, T]: composite Simpson on a uniform grid (the authors' rule) or
Gauss-Legendre panels that are geometric near t0 (the steep 1/h_t^2 weight) and at most T/(8K)
wide beyond (the Fourier period).
"""

import math
from dataclasses import dataclass

import numpy as np
import torch

from ..forward import gauss_legendre_panels, simpson_weights


@dataclass
class Quadrature:
    """Nodes and weights of the (t, z) rule.

    Attributes
    ----------
    t, t_weights : (J,) time nodes and weights (sum = T - t0)
    z : (Q, D) normal nodes used at every time node, or (J, Q, D) a set per time node
    z_weights : (Q,) their weights (sum = 1)
    """

    t: torch.Tensor
    t_weights: torch.Tensor
    z: torch.Tensor
    z_weights: torch.Tensor


def gauss_hermite_normal(dim: int, order: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Tensor Gauss-Hermite rule for N(0, I_dim): nodes (order**dim, dim), weights summing to 1."""
    x, w = np.polynomial.hermite_e.hermegauss(order)
    w = w / w.sum()
    grids = np.meshgrid(*([x] * dim), indexing="ij")
    weights = np.meshgrid(*([w] * dim), indexing="ij")
    nodes = np.stack([g.reshape(-1) for g in grids], axis=1)
    return torch.as_tensor(nodes), torch.as_tensor(np.prod([g.reshape(-1) for g in weights], axis=0))


def sobol_normal(dim: int, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """n scrambled Sobol points mapped to N(0, I_dim), equal weights."""
    engine = torch.quasirandom.SobolEngine(dim, scramble=True, seed=seed)
    u = engine.draw(n, dtype=torch.float64).clamp(1e-12, 1 - 1e-12)
    return math.sqrt(2.0) * torch.erfinv(2 * u - 1), torch.full((n,), 1.0 / n, dtype=torch.float64)


def sobol_normal_per_node(dim: int, n: int, n_nodes: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """An independently scrambled set of n Sobol points per time node, mapped to N(0, I_dim).

    Returns nodes (n_nodes, n, dim) and equal weights (n,). Each set is a randomized QMC rule
    whose own scramble is seeded from ``seed``.
    """
    seeds = torch.randint(0, 2**62, (n_nodes,), generator=torch.Generator().manual_seed(seed))
    sets = [sobol_normal(dim, n, int(node_seed))[0] for node_seed in seeds]
    return torch.stack(sets), torch.full((n,), 1.0 / n, dtype=torch.float64)


def simpson_rule(t0: float, T: float, n_nodes: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Composite Simpson on n_nodes (odd) uniform nodes from t0 to T."""
    t = torch.linspace(t0, T, n_nodes, dtype=torch.float64)
    return t, simpson_weights(t)


def panel_rule(t0: float, T: float, n_frequencies: int, order: int = 4, geometric_panels: int = 24,
               switch: float | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Gauss-Legendre panels: geometric on [t0, switch], then uniform of width <= T / (8K) * order.

    ``switch`` defaults to 0.1 (capped at T / 2): below it the 1/h_t^2 weight varies on the scale
    of t itself, above it the Fourier embedding (period T / K) sets the resolution.
    """
    switch = min(switch or 0.1, T / 2)
    geo = torch.as_tensor(np.geomspace(t0, switch, geometric_panels + 1))
    width = order * T / (8 * n_frequencies)
    n_uniform = max(1, math.ceil((T - switch) / width))
    uni = torch.linspace(switch, T, n_uniform + 1, dtype=torch.float64)
    return gauss_legendre_panels(torch.cat([geo, uni[1:]]), order)


def configured_quadrature(dim: int, T: float, *, quadrature: dict, t0: float, n_frequencies: int, seed: int,
                          stream: str) -> Quadrature:
    """:func:`build_quadrature` from the ``rf.quadrature`` config keys, its QMC points seeded by the
    run's ``seed`` and the named random ``stream`` (:func:`ridgeline.runtime.derived_seed`)."""
    from ..runtime import derived_seed

    q = quadrature
    return build_quadrature(
        dim,
        t0,
        T,
        time_rule=q["time_rule"],
        n_time=q["n_time"],
        n_frequencies=n_frequencies,
        z_rule=q["z_rule"],
        z_order=q["z_order"],
        n_qmc=q["n_qmc"],
        seed=derived_seed(seed, stream) % 2**31,
    )


def build_quadrature(
    dim: int,
    t0: float,
    T: float,
    *,
    time_rule: str,
    n_time: int,
    n_frequencies: int,
    z_rule: str,
    z_order: int,
    n_qmc: int,
    seed: int = 0,
) -> Quadrature:
    """The (t, z) rule of docs/science.md 4b from config-level choices.

    time_rule : "simpson" (n_time uniform nodes) or "panels" (Gauss-Legendre, see :func:`panel_rule`).
    z_rule : "auto" (Gauss-Hermite of order z_order per axis for D <= 3, else "qmc"), "gauss_hermite",
        "qmc" (n_qmc Sobol points per time node, scrambled independently at each node) or
        "qmc_shared" (the same n_qmc Sobol points at every node).
    """
    if time_rule == "simpson":
        t, wt = simpson_rule(t0, T, n_time)
    elif time_rule == "panels":
        t, wt = panel_rule(t0, T, n_frequencies)
    else:
        raise ValueError(f"unknown time rule '{time_rule}'; choose 'simpson' or 'panels'")
    if z_rule == "auto":
        z_rule = "gauss_hermite" if dim <= 3 else "qmc"
    if z_rule == "gauss_hermite":
        z, wz = gauss_hermite_normal(dim, z_order)
    elif z_rule == "qmc":
        z, wz = sobol_normal_per_node(dim, n_qmc, t.numel(), seed)
    elif z_rule == "qmc_shared":
        z, wz = sobol_normal(dim, n_qmc, seed)
    else:
        raise ValueError(f"unknown z rule '{z_rule}'; choose 'auto', 'gauss_hermite', 'qmc' or 'qmc_shared'")
    return Quadrature(t, wt, z, wz)
