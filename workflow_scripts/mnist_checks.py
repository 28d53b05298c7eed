"""The latent on-ridge check of the network and its baselines at resolved times (rule mnist_checks)."""

import json

from ridgeline.io import read_store
from ridgeline.latent_summary import latent_checks
from ridgeline.runtime import configure_job

log = configure_job(snakemake.log[0])
cfg = snakemake.params.checks
report = latent_checks(read_store(snakemake.input[0]), cfg["tube_scale"], cfg["min_resolved"])
for e in report["entries"]:
    stat = "none resolved" if e["statistic"] is None else f"{e['statistic']:.3g}"
    log.info("%s seed %d %s d* = %d: median tube ratio %s -> %s%s", e["experiment"], e["seed"], e["model"],
             e["ridge_dim"], stat, e["verdict"], "" if e["expected"] is None else f" (must {e['expected']})")
if report["all_as_expected"] is False:
    log.warning("a latent baseline did not get the verdict it was built for: see %s", snakemake.output[0])
with open(snakemake.output[0], "w") as handle:
    json.dump({**report, "config": cfg}, handle, indent=2)
