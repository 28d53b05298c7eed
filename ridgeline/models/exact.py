"""The exact smoothed-empirical score (docs/science.md 4a): the memorizing baseline."""

import torch

from ..empirical import SmoothedEmpirical


class ExactScore:
    """grad log p_t of the smoothed empirical distribution of ``data`` (n, D)."""

    def __init__(self, data, device=None):
        self.distribution = SmoothedEmpirical(data, device=device)

    def score(self, x: torch.Tensor, t) -> torch.Tensor:
        return self.distribution.score(x, t)

    def posterior_mean(self, x: torch.Tensor, t) -> torch.Tensor:
        return self.distribution.posterior_mean(x, t)
