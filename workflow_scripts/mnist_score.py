"""Train the latent score MLP by denoising score matching on the latents (rule mnist_score)."""

import math

from ridgeline.device import resolve_device
from ridgeline.io import read_store
from ridgeline.models import NeuralScore, ScoreMLP
from ridgeline.models.neural import train_keeping_best_epoch, train_with_checkpoints
from ridgeline.provenance import provenance
from ridgeline.jobs import configure_job
from ridgeline.runtime import generator

log = configure_job(snakemake.log[0], snakemake.threads)
cfg, sampling, seed = snakemake.params.score, snakemake.params.sampling, int(snakemake.wildcards.seed)
device = resolve_device(snakemake.params.device)
latents = read_store(snakemake.input[0])["points"].values
module = ScoreMLP(latents.shape[1], sampling["T"], sampling["t_min"], cfg["hidden"], cfg["n_fourier"],
                  cfg["fourier_scale"], generator=generator(seed, "mnist-score-init"),
                  skip=cfg["skip"]).to(device)
options = dict(weighting=cfg["weighting"], steps=cfg["steps"], batch_size=cfg["batch_size"], lr=cfg["lr"],
               generator=generator(seed, "mnist-score-train", device), logger=log, time_sampling=cfg["time_sampling"])
if cfg["keep"] == "best_epoch":
    epoch_steps = math.ceil(len(latents) / cfg["batch_size"])
    losses, kept = train_keeping_best_epoch(module, latents, epoch_steps, **options)
    checkpoints = {}
    log.info("kept the network at step %d of %d: the epoch (%d steps) with the lowest mean loss", kept, cfg["steps"],
             epoch_steps)
else:
    losses, checkpoints = train_with_checkpoints(module, latents, cfg["checkpoints"], **options)
    kept = cfg["steps"]
log.info("final loss (mean of last 100 steps): %.5g; checkpoints at steps %s", losses[-100:].mean(),
         sorted(checkpoints))
NeuralScore(module).save(snakemake.output[0], losses=losses, checkpoints=checkpoints, kept_step=kept,
                         provenance=provenance("mnist_score", {"score": cfg, "sampling": sampling}, seed))
