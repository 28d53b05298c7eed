"""Sample every tau of a random-feature run in one batched reverse-time run (rule rf_sample)."""

import torch

from ridgeline.device import resolve_device
from ridgeline.forward import log_spaced_times, time_grid
from ridgeline.io import read_store
from ridgeline.models import RandomFeatures, RFScore
from ridgeline.provenance import provenance
from ridgeline.jobs import configure_job
from ridgeline.runtime import BlockStreams
from ridgeline.sample_store import sample_to_store
from ridgeline.sampling import snapshot_indices

log = configure_job(snakemake.log[0], snakemake.threads)
cfg, times, w = snakemake.params.sampling, snakemake.params.times, snakemake.wildcards
seed = int(w.seed)
device = resolve_device(snakemake.params.device)
mom, flow = read_store(snakemake.input.moments), read_store(snakemake.input.flow)
features = RandomFeatures.from_arrays(mom["W_x"].values, mom["W_t"].values, mom["b"].values, mom.attrs["T"], device)
W = torch.as_tensor(flow["W"].values, dtype=torch.float64, device=device)
grid = time_grid(cfg["grid"], times["T"], times["t_min"], cfg["n_steps"])
snaps = snapshot_indices(grid, log_spaced_times(times["T"], times["t_min"], cfg["n_snapshots"]))
sample_to_store(snakemake.output[0], RFScore(features, W), cfg["n_samples"], W.shape[1], grid.to(device), snaps,
                cfg["method"], BlockStreams(seed, f"rf-sample-p{w.p}-w{w.weighting}", device),
                provenance("rf_sample", {"sampling": cfg, **times}, seed), "sample position", "length",
                cfg["block_samples"], device, log, groups=flow["tau"])
