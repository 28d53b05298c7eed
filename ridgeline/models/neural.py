"""Neural MLP score model trained by denoising score matching (docs/science.md 4c).

Parametrization (used end to end, in training and in sampling): the model predicts the noise,
eps_theta(x, t), and score = -eps_theta / sqrt(h_t). With ``skip="stationary"`` (the default),
eps_theta(x, t) = sqrt(h_t) x + net(x, t): the MLP learns the departure from the noise of the
stationary law N(0, I), whose score -x is what p_t tends to as t grows, so the score is
-x - net / sqrt(h_t). Without it (``skip="none"``, the plain eps-prediction), the MLP must learn
eps ~ x at large t from a thin shell |x| ~ sqrt(D), and off that shell its linear extrapolation
can leave too little restoring drift: in D = 64, seeds 1, 2 and 4 of the triangle run sent 67, 1
and 24 of 2,000 samples to distances of 1e3 to 1e19; with the skip none of 5 seeds did (README
"Neural score").

The time input of the frozen Gaussian Fourier embedding is the normalized log-time
u = log(t / t_min) / log(T / t_min) in [0, 1], which spreads the geometric sampling grid evenly.

Training samples t log-uniformly (or, as in the authors' notebook, uniformly) on [t_min, T] and
importance-weights each term so that the loss is the dt-integral of docs/science.md: L = int w_SM(t) E|s - grad log p(x_t | x_0)|^2 dt / D, with
|s - target|^2 = |eps_theta - z|^2 / h_t.
"""

import logging
import math

import numpy as np
import torch
from torch import nn

from ..checkpoints import load_checkpoint, save_checkpoint
from ..forward import alpha, score_matching_weight, variance
from ..progress import Progress

log = logging.getLogger(__name__)
SKIPS = ("stationary", "none")


