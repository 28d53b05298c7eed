"""Ridge metrics of one sampling run at every snapshot (rule run_metrics)."""

import numpy as np
import torch

from ridgeline import dims
from ridgeline.device import resolve_device
from ridgeline.empirical import SmoothedEmpirical
from ridgeline.io import read_store, variable, write_store
from ridgeline.metrics import CLASSES, classify_final_samples, trajectory_metrics
from ridgeline.models import load_score_model
from ridgeline.phases import phase_summaries
from ridgeline.provenance import provenance
from ridgeline.runtime import configure_job

log = configure_job(snakemake.log[0], snakemake.threads)
cfg = snakemake.params.metrics
device = resolve_device(snakemake.params.device)
points = read_store(snakemake.input.dataset)["points"].values
run = read_store(snakemake.input.samples)
states = torch.as_tensor(run["states"].values, device=device)
d = snakemake.params.ridge_dim
model = load_score_model(snakemake.wildcards.model, points, snakemake.input.checkpoint, device,
                         snakemake.params.rf_tau)
ds = trajectory_metrics(SmoothedEmpirical(points, device=device), run["time"].values, states, d, cfg["scms"],
                        cfg["near_radius"], log, model=model)
ds = ds.assign(phase_summaries(ds, cfg["tube_radius"], cfg["late_time"]))
cls = classify_final_samples(points, states[-1], cfg["classify"]["time"], d, cfg["near_radius"],
                             cfg["classify"]["tube_radius"], cfg["scms"])
log.info("final samples: %s", dict(zip(CLASSES, cls["counts"].tolist())))
ds = ds.assign(
    final_class=variable(cls["label"], (dims.SAMPLE,), "final class: near_point / inter_mode / off_ridge"),
    class_count=variable(cls["counts"], ("class",), "final samples per class"),
).assign_coords({"class": np.asarray(CLASSES)})
write_store(ds, snakemake.output[0],
            provenance("run_metrics", {"metrics": cfg, "ridge_dim": d},
                       int(snakemake.wildcards.seed)))
