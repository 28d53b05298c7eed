"""Summarize the result stores of one pipeline run, and compare two runs (e.g. GPU vs CPU).

Each data variable of ``metrics.zarr``, ``rf_metrics.zarr`` and ``mnist_metrics.zarr`` is reduced to
its mean over finite entries (and kept whole when it has at most 64 entries, e.g. class counts,
losses, biases). Two summaries are compared by the relative difference of those means.

Usage:
    python benchmarks/compare_runs.py summarize RESULTS_DIR --out summary.json
    python benchmarks/compare_runs.py compare SUMMARY.json RESULTS_DIR_OR_SUMMARY.json [--out cmp.json]
"""

import argparse
import json
import logging
import warnings
from pathlib import Path

import numpy as np
import xarray as xr

STORES = ("metrics.zarr", "rf_metrics.zarr", "mnist_metrics.zarr")
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
        summary[store] = {name: summarize_array(ds[name].values) for name in ds.data_vars
                          if np.issubdtype(ds[name].dtype, np.number) or ds[name].dtype == bool}
    return summary


def summarize_array(values: np.ndarray) -> dict:
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    row = {"mean": float(finite.mean()) if finite.size else None, "finite": int(finite.size)}
    if values.size <= WHOLE_UP_TO:
        row["values"] = [None if not np.isfinite(v) else float(v) for v in values.ravel()]
    return row


def compare(a: dict, b: dict) -> dict:
    """Relative difference of the means, |a - b| / max(|b|, 1e-12), per store and variable."""
    out = {}
    for store in sorted(set(a) & set(b)):
        rows = {}
        for name in sorted(set(a[store]) & set(b[store])):
            ma, mb = a[store][name]["mean"], b[store][name]["mean"]
            if ma is None or mb is None:
                continue
            rows[name] = {"a": ma, "b": mb, "relative": abs(ma - mb) / max(abs(mb), 1e-12)}
        out[store] = rows
    return out


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
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.command == "summarize":
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(summarize(args.results), indent=1))
        return
    result = compare(load_summary(args.a), load_summary(args.b))
    for store, rows in result.items():
        log.info("%s", store)
        for name, row in sorted(rows.items(), key=lambda kv: -kv[1]["relative"]):
            log.info("  %-32s %12.5g %12.5g  rel %.2e", name, row["a"], row["b"], row["relative"])
    if args.out:
        args.out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
