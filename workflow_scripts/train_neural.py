"""Train the neural MLP score on a dataset, keeping the checkpoints of the neural sweep (rule train_neural)."""

from ridgeline.device import resolve_device
from ridgeline.io import read_store
from ridgeline.models import NeuralScore, ScoreMLP
from ridgeline.models.neural import train_with_checkpoints
from ridgeline.provenance import provenance
from ridgeline.jobs import configure_job
from ridgeline.runtime import generator

log = configure_job(snakemake.log[0], snakemake.threads)
cfg, times = snakemake.params.neural, snakemake.params.times
seed = int(snakemake.wildcards.seed)
device = resolve_device(snakemake.params.device)
points = read_store(snakemake.input.dataset)["points"].values
module = ScoreMLP(
    points.shape[1], times["T"], times["t_min"], cfg["hidden"], cfg["n_fourier"],
    cfg["fourier_scale"], generator=generator(seed, "neural-init"), skip=cfg["skip"],
).to(device)
losses, checkpoints = train_with_checkpoints(
    module, points, cfg["checkpoints"], weighting=cfg["weighting"], steps=cfg["steps"], batch_size=cfg["batch_size"],
    lr=cfg["lr"], generator=generator(seed, "neural-train", device), logger=log,
)
log.info("final loss (mean of last 100 steps): %.5g; checkpoints at steps %s", losses[-100:].mean(),
         sorted(checkpoints))
NeuralScore(module).save(
    snakemake.output[0], losses=losses, checkpoints=checkpoints,
    provenance=provenance("train_neural", {"neural": cfg, **times}, seed),
)
