"""Reverse-time sampling with snapshots for one (dataset, model, seed) (rule sample)."""

import xarray as xr

from ridgeline import dims
from ridgeline.device import resolve_device
from ridgeline.forward import log_spaced_times, time_grid
from ridgeline.io import read_store, variable, write_store
from ridgeline.models import load_score_model
from ridgeline.provenance import provenance
from ridgeline.runtime import configure_job, generator
from ridgeline.sampling import sample, snapshot_indices

log = configure_job(snakemake.log[0], snakemake.threads)
cfg, times = snakemake.params.sampling, snakemake.params.times
model_name, seed = snakemake.wildcards.model, int(snakemake.wildcards.seed)
device = resolve_device(snakemake.params.device)
points = read_store(snakemake.input.dataset)["points"].values
model = load_score_model(model_name, points, snakemake.input.checkpoint, device, snakemake.params.rf_tau)
grid = time_grid(cfg["grid"], times["T"], times["t_min"], cfg["n_steps"])
snaps = snapshot_indices(grid, log_spaced_times(times["T"], times["t_min"], cfg["n_snapshots"]))
traj = sample(model, cfg["n_samples"], points.shape[1], grid.to(device), snaps, cfg["method"],
              generator(seed, f"sample-{model_name}", device), device, log)
ds = xr.Dataset(
    {"states": variable(traj.states.cpu().numpy(), (dims.TIME, dims.SAMPLE, dims.COORD),
                        "sample position y_t", "length")},
    coords={dims.TIME: variable(traj.times.cpu().numpy(), (dims.TIME,), "inference time t")},
)
write_store(ds, snakemake.output[0], provenance("sample", {"sampling": cfg, **times, "model": model_name}, seed))
