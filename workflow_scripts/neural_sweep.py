"""Sample every checkpoint of one neural training run, classify its final samples, measure its excess
loss, and keep the checkpoint with the most inter-mode samples (rule neural_sweep)."""

from ridgeline.device import resolve_device
from ridgeline.forward import time_grid
from ridgeline.io import read_store, write_store
from ridgeline.models import NeuralScore
from ridgeline.models.neural import load_modules
from ridgeline.neural_sweep import neural_sweep
from ridgeline.provenance import provenance
from ridgeline.rf.quadrature import configured_quadrature
from ridgeline.jobs import configure_job
from ridgeline.runtime import BlockStreams

log = configure_job(snakemake.log[0], snakemake.threads)
p = snakemake.params
sweep, sampling, times, q = p.sweep, p.sampling, p.times, p.quadrature
seed = int(snakemake.wildcards.seed)
device = resolve_device(p.device)
points = read_store(snakemake.input.dataset)["points"].values
final = p.neural["steps"]
steps = sorted(set(p.neural["checkpoints"]) | {final})
modules = load_modules(snakemake.input.checkpoint, device, [None if s == final else s for s in steps])
quad = configured_quadrature(points.shape[1], times["T"], quadrature=q, t0=q["t0"], n_frequencies=q["n_frequencies"],
                             seed=seed, stream="neural-sweep-qmc")
ds = neural_sweep(modules, steps, points, metrics=p.metrics, ridge_dim=p.ridge_dim,
                  grid=time_grid(sampling["grid"], times["T"], times["t_min"], sweep["n_steps"]).to(device),
                  method=sampling["method"], n_samples=sweep["n_samples"],
                  streams=BlockStreams(seed, "neural-sweep", device), block_samples=sampling["block_samples"],
                  weighting=p.neural["weighting"], quadrature=quad, rows=q["rows"], device=device, logger=log)
peak = ds.attrs["generalizing_step"]
for step, counts in zip(steps, ds["class_count"].values):
    log.info("step %d: near_point / inter_mode / off_ridge = %s", step, counts.tolist())
log.info("generalizing checkpoint (largest inter-mode fraction): step %d", peak)
attrs = provenance("neural_sweep", {"sweep": sweep, "neural": p.neural, **times}, seed)
write_store(ds, snakemake.output.sweep, attrs)
NeuralScore(modules[steps.index(peak)]).save(snakemake.output.generalizing, step=peak, provenance=attrs)
