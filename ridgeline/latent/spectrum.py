"""How many dimensions the latents use: d* from the data, not assumed (docs/method.md, latent ridge dimension).

Three views of the same question:

- the covariance spectrum of the training latents: the effective dimension is the number of
  principal directions whose variance exceeds 0.01, the activity threshold of Burda, Grosse and
  Salakhutdinov (2016) applied to principal directions instead of coordinates (so it does not
  depend on how the VAE happens to rotate its code); the participation ratio
  PR = (sum_k lambda_k)^2 / sum_k lambda_k^2 is reported beside it;
- the VAE's mean KL(q(z_j | x) || N(0, 1)) per latent dimension (near zero: a collapsed dimension)
  and its active units, the coordinates whose encoder mean varies by more than 0.01;
- the eigengap spectrum of Cov_w(x) at each time: the dimensionless gap h_t (lambda_k -
  lambda_{k+1}) of the Hessian of log p_t = (mu_k - mu_{k+1}) / h_t in terms of the eigenvalues mu
  of Cov_w (descending). Where the largest median gap sits is the ridge dimension p_t itself
  separates best at that time.

A normal space made only of collapsed directions (variance below 0.01) reads "on the ridge" for any
sample that has the data's variance there, so d* at or above the effective dimension tells
nothing; the sweep of d* includes the effective dimension (config token ``effective``) and values
below it, and the figures show the spectra it is read from.
"""

import numpy as np
import xarray as xr

from .. import dims
from ..io import variable

#: Variance above which a latent direction counts as active (Burda et al. 2016).
ACTIVE_UNIT_VARIANCE = 0.01
#: Token of ``mnist.ridge.ridge_dims`` replaced by the latents' effective dimension.
EFFECTIVE = "effective"


def covariance_spectrum(points) -> np.ndarray:
    """Eigenvalues of the sample covariance of ``points`` (n, D), descending: (D,)."""
    x = np.asarray(points, dtype=np.float64)
    return np.linalg.eigvalsh(np.cov(x, rowvar=False))[::-1].clip(min=0.0)


def participation_ratio(eigenvalues) -> float:
    """(sum lambda)^2 / sum lambda^2 of non-negative eigenvalues: between 1 and their number."""
    lam = np.asarray(eigenvalues, dtype=np.float64)
    return float(lam.sum() ** 2 / (lam**2).sum())


def effective_dimension(points, threshold: float = ACTIVE_UNIT_VARIANCE) -> int:
    """Number of principal directions of ``points`` (n, D) with variance above ``threshold``, within 1 <= d < D."""
    x = np.asarray(points)
    return int(np.clip((covariance_spectrum(x) > threshold).sum(), 1, x.shape[1] - 1))


def active_units(points, threshold: float = ACTIVE_UNIT_VARIANCE) -> int:
    """Number of coordinates of ``points`` (n, D) whose variance exceeds ``threshold``."""
    return int((np.asarray(points, dtype=np.float64).var(axis=0) > threshold).sum())


def resolve_ridge_dims(ridge_dims, points) -> list[int]:
    """The configured d* values with ``effective`` replaced by :func:`effective_dimension`, sorted, unique."""
    effective = effective_dimension(points)
    return sorted({effective if d == EFFECTIVE else int(d) for d in ridge_dims})


def gap_spectrum(cov_eigenvalues, h) -> np.ndarray:
    """Dimensionless Hessian eigengaps h_t (lambda_k - lambda_{k+1}), k = 1 .. D - 1.

    cov_eigenvalues : (..., D) eigenvalues of Cov_w, descending. h : h_t, broadcast against (...).
    Returns (..., D - 1); entry k - 1 is the gap at the split d* = k.
    """
    mu = np.asarray(cov_eigenvalues, dtype=np.float64)
    return (mu[..., :-1] - mu[..., 1:]) / np.asarray(h, dtype=np.float64)[..., None]


def latent_dimension_dataset(points, kl_per_dim) -> xr.Dataset:
    """The data's side of the d* choice for one latent set.

    points : (n, D) training latents. kl_per_dim : (D,) mean KL per latent dimension (nats).

    Returns
    -------
    Dataset with ``covariance_eigenvalue`` (rank), ``kl_sorted`` (rank, the per-dimension KL in
    descending order), ``participation_ratio``, ``effective_dimension`` (principal directions
    above the activity threshold) and ``active_units`` (coordinates above it).
    """
    lam = covariance_spectrum(points)
    rank = np.arange(1, lam.size + 1)
    return xr.Dataset(
        {
            "covariance_eigenvalue": variable(lam, (dims.RANK,), "eigenvalue of the latents' covariance",
                                              "latent units^2"),
            "kl_sorted": variable(np.sort(np.asarray(kl_per_dim, dtype=float))[::-1], (dims.RANK,),
                                  "VAE mean KL per latent dimension, descending", "nats"),
            "participation_ratio": variable(participation_ratio(lam), (),
                                            "(sum lambda)^2 / sum lambda^2 of the covariance", "1"),
            "effective_dimension": variable(effective_dimension(points), (),
                                            f"principal directions with variance > {ACTIVE_UNIT_VARIANCE}", "1"),
            "active_units": variable(active_units(points), (),
                                     f"latent dimensions with variance > {ACTIVE_UNIT_VARIANCE}", "1"),
        },
        coords={dims.RANK: rank},
    )


def median_gap_spectrum(cov_eigenvalues, times) -> np.ndarray:
    """Median over samples of :func:`gap_spectrum`: (time, sample, D) and (time,) -> (time, D - 1).

    NaN samples (padding of an aggregated store) are left out.
    """
    h = -np.expm1(-2.0 * np.asarray(times, dtype=np.float64))  # h_t of the OU process
    gaps = gap_spectrum(cov_eigenvalues, h[:, None])
    with np.errstate(all="ignore"):
        return np.nanmedian(gaps, axis=1)
