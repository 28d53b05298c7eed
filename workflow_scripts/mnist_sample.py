"""Sample latents from the latent score with snapshots (rule mnist_sample)."""

import xarray as xr

from ridgeline import dims
from ridgeline.device import resolve_device
from ridgeline.forward import log_spaced_times, time_grid
from ridgeline.io import variable, write_store
from ridgeline.models import NeuralScore
from ridgeline.provenance import provenance
from ridgeline.runtime import configure_job, generator
from ridgeline.sampling import sample, snapshot_indices

log = configure_job(snakemake.log[0], snakemake.threads)
cfg, seed = snakemake.params.sampling, int(snakemake.wildcards.seed)
device = resolve_device(snakemake.params.device)
model = NeuralScore.load(snakemake.input[0], device=device)
dim = model.module.hparams["dim"]
grid = time_grid(cfg["grid"], cfg["T"], cfg["t_min"], cfg["n_steps"])
snaps = snapshot_indices(grid, log_spaced_times(cfg["T"], cfg["t_min"], cfg["n_snapshots"]))
traj = sample(model, cfg["n_samples"], dim, grid.to(device), snaps, cfg["method"],
              generator(seed, "mnist-sample", device), device, log)
ds = xr.Dataset(
    {"states": variable(traj.states.cpu().numpy(), (dims.TIME, dims.SAMPLE, dims.COORD), "latent sample y_t",
                        "latent units")},
    coords={dims.TIME: variable(traj.times.cpu().numpy(), (dims.TIME,), "inference time t")},
)
write_store(ds, snakemake.output[0], provenance("mnist_sample", cfg, seed))
