"""Reach, align and slide of every score run, with their spread over seeds (rule checks)."""

import json

from ridgeline.checks import check_runs
from ridgeline.io import open_store
from ridgeline.provenance import provenance
from ridgeline.jobs import configure_job

log = configure_job(snakemake.log[0])
p = snakemake.params
keys = [tuple(key) for key in p.run_keys]
runs = {key: open_store(path) for key, path in zip(keys, snakemake.input)}
report = check_runs(runs, p.checks, p.ridge_dim)
for row in report["summary"]:
    log.info("%s / %s / %s: %s (%s), verdicts %s", row["dataset"], row["model"], row["check"], row["text"],
             f"{row['direction']} {row['threshold']}", row["verdicts"])
report["provenance"] = provenance("checks", {"checks": p.checks, "run_keys": p.run_keys})
with open(snakemake.output[0], "w") as handle:
    json.dump(report, handle, indent=1)
