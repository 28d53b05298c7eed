"""Speed of the per-sample trajectory metrics (issue: reach, align, slide).

Two problems, each 2,000 samples x 50 log-spaced snapshots, with the score-error split of a model:
- 2D: the 13-point set, samples from the exact score's reverse SDE;
- D = 64: n = 1,000 training points (random modes), samples from the exact score's reverse SDE.

Usage: python benchmarks/bench_metrics.py [--samples 2000] [--snapshots 50]
"""

import argparse
import json
import logging
import time
from pathlib import Path

import numpy as np
import torch

from ridgeline.datasets import named_set, random_modes
from ridgeline.empirical import SmoothedEmpirical
from ridgeline.forward import geometric_grid, log_spaced_times
from ridgeline.metrics import trajectory_metrics
from ridgeline.models import ExactScore
from ridgeline.parallel import default_workers
from ridgeline.phases import reach_times, tube_radius
from ridgeline.sampling import sample, snapshot_indices

log = logging.getLogger("bench_metrics")
SCMS = dict(tol=1e-6, max_iter=1000, criterion="relative", method="scms")


class NoisyScore:
    """The exact score plus a fixed smooth error field, so that the error split has work to do."""

    def __init__(self, data):
        self.exact = ExactScore(data)
        g = torch.Generator().manual_seed(0)
        self.A = 0.3 * torch.randn(data.shape[1], data.shape[1], generator=g, dtype=torch.float64)

    def score(self, x, t):
        return self.exact.score(x, t) + torch.tanh(x @ self.A.T)

    def posterior_mean(self, x, t):
        return x + (1 - np.exp(-2 * float(t))) * self.score(x, t)


def run(name, data, T, n_samples, n_snapshots, workers):
    grid = geometric_grid(T, 1e-3, 500)
    idx = snapshot_indices(grid, log_spaced_times(T, 1e-3, n_snapshots))
    traj = sample(ExactScore(data), n_samples, dim=data.shape[1], grid=grid, snapshot_idx=idx, method="sde",
                  generator=torch.Generator().manual_seed(0),
                  logger=logging.getLogger("quiet"))
    model = NoisyScore(data)
    start = time.perf_counter()
    ds = trajectory_metrics(SmoothedEmpirical(data), traj.times, traj.states, ridge_dim=1, scms=SCMS, near_radius=0.5,
                            logger=logging.getLogger("quiet"), model=model, workers=workers)
    times = ds["time"].values
    reach_times(times, ds["scms_distance"].values, tube_radius(times, data.shape[1], 1, 2.0))
    seconds = time.perf_counter() - start
    log.info("%s: n=%d D=%d, %d samples x %d snapshots: %.1f s (SCMS converged %.1f%%)", name, data.shape[0],
             data.shape[1], n_samples, len(idx), seconds, 100 * float(ds["scms_converged"].mean()))
    return {"n": int(data.shape[0]), "D": int(data.shape[1]), "samples": n_samples, "snapshots": int(len(idx)),
            "seconds": seconds, "scms_converged": float(ds["scms_converged"].mean()),
            "threads": torch.get_num_threads(), "snapshot_workers": workers}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--snapshots", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=None,
                        help="snapshots computed side by side (default: --threads; 1 = in sequence)")
    parser.add_argument("--out", default="benchmarks/results/metrics.json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("quiet").setLevel(logging.WARNING)
    logging.getLogger("ridgeline").setLevel(logging.WARNING)
    torch.set_num_threads(args.threads)
    workers = default_workers("cpu") if args.workers is None else args.workers
    report = {
        "2d": run("2D thirteen", named_set("thirteen"), 10.0, args.samples, args.snapshots, workers),
        "d64": run("D=64 random modes", random_modes(1000, 64, seed=0), 10.0, args.samples, args.snapshots, workers),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
