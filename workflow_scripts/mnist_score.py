"""Train the latent score MLP by denoising score matching on the latents (rule mnist_score)."""

from ridgeline.device import resolve_device
from ridgeline.io import read_store
from ridgeline.models import NeuralScore, ScoreMLP, train_neural_score
from ridgeline.provenance import provenance
from ridgeline.runtime import configure_job, generator

log = configure_job(snakemake.log[0], snakemake.threads)
cfg, sampling, seed = snakemake.params.score, snakemake.params.sampling, int(snakemake.wildcards.seed)
device = resolve_device(snakemake.params.device)
latents = read_store(snakemake.input[0])["points"].values
module = ScoreMLP(latents.shape[1], sampling["T"], sampling["t_min"], cfg["hidden"], cfg["n_fourier"],
                  cfg["fourier_scale"], generator=generator(seed, "mnist-score-init"),
                  skip=cfg["skip"]).to(device)
losses = train_neural_score(module, latents, cfg["weighting"], cfg["steps"], cfg["batch_size"], cfg["lr"],
                            generator=generator(seed, "mnist-score-train", device), logger=log)
log.info("final loss (mean of last 100 steps): %.5g", losses[-100:].mean())
NeuralScore(module).save(snakemake.output[0], losses=losses,
                         provenance=provenance("mnist_score", {"score": cfg, "sampling": sampling}, seed))
