"""Per-sample ridge metrics along recorded trajectories (docs/method.md).

For every snapshot time t and sample x: ridge residuals (raw, h_t-scaled, relative), curvature
condition, eigengap, SCMS distance to R_t, nearest-training distance to a_t x_i and its ratio to
the second nearest, and, with a score model, the align measurements at the ridge projection;
at the final time, counts of samples near each training point and the final classes.
"""

import logging
import math
from functools import partial

import numpy as np
import torch
import xarray as xr

from . import dims
from .empirical import SmoothedEmpirical, nearest_points
from .io import variable
from .parallel import default_workers, map_items
from .phases import align_measures, score_error_parts
from .progress import Progress
from .ridge import ridge_frame_batched
from .scms import scms_project

log = logging.getLogger(__name__)


def frame_metrics(dist: SmoothedEmpirical, x, t: float, ridge_dim: int) -> dict:
    """Residuals, curvature and eigengap at points x (B, D); dict of (B,) numpy arrays."""
    out = {k: [] for k in ("residual", "scaled_residual", "relative_residual", "curvature_ok", "eigengap")}
    for _, frame in ridge_frame_batched(dist, x, t, ridge_dim):
        out["residual"].append(frame.residual())
        out["scaled_residual"].append(frame.scaled_residual())
        out["relative_residual"].append(frame.relative_residual())
        out["curvature_ok"].append(frame.curvature_ok())
        out["eigengap"].append(frame.eigengap())
    return {k: torch.cat(v).cpu().numpy() for k, v in out.items()}


def snapshot_metrics(dist: SmoothedEmpirical, x, t: float, *, ridge_dim: int, scms: dict, model=None) -> dict:
    """All per-sample metrics at one snapshot time; dict of (B,) (projection: (B, D)) numpy arrays.

    With a score ``model``, its score error at the sample is split along the ridge frame there,
    and the align measurements at the sample's ridge projection are added
    (:func:`ridgeline.phases.align_measures`).
    """
    x = dist._check_queries(x)
    out = frame_metrics(dist, x, t, ridge_dim)
    proj = scms_project(dist, x, t, ridge_dim=ridge_dim, **scms)
    out["scms_distance"] = (proj.points - x).norm(dim=1).cpu().numpy()
    out["scms_converged"] = proj.converged.cpu().numpy()
    out["projection"] = proj.points.cpu().numpy()
    if model is not None:
        e_n, e_t = score_error_parts(model, dist, x, t, ridge_dim)
        out["score_error_normal"] = e_n.norm(dim=1).cpu().numpy()
        out["score_error_tangential"] = e_t.norm(dim=1).cpu().numpy()
        out.update({k: v.cpu().numpy() for k, v in align_measures(model, dist, x, proj.points, t, ridge_dim).items()})
    near = dist.nearest_distances(x, t, k=2).cpu().numpy()
    out["nearest_distance"] = near[:, 0]
    second = near[:, 1] if near.shape[1] > 1 else np.full(near.shape[0], np.inf)
    out["nearest_ratio"] = near[:, 0] / np.where(second > 0, second, np.inf)
    return out


#: long_name and units of every per-sample metric.
METRIC_ATTRS = {
    "residual": ("ridge residual |E^T grad log p_t|", "1/length"),
    "scaled_residual": ("h_t-scaled ridge residual h_t |E^T grad log p_t|", "length"),
    "relative_residual": ("relative ridge residual |E^T g| / |g|", "1"),
    "curvature_ok": ("curvature condition lambda_{d+1} < 0 holds", "1"),
    "eigengap": ("Hessian eigengap lambda_d - lambda_{d+1}", "1/length^2"),
    "scms_distance": ("distance to the ridge |x - r|, r = SCMS(x)", "length"),
    "scms_converged": ("SCMS projection converged", "1"),
    "nearest_distance": ("distance to the nearest scaled training point a_t x_i", "length"),
    "nearest_ratio": ("nearest / second-nearest training-point distance", "1"),
    "score_error_normal": ("normal part |P_N e| at the sample of the score error e = s_model - grad log p_t",
                           "1/length"),
    "score_error_tangential": ("tangential part |P_T e| of the score error at the sample", "1/length"),
    "offset_predicted": ("predicted normal offset |h_t P_N e(r)| from the error at the ridge projection r",
                         "length"),
    "offset_along": ("measured normal offset P_N (x - r) along the predicted one", "length"),
    "offset_residual": ("|P_N (x - r) - h_t P_N e(r)|, measured minus predicted normal offset", "length"),
    "offset_measured": ("measured normal offset |P_N (x - r)| in the frame at r", "length"),
    "projection_gap": ("dimensionless eigengap h_t (lambda_d - lambda_{d+1}) at the ridge projection r", "1"),
}


