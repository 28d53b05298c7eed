"""The score-model protocol shared by samplers and metrics."""

from typing import Protocol

import torch


class ScoreModel(Protocol):
    """Anything with ``score(x, t)`` and ``posterior_mean(x, t)`` on (B, D) float64 tensors."""

    def score(self, x: torch.Tensor, t) -> torch.Tensor: ...

    def posterior_mean(self, x: torch.Tensor, t) -> torch.Tensor: ...
