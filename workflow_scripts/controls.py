"""Verdicts of the control score models on reach, align and slide, and of the latent baselines on the
on-ridge check, against the verdicts they were built to get (rule controls)."""

import json

from ridgeline.checks import CONTROL_PREFIX, controls_report, run_checks
from ridgeline.io import open_store
from ridgeline.latent.summary import latent_control_entries
from ridgeline.provenance import provenance
from ridgeline.jobs import configure_job

log = configure_job(snakemake.log[0])
p = snakemake.params
runs = [*p.runs, *[[d, "exact"] for d in p.datasets]]
stores = {tuple(run): open_store(path) for run, path in zip(runs, snakemake.input.metrics)}
results = {}
for (dataset, model), ds in stores.items():
    exact = stores[(dataset, "exact")]
    results[(dataset, model.removeprefix(CONTROL_PREFIX))] = run_checks(ds, exact["tube_fraction"].values, ds.sizes["coord"],
                                                                p.ridge_dim, p.checks)
report = controls_report(results)
for path in snakemake.input.mnist:
    with open(path) as handle:
        report["entries"] += latent_control_entries(json.load(handle))
judged = [e["as_expected"] for e in report["entries"] if e["as_expected"] is not None]
report["all_as_expected"] = all(judged)
report["undetermined"] = len(report["entries"]) - len(judged)
for e in report["entries"]:
    log.info("%s %s%s %s (%s): %s = %.4g, %s (expected %s)", e["dataset"], e["check"],
             f" d* = {e['ridge_dim']}" if "ridge_dim" in e else "", e["control"], e["role"],
             "statistic", e["statistic"] if e["statistic"] is not None else float("nan"), e["verdict"], e["expected"])
if not report["all_as_expected"]:
    log.warning("some controls did not get the verdict they were built for: the checks cannot be trusted on "
                "this configuration (see results/controls.json, entries with as_expected = false)")
report["provenance"] = provenance("controls", {"checks": p.checks, "controls": p.controls}, p.seed)
with open(snakemake.output[0], "w") as handle:
    json.dump(report, handle, indent=1)
