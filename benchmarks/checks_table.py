"""Markdown tables of a finished run's checks, controls, align fit, neural sweep and latent checks (docs/results.md).

Usage: python benchmarks/checks_table.py [--results results]
"""

import argparse
import json
from pathlib import Path

import numpy as np
import xarray as xr

from ridgeline.io import read_store

CHECKS = ("reach", "align", "slide")


def checks_table(report: dict) -> list[str]:
    rows = {(r["dataset"], r["model"], r["check"]): r for r in report["summary"]}
    runs = sorted({(d, m) for d, m, _ in rows}, key=lambda k: (k[0], ["exact", "neural_gen", "neural", "rf"].index(k[1])))
    lines = ["| dataset | model | reach: deficit (≤ 0.1) | align: A (≤ 1.5) | align: slope β | slide: explained (≥ 0.8) |",
             "|---|---|---|---|---|---|"]
    for d, m in runs:
        cells = []
        for check in CHECKS:
            row = rows.get((d, m, check))
            cells.append("–" if row is None else f"{row['text']} ({_verdicts(row['verdicts'])})")
        cells.insert(2, _slopes(report, d, m))
        lines.append(f"| {d} | {m} | " + " | ".join(cells) + " |")
    return lines


def _verdicts(verdicts: dict) -> str:
    return ", ".join(f"{n} {v}" for v, n in verdicts.items())


def _slopes(report: dict, dataset: str, model: str) -> str:
    values = [r["align"]["detail"].get("slope") for r in report["runs"]
              if r["dataset"] == dataset and r["model"] == model and "align" in r
              and r["align"]["detail"].get("slope_tested")]
    values = [v for v in values if v is not None]
    if not values:
        return "untested"
    return f"{np.median(values):.2f} [{min(values):.2f}–{max(values):.2f}]"


def drift_table(report: dict) -> list[str]:
    """Slide at inter-mode samples: the model's tangential drift over the window next to the exact score's."""
    lines = ["| dataset | model | inter-mode coupled samples | model drift | exact score's drift from the same start |",
             "|---|---|---|---|---|"]
    groups = {}
    for r in report["runs"]:
        detail = r.get("slide", {}).get("detail", {})
        if detail.get("inter_mode_samples"):
            groups.setdefault((r["dataset"], r["model"]), []).append(detail)
    for (d, m), rows in sorted(groups.items()):
        cells = [_spread([x[key] for x in rows]) for key in ("inter_mode_samples", "inter_mode_drift_model",
                                                             "inter_mode_drift_exact")]
        lines.append(f"| {d} | {m} | " + " | ".join(cells) + " |")
    return lines


def _spread(values) -> str:
    return f"{np.median(values):.3g} [{min(values):.3g}–{max(values):.3g}]"


def controls_table(report: dict) -> list[str]:
    lines = ["| dataset | check | control | role | statistic | threshold | verdict | as built |",
             "|---|---|---|---|---|---|---|---|"]
    for e in report["entries"]:
        stat = "–" if e["statistic"] is None else f"{e['statistic']:.3g}"
        check = e["check"] + (f" (d* = {e['ridge_dim']})" if "ridge_dim" in e else "")
        built = {True: "yes", False: "NO", None: "undetermined"}[e["as_expected"]]
        lines.append(f"| {e['dataset']} | {check} | {e['control']} | {e['role']} | {stat} | "
                     f"{e['direction']} {e['threshold']:g} | {e['verdict']} | {built} |")
    return lines


def sweep_table(sweep: xr.Dataset) -> list[str]:
    lines = ["| dataset | training steps | near_point | inter_mode | off_ridge | generalizing step per seed |",
             "|---|---|---|---|---|---|"]
    for dataset in sweep["dataset"].values:
        ds = sweep.sel(dataset=dataset)
        inter = ds["class_fraction"].sel({"class": "inter_mode"}).values
        peaks = [int(ds["step"].values[int(np.nanargmax(row))]) for row in inter]
        for k, step in enumerate(ds["step"].values):
            cells = []
            for name in ("near_point", "inter_mode", "off_ridge"):
                frac = ds["class_fraction"].sel({"class": name}).values[:, k]
                cells.append(f"{np.median(frac):.2f} [{frac.min():.2f}–{frac.max():.2f}]")
            lines.append(f"| {dataset} | {int(step)} | " + " | ".join(cells) + f" | {peaks if k == 0 else ''} |")
    return lines


