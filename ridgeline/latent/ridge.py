"""Ridge analysis of latent samples for several ridge dimensions at once (docs/science.md 7, mnist_latent).

One eigendecomposition of Cov_w per point serves every d*: with the score's coordinates c in the
ascending eigenbasis, the squared residual for dimension d is the sum of the D - d smallest
coordinates' squares (a cumulative sum), and the curvature and eigengap read off the sorted
eigenvalues.
"""

import logging
from functools import partial

import numpy as np
import torch
import xarray as xr

from .. import dims
from ..empirical import DEFAULT_MEMORY_ELEMENTS, SmoothedEmpirical, nearest_points
from ..io import variable
from ..parallel import default_workers, map_items
from ..progress import Progress
from ..ridge import hessian_eigenvalues, symmetric_eigh
from ..scms import scms_project

log = logging.getLogger(__name__)

RIDGE_DIM = dims.RIDGE_DIM
#: Default dimensionless eigengap h_t (lambda_d - lambda_{d+1}) from which a normal frame counts as resolved.
DEFAULT_MIN_GAP = 1e-6
GAP_THRESHOLD = "gap_threshold"


def multi_dim_metrics(dist: SmoothedEmpirical, x, t: float, *, ridge_dims, batch: int | None = None,
                      min_gap: float = DEFAULT_MIN_GAP) -> dict:
    """Ridge residuals for every d in ``ridge_dims`` from one eigendecomposition per point.

    Parameters
    ----------
    dist : smoothed empirical distribution. x : (B, D) points. t : time. ridge_dims : k values of d.
    min_gap : dimensionless eigengap h_t (lambda_d - lambda_{d+1}) from which the normal frame
        counts as resolved (below it round-off picks the frame).

    Returns
    -------
    dict of numpy arrays of shape (k, B): ``residual`` |P_N g|, ``scaled_residual`` h_t |P_N g|,
    ``relative_residual`` |P_N g| / |g|, ``tube_ratio`` h_t |P_N g| / sqrt(h_t (D - d)) (1 for
    a point of p_t at its typical normal distance), ``normal_excess`` h_t |P_N g|^2 - (D - d) (the
    squared normal offset |P_N (m - x)|^2 beyond p_t's noise, in units of h_t: about 0 for a point
    of p_t, whatever the number of collapsed normal directions), ``curvature_ok`` (lambda_{d+1} < 0),
    ``eigengap`` (lambda_d - lambda_{d+1}), ``resolved`` (h_t eigengap >= min_gap); and
    ``cov_eigenvalues`` (B, D), the eigenvalues of Cov_w in descending order (the gap spectrum of
    :func:`ridgeline.latent.spectrum.gap_spectrum`).
    """
    x = dist._check_queries(x)
    D = dist.dim
    dims_ = torch.as_tensor(list(ridge_dims), device=x.device)
    if bool(((dims_ < 1) | (dims_ >= D)).any()):
        raise ValueError(f"ridge dimensions must satisfy 1 <= d < D = {D}, got {list(ridge_dims)}")
    batch = batch or max(1, dist.memory_elements // (D * D))
    parts = []
    for xb in x.split(batch):
        mom = dist.moments(xb, t, with_cov=True)
        mu, evecs = symmetric_eigh(mom.cov)  # ascending
        h = mom.h
        score = mom.shift / h
        coef_sq = (evecs.transpose(1, 2) @ score[:, :, None])[:, :, 0] ** 2
        cum = torch.cumsum(coef_sq, dim=1)  # cum[:, j] = sum of the j + 1 smallest directions
        residual = cum[:, D - dims_ - 1].clamp_min(0).sqrt().T  # (k, B)
        lam = hessian_eigenvalues(mu, h).flip(1)  # descending
        gnorm = score.norm(dim=1)
        gap = (lam[:, dims_ - 1] - lam[:, dims_]).T
        parts.append({
            "residual": residual,
            "scaled_residual": h[:, 0] * residual,
            "relative_residual": torch.where(gnorm > 0, residual / gnorm.clamp_min(1e-300), 0 * residual),
            "tube_ratio": h[:, 0] * residual / torch.sqrt(h[:, 0] * (D - dims_[:, None])),
            "normal_excess": h[:, 0] * residual**2 - (D - dims_[:, None]),
            "curvature_ok": (lam[:, dims_] < 0).T,
            "eigengap": gap,
            "resolved": h[:, 0] * gap >= min_gap,
            "cov_eigenvalues": mu.flip(1),
        })
    return {k: torch.cat([p[k] for p in parts], dim=0 if k == "cov_eigenvalues" else 1).cpu().numpy()
            for k in parts[0]}


def gap_filtered_sums(values: np.ndarray, gaps: np.ndarray, thresholds) -> tuple[np.ndarray, np.ndarray]:
    """Sum of ``values`` over the samples with eigengap > each threshold, and their number.

    values, gaps : (..., B). Returns (sums, counts) of shape (..., len(thresholds)); blocks of
    samples add up.
    """
    thr = np.asarray(thresholds, dtype=float)
    keep = gaps[..., None, :] > thr[:, None]  # (..., m, B)
    return np.where(keep, values[..., None, :], 0.0).sum(-1), keep.sum(-1)


def gap_filtered_means(values: np.ndarray, gaps: np.ndarray, thresholds) -> tuple[np.ndarray, np.ndarray]:
    """Mean of ``values`` over the samples with eigengap > each threshold (NaN where none).

    values, gaps : (..., B). Returns (means, counts) of shape (..., len(thresholds)).
    """
    sums, counts = gap_filtered_sums(values, gaps, thresholds)
    return means_from_sums(sums, counts), counts


def means_from_sums(sums: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """sums / counts, NaN where the count is zero."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / counts, np.nan)


def nearest_training(
    latents, x, memory_elements: int = DEFAULT_MEMORY_ELEMENTS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index of and distance to the nearest training latent, and the ratio nearest / second nearest.

    latents : (n, D); x : (B, D). Returns three (B,) arrays (see :func:`ridgeline.empirical.nearest_points`).
    """
    idx, dist = nearest_points(latents, x, 2, memory_elements)
    first = dist[:, 0]
    ratio = first / dist[:, 1] if dist.shape[1] > 1 else torch.zeros_like(first)
    return idx[:, 0].cpu().numpy(), first.cpu().numpy(), ratio.cpu().numpy()


def _snapshot_metrics(dist, times, states, ridge_dims, min_gap, k: int) -> dict:
    """:func:`multi_dim_metrics` of snapshot ``k``."""
    return multi_dim_metrics(dist, states[k], times[k], ridge_dims=ridge_dims, min_gap=min_gap)


def latent_ridge_dataset(
    latents,
    times,
    states,
    *,
    ridge_dims,
    gap_thresholds,
    scms: dict,
    logger=log,
    min_gap: float = DEFAULT_MIN_GAP,
    project_dims=None,
) -> xr.Dataset:
    """Every ridge metric of a latent sampling run.

    Parameters
    ----------
    latents : (n, D) training latents. times : (S,) snapshot times. states : (S, B, D) samples.
    ridge_dims : the d* values. gap_thresholds : eigengap thresholds for the filtered means.
    scms : options of :func:`ridgeline.scms.scms_project` for the final-time projections.
    min_gap : dimensionless eigengap of a resolved frame (:func:`multi_dim_metrics`).
    project_dims : the d* whose final samples are SCMS-projected (default: all); the projections
        of the others are NaN (each projection costs SCMS iterations against every training latent).

    Returns
    -------
    Dataset with per (ridge_dim, time, sample) residuals, curvature and eigengap; per (ridge_dim,
    time) the curvature-satisfied and resolved fractions and per (ridge_dim, time, gap_threshold) the filtered
    mean relative and scaled residuals with their counts; per (ridge_dim, sample, coord) the SCMS
    projections of the final samples on R_{t_min}; per sample the nearest training latent.
    """
    dist = SmoothedEmpirical(latents, device=states.device)
    t_list = [float(t) for t in times]
    one = partial(_snapshot_metrics, dist, t_list, states, list(ridge_dims), min_gap)
    with Progress(len(t_list), "latent ridge metrics", logger) as bar:
        per_time = map_items(
            one, range(len(t_list)), default_workers(states.device), on_done=partial(bar.item_done, times=t_list)
        )
    spectra = np.stack([m.pop("cov_eigenvalues") for m in per_time])  # (S, B, D)
    stacked = {name: np.stack([m[name] for m in per_time], axis=1) for name in per_time[0]}  # (k, S, B)
    out = {name: variable(v, (RIDGE_DIM, dims.TIME, dims.SAMPLE), *METRIC_ATTRS[name]) for name, v in stacked.items()}
    out["cov_eigenvalues"] = variable(
        spectra, (dims.TIME, dims.SAMPLE, dims.RANK), "eigenvalues of Cov_w(x) in descending order", "length^2"
    )
    out["curvature_fraction"] = variable(
        stacked["curvature_ok"].mean(-1), (RIDGE_DIM, dims.TIME), "fraction of samples with lambda_{d+1} < 0", "1"
    )
    out["resolved_fraction"] = variable(
        stacked["resolved"].mean(-1), (RIDGE_DIM, dims.TIME), "fraction of samples whose normal frame is resolved", "1"
    )
    for name in ("relative_residual", "scaled_residual"):
        means, counts = gap_filtered_means(stacked[name], stacked["eigengap"], gap_thresholds)
        out[f"gap_filtered_{name}"] = variable(
            means,
            (RIDGE_DIM, dims.TIME, GAP_THRESHOLD),
            f"mean {name} over samples with eigengap > threshold",
            METRIC_ATTRS[name][1],
        )
    out["gap_filtered_count"] = variable(
        counts, (RIDGE_DIM, dims.TIME, GAP_THRESHOLD), "samples with eigengap > threshold", "1"
    )
    final, t_final = states[-1], float(times[-1])
    projections, converged = [], []
    for d in ridge_dims:
        if project_dims is not None and d not in project_dims:
            projections.append(np.full(tuple(final.shape), np.nan))
            converged.append(np.zeros(final.shape[0], bool))
            continue
        res = scms_project(dist, final, t_final, ridge_dim=int(d), **scms)
        projections.append(res.points.cpu().numpy())
        converged.append(res.converged.cpu().numpy())
    projections = np.stack(projections)
    out["projection"] = variable(
        projections,
        (RIDGE_DIM, dims.SAMPLE, dims.COORD),
        "SCMS projection of the final sample on R_{t_min}",
        "latent units",
    )
    out["projection_distance"] = variable(
        np.linalg.norm(projections - final.cpu().numpy()[None], axis=-1),
        (RIDGE_DIM, dims.SAMPLE),
        "|x - SCMS(x)| at t_min",
        "latent units",
    )
    out["projection_converged"] = variable(np.stack(converged), (RIDGE_DIM, dims.SAMPLE), "SCMS converged", "1")
    idx, dist_nn, ratio = nearest_training(latents, final.cpu())
    out["nearest_index"] = variable(idx, (dims.SAMPLE,), "index of the nearest training latent", "1")
    out["nearest_distance"] = variable(
        dist_nn, (dims.SAMPLE,), "distance to the nearest training latent", "latent units"
    )
    out["nearest_ratio"] = variable(ratio, (dims.SAMPLE,), "nearest / second-nearest distance", "1")
    coords = {
        RIDGE_DIM: variable(np.asarray(ridge_dims), (RIDGE_DIM,), "ridge dimension d*", "1"),
        dims.TIME: variable(np.asarray(times, dtype=float), (dims.TIME,), "inference time t", "1"),
        dims.RANK: variable(np.arange(1, spectra.shape[-1] + 1), (dims.RANK,), "eigenvalue rank (1 = largest)", "1"),
        GAP_THRESHOLD: variable(
            np.asarray(gap_thresholds, dtype=float),
            (GAP_THRESHOLD,),
            "eigengap threshold (Hessian units)",
            "1/length^2",
        ),
    }
    return xr.Dataset(out, coords=coords)


METRIC_ATTRS = {
    "residual": ("ridge residual |P_N grad log p_t|", "1/length"),
    "scaled_residual": ("h_t-scaled ridge residual h_t |P_N grad log p_t|", "length"),
    "relative_residual": ("relative ridge residual |P_N g| / |g|", "1"),
    "tube_ratio": ("normal distance over p_t's normal width, h_t |P_N g| / sqrt(h_t (D - d))", "1"),
    "normal_excess": ("squared normal offset beyond p_t's noise in units of h_t, h_t |P_N g|^2 - (D - d)", "1"),
    "curvature_ok": ("curvature condition lambda_{d+1} < 0", "1"),
    "resolved": ("normal frame resolved, h_t (lambda_d - lambda_{d+1}) >= min_gap", "1"),
    "eigengap": ("Hessian eigengap lambda_d - lambda_{d+1}", "1/length^2"),
}