class ScoreMLP(nn.Module):
    """[D + F -> hidden -> hidden -> D] ReLU MLP with a frozen Gaussian Fourier time embedding.

    Parameters
    ----------
    dim : D. hidden : width. n_fourier : F (even). fourier_scale : std of the frozen frequencies.
    T, t_min : the time range, for the log-time normalization. generator : torch.Generator.
    skip : "stationary" (eps = sqrt(h_t) x + net) or "none" (eps = net); see the module docstring.
    """

    def __init__(self, dim, T, t_min, hidden=512, n_fourier=128, fourier_scale=30.0, generator=None,
                 skip="stationary"):
        super().__init__()
        if n_fourier % 2:
            raise ValueError(f"n_fourier must be even, got {n_fourier}")
        if skip not in SKIPS:
            raise ValueError(f"skip must be one of {SKIPS}, got {skip!r}")
        self.hparams = dict(dim=dim, T=T, t_min=t_min, hidden=hidden, n_fourier=n_fourier,
                            fourier_scale=fourier_scale, skip=skip)
        freqs = torch.randn(n_fourier // 2, generator=generator) * fourier_scale
        self.register_buffer("freqs", freqs)
        self.net = nn.Sequential(
            nn.Linear(dim + n_fourier, hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Linear(hidden, dim),
        )
        self._init_weights(generator)

    def _init_weights(self, generator) -> None:
        """PyTorch's default Linear init, drawn from ``generator`` instead of the global RNG."""
        for layer in self.net:
            if isinstance(layer, nn.Linear):
                bound = 1.0 / math.sqrt(layer.in_features)
                with torch.no_grad():
                    layer.weight.uniform_(-bound, bound, generator=generator)
                    layer.bias.uniform_(-bound, bound, generator=generator)

    def embed_time(self, t: torch.Tensor) -> torch.Tensor:
        """Gaussian Fourier features of the normalized log-time; (B,) -> (B, F)."""
        T, t_min = self.hparams["T"], self.hparams["t_min"]
        u = torch.log(t / t_min) / math.log(T / t_min)
        phase = 2 * math.pi * u[:, None] * self.freqs[None, :]
        return torch.cat([torch.sin(phase), torch.cos(phase)], dim=1)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Predicted noise eps_theta(x, t); x (B, D), t (B,) -> (B, D)."""
        eps = self.net(torch.cat([x, self.embed_time(t)], dim=1))
        if self.hparams["skip"] == "stationary":
            eps = eps + variance(t)[:, None].sqrt() * x
        return eps


class NeuralScore:
    """Score-model interface around a trained :class:`ScoreMLP` (float32 net, float64 I/O)."""

    def __init__(self, module: ScoreMLP, batch: int = 65536):
        self.module = module.eval()
        self.batch = batch
        self.device = next(module.parameters()).device

    @torch.no_grad()
    def score(self, x: torch.Tensor, t) -> torch.Tensor:
        t = torch.as_tensor(t, dtype=torch.float64, device=x.device).expand(x.shape[0])
        parts = []
        for xb, tb in zip(x.split(self.batch), t.split(self.batch)):
            eps = self.module(xb.to(self.device, torch.float32), tb.to(self.device, torch.float32))
            parts.append(-eps.to(torch.float64).to(x.device) / variance(tb)[:, None].sqrt())
        return torch.cat(parts)

    def posterior_mean(self, x: torch.Tensor, t) -> torch.Tensor:
        t = torch.as_tensor(t, dtype=torch.float64, device=x.device)
        h = variance(t.expand(x.shape[0]))[:, None]
        return x + h * self.score(x, t)

    def save(self, path, **extra) -> None:
        """Save hyper-parameters and weights (and ``extra``: losses, ``checkpoints``, provenance)."""
        save_checkpoint({"hparams": self.module.hparams, "state_dict": self.module.state_dict(), **extra}, path)

    @classmethod
    def load(cls, path, device=None, step: int | None = None) -> "NeuralScore":
        """The trained network of ``path``, or its state after ``step`` training steps (a saved checkpoint)."""
        return cls(load_modules(path, device, [step])[0])


def load_modules(path, device=None, steps=(None,)) -> list:
    """ScoreMLP modules of a saved training run: the final one (step None) or its checkpoints."""
    ckpt = load_checkpoint(path, device, "train_neural, mnist_score or neural_sweep")
    saved = ckpt.get("checkpoints", {})
    missing = [s for s in steps if s is not None and s not in saved]
    if missing:
        raise ValueError(f"'{path}' has no checkpoints at steps {missing}; saved: {sorted(saved)} "
                         "(neural.checkpoints sets them)")
    modules = []
    for step in steps:
        # checkpoints written before the skip existed are plain eps-predictions
        module = ScoreMLP(**{"skip": "none", **ckpt["hparams"]})
        module.load_state_dict(ckpt["state_dict"] if step is None else saved[step])
        modules.append(module.to(device or "cpu"))
    return modules


#: How training draws t on [t_min, T]: log-uniformly (the default) or uniformly (the authors' notebook).
TIME_SAMPLINGS = ("log_uniform", "uniform")


def draw_times(n: int, T: float, t_min: float, time_sampling: str, generator=None, device=None) -> torch.Tensor:
    """n training times on [t_min, T], log-uniform or uniform (:data:`TIME_SAMPLINGS`)."""
    u = torch.rand(n, generator=generator, device=device)
    if time_sampling == "log_uniform":
        return t_min * (T / t_min) ** u
    if time_sampling == "uniform":
        return t_min + (T - t_min) * u
    raise ValueError(f"unknown time_sampling '{time_sampling}'; choose one of {TIME_SAMPLINGS}")


def inverse_time_density(t: torch.Tensor, T: float, t_min: float, time_sampling: str) -> torch.Tensor:
    """1 / q(t) for the density q of :func:`draw_times` (the importance weight is w_SM / q)."""
    if time_sampling == "log_uniform":
        return t * math.log(T / t_min)
    if time_sampling == "uniform":
        return torch.full_like(t, T - t_min)
    raise ValueError(f"unknown time_sampling '{time_sampling}'; choose one of {TIME_SAMPLINGS}")


def dsm_loss(module: ScoreMLP, x0, t, z, weighting: str, time_sampling: str = "log_uniform") -> torch.Tensor:
    """Importance-weighted denoising score-matching loss for one batch (float32).

    x0, z : (B, D); t : (B,) drawn from ``time_sampling`` on [t_min, T]. Either way the loss
    estimates the same dt-integral: each term is weighted by w_SM(t) / q(t).
    """
    a, h = alpha(t)[:, None], variance(t)[:, None]
    xt = a * x0 + h.sqrt() * z
    T, t_min = module.hparams["T"], module.hparams["t_min"]
    # w_SM(t) / q(t), and the 1/h of the eps parametrization
    if time_sampling == "log_uniform":  # q(t) = 1 / (t log(T / t_min))
        weight = score_matching_weight(weighting, h) * t[:, None] * math.log(T / t_min) / h
    else:
        weight = score_matching_weight(weighting, h) * inverse_time_density(t, T, t_min, time_sampling)[:, None] / h
    return (weight * (module(xt, t) - z) ** 2).mean()


def train_neural_score(module, data, *, weighting="1", steps=10000, batch_size=512, lr=1e-3,
                       generator=None, logger=log, checkpoints=(), on_checkpoint=None,
                       time_sampling: str = "log_uniform") -> np.ndarray:
    """Train ``module`` in place with Adam on denoising score matching; returns losses (steps,).

    Parameters
    ----------
    module : ScoreMLP on the target device. data : (n, D) training points.
    weighting : "1", "h" or "h2" (w_SM). generator : torch.Generator on the module's device.
    checkpoints, on_checkpoint : ``on_checkpoint(step, module, losses)`` is called after each of
        the Adam steps counted in ``checkpoints`` (1-based; the draws do not depend on them), with
        the losses of steps 1 .. step.
    time_sampling : how t is drawn (:data:`TIME_SAMPLINGS`).
    """
    keep = {int(c) for c in checkpoints}
    device = next(module.parameters()).device
    data = torch.as_tensor(data, dtype=torch.float32, device=device)
    T, t_min = module.hparams["T"], module.hparams["t_min"]
    opt = torch.optim.Adam(module.parameters(), lr=lr)
    losses = np.empty(steps)
    module.train()
    with Progress(steps, "train neural score", logger) as bar:
        for step in range(steps):
            idx = torch.randint(data.shape[0], (batch_size,), generator=generator, device=device)
            t = draw_times(batch_size, T, t_min, time_sampling, generator, device)
            z = torch.randn(batch_size, data.shape[1], generator=generator, device=device)
            loss = dsm_loss(module, data[idx], t, z, weighting, time_sampling)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses[step] = loss.item()
            if step + 1 in keep and on_checkpoint is not None:
                on_checkpoint(step + 1, module, losses[: step + 1])
            bar.update(1, loss=float(losses[max(0, step - 99): step + 1].mean()))
    module.eval()
    return losses


def train_keeping_best_epoch(module, data, epoch_steps: int, **options) -> tuple[np.ndarray, int]:
    """:func:`train_neural_score`, then the weights of the epoch with the lowest mean loss (the authors' notebook).

    An epoch is ``epoch_steps`` consecutive steps (ceil(n / batch_size): one pass over the data);
    the weights kept are those at the end of the best epoch. Returns (losses, the step kept).
    """
    steps = options["steps"]
    best = {"loss": math.inf, "step": steps, "state": None}

    def compare(step, trained, losses):
        epoch_loss = float(losses[step - epoch_steps: step].mean())
        if epoch_loss < best["loss"]:
            best.update(loss=epoch_loss, step=step,
                        state={k: v.detach().clone() for k, v in trained.state_dict().items()})

    losses = train_neural_score(module, data, checkpoints=range(epoch_steps, steps + 1, epoch_steps),
                                on_checkpoint=compare, **options)
    if best["state"] is not None:
        module.load_state_dict(best["state"])
    return losses, best["step"]


def train_with_checkpoints(module, data, checkpoints, **options) -> tuple[np.ndarray, dict]:
    """:func:`train_neural_score` that also returns {step: copy of the state_dict} at ``checkpoints``."""
    states = {}

    def keep(step, trained, _losses):
        states[step] = {k: v.detach().clone() for k, v in trained.state_dict().items()}

    losses = train_neural_score(module, data, checkpoints=checkpoints, on_checkpoint=keep, **options)
    return losses, states
