"""The ridge of a 2D p_t as point clouds at the snapshot times (rule ridge_set)."""

from ridgeline.device import resolve_device
from ridgeline.empirical import SmoothedEmpirical
from ridgeline.io import read_store, write_store
from ridgeline.jobs import configure_job
from ridgeline.provenance import provenance
from ridgeline.ridge_sets import ridge_sets
from ridgeline.sampling import snapshot_grid

log = configure_job(snakemake.log[0], snakemake.threads)
ridge, cfg, times = snakemake.params.ridge, snakemake.params.snapshots, snakemake.params.times
points = read_store(snakemake.input.dataset)["points"].values
dist = SmoothedEmpirical(points, device=resolve_device(snakemake.params.device))
grid, snaps = snapshot_grid(cfg["grid"], times["T"], times["t_min"], cfg["n_steps"], cfg["n_snapshots"])
ds = ridge_sets(dist, grid[snaps].tolist(), grid_size=ridge["grid_size"], grid_margin=ridge["grid_margin"],
                min_gap=ridge["min_gap"], scms=ridge["scms"], logger=log)
write_store(ds, snakemake.output[0], provenance("ridge_set", {"ridge": ridge, **times}))