def trajectory_metrics(dist, times, states, *, ridge_dim: int, scms: dict, near_radius: float,
                       logger=log, model=None, workers: int | None = None) -> xr.Dataset:
    """Metrics for every snapshot of a trajectory.

    Parameters
    ----------
    times : (S,) snapshot times. states : (S, B, D) positions.
    scms : keyword arguments of :func:`ridgeline.scms.scms_project`.
    near_radius : radius around each training point x_i for the final counts.
    model : optional score model; adds its score-error split and the align measurements.
    workers : snapshots computed side by side, each on one thread (default: torch's thread count
        on the CPU, 1 on a GPU); see :mod:`ridgeline.parallel`.

    Returns
    -------
    xarray.Dataset with per-sample variables on (time, sample) and counts on (train,).
    """
    t_list = [float(t) for t in times]  # host floats: no tensor view of a read-only array
    workers = default_workers(dist.data.device) if workers is None else int(workers)
    one = partial(_snapshot, dist, t_list, states, ridge_dim, scms, model)
    with Progress(len(t_list), "trajectory metrics (snapshots)", logger, log_fraction=0.02) as bar:
        per_time = map_items(one, range(len(t_list)), workers, on_done=partial(bar.item_done, times=t_list))
    data_vars = {
        name: variable(np.stack([m[name] for m in per_time]), (dims.TIME, dims.SAMPLE), *METRIC_ATTRS[name])
        for name in METRIC_ATTRS if name in per_time[0]
    }
    data_vars["projection"] = variable(np.stack([m["projection"] for m in per_time]),
                                       (dims.TIME, dims.SAMPLE, dims.COORD), "SCMS projection on R_t", "length")
    counts = near_point_counts(dist.data, states[-1], near_radius)
    data_vars["count_near_point"] = variable(counts, (dims.TRAIN,), f"final samples within {near_radius} of x_i")
    data_vars["fraction_near_points"] = variable(
        np.float64(counts.sum() / states.shape[1]), (), f"fraction of final samples within {near_radius} of a training point")
    coords = {dims.TIME: variable(np.asarray(t_list), (dims.TIME,), "inference time t", "1")}
    return xr.Dataset(data_vars, coords=coords)


def _snapshot(dist, times, states, ridge_dim, scms, model, k: int) -> dict:
    """:func:`snapshot_metrics` of snapshot ``k``."""
    return snapshot_metrics(dist, states[k], times[k], ridge_dim=ridge_dim, scms=scms, model=model)


def near_point_counts(data, final, radius: float) -> np.ndarray:
    """Number of final samples within ``radius`` of each training point (nearest-assigned); (n,)."""
    data = torch.as_tensor(data, dtype=torch.float64)
    idx, nearest = nearest_points(data, final)  # over chunks of training points
    inside = nearest[:, 0] <= radius
    return torch.bincount(idx[inside, 0], minlength=data.shape[0]).cpu().numpy()


#: A sample escaped when it ends farther than this many data diameters from every training point.
ESCAPE_DIAMETERS = 10.0


def data_diameter(data) -> float:
    """Diagonal of the training points' bounding box; data (n, D)."""
    data = np.asarray(data, dtype=np.float64)
    return float(np.linalg.norm(data.max(axis=0) - data.min(axis=0)))


def escaped_count(final_distance, data, diameters: float = ESCAPE_DIAMETERS) -> int:
    """Samples whose final distance to the nearest training point exceeds ``diameters`` times the
    data's diameter (or is not finite): the score model let them escape.

    final_distance : (B,) distances at the final time. data : (n, D) training points.
    """
    final_distance = np.asarray(final_distance, dtype=np.float64)
    far = ~(final_distance <= diameters * data_diameter(data))
    return int(far.sum())


#: Final-sample classes of :func:`classify_final_samples`.
CLASSES = ("near_point", "inter_mode", "off_ridge")


def classify_final_samples(data, final, *, t_c: float, ridge_dim: int, near_radius: float,
                           tube_radius: float, scms: dict) -> dict:
    """Classify final samples as near a training point, inter-mode on the ridge, or off-ridge.

    The reference ridge is R_{t_c} / a_{t_c}: the ridge of the Gaussian KDE of the training points
    with bandwidth sqrt(h_{t_c}) / a_{t_c} (the ridge of p_{t_c} mapped back to data scale).

    Parameters
    ----------
    data : (n, D) training points. final : (B, D) final samples.
    t_c : classification time. near_radius : "near x_i" radius. tube_radius : "on the ridge" radius.

    Returns
    -------
    dict with ``label`` (B,) int (index into :data:`CLASSES`), ``projection`` (B, D) the ridge point
    at data scale, ``ridge_distance`` (B,), and ``counts`` (3,) per class.
    """
    dist = SmoothedEmpirical(data)
    final = dist._check_queries(final)
    a = math.exp(-t_c)
    proj = scms_project(dist, a * final, t_c, ridge_dim=ridge_dim, **scms)
    projection = proj.points / a
    distance = (projection - final).norm(dim=1)
    nearest = nearest_points(dist.data, final)[1][:, 0]
    on_ridge = (distance <= tube_radius) & proj.converged & proj.curvature_ok
    label = torch.where(nearest <= near_radius, 0, torch.where(on_ridge, 1, 2))
    counts = torch.bincount(label, minlength=len(CLASSES))
    return {"label": label.cpu().numpy(), "projection": projection.cpu().numpy(),
            "ridge_distance": distance.cpu().numpy(), "counts": counts.cpu().numpy()}
