"""Sample every tau of a random-feature run in one batched reverse-time run (rule rf_sample)."""

import torch

from ridgeline.device import resolve_device
from ridgeline.io import read_store
from ridgeline.models import RFScore, features_from_moments
from ridgeline.provenance import provenance
from ridgeline.jobs import configure_job
from ridgeline.runtime import BlockStreams
from ridgeline.sample_store import sample_to_store
from ridgeline.sampling import snapshot_grid

log = configure_job(snakemake.log[0], snakemake.threads)
cfg, times, w = snakemake.params.sampling, snakemake.params.times, snakemake.wildcards
seed = int(w.seed)
device = resolve_device(snakemake.params.device)
mom, flow = read_store(snakemake.input.moments), read_store(snakemake.input.flow)
features = features_from_moments(mom, device)
W = torch.as_tensor(flow["W"].values, dtype=torch.float64, device=device)
grid, snaps = snapshot_grid(cfg["grid"], times["T"], times["t_min"], cfg["n_steps"], cfg["n_snapshots"])
sample_to_store(snakemake.output[0], RFScore(features, W), n_samples=cfg["n_samples"], dim=W.shape[1],
                grid=grid.to(device), snapshot_idx=snaps, method=cfg["method"],
                streams=BlockStreams(seed, f"rf-sample-p{w.p}-w{w.weighting}", device),
                attrs=provenance("rf_sample", {"sampling": cfg, **times}, seed), long_name="sample position",
                units="length", block_samples=cfg["block_samples"], device=device, logger=log, groups=flow["tau"])
