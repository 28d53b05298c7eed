"""Ridge frames of the embedded paper sets: full D x D eigendecomposition vs the data-span block.

For each set (the triangle in D = 64, two_mode in D = 16, 10 random modes in D = 16), 2,000 points
drawn from p_t at t = 0.5: seconds of ``frame_from_moments`` with and without the span, and the
largest difference of the normal projections P_N v (random v) where the frame is defined
(dimensionless eigengap h_t (lambda_d - lambda_{d+1}) > 1e-6), of the eigenvalues, and of the
relative residuals there.

Usage: python benchmarks/bench_frames.py [--threads 2] [--out benchmarks/results/frames.json]
"""

import argparse
import json
import logging
import time
from pathlib import Path

import torch

from ridgeline.datasets import embed, named_set, random_modes
from ridgeline.empirical import SmoothedEmpirical
from ridgeline.ridge import frame_from_moments

log = logging.getLogger("bench_frames")
SETS = {
    "triangle_d64": lambda: embed(named_set("triangle"), 64, 0),
    "two_mode_d16": lambda: embed(named_set("two_mode"), 16, 0),
    "modes_d16": lambda: random_modes(10, 16, seed=0),
}


def best_of(fn, repeats=5) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def compare(data, t=0.5, n=2000, seed=0) -> dict:
    dist = SmoothedEmpirical(data)
    g = torch.Generator().manual_seed(seed)
    x = dist.draw(n, t, g)
    mom = dist.moments(x, t, with_cov=True)
    span = dist.span()
    full_s = best_of(lambda: frame_from_moments(mom, 1))
    span_s = best_of(lambda: frame_from_moments(mom, 1, span=span))
    full, fast = frame_from_moments(mom, 1), frame_from_moments(mom, 1, span=span)
    ok = full.eigengap() * mom.h[:, 0] > 1e-6
    v = torch.randn(n, dist.dim, generator=g, dtype=torch.float64)
    v = v / v.norm(dim=1, keepdim=True)
    return {
        "n": dist.n, "D": dist.dim, "span_dim": span[0].shape[1], "points": n, "t": t,
        "full_seconds": full_s, "span_seconds": span_s, "speedup": full_s / span_s,
        "points_with_a_frame": int(ok.sum()),
        "max_projection_difference": float((full.normal_part(v) - fast.normal_part(v))[ok].norm(dim=1).max()),
        "max_relative_residual_difference": float(
            (full.relative_residual() - fast.relative_residual())[ok].abs().max()),
        "max_eigenvalue_difference_relative": float(
            ((full.eigenvalues - fast.eigenvalues).abs() / full.eigenvalues.abs().max()).max()),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default="benchmarks/results/frames.json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    torch.set_num_threads(args.threads)
    report = {"threads": args.threads, "sets": {}}
    for name, build in SETS.items():
        row = compare(build())
        report["sets"][name] = row
        log.info("%s (n = %d, D = %d, span %d): full %.4f s, span %.4f s (%.1fx); P_N agrees to %.1e",
                 name, row["n"], row["D"], row["span_dim"], row["full_seconds"], row["span_seconds"],
                 row["speedup"], row["max_projection_difference"])
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
