"""Neural vs random-feature score models on one 2D dataset, the neural one also at the training length
whose inter-mode fraction matches the random features' (rule figure_neural_vs_rf)."""

import numpy as np

from ridgeline.io import read_store
from ridgeline.plotting import neural_vs_rf
from ridgeline.jobs import configure_job
from ridgeline.figure_style import save_figure

log = configure_job(snakemake.log[0])
cfg, models, dataset = snakemake.params.figure, snakemake.params.models, snakemake.wildcards.dataset
train = read_store(snakemake.input.dataset)["points"].values
metrics = read_store(snakemake.input.metrics).sel(dataset=dataset).isel(seed=0)
classes = list(metrics["class"].values)
inter = {m: float(metrics["class_count"].sel(model=m,
                                             **{"class": "inter_mode"}) / metrics["class_count"].sel(model=m).sum())
         for m in models}
finals = {f"{m}: final samples": (read_store(snakemake.input[f"samples_{m}"])["states"].isel(time=-1).values,
                                  metrics["final_class"].sel(model=m).values.astype(int)) for m in models}
if snakemake.input.sweep and "rf" in inter:
    sweep = read_store(snakemake.input.sweep[0])
    fractions = sweep["class_fraction"].sel({"class": "inter_mode"}).values
    k = int(np.argmin(np.abs(fractions - inter["rf"])))
    step = int(sweep["step"].values[k])
    finals[f"neural at step {step}: matches rf"] = (sweep["final"].values[k], sweep["final_class"].values[k])
    inter[f"neural@{step}"] = float(fractions[k])
    log.info("neural checkpoint matching rf's inter-mode fraction %.3f: step %d (%.3f)", inter["rf"], step, fractions[k])
fig = neural_vs_rf(read_store(snakemake.input.ridges), finals, metrics, train,
                   ridge_time=snakemake.params.classify["time"], max_points=cfg["max_points"],
                   title=f"Does interpolation depend on the architecture? ('{dataset}', first seed)\nsamples between "
                         "training points: " + ", ".join(f"{m} {100 * f:.1f} %" for m, f in inter.items())
                         + "; below: the score errors that place them")
save_figure(fig, snakemake.output[0], dpi=cfg["dpi"], **snakemake.params.output)
log.info("wrote %s", snakemake.output[0])
