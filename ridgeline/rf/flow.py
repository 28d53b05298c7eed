"""Closed-form gradient flow of the random-feature readout and its loss (docs/science.md 4b).

Parametrization: m = A s / sqrt(p) with W = A / sqrt(p). Plain gradient descent on L(A) with rate
eta, A <- A - eta dL/dA, advances the flow time tau by eta / D, where the flow is
dA/dtau = -2 (A U/p - V/sqrt(p)), i.e. dW/dtau = -(2/p) (W U - V). (docs/science.md writes the flow
as dW/dtau = -2 (W U - V) with U, V of the normalized features s / sqrt(p); the two agree.)
Solution: W(tau) = W_inf + (W_0 - W_inf) exp(-2 tau U / p), W_inf = V U^+ + W_0 (I - U U^+),
evaluated for every tau from one eigendecomposition of U.
"""

import math
from dataclasses import dataclass

import torch


@dataclass
class Spectrum:
    """Eigendecomposition of U with tiny eigenvalues clipped to zero.

    Attributes
    ----------
    values : (p,) eigenvalues, those below ``rel_tol * max`` set to 0
    vectors : (p, p) orthonormal eigenvectors (columns)
    rank : number of kept eigenvalues
    """

    values: torch.Tensor
    vectors: torch.Tensor
    rank: int


def initial_readout(seed: int, dim: int, p: int, init_scale: float) -> torch.Tensor:
    """A_0 (D, p), i.i.d. N(0, init_scale^2) from the run's ``rf-init`` stream: the flow and plain
    gradient descent start from the same draw; W_0 = A_0 / sqrt(p)."""
    from ..runtime import generator

    return torch.randn(dim, p, generator=generator(seed, "rf-init"), dtype=torch.float64) * init_scale


def flow_times(taus) -> list:
    """The configured gradient-flow times, sorted, with tau = inf (W_inf: the architectural bias
    alone) always last, since the bias / optimization split is taken against it."""
    return sorted(set(float(t) for t in taus) | {math.inf})


def gd_steps(taus, dim: int, eta: float) -> list:
    """Gradient-descent steps that reach each flow time tau: a step of rate eta advances tau by eta / D."""
    return [max(1, round(tau * dim / eta)) for tau in taus]


def spectrum(U: torch.Tensor, rel_tol: float = 1e-12) -> Spectrum:
    """One symmetric eigendecomposition of U; eigenvalues below rel_tol * lambda_max become 0.

    Quadrature round-off makes the null space of U (features that are never active, or
    collinear) show up as tiny eigenvalues of either sign; the relative threshold removes them.
    """
    values, vectors = torch.linalg.eigh((U + U.T) / 2)
    keep = values > rel_tol * values.max().clamp_min(0)
    return Spectrum(torch.where(keep, values, torch.zeros_like(values)), vectors, int(keep.sum()))


def flow_weights(spec: Spectrum, V: torch.Tensor, W0: torch.Tensor, taus) -> torch.Tensor:
    """W(tau) for every tau (``math.inf`` allowed); shape (len(taus), D, p)."""
    p = W0.shape[1]
    Q, mu = spec.vectors, spec.values
    inv = torch.where(mu > 0, 1.0 / mu.clamp_min(1e-300), torch.zeros_like(mu))
    range_proj = Q @ torch.diag((mu > 0).to(mu.dtype)) @ Q.T
    W_inf = (V @ Q) * inv @ Q.T + W0 @ (torch.eye(p, dtype=W0.dtype, device=W0.device) - range_proj)
    delta = (W0 - W_inf) @ Q  # (D, p) in the eigenbasis
    tau = torch.as_tensor([float(t) for t in taus], dtype=mu.dtype, device=mu.device)
    decay = torch.exp(-2.0 * tau[:, None] * mu[None, :] / p)  # inf * 0 -> nan handled below
    decay = torch.where(torch.isinf(tau)[:, None] & (mu[None, :] == 0), torch.ones_like(decay), decay)
    return W_inf[None] + (delta[None] * decay[:, None, :]) @ Q.T


def loss(U: torch.Tensor, V: torch.Tensor, c: float, W: torch.Tensor) -> torch.Tensor:
    """L(W) = (1/D)[tr(W U W^T) - 2 tr(V W^T) + c] for W (D, p) or a stack (G, D, p)."""
    dim = V.shape[0]
    quad = ((W @ U) * W).sum(dim=(-2, -1))
    return (quad - 2.0 * (V * W).sum(dim=(-2, -1)) + c) / dim


def gradient_descent(U, V, A0, eta: float, checkpoints) -> tuple[torch.Tensor, torch.Tensor]:
    """Plain GD on L(A) = (1/D)[tr(A U A^T)/p - 2 tr(V A^T)/sqrt(p) + c] with rate eta.

    Returns (taus, A at the checkpoint steps) with tau = eta * steps / D; A has shape (C, D, p).
    """
    dim, p = V.shape
    steps = sorted(int(s) for s in checkpoints)
    A, out, done = A0.clone(), [], 0
    scale = 2.0 * eta / dim
    for target in steps:
        for _ in range(target - done):
            A = A - scale * (A @ U / p - V / math.sqrt(p))
        done = target
        out.append(A.clone())
    taus = torch.tensor([eta * s / dim for s in steps], dtype=torch.float64)
    return taus, torch.stack(out)
