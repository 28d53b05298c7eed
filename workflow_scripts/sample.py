"""Reverse-time sampling with snapshots for one (dataset, model, seed), coupled with the exact score
over the slide window (rule sample)."""

from ridgeline.controls import load_run_model
from ridgeline.coupling import SlideCoupling
from ridgeline.device import resolve_device
from ridgeline.empirical import SmoothedEmpirical
from ridgeline.io import read_store
from ridgeline.provenance import provenance
from ridgeline.jobs import configure_job
from ridgeline.runtime import BlockStreams
from ridgeline.sample_store import sample_to_store
from ridgeline.sampling import snapshot_grid

log = configure_job(snakemake.log[0], snakemake.threads)
p = snakemake.params
cfg, times, d = p.sampling, p.times, p.ridge_dim
model_name, seed = snakemake.wildcards.model, int(snakemake.wildcards.seed)
device = resolve_device(p.device)
points = read_store(snakemake.input.dataset)["points"].values
model = load_run_model(model_name, points, snakemake.input.checkpoint, device=device, rf_tau=p.rf_tau, ridge_dim=d,
                       controls=p.controls, seed=seed)
grid, snaps = snapshot_grid(cfg["grid"], times["T"], times["t_min"], cfg["n_steps"], cfg["n_snapshots"])
coupling = SlideCoupling(SmoothedEmpirical(points, device=device), d, p.slide["start_time"], cfg["method"],
                         p.slide["n_samples"])
attrs = provenance("sample", {"sampling": cfg, **times, "model": model_name, "slide": p.slide}, seed)
sample_to_store(snakemake.output[0], model, n_samples=cfg["n_samples"], dim=points.shape[1], grid=grid.to(device),
                snapshot_idx=snaps, method=cfg["method"], streams=BlockStreams(seed, f"sample-{model_name}", device),
                attrs=attrs, long_name="sample position y_t", units="length", block_samples=cfg["block_samples"],
                device=device, logger=log, coupling=coupling)
