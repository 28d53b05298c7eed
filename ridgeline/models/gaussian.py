"""The score of a Gaussian fitted to the training data: a baseline with no ridge between points.

If X_0 ~ N(mu, Sigma), the forward process gives X_t ~ N(a_t mu, a_t^2 Sigma + h_t I), whose score
is closed form. With Sigma = Q diag(s) Q^T decomposed once, every time costs two products with Q.
"""

import torch

from ..forward import alpha, variance


class GaussianScore:
    """grad log p_t for X_0 ~ N(mean, cov) fitted to ``data`` (n, D) (maximum likelihood, 1/n).

    Parameters
    ----------
    data : (n, D) training points; n >= 1.
    device : torch device of the model.
    """

    def __init__(self, data, device=None):
        x = torch.as_tensor(data, dtype=torch.float64, device=device)
        if x.ndim != 2 or x.shape[0] < 1:
            raise ValueError(f"GaussianScore needs (n, D) data with n >= 1, got shape {tuple(x.shape)}")
        self.mean = x.mean(0)
        centred = x - self.mean
        cov = centred.T @ centred / x.shape[0]
        variances, self.basis = torch.linalg.eigh(cov)
        self.variances = variances.clamp_min(0.0)  # (D,) eigenvalues of Sigma, round-off clipped

    @property
    def dim(self) -> int:
        return self.mean.shape[0]

    def score(self, x: torch.Tensor, t) -> torch.Tensor:
        """(B, D) score at x (B, D) and time t (scalar or (B,))."""
        t = torch.as_tensor(t, dtype=torch.float64, device=x.device)
        a, h = alpha(t), variance(t)
        a, h = (a[:, None], h[:, None]) if t.ndim == 1 else (a, h)
        coords = (x - a * self.mean) @ self.basis  # (B, D) in the eigenbasis of Sigma
        return -(coords / (a**2 * self.variances + h)) @ self.basis.T

    def posterior_mean(self, x: torch.Tensor, t) -> torch.Tensor:
        """E[a_t X_0 | X_t = x] = x + h_t score (Tweedie)."""
        t = torch.as_tensor(t, dtype=torch.float64, device=x.device)
        h = variance(t)
        return x + (h[:, None] if t.ndim == 1 else h) * self.score(x, t)
