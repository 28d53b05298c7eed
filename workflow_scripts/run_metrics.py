"""Ridge metrics of one sampling run at every snapshot (rule run_metrics)."""

import torch

from ridgeline.device import resolve_device
from ridgeline.empirical import SmoothedEmpirical
from ridgeline.io import read_store, write_store
from ridgeline.metrics import trajectory_metrics
from ridgeline.provenance import provenance
from ridgeline.runtime import configure_job

log = configure_job(snakemake.log[0], snakemake.threads)
cfg = snakemake.params.metrics
device = resolve_device(snakemake.params.device)
points = read_store(snakemake.input.dataset)["points"].values
run = read_store(snakemake.input.samples)
states = torch.as_tensor(run["states"].values, device=device)
ds = trajectory_metrics(SmoothedEmpirical(points, device=device), run["time"].values, states,
                        snakemake.params.ridge_dim, cfg["scms"], cfg["near_radius"], log)
write_store(ds, snakemake.output[0],
            provenance("run_metrics", {"metrics": cfg, "ridge_dim": snakemake.params.ridge_dim},
                       int(snakemake.wildcards.seed)))
