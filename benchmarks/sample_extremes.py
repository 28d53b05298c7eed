"""Per sampling run: how far its samples are from the training points, snapshot by snapshot.

A run whose samples escape (distances far beyond the data's diameter) shows here before its
metrics average it into the aggregate stores. Used to compare runs across machines (GPU vs CPU).

Usage:
    python benchmarks/sample_extremes.py RESULTS_DIR --out extremes.json
"""

import argparse
import json
import logging
from pathlib import Path

import numpy as np

from ridgeline.empirical import nearest_points
from ridgeline.io import open_store, read_store
from ridgeline.metrics import ESCAPE_DIAMETERS, data_diameter, escaped_count

log = logging.getLogger("sample_extremes")


def run_extremes(samples: Path, data: np.ndarray) -> dict:
    """Distances of the final samples to the nearest training point (median, 99th percentile,
    max, non-finite and escaped counts), and the largest distance at every snapshot, from which
    the time the first sample escapes can be read off.
    """
    with open_store(samples) as ds:
        states = ds["states"]
        per_time_max, final = [], None
        for index in range(states.sizes["time"]):
            x = np.asarray(states.isel(time=index).values, dtype=np.float64).reshape(-1, data.shape[1])
            distance = nearest_points(data, x, 1)[1][:, 0].numpy()
            per_time_max.append(float(np.nanmax(distance)) if np.isfinite(distance).any() else None)
            final = distance
    return {
        "final_median": float(np.nanmedian(final)),
        "final_p99": float(np.nanpercentile(final, 99)),
        "final_max": float(np.nanmax(final)),
        "final_nonfinite": int((~np.isfinite(final)).sum()),
        "final_beyond_10_diameters": escaped_count(final, data, ESCAPE_DIAMETERS),
        "max_per_snapshot": per_time_max,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    out = {}
    for store in sorted(args.results.glob("*sample/*/**/seed*.zarr")):
        dataset = store.relative_to(args.results).parts[1]
        data_store = args.results / "prepare_dataset" / f"{dataset}.zarr"
        if not data_store.exists():
            continue
        data = read_store(data_store)["points"].values
        name = str(store.relative_to(args.results).with_suffix(""))
        out[name] = run_extremes(store, data)
        row = out[name]
        log.info("%-40s median %.3g p99 %.3g max %.3g beyond %d (diameter %.3g)", name, row["final_median"],
                 row["final_p99"], row["final_max"], row["final_beyond_10_diameters"], data_diameter(data))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
