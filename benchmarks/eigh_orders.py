"""Which symmetric eigendecompositions the trajectory metrics of a finished run perform, by order.

torch decomposes a CUDA batch of symmetric matrices of order above 32 one matrix at a time (see
``ridgeline.ridge.host_eigh_needed``); that is what stalled the D = 64 metrics jobs on a GPU. This
script replays the geometry of every run_metrics job of a finished run on the CPU, on the first
``--samples`` samples of each sample store, and counts the calls to ``torch.linalg.eigh`` by
matrix order and by whether they are batched. The frames depend only on the training set and the
states, so the score model is left out (its error split decomposes nothing).

Usage: python benchmarks/eigh_orders.py --run RUN_FOLDER [--config config/config.yaml]
       [--samples 300] [--out benchmarks/results/eigh_orders.json]
RUN_FOLDER holds results/prepare_dataset/ and results/sample/ (a finished or partial run).
"""

import argparse
import collections
import json
import logging
from pathlib import Path

import torch
import yaml

from ridgeline.empirical import SmoothedEmpirical
from ridgeline.io import read_store
from ridgeline.metrics import classify_final_samples, trajectory_metrics

log = logging.getLogger("eigh_orders")


class EighCounter:
    """Wraps ``torch.linalg.eigh`` while active; counts calls by (batched, order)."""

    def __init__(self):
        self.counts = collections.Counter()
        self._eigh = torch.linalg.eigh

    def _recording(self, H, *args, **kwargs):
        batched = H.dim() > 2 and H.shape[0] > 1
        self.counts[("batched" if batched else "single", int(H.shape[-1]))] += 1
        return self._eigh(H, *args, **kwargs)

    def __enter__(self):
        self.counts.clear()
        torch.linalg.eigh = self._recording
        return self

    def __exit__(self, *exc):
        torch.linalg.eigh = self._eigh


def count_job(root: Path, sample_store: Path, cfg: dict, n_samples: int, counter: EighCounter) -> dict:
    dataset = sample_store.parent.parent.name
    points = read_store(root / "results" / "prepare_dataset" / f"{dataset}.zarr")["points"].values
    run = read_store(sample_store)
    states = torch.as_tensor(run["states"].values[:, :n_samples])
    metrics, d = cfg["metrics"], cfg["ridge"]["ridge_dim"]
    dist = SmoothedEmpirical(points)
    with counter:
        trajectory_metrics(dist, run["time"].values, states, ridge_dim=d, scms=metrics["scms"],
                           near_radius=metrics["near_radius"],
                           workers=1)
        classify_final_samples(
            points,
            states[-1],
            t_c=metrics["classify"]["time"],
            ridge_dim=d,
            near_radius=metrics["near_radius"],
            tube_radius=metrics["classify"]["tube_radius"],
            scms=metrics["scms"],
        )
    orders = {f"{kind} {order}": n for (kind, order), n in sorted(counter.counts.items())}
    largest = max((order for _, order in counter.counts), default=0)
    log.info(
        "%s: D = %d, span %d; eigh calls %s",
        sample_store.relative_to(root),
        points.shape[1],
        dist.span()[0].shape[1],
        orders or "none",
    )
    return {
        "D": int(points.shape[1]),
        "span_dim": int(dist.span()[0].shape[1]),
        "eigh_calls": orders,
        "largest_order": largest,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, help="folder of a run (holds results/)")
    parser.add_argument("--config", default="config/config.yaml", help="the config the run was made with")
    parser.add_argument("--samples", type=int, default=300, help="samples per store (the orders do not depend on it)")
    parser.add_argument("--out", default="benchmarks/results/eigh_orders.json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("ridgeline").setLevel(logging.WARNING)
    root = Path(args.run)
    stores = sorted((root / "results" / "sample").glob("*/*/seed*.zarr"))
    if not stores:
        raise SystemExit(f"no sample stores under {root}/results/sample: run the pipeline there first")
    if not Path(args.config).is_file():
        raise SystemExit(f"config file {args.config} not found: pass the config the run was made with (--config)")
    cfg = yaml.safe_load(Path(args.config).read_text())
    counter = EighCounter()
    jobs = {
        str(s.relative_to(root / "results" / "sample")): count_job(root, s, cfg, args.samples, counter) for s in stores
    }
    report = {
        "run": str(root),
        "config": args.config,
        "samples_per_store": args.samples,
        "jobs": jobs,
        "largest_batched_order": max(
            (int(k.split()[1]) for j in jobs.values() for k in j["eigh_calls"] if k.startswith("batched")), default=0
        ),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    log.info("largest batched eigh order over all jobs: %d; wrote %s", report["largest_batched_order"], args.out)


if __name__ == "__main__":
    main()
