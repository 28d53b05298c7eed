"""Frames of the paper's MNIST-latent SCMS projections: full against tracked (issue: ridge
geometry at scale).

Reads a finished paper run (`results/mnist/all_digits/seed0`: the 5,000 latents and the final
states of the network's 1,000 samples at t_min) and projects those states onto R^d for d = 1..5
with the paper configuration's SCMS settings (scaled criterion, tol 1e-5, at most 300
iterations), once with full and once with tracked frames (best of two runs each, 2 threads). It
reports both times, the converged fractions, the share of samples whose projections differ by
more than 1e-6, and how many samples start where the frame is undefined (dimensionless eigengap
h (lambda_d - lambda_{d+1}) <= 1e-9, as `frame.defined()`): there the tangent is an arbitrary
choice among equal eigenvalues, each path makes its own, and the two projections may land at
different points of the ridge.

Usage: python benchmarks/bench_latent_frames.py [--run results] [--out benchmarks/results/latent_frames.json]
"""

import argparse
import json
import logging
import time
import warnings
from pathlib import Path

import torch

from ridgeline.allocator import retain_freed_memory
from ridgeline.empirical import SmoothedEmpirical
from ridgeline.ridge import ridge_frame
from ridgeline.scms import scms_project

log = logging.getLogger("bench_latent_frames")

SCMS = dict(tol=1e-5, max_iter=300, criterion="scaled", method="scms")


def load(run: Path):
    """(latents (5000, 32), final states (1000, 32), t_min) of a finished paper run."""
    import xarray as xr

    base = run / "mnist" / "all_digits" / "seed0"
    if not (base / "latents.zarr").exists():
        raise FileNotFoundError(f"no paper run under {run}: run `snakemake --cores 2` first, or pass --run")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        latents = xr.open_zarr(base / "latents.zarr")["points"].values
        samples = xr.open_zarr(base / "samples" / "score.zarr")
        final, t = samples["states"].values[-1], float(samples["time"].values[-1])
    return torch.as_tensor(latents), torch.as_tensor(final), t


def best_of(n, fn):
    best, out = float("inf"), None
    for _ in range(n):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def compare(dist, final, t, d: int) -> dict:
    runs = {f: best_of(2, lambda f=f: scms_project(dist, final, t, ridge_dim=d, frames=f, **SCMS))
            for f in ("full", "tracked")}
    (t_full, full), (t_tracked, tracked) = runs["full"], runs["tracked"]
    apart = (full.points - tracked.points).norm(dim=1) > 1e-6
    undefined = ~ridge_frame(dist, final, t, d).defined()
    return {"full_seconds": t_full, "tracked_seconds": t_tracked, "speedup": t_full / t_tracked,
            "converged_full": float(full.converged.float().mean()),
            "converged_tracked": float(tracked.converged.float().mean()),
            "apart_1e-6": float(apart.float().mean()),
            "undefined_at_start": float(undefined.float().mean()),
            "apart_of_defined_at_start": float(apart[~undefined].float().mean()) if (~undefined).any() else 0.0}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default="results", help="results directory of a finished paper run")
    parser.add_argument("--out", default="benchmarks/results/latent_frames.json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    torch.set_num_threads(2)
    retain_freed_memory()
    latents, final, t = load(Path(args.run))
    dist = SmoothedEmpirical(latents)
    rows = {}
    for d in range(1, 6):
        rows[str(d)] = compare(dist, final, t, d)
        log.info("d=%d %s", d, "  ".join(f"{k}={v:.4g}" for k, v in rows[str(d)].items()))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"t": t, "latents": latents.shape[0], "samples": final.shape[0],
                                          "settings": SCMS, "ridge_dims": rows}, indent=2))


if __name__ == "__main__":
    main()
