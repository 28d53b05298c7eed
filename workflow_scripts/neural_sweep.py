"""Sample every checkpoint of one neural training run, classify its final samples, measure its excess
loss, and keep the checkpoint with the most inter-mode samples (rule neural_sweep)."""

from ridgeline.device import resolve_device
from ridgeline.io import read_store, write_store
from ridgeline.jobs import configure_job
from ridgeline.models import NeuralScore
from ridgeline.neural_sweep import sweep_training_run
from ridgeline.provenance import provenance

log = configure_job(snakemake.log[0], snakemake.threads)
p, seed = snakemake.params, int(snakemake.wildcards.seed)
ds, step, module = sweep_training_run(snakemake.input.checkpoint, read_store(snakemake.input.dataset)["points"].values,
                                      sweep=p.sweep, neural=p.neural, sampling=p.sampling, metrics=p.metrics,
                                      ridge_dim=p.ridge_dim, quadrature=p.quadrature, times=p.times, seed=seed,
                                      device=resolve_device(p.device), logger=log)
attrs = provenance("neural_sweep", {"sweep": p.sweep, "neural": p.neural, **p.times}, seed)
write_store(ds, snakemake.output.sweep, attrs)
NeuralScore(module).save(snakemake.output.generalizing, step=step, provenance=attrs)
