"""Other diffusion conventions mapped onto the Ornstein-Uhlenbeck process ridgeline works in
(docs/method.md, "Your own model").

ridgeline's forward process is dX = -X dt + sqrt(2) dW: X_t = a_t X_0 + sqrt(h_t) Z with
a_t = exp(-t), h_t = 1 - exp(-2t). A model trained on another Gaussian process
x_s = alpha(s) x_0 + sigma(s) z (a VP process such as DDPM, a VE process, ...) sees the same family
of smoothed distributions, re-parametrized:

- time: the signal-to-noise ratios agree, a_t^2 / h_t = alpha(s)^2 / sigma(s)^2, so
  t(s) = log(1 + sigma(s)^2 / alpha(s)^2) / 2;
- scale: x_s = c(s) X_t with c(s) = alpha(s) / a_t(s) (c = 1 for every VP process);
- score: grad_y log p^OU_t(y) = c(s) grad_x log p^user_s(c(s) y); an epsilon-prediction gives
  grad_x log p^user_s(x) = -eps(x, s) / sigma(s).

:class:`ForwardProcess` holds alpha and sigma, maps times and states both ways, and turns a
user's score (or epsilon) callable into a score model in ridgeline's convention.
"""

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch


@dataclass(frozen=True)
class ForwardProcess:
    """x_s = alpha(s) x_0 + sigma(s) z on s in [s_min, s_max], with sigma / alpha increasing in s.

    Attributes
    ----------
    name : label recorded in the stores. alpha, sigma : callables float -> float.
    s_min, s_max : the times the user's model is defined on (the OU times they map to are
        :meth:`ou_time` of these).
    """

    name: str
    alpha: Callable[[float], float]
    sigma: Callable[[float], float]
    s_min: float
    s_max: float

    @classmethod
    def ou(cls) -> "ForwardProcess":
        """ridgeline's own process: alpha = exp(-s), sigma = sqrt(1 - exp(-2s)); the identity map."""
        return cls("ou", lambda s: math.exp(-s), lambda s: math.sqrt(-math.expm1(-2.0 * s)), 0.0, math.inf)

    @classmethod
    def vp_linear(cls, beta_min: float = 0.1, beta_max: float = 20.0) -> "ForwardProcess":
        """The VP SDE of Song et al. (continuous DDPM): alpha(s)^2 = exp(-beta_min s - (beta_max - beta_min) s^2 / 2),
        sigma^2 = 1 - alpha^2, s in [0, 1]."""
        def log_alpha2(s):
            return -(beta_min * s + 0.5 * (beta_max - beta_min) * s * s)

        return cls(f"vp_linear({beta_min:g},{beta_max:g})", lambda s: math.exp(0.5 * log_alpha2(s)),
                   lambda s: math.sqrt(-math.expm1(log_alpha2(s))), 0.0, 1.0)

    @classmethod
    def ve(cls, sigma_min: float = 0.01, sigma_max: float = 50.0) -> "ForwardProcess":
        """The VE SDE: alpha = 1, sigma(s) = sigma_min (sigma_max / sigma_min)^s, s in [0, 1]."""
        return cls(f"ve({sigma_min:g},{sigma_max:g})", lambda s: 1.0,
                   lambda s: sigma_min * (sigma_max / sigma_min) ** s, 0.0, 1.0)

    @classmethod
    def named(cls, spec: str) -> "ForwardProcess":
        """'ou', 'vp_linear' or 've', optionally with parameters: 'vp_linear:0.1,20', 've:0.01,50'."""
        name, _, params = spec.partition(":")
        makers = {"ou": cls.ou, "vp_linear": cls.vp_linear, "ve": cls.ve}
        if name not in makers:
            raise ValueError(f"unknown forward process '{spec}'; choose one of {sorted(makers)} "
                             "(with parameters, e.g. 'vp_linear:0.1,20' or 've:0.01,50')")
        args = [float(p) for p in params.split(",") if p.strip()]
        return makers[name](*args)

    def ou_time(self, s: float) -> float:
        """The OU time t whose signal-to-noise ratio equals the user's at time s."""
        if self.name == "ou" or math.isinf(s):
            return float(s) if self.name == "ou" else math.inf
        a, sig = self.alpha(s), self.sigma(s)
        return 0.5 * math.log1p((sig / a) ** 2)

    def scale(self, s: float) -> float:
        """c(s) = alpha(s) / a_t(s): the user's x_s is c(s) times the OU state."""
        if self.name == "ou":
            return 1.0
        return self.alpha(s) * math.exp(self.ou_time(s))

    def user_time(self, t: float) -> float:
        """The user's time s with :meth:`ou_time` (s) = t, by bisection on [s_min, s_max]."""
        lo, hi = self.s_min, self.s_max
        if self.name == "ou":
            return float(t)
        if not (self.ou_time(lo) <= t <= self.ou_time(hi) * (1 + 1e-12)):
            raise ValueError(f"OU time {t:g} lies outside what the {self.name} process covers "
                             f"([{self.ou_time(lo):g}, {self.ou_time(hi):g}]); choose T and t_min inside it")
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if self.ou_time(mid) < t else (lo, mid)
            if hi - lo <= 1e-15 * max(1.0, abs(hi)):
                break
        return 0.5 * (lo + hi)

    def to_ou(self, states, times) -> tuple[np.ndarray, np.ndarray]:
        """States (S, n, D) of the user's process at the user's times (S,) -> (OU states, OU times)."""
        times = np.asarray(times, dtype=np.float64).reshape(-1)
        scale = np.array([self.scale(float(s)) for s in times])
        ou_times = np.array([self.ou_time(float(s)) for s in times])
        return np.asarray(states, dtype=np.float64) / scale[:, None, None], ou_times


class ConvertedScore:
    """A user's score (or epsilon) callable in ridgeline's OU convention: ``score(y, t)`` on (B, D).

    Parameters
    ----------
    fn : callable (x, s) -> (B, D): the user's model on torch float64 tensors, at the user's
        scalar time s (float).
    process : the user's :class:`ForwardProcess`.
    kind : ``score`` (grad_x log p_s) or ``eps`` (the noise prediction, score = -eps / sigma(s)).
    """

    def __init__(self, fn, process: ForwardProcess, kind: str = "score"):
        if kind not in ("score", "eps"):
            raise ValueError(f"unknown prediction kind '{kind}'; choose 'score' or 'eps'")
        self.fn, self.process, self.kind = fn, process, kind

    def score(self, y: torch.Tensor, t: float) -> torch.Tensor:
        s = self.process.user_time(float(t))
        c = self.process.scale(s)
        out = torch.as_tensor(self.fn(c * y, s), dtype=y.dtype, device=y.device)
        if self.kind == "eps":
            out = -out / self.process.sigma(s)
        return c * out
