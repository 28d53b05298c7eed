"""SCMS speed and agreement against the sconce-scms package (issues: foundation, benchmarks).

Problems (ridge dimension 1, stopping rule |E E^T grad log p_t| < 1e-7, sconce's 'proj_grad'
criterion, at most 5,000 iterations; starting points drawn from p_t itself):
- 2d: the 13-point 2D set, p_t at t = 0.3, 10,000 points;
- d32: 200 random modes in D = 32 (spacing 4), p_t at t = 0.3, 2,000 points.
sconce: `sconce.EucSCMS.SCMSLog` with bandwidth sqrt(h_t) on a_t x_i. ridgeline: plain SCMS and
Newton steps with full frames, and plain SCMS with tracked and with truncated frames.

With --split (D = 32 only), also where the tracked-frame time goes: time by number of active
points, the cost per query of each step of a tracked frame at the tenth iteration, and how many
frames fell back to the full decomposition (stored under "split").

Usage: python benchmarks/bench_scms.py [--problems 2d d32] [--split] [--out benchmarks/results/scms.json]
"""

import argparse
import json
import logging
import math
import time
from pathlib import Path

import numpy as np
import torch

import ridgeline.scms as scms_module
import ridgeline.tangent_tracking as tracking
from ridgeline.allocator import retain_freed_memory
from ridgeline.datasets import named_set, random_modes
from ridgeline.empirical import SmoothedEmpirical
from ridgeline.scms import scms_project

log = logging.getLogger("bench_scms")


def starting_points(data: np.ndarray, t: float, n: int, seed: int = 0) -> torch.Tensor:
    """n draws from p_t = (1/n) sum N(a_t x_i, h_t I)."""
    return SmoothedEmpirical(data).draw(n, t, torch.Generator().manual_seed(seed))


def run_ridgeline(data, x0, t, tol, max_iter, method, frames="full", repeats=3):
    dist = SmoothedEmpirical(data)
    best, res = math.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        res = scms_project(dist, x0, t, ridge_dim=1, tol=tol, max_iter=max_iter, criterion="absolute", method=method,
                           frames=frames)
        best = min(best, time.perf_counter() - start)
    return best, res


def run_sconce(data, x0, t, tol, max_iter):
    from sconce.EucSCMS import SCMSLog

    a, h = math.exp(-t), 1 - math.exp(-2 * t)
    start = time.perf_counter()
    path = SCMSLog(x0.numpy(), a * data, d=1, h=math.sqrt(h), eps=tol, max_iter=max_iter)
    return time.perf_counter() - start, path[:, :, -1]


PROBLEMS = {
    "2d": lambda: (named_set("thirteen"), 10_000),
    "d32": lambda: (random_modes(200, 32, spacing=4.0, seed=0), 2_000),
}


def compare(name, args):
    """Time sconce and both ridgeline variants on one problem; dict of result rows."""
    data, n_points = PROBLEMS[name]()
    x0 = starting_points(data, args.t, n_points)
    t_ref, ref = run_sconce(data, x0, args.t, args.tol, args.max_iter)
    rows = {"sconce-scms SCMSLog": {"seconds": t_ref}}
    for method, frames in (("scms", "full"), ("newton", "full"), ("scms", "tracked"), ("scms", "truncated")):
        seconds, res = run_ridgeline(data, x0, args.t, args.tol, args.max_iter, method, frames)
        gap = np.linalg.norm(res.points.numpy() - ref, axis=1)
        rows[f"ridgeline {method}" + ("" if frames == "full" else f" ({frames} frames)")] = {
            "seconds": seconds,
            "speedup": t_ref / seconds,
            "agree_1e-6": float(np.mean(gap < 1e-6)),
            "agree_1e-4": float(np.mean(gap < 1e-4)),
            "converged": float(res.converged.float().mean()),
            "mean_iterations": float(res.iterations.float().mean()),
            "max_iterations": int(res.iterations.max()),
        }
    for method, row in rows.items():
        log.info("%s %-22s %s", name, method, "  ".join(f"{k}={v:.4g}" for k, v in row.items()))
    return {"n": int(data.shape[0]), "D": int(data.shape[1]), "points": n_points, "results": rows}


