"""Ridge frames in pixel space: D = 784, the exact score of the 5,000 embedded MNIST digits
(issue: ridge geometry at scale). Full decomposition (the reference) against frames from the
significantly weighted digits (ridgeline.truncated_frames, dropped mass at most 1e-14), at the
times where the posterior concentrates (t = 0.01, 0.05) and where it spreads (t = 0.2): seconds
per query, the kept count K, the largest dropped mass and covariance-error bound, the share of
queries whose frame is defined (dimensionless gap > 1e-9), and each case's peak RSS in a fresh
process (2 threads).

Usage: python benchmarks/bench_frames_scale.py [--out benchmarks/results/frames_784.json]
"""

import argparse
import json
import logging
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

log = logging.getLogger("bench_frames_scale")
CASES = [("truncated", 0.01, 200), ("truncated", 0.05, 200), ("truncated", 0.2, 50),
         ("full", 0.01, 10), ("full", 0.05, 10), ("full", 0.2, 10)]


def run_case(path: str, t: float, queries: int) -> dict:
    from ridgeline.empirical import SmoothedEmpirical
    from ridgeline.latent.mnist import load_embedded
    from ridgeline.ridge import ridge_frame
    from ridgeline.truncated_frames import truncated_frame

    torch.set_num_threads(2)
    dist = SmoothedEmpirical(np.asarray(load_embedded()[0], dtype=np.float64))
    x = dist.draw(queries, t, torch.Generator().manual_seed(0))
    start = time.perf_counter()
    frame = ridge_frame(dist, x, t, 1) if path == "full" else truncated_frame(dist, x, t, 1, weight_tol=1e-14)
    seconds = time.perf_counter() - start
    row = {"path": path, "t": t, "queries": queries, "seconds_per_query": seconds / queries,
           "defined": float(frame.defined().float().mean()),
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if path == "truncated":
        row |= {"kept": int(frame.vectors.shape[2]), "max_dropped_mass": float(frame.dropped_mass.max()),
                "max_cov_error_bound": float(frame.cov_error_bound.max())}
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results/frames_784.json")
    parser.add_argument("--case", nargs=3, default=None, help=argparse.SUPPRESS)  # path t queries, in a child
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.case:
        print(json.dumps(run_case(args.case[0], float(args.case[1]), int(args.case[2]))))  # noqa: T201
        return
    rows = []
    for path, t, queries in CASES:
        out = subprocess.run([sys.executable, __file__, "--case", path, str(t), str(queries)], capture_output=True,
                             text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        log.info("%s", rows[-1])
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"D": 784, "n": 5000, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