def mnist_table(report: dict) -> list[str]:
    """The latent on-ridge check: per experiment, d* and model, the statistic, verdict, window and groups."""
    lines = ["| experiment | d* (effective) | model | role | worst median excess ± SE | verdict | resolved window (t) | "
             "on / off / unresolved (near-copies) |", "|---|---|---|---|---|---|---|---|"]
    for e in sorted(report["entries"], key=lambda e: (e["experiment"], e["ridge_dim"], e["seed"])):
        detail = e["detail"]
        if e["statistic"] is None:
            stat = "–"
        else:
            worst = detail["window_medians"].index(max(detail["window_medians"]))
            stat = f"{e['statistic']:.3g} ± {detail['window_standard_errors'][worst]:.2g}"
        times = detail["window_times"]
        window = f"{min(times):.3g}–{max(times):.3g} ({len(times)})" if times else "none"
        must = "" if e["expected"] is None else f" (must {e['expected']})"
        groups = " / ".join(f"{e['groups'][g]['n']} ({e['groups'][g]['near_copies']})" if g in e["groups"] else "–"
                            for g in ("on", "off", "unresolved"))
        lines.append(f"| {e['experiment']} | {e['ridge_dim']} ({e['effective_dimension']}) | {e['model']} | "
                     f"{e['role']} | {stat} | {e['verdict']}{must} | {window} | {groups} |")
    return lines


def authors_table(report: dict) -> list[str]:
    """The authors' reading at t_min per experiment and model: group sizes, near-copies, nearest distances."""
    lines = ["| experiment | model | t | frames resolved | on: n (near-copies), median nn | between | "
             "off: n (near-copies), median nn | rank correlation residual ~ nn |", "|---|---|---|---|---|---|---|---|"]

    def cell(group):
        nn = "–" if group["median_nearest_distance"] is None else f"{group['median_nearest_distance']:.3g}"
        return f"{group['n']} ({group['near_copies']}), {nn}"

    for v in report.get("authors_view", []):
        lines.append(f"| {v['experiment']} | {v['model']} | {v['time']:.3g} | {100 * (v['resolved_fraction'] or 0):.0f} % "
                     f"| {cell(v['on'])} | {v['between']['n']} | {cell(v['off'])} | "
                     f"{v['rank_correlation_with_nearness']:.2f} |")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default="results")
    folder = Path(parser.parse_args().results)
    out = ["### Checks (median [min–max over seeds], verdict counts)", ""]
    checks = json.loads((folder / "checks.json").read_text())
    out += checks_table(checks)
    out += ["", "### Slide at inter-mode samples (median [min–max over seeds], data-scale lengths)", ""]
    out += drift_table(checks)
    if (folder / "controls.json").exists():
        out += ["", "### Controls", ""] + controls_table(json.loads((folder / "controls.json").read_text()))
    if (folder / "align_vs_loss.json").exists():
        fit = json.loads((folder / "align_vs_loss.json").read_text())["fit"]
        lo, hi = fit["slope_interval"]
        out += ["", "### Align across models", "",
                f"log10 distance = {fit['intercept']:.3f} + {fit['slope']:.3f} log10 normal excess: slope "
                f"{fit['slope']:.2f} [95 % bootstrap {lo:.2f}–{hi:.2f}], r = {fit['r']:.2f}, n = {fit['n']} "
                f"({fit['excluded']} left out); predicted slope {fit['predicted_slope']}"]
    if (folder / "mnist_checks.json").exists():
        report = json.loads((folder / "mnist_checks.json").read_text())
        out += ["", f"### Latent on-ridge check (median normal excess ≤ {report['config']['max_excess']:g}; "
                f"baselines as built: {report['all_as_expected']}, undetermined: "
                f"{report['baselines_undetermined']})", ""] + mnist_table(report)
        out += ["", "### The authors' reading at t_min (normalized residual, on < 0.5, off > 0.6)", ""]
        out += authors_table(report)
    if (folder / "neural_sweep.zarr").exists():
        sweep = read_store(folder / "neural_sweep.zarr")
        out += ["", "### Neural sweep (class fractions, median [min–max over seeds])", ""] + sweep_table(sweep)
    print("\n".join(out))


if __name__ == "__main__":
    main()