class _TimedTracker(tracking.TangentTracker):
    """A TangentTracker that records (active points, call start, fallback frames) per call."""

    calls: list = []

    def __call__(self, x, t, ridge_dim):
        start = time.perf_counter()
        frame = super().__call__(x, t, ridge_dim)
        self.calls.append((x.shape[0], start, int((frame.angle_bound == 0).sum())))
        return frame


def _per_query(fn, queries, repeats=15):
    """Microseconds per query of ``fn`` over ``queries`` queries: the fastest of ``repeats`` calls."""
    fn()
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best / queries * 1e6


def split(args) -> dict:
    """Where the tracked SCMS time goes on the D = 32 problem (best of three runs)."""
    data, n_points = PROBLEMS["d32"]()
    dist, x0 = SmoothedEmpirical(data), starting_points(data, args.t, n_points)
    options = dict(ridge_dim=1, tol=args.tol, max_iter=args.max_iter, criterion="absolute", frames="tracked")
    scms_module.TangentTracker, best = _TimedTracker, None
    try:
        for _ in range(3):
            _TimedTracker.calls = []
            start = time.perf_counter()
            scms_project(dist, x0, args.t, **options)
            end = time.perf_counter()
            if best is None or end - start < best[0]:
                best = (end - start, list(_TimedTracker.calls), end)
    finally:
        scms_module.TangentTracker = tracking.TangentTracker
    total, calls, end = best
    ends = [c[1] for c in calls[1:]] + [end]  # each iteration lasts until the next frame starts
    phases = {}
    for lo, hi in ((1000, None), (300, 1000), (0, 300)):
        sel = [(b, e - s) for (b, s, _), e in zip(calls, ends) if b >= lo and (hi is None or b < hi)]
        seconds, rows = sum(d for _, d in sel), sum(b for b, _ in sel)
        phases[f"active >= {lo}" if hi is None else f"{lo} <= active < {hi}"] = {
            "iterations": len(sel), "share": seconds / total, "us_per_point": 1e6 * seconds / max(rows, 1)}
    # the steps of one tracked frame at the tenth iteration (2,000 queries, warm block)
    tracker, x = tracking.TangentTracker(dist), x0.clone()
    with torch.inference_mode():
        for _ in range(10):
            frame = tracker(x, args.t, 1)
            tracker.follow(frame, None)
            x = x + frame.normal_part(frame.step)
        block, q = tracker.block, x.shape[0]
        cov = dist.moments(x, args.t, with_cov=True, batch_invariant=False).cov
        filt, traces, scale = tracking.power_filter(cov, tracking.DEFAULT_SQUARINGS)
        cur = tracking._filtered(filt, block, tracking.DEFAULT_APPLICATIONS)
        steps = {
            "covariance (moments with Cov_w)": _per_query(
                lambda: dist.moments(x, args.t, with_cov=True, batch_invariant=False), q),
            "squarings and traces": _per_query(lambda: tracking.power_filter(cov, tracking.DEFAULT_SQUARINGS), q),
            "filter products and QR": _per_query(
                lambda: tracking._filtered(filt, block, tracking.DEFAULT_APPLICATIONS), q),
            "Rayleigh-Ritz and certificate": _per_query(lambda: tracking.certified_ritz(cov, cur, traces, scale, 1), q),
            "whole tracked frame": _per_query(lambda: tracker(x, args.t, 1), q),
        }
    out = {"seconds": total, "frames": sum(c[0] for c in calls), "fallback_frames": sum(c[2] for c in calls),
           "phases": phases, "us_per_query_at_iteration_10": steps}
    log.info("d32 tracked split %s", json.dumps(out))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", nargs="+", default=list(PROBLEMS), choices=list(PROBLEMS))
    parser.add_argument("--t", type=float, default=0.3)
    parser.add_argument("--tol", type=float, default=1e-7)
    parser.add_argument("--max-iter", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--split", action="store_true", help="also measure where the tracked D = 32 time goes")
    parser.add_argument("--out", default="benchmarks/results/scms.json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    torch.set_num_threads(args.threads)
    retain_freed_memory()  # as every pipeline job does; sconce runs under the same allocator
    report = {"settings": vars(args), "problems": {name: compare(name, args) for name in args.problems}}
    if args.split:
        report["split"] = split(args)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
