"""Summarize the result stores of one pipeline run, and compare two runs (e.g. GPU vs CPU).

Each data variable of ``metrics.zarr``, ``rf_metrics.zarr`` and ``mnist_metrics.zarr`` is reduced to
its mean and median over finite entries (and kept whole when it has at most 64 entries, e.g. class
counts, losses, biases), over the whole store and per run (one value of each run dimension:
dataset, model, seed, p, weighting, experiment). Two summaries are compared by the relative
difference of those means and medians; the medians are robust to a few samples that escape, which
a mean over a whole store is not.

Usage:
    python benchmarks/compare_runs.py summarize RESULTS_DIR --out summary.json
    python benchmarks/compare_runs.py compare SUMMARY.json RESULTS_DIR_OR_SUMMARY.json [--out cmp.json]
    python benchmarks/compare_runs.py identical RESULTS_DIR RESULTS_DIR   (exit 1 unless every store's arrays are equal)
"""

import argparse
import json
import logging
import warnings
from pathlib import Path

import numpy as np
import xarray as xr

STORES = ("metrics.zarr", "rf_metrics.zarr", "mnist_metrics.zarr")
RUN_DIMS = ("dataset", "model", "seed", "p", "weighting", "experiment")
WHOLE_UP_TO = 64
log = logging.getLogger("compare_runs")


def summarize(results: Path) -> dict:
    """Per store and data variable: mean over finite entries, entry count, values when small."""
    summary = {}
    for store in STORES:
        if not (results / store).exists():
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = xr.open_zarr(results / store)
        summary[store] = {name: summarize_variable(ds[name]) for name in ds.data_vars
                          if np.issubdtype(ds[name].dtype, np.number) or ds[name].dtype == bool}
    return summary


def summarize_variable(array: xr.DataArray) -> dict:
    """The whole variable's summary, with ``by_run``: one summary per run (see RUN_DIMS)."""
    row = summarize_array(array.values)
    run_dims = [dim for dim in RUN_DIMS if dim in array.dims]
    if run_dims:
        runs = array.stack(run=run_dims).transpose("run", ...)
        values = np.asarray(runs.values, dtype=np.float64).reshape(runs.sizes["run"], -1)
        labels = ["/".join(str(v) for v in (key if isinstance(key, tuple) else (key,)))
                  for key in runs["run"].values]
        row["by_run"] = {label: summarize_array(run, keep_whole=False) for label, run in zip(labels, values)}
    return row


def summarize_array(values: np.ndarray, keep_whole: bool = True) -> dict:
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    row = {"mean": float(finite.mean()) if finite.size else None,
           "median": float(np.median(finite)) if finite.size else None, "finite": int(finite.size)}
    if keep_whole and values.size <= WHOLE_UP_TO:
        row["values"] = [None if not np.isfinite(v) else float(v) for v in values.ravel()]
    return row


def compare(a: dict, b: dict) -> dict:
    """Relative differences |a - b| / max(|b|, 1e-12) of the means (``relative``) and, where both
    summaries have them, the medians (``median_relative``), per store and variable; and per run
    (``worst_run``: the run whose median differs most, with that difference)."""
    out = {}
    for store in sorted(set(a) & set(b)):
        rows = {}
        for name in sorted(set(a[store]) & set(b[store])):
            row = compare_rows(a[store][name], b[store][name])
            if row is None:
                continue
            runs_a, runs_b = a[store][name].get("by_run", {}), b[store][name].get("by_run", {})
            per_run = {run: compare_rows(runs_a[run], runs_b[run]) for run in sorted(set(runs_a) & set(runs_b))}
            per_run = {run: r for run, r in per_run.items() if r is not None and "median_relative" in r}
            if per_run:
                worst = max(per_run, key=lambda run: per_run[run]["median_relative"])
                row["worst_run"] = {"run": worst, **per_run[worst]}
            rows[name] = row
        out[store] = rows
    return out


def compare_rows(a: dict, b: dict) -> dict | None:
    if a["mean"] is None or b["mean"] is None:
        return None
    row = {"a": a["mean"], "b": b["mean"], "relative": relative(a["mean"], b["mean"])}
    if a.get("median") is not None and b.get("median") is not None:
        row.update(a_median=a["median"], b_median=b["median"], median_relative=relative(a["median"], b["median"]))
    return row


def relative(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-12)


def load_summary(path: Path) -> dict:
    return json.loads(path.read_text()) if path.suffix == ".json" else summarize(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("summarize")
    s.add_argument("results", type=Path)
    s.add_argument("--out", type=Path, required=True)
    c = sub.add_parser("compare")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    c.add_argument("--out", type=Path, default=None)
    i = sub.add_parser("identical")
    i.add_argument("a", type=Path)
    i.add_argument("b", type=Path)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.command == "identical":
        raise SystemExit(identical(args.a, args.b))
    if args.command == "summarize":
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(summarize(args.results), indent=1))
        return
    result = compare(load_summary(args.a), load_summary(args.b))
    for store, rows in result.items():
        log.info("%s", store)
        for name, row in sorted(rows.items(), key=lambda kv: -kv[1].get("median_relative", kv[1]["relative"])):
            log.info("  %-32s mean %11.5g %11.5g rel %.2e%s", name, row["a"], row["b"], row["relative"],
                     median_text(row))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1))


def identical(a: Path, b: Path) -> int:
    """Log every store whose arrays differ between two results folders; 0 when none does."""
    from ridgeline.store_compare import result_stores, run_differences

    differences = run_differences(a, b)
    for store, found in differences.items():
        log.info("%s: %s", store, "; ".join(found))
    log.info("%d stores compared, %d differ", len(set(result_stores(a)) | set(result_stores(b))), len(differences))
    return 1 if differences else 0


def median_text(row: dict) -> str:
    if "median_relative" not in row:
        return ""
    text = f" | median {row['a_median']:.5g} {row['b_median']:.5g} rel {row['median_relative']:.2e}"
    if "worst_run" in row:
        text += f" | worst run {row['worst_run']['run']}: median rel {row['worst_run']['median_relative']:.2e}"
    return text


if __name__ == "__main__":
    main()
