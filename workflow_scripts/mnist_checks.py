"""The latent on-ridge check of the network and its baselines at resolved times (rule mnist_checks)."""

import json

from ridgeline.io import read_store
from ridgeline.latent.summary import latent_checks
from ridgeline.jobs import configure_job

log = configure_job(snakemake.log[0])
cfg = snakemake.params.checks
report = latent_checks(read_store(snakemake.input[0]), cfg, snakemake.params.authors_view)
for e in report["entries"]:
    stat = "none resolved" if e["statistic"] is None else f"{e['statistic']:.3g}"
    groups = ", ".join(f"{name} {g['n']} ({g['near_copies']} near-copies)" for name, g in e["groups"].items()
                       if name != "time")
    log.info("%s seed %d %s d* = %d: worst median normal excess %s -> %s%s; groups: %s", e["experiment"], e["seed"],
             e["model"], e["ridge_dim"], stat, e["verdict"], "" if e["expected"] is None else f" (must {e['expected']})",
             groups)
for v in report["authors_view"]:
    log.info("%s seed %d %s, the authors' reading at t = %.3g (d* = %d, %.0f %% of frames resolved): " + ", ".join(
        f"{g} {v[g]['n']} ({v[g]['near_copies']} near-copies)" for g in ("on", "between", "off")),
        v["experiment"], v["seed"], v["model"], v["time"], v["ridge_dim"], 100 * (v["resolved_fraction"] or 0))
if report["all_as_expected"] is False:
    log.warning("a latent baseline did not get the verdict it was built for: see %s", snakemake.output[0])
with open(snakemake.output[0], "w") as handle:
    json.dump({**report, "config": cfg}, handle, indent=2)
