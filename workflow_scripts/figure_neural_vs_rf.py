"""Neural vs random-feature score models on one 2D dataset (rule figure_neural_vs_rf)."""

from ridgeline.io import read_store
from ridgeline.plotting import neural_vs_rf
from ridgeline.runtime import configure_job

log = configure_job(snakemake.log[0])
cfg, models, dataset = snakemake.params.figure, snakemake.params.models, snakemake.wildcards.dataset
train = read_store(snakemake.input.dataset)["points"].values
samples = {m: read_store(snakemake.input[f"samples_{m}"]) for m in models}
metrics = read_store(snakemake.input.metrics).sel(dataset=dataset).isel(seed=0)
counts = metrics["class_count"].sel(model=models)
inter = {m: float(counts.sel(model=m, **{"class": "inter_mode"}) / counts.sel(model=m).sum()) for m in models}
fig = neural_vs_rf(read_store(snakemake.input.ridges), samples, metrics, train, snakemake.params.classify["time"],
                   cfg["max_points"],
                   title=f"Does interpolation depend on the architecture? ('{dataset}')\nsamples between training "
                         "points: " + ", ".join(f"{m} {100 * f:.1f} %" for m, f in inter.items())
                         + "; below: the score errors that place them")
fig.savefig(snakemake.output[0], dpi=cfg["dpi"])
log.info("wrote %s", snakemake.output[0])
