"""Counts, classification, ridge positions and residuals of every tau of an RF run (rule rf_metrics)."""

import numpy as np
import torch
import xarray as xr

from ridgeline import dims
from ridgeline.device import resolve_device
from ridgeline.empirical import SmoothedEmpirical
from ridgeline.io import read_store, variable, write_store
from ridgeline.metrics import CLASSES, classify_final_samples, frame_metrics, near_point_counts
from ridgeline.provenance import provenance
from ridgeline.runtime import configure_job

log = configure_job(snakemake.log[0], snakemake.threads)
cfg, d = snakemake.params.metrics, snakemake.params.ridge_dim
cls = cfg["classify"]
device = resolve_device(snakemake.params.device)
points = read_store(snakemake.input.dataset)["points"].values
run = read_store(snakemake.input.samples)
states = torch.as_tensor(run["states"].values, device=device)  # (tau, time, sample, coord)
n_tau, n_time, n, dim = states.shape
dist = SmoothedEmpirical(points, device=device)
residual = {k: np.empty((n_tau, n_time, n)) for k in ("scaled_residual", "relative_residual", "curvature_ok")}
for k, t in enumerate(run["time"].values):
    m = frame_metrics(dist, states[:, k].reshape(-1, dim), float(t), d)
    for name in residual:
        residual[name][:, k] = m[name].reshape(n_tau, n)
    log.info("residuals at t=%.4g done", t)
final = states[:, -1]
out = [classify_final_samples(points, final[g], cls["time"], d, cfg["near_radius"], cls["tube_radius"], cfg["scms"])
       for g in range(n_tau)]
for tau, o in zip(run["tau"].values, out):
    log.info("tau=%g: %s", tau, dict(zip(CLASSES, o["counts"].tolist())))
TAU = "tau"
ds = xr.Dataset(
    {
        "count_near_point": variable(np.stack([near_point_counts(points, final[g].cpu(), cfg["near_radius"])
                                               for g in range(n_tau)]), (TAU, dims.TRAIN),
                                     f"final samples within {cfg['near_radius']} of x_i"),
        "class_count": variable(np.stack([o["counts"] for o in out]), (TAU, "class"),
                                "final samples near a point / inter-mode on the ridge / off-ridge"),
        "label": variable(np.stack([o["label"] for o in out]), (TAU, dims.SAMPLE), "class index of the final sample"),
        "ridge_position": variable(np.stack([o["projection"] for o in out]), (TAU, dims.SAMPLE, dims.COORD),
                                   "projection of the final sample on the reference ridge", "length"),
        "ridge_distance": variable(np.stack([o["ridge_distance"] for o in out]), (TAU, dims.SAMPLE),
                                   "distance of the final sample to the reference ridge", "length"),
        "final": variable(final.cpu().numpy(), (TAU, dims.SAMPLE, dims.COORD), "final sample", "length"),
        "scaled_residual": variable(residual["scaled_residual"], (TAU, dims.TIME, dims.SAMPLE),
                                    "h_t-scaled ridge residual", "length"),
        "relative_residual": variable(residual["relative_residual"], (TAU, dims.TIME, dims.SAMPLE),
                                      "relative ridge residual |E^T g|/|g|"),
        "curvature_ok": variable(residual["curvature_ok"].astype(bool), (TAU, dims.TIME, dims.SAMPLE),
                                 "curvature condition holds"),
    },
    coords={TAU: run["tau"], dims.TIME: run["time"], "class": list(CLASSES)},
)
write_store(ds, snakemake.output[0], provenance("rf_metrics", {"metrics": cfg, "ridge_dim": d}))
