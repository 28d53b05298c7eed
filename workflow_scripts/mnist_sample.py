"""Sample latents from the latent score with snapshots (rule mnist_sample)."""

from ridgeline.device import resolve_device
from ridgeline.forward import log_spaced_times, time_grid
from ridgeline.models import NeuralScore
from ridgeline.provenance import provenance
from ridgeline.runtime import BlockStreams, configure_job
from ridgeline.sample_store import sample_to_store
from ridgeline.sampling import snapshot_indices

log = configure_job(snakemake.log[0], snakemake.threads)
cfg, seed = snakemake.params.sampling, int(snakemake.wildcards.seed)
device = resolve_device(snakemake.params.device)
model = NeuralScore.load(snakemake.input[0], device=device)
dim = model.module.hparams["dim"]
grid = time_grid(cfg["grid"], cfg["T"], cfg["t_min"], cfg["n_steps"])
snaps = snapshot_indices(grid, log_spaced_times(cfg["T"], cfg["t_min"], cfg["n_snapshots"]))
sample_to_store(snakemake.output[0], model, cfg["n_samples"], dim, grid.to(device), snaps, cfg["method"],
                BlockStreams(seed, "mnist-sample", device), provenance("mnist_sample", cfg, seed),
                "latent sample y_t", "latent units", cfg["block_samples"], device, log)
