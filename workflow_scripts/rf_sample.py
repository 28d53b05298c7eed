"""Sample every tau of a random-feature run in one batched reverse-time run (rule rf_sample)."""

import torch
import xarray as xr

from ridgeline import dims
from ridgeline.device import resolve_device
from ridgeline.forward import log_spaced_times, time_grid
from ridgeline.io import read_store, variable, write_store
from ridgeline.models import RandomFeatures, RFScore
from ridgeline.provenance import provenance
from ridgeline.runtime import configure_job, generator
from ridgeline.sampling import sample, snapshot_indices

log = configure_job(snakemake.log[0], snakemake.threads)
cfg, times, w = snakemake.params.sampling, snakemake.params.times, snakemake.wildcards
seed = int(w.seed)
device = resolve_device(snakemake.params.device)
mom, flow = read_store(snakemake.input.moments), read_store(snakemake.input.flow)
features = RandomFeatures.from_arrays(mom["W_x"].values, mom["W_t"].values, mom["b"].values, mom.attrs["T"], device)
W = torch.as_tensor(flow["W"].values, dtype=torch.float64, device=device)
n_tau, dim, n = W.shape[0], W.shape[1], cfg["n_samples"]
grid = time_grid(cfg["grid"], times["T"], times["t_min"], cfg["n_steps"])
snaps = snapshot_indices(grid, log_spaced_times(times["T"], times["t_min"], cfg["n_snapshots"]))
traj = sample(RFScore(features, W), n_tau * n, dim, grid.to(device), snaps, cfg["method"],
              generator(seed, f"rf-sample-p{w.p}-w{w.weighting}", device), device, log)
states = traj.states.reshape(len(snaps), n_tau, n, dim).permute(1, 0, 2, 3)
ds = xr.Dataset(
    {"states": variable(states.cpu().numpy(), ("tau", dims.TIME, dims.SAMPLE, dims.COORD), "sample position", "length")},
    coords={"tau": flow["tau"], dims.TIME: variable(traj.times.cpu().numpy(), (dims.TIME,), "inference time t")},
)
write_store(ds, snakemake.output[0], provenance("rf_sample", {"sampling": cfg, **times}, seed))
