"""Ridge metrics of one sampling run at every snapshot, streamed over blocks of samples (rule run_metrics)."""

from ridgeline.controls import load_run_model
from ridgeline.device import resolve_device
from ridgeline.empirical import SmoothedEmpirical
from ridgeline.io import open_store, read_store
from ridgeline.metrics import ESCAPE_DIAMETERS, escaped_count
from ridgeline.metrics_store import metrics_to_store
from ridgeline.provenance import provenance
from ridgeline.jobs import configure_job

log = configure_job(snakemake.log[0], snakemake.threads)
p = snakemake.params
cfg, d, seed = {**p.metrics, "tube_scale": p.tube_scale}, p.ridge_dim, int(snakemake.wildcards.seed)
device = resolve_device(p.device)
points = read_store(snakemake.input.dataset)["points"].values
run = open_store(snakemake.input.samples)
model = load_run_model(snakemake.wildcards.model, points, snakemake.input.checkpoint, device=device, rf_tau=p.rf_tau,
                       ridge_dim=d, controls=p.controls, seed=seed)
metrics_to_store(snakemake.output[0], SmoothedEmpirical(points, device=device), run, ridge_dim=d, cfg=cfg,
                 attrs=provenance("run_metrics", {"metrics": cfg, "ridge_dim": d},
                                  seed), model=model, block_points=cfg["block_points"], logger=log)
with open_store(snakemake.output[0]) as store:
    final_distance = store["nearest_distance"].isel(time=-1).values
escaped = escaped_count(final_distance, points)
if escaped:
    log.warning("%d of %d samples ended more than %g data diameters from every training point: the %s score "
                "let them escape. Medians and the figures are robust to them; means over samples are not "
                "(README 'Neural score'; benchmarks/sample_extremes.py shows when they left).", escaped,
                final_distance.size, ESCAPE_DIAMETERS, snakemake.wildcards.model)
