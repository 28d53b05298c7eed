"""Sample latents from a latent score model (the network or a baseline) with snapshots (rule mnist_sample)."""

from ridgeline.device import resolve_device
from ridgeline.io import read_store
from ridgeline.models import load_latent_model
from ridgeline.models.loading import is_latent_network
from ridgeline.models.sharpened import SharpenedScore
from ridgeline.provenance import provenance
from ridgeline.jobs import configure_job
from ridgeline.runtime import BlockStreams
from ridgeline.sample_store import sample_to_store
from ridgeline.sampling import snapshot_grid

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
grid, snaps = snapshot_grid(cfg["grid"], cfg["T"], cfg["t_min"], cfg["n_steps"], cfg["n_snapshots"])
# every latent model draws the same noise: the baselines are coupled with the network's run
sharpened = bool(cfg["sharpen"] and network)
sample_to_store(snakemake.output[0], model, n_samples=cfg["n_samples"], dim=dim, grid=grid.to(device),
                snapshot_idx=snaps, method=cfg["method"], streams=BlockStreams(seed, "mnist-sample", device),
                attrs=provenance("mnist_sample", {**cfg, "model": name, "sharpened": sharpened}, seed),
                long_name="latent sample y_t", units="latent units", block_samples=cfg["block_samples"],
                device=device, logger=log)
