"""Sample latents from a latent score model (the network or a baseline) with snapshots (rule mnist_sample)."""

from ridgeline.device import resolve_device
from ridgeline.forward import log_spaced_times, time_grid
from ridgeline.io import read_store
from ridgeline.models import load_latent_model
from ridgeline.models.loading import is_latent_network
from ridgeline.models.sharpened import SharpenedScore
from ridgeline.provenance import provenance
from ridgeline.jobs import configure_job
from ridgeline.runtime import BlockStreams
from ridgeline.sample_store import sample_to_store
from ridgeline.sampling import snapshot_indices

log = configure_job(snakemake.log[0], snakemake.threads)
cfg, seed, name = snakemake.params.sampling, int(snakemake.wildcards.seed), snakemake.wildcards.latent
device = resolve_device(snakemake.params.device)
network = is_latent_network(name)
source = snakemake.input[0] if network else read_store(snakemake.input[0])["points"].values
model = load_latent_model(name, source, device=device)
if cfg["sharpen"] and network:
    model = SharpenedScore(model)
    log.warning("sampling with the %s", SharpenedScore.label)
dim = model.module.hparams["dim"] if network else source.shape[1]
grid = time_grid(cfg["grid"], cfg["T"], cfg["t_min"], cfg["n_steps"])
snaps = snapshot_indices(grid, log_spaced_times(cfg["T"], cfg["t_min"], cfg["n_snapshots"]))
# every latent model draws the same noise: the baselines are coupled with the network's run
sample_to_store(snakemake.output[0], model, cfg["n_samples"], dim, grid.to(device), snaps, cfg["method"],
                BlockStreams(seed, "mnist-sample", device), provenance("mnist_sample", {**cfg, "model": name, "sharpened": bool(cfg["sharpen"] and network)}, seed),
                "latent sample y_t", "latent units", cfg["block_samples"], device, log)
