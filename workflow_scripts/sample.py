"""Reverse-time sampling with snapshots for one (dataset, model, seed) (rule sample)."""

from ridgeline.device import resolve_device
from ridgeline.forward import log_spaced_times, time_grid
from ridgeline.io import read_store
from ridgeline.models import load_score_model
from ridgeline.provenance import provenance
from ridgeline.runtime import BlockStreams, configure_job
from ridgeline.sample_store import sample_to_store
from ridgeline.sampling import snapshot_indices

log = configure_job(snakemake.log[0], snakemake.threads)
cfg, times = snakemake.params.sampling, snakemake.params.times
model_name, seed = snakemake.wildcards.model, int(snakemake.wildcards.seed)
device = resolve_device(snakemake.params.device)
points = read_store(snakemake.input.dataset)["points"].values
model = load_score_model(model_name, points, snakemake.input.checkpoint, device, snakemake.params.rf_tau)
grid = time_grid(cfg["grid"], times["T"], times["t_min"], cfg["n_steps"])
snaps = snapshot_indices(grid, log_spaced_times(times["T"], times["t_min"], cfg["n_snapshots"]))
sample_to_store(snakemake.output[0], model, cfg["n_samples"], points.shape[1], grid.to(device), snaps,
                cfg["method"], BlockStreams(seed, f"sample-{model_name}", device),
                provenance("sample", {"sampling": cfg, **times, "model": model_name}, seed),
                "sample position y_t", "length", cfg["block_samples"], device, log)
