"""Several networks of one training run (its checkpoints) evaluated as one batched model."""

import torch
from torch import nn

from ..forward import variance


class StackedNeuralScore:
    """K :class:`ridgeline.models.neural.ScoreMLP` checkpoints of one run, evaluated with batched GEMMs.

    Rows are group-major, as in :func:`ridgeline.sampling.sample_in_blocks` with ``group_size`` K:
    x of shape (K m, D) holds m rows for each network in turn. The networks must share their
    architecture and frozen Fourier frequencies (checkpoints of one run do).
    """

    def __init__(self, modules):
        first = modules[0]
        if any(m.hparams != first.hparams or not torch.equal(m.freqs, first.freqs) for m in modules):
            raise ValueError("stacked networks must share hyper-parameters and Fourier frequencies "
                             "(checkpoints of one training run)")
        self.embed, self.skip, self.k = first.embed_time, first.hparams["skip"], len(modules)
        linear = [i for i, layer in enumerate(first.net) if isinstance(layer, nn.Linear)]
        self.weights = [torch.stack([m.net[i].weight.detach() for m in modules]).transpose(1, 2) for i in linear]
        self.biases = [torch.stack([m.net[i].bias.detach() for m in modules])[:, None, :] for i in linear]

    @torch.no_grad()
    def score(self, x: torch.Tensor, t) -> torch.Tensor:
        """Scores of the K networks on group-major rows x (K m, D) at time t (scalar or (K m,)); (K m, D)."""
        if x.shape[0] % self.k:
            raise ValueError(f"{x.shape[0]} rows do not split into {self.k} equal groups")
        device = self.weights[0].device
        t = torch.as_tensor(t, dtype=torch.float64, device=x.device).expand(x.shape[0])
        xf, tf = x.to(device, torch.float32), t.to(device, torch.float32)
        hidden = torch.cat([xf, self.embed(tf)], dim=1).reshape(self.k, -1, xf.shape[1] + self.embed(tf[:1]).shape[1])
        for j, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            hidden = torch.baddbmm(bias, hidden, weight)
            if j < len(self.weights) - 1:
                hidden = torch.relu(hidden)
        eps = hidden.reshape(x.shape[0], -1)
        if self.skip == "stationary":
            eps = eps + variance(tf)[:, None].sqrt() * xf
        return -eps.to(torch.float64).to(x.device) / variance(t)[:, None].sqrt()

    def posterior_mean(self, x: torch.Tensor, t) -> torch.Tensor:
        t = torch.as_tensor(t, dtype=torch.float64, device=x.device)
        return x + variance(t.expand(x.shape[0]))[:, None] * self.score(x, t)
