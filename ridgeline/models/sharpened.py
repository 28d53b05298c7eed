"""The sigma_t-sharpened score of the authors' notebook sampler: not the consistent reverse SDE.

The notebook's Euler-Maruyama sampler divides the network's score by sigma_t = sqrt(h_t) once more
(``score = score_model(x, t) / std``) before the reverse drift x + 2 score. For the OU process the
consistent reverse SDE uses the score itself; dividing by sigma_t multiplies it by 1 / sqrt(h_t),
about 22 at t = 1e-3, so the sampler pulls samples much harder onto what the network's score points
to at small t. ridgeline offers it only to reproduce the notebook (``mnist.sampling.sharpen``), and
labels every run that uses it.
"""

import torch

from ..forward import variance


class SharpenedScore:
    """score(x, t) / sqrt(h_t) of a wrapped score model.

    Parameters
    ----------
    model : any score model (``score(x, t)`` on (B, D) float64).
    """

    label = "sigma_t-sharpened score (the authors' notebook sampler; not the consistent reverse SDE)"

    def __init__(self, model):
        self.model = model
        if hasattr(model, "module"):
            self.module = model.module

    def score(self, x: torch.Tensor, t) -> torch.Tensor:
        """(B, D): the wrapped score divided by sigma_t = sqrt(h_t) (t scalar or (B,))."""
        t = torch.as_tensor(t, dtype=torch.float64, device=x.device)
        sigma = variance(t).sqrt()
        return self.model.score(x, t) / (sigma[:, None] if t.ndim == 1 else sigma)

    def posterior_mean(self, x: torch.Tensor, t) -> torch.Tensor:
        """x + h_t score: the posterior mean the sharpened score implies (Tweedie)."""
        t = torch.as_tensor(t, dtype=torch.float64, device=x.device)
        h = variance(t)
        return x + (h[:, None] if t.ndim == 1 else h) * self.score(x, t)
