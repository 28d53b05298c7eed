"""Neural vs random-feature score models on one 2D dataset (rule figure_neural_vs_rf)."""

from ridgeline.io import read_store
from ridgeline.plotting import neural_vs_rf
from ridgeline.runtime import configure_job

log = configure_job(snakemake.log[0])
cfg, models, dataset = snakemake.params.figure, snakemake.params.models, snakemake.wildcards.dataset
train = read_store(snakemake.input.dataset)["points"].values
samples = {m: read_store(snakemake.input[f"samples_{m}"]) for m in models}
metrics = read_store(snakemake.input.metrics).sel(dataset=dataset).isel(seed=0)
fig = neural_vs_rf(read_store(snakemake.input.ridges), samples, metrics, train, snakemake.params.classify["time"],
                   cfg["max_points"],
                   title=f"Interpolation depends on the architecture ('{dataset}'): neural and random-feature "
                         "samples fill different ridge segments,\nas their normal / tangential score errors differ")
fig.savefig(snakemake.output[0], dpi=cfg["dpi"])
log.info("wrote %s", snakemake.output[0])
