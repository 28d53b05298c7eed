"""Peak memory of the streaming stages as training points, samples, snapshots, steps and quadrature grow.

Each case runs in a fresh Python process at three sizes, ten times apart. The process builds its
inputs, resets the kernel's high-water mark of resident memory, records its resident memory
(``before``), runs the library call, and reports the new high-water mark (``peak``, VmHWM).
``working`` = peak - before is what the computation allocated; ``kept`` is the size of the arrays
the call returns in memory. The sampling and metrics jobs stream to a zarr store (as the workflow
does), so they keep nothing: their whole output is on disk. Bounded streaming shows as
``working - kept`` staying flat while the size grows tenfold twice.

Cases (sampling in the default blocks of 65,536 samples; metrics in blocks of
:data:`METRICS_BLOCK_POINTS` = 2^16 (snapshot, sample) pairs, an eighth of the default, so that
the runs span many blocks within minutes; 32 MiB chunks of training points):
- ``frames_train``: ridge frames (moments, covariance, eigh) of 1,000 points of p_t for n = 1e3,
  1e4, 1e5 training points in D = 16 (the covariance is streamed over training chunks).
- ``metrics_samples``: the run_metrics job (:func:`ridgeline.metrics_store.metrics_to_store`:
  frames, SCMS, score-error split, nearest points, phases, final classes) of B = 2e4, 2e5, 2e6
  samples at 2 snapshots (blocks of 32,768 samples), read from a sample store, 13-point 2D set,
  exact score.
- ``metrics_samples_one_block``: the same job with all samples in one block (what the job did
  before it streamed: the block is the whole run).
- ``metrics_snapshots``: the same for 2,000 samples at S = 2, 20, 200 snapshots (1, 1, 7 blocks).
- ``sampling_steps``: the sample job (:func:`ridgeline.sample_store.sample_to_store`): reverse SDE,
  exact score, 2,000 samples, 11 snapshots, N = 100, 1e3, 1e4 steps.
- ``sampling_samples``: the same for B = 1e4, 1e5, 1e6 samples and 100 steps.
- ``sampling_samples_one_block``: the same with all samples in one block (as before blocks).
- ``rf_moments_nodes``: RF moments U, V, L* (p = 200, two_mode, 8 x 8 Gauss-Hermite) over
  J = 201, 2,001, 20,001 Simpson time nodes (the quadrature is streamed in chunks of rows).

Usage: python benchmarks/bench_memory.py [--threads 2] [--out benchmarks/results/memory.json]
"""

import argparse
import json
import logging
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

log = logging.getLogger("bench_memory")
MB = 1024.0**2
CASES = {
    "frames_train": [1_000, 10_000, 100_000],
    "metrics_samples": [20_000, 200_000, 2_000_000],
    "metrics_samples_one_block": [20_000, 200_000, 2_000_000],
    "metrics_snapshots": [2, 20, 200],
    "sampling_steps": [100, 1_000, 10_000],
    "sampling_samples": [10_000, 100_000, 1_000_000],
    "sampling_samples_one_block": [10_000, 100_000, 1_000_000],
    "rf_moments_nodes": [201, 2_001, 20_001],
}
#: (snapshot, sample) pairs per metrics block in these cases (the library default is 2^19).
METRICS_BLOCK_POINTS = 2**16
#: Stores written by a case, removed once it is measured.
TEMP_FOLDERS: list[Path] = []
SCMS = dict(tol=1e-7, max_iter=500, criterion="relative", method="newton")


def current_rss_mb() -> float:
    """Resident memory now, from /proc/self/statm (pages)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / MB


def reset_peak_rss() -> bool:
    """Reset the kernel's high-water mark of resident memory (Linux >= 4.0); False if refused."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_rss_mb() -> float:
    """High-water mark of resident memory (VmHWM), since the last reset."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def nbytes_mb(*arrays) -> float:
    return sum(a.element_size() * a.numel() if hasattr(a, "element_size") else a.nbytes for a in arrays) / MB


def frames_train(n: int):
    import torch

    from ridgeline.datasets import random_modes
    from ridgeline.empirical import SmoothedEmpirical
    from ridgeline.metrics import frame_metrics

    dist = SmoothedEmpirical(random_modes(n, 16, seed=0))
    x = dist.draw(1_000, 0.5, torch.Generator().manual_seed(1))
    return lambda: frame_metrics(dist, x, 0.5, 1), lambda out: sum(v.nbytes for v in out.values()) / MB


def trajectory(n_samples: int, n_snapshots: int, one_block: bool = False):
    import tempfile

    import torch
    import xarray as xr

    from ridgeline import dims
    from ridgeline.datasets import named_set
    from ridgeline.empirical import SmoothedEmpirical
    from ridgeline.io import open_store, variable, write_store
    from ridgeline.metrics_store import metrics_to_store
    from ridgeline.models.exact import ExactScore

    data = named_set("thirteen")
    dist, model = SmoothedEmpirical(data), ExactScore(data)
    times = torch.logspace(0, -2, n_snapshots, dtype=torch.float64).tolist()
    g = torch.Generator().manual_seed(2)
    states = torch.stack([dist.draw(n_samples, t, g) for t in times]).numpy()
    folder = Path(tempfile.mkdtemp(prefix="bench_memory_"))
    TEMP_FOLDERS.append(folder)
    write_store(xr.Dataset({"states": variable(states, (dims.TIME, dims.SAMPLE, dims.COORD), "y")},
                           coords={dims.TIME: times}), folder / "samples.zarr")
    del states
    run = open_store(folder / "samples.zarr")
    cfg = {"near_radius": 0.5, "tube_scale": 2.0, "scms": SCMS, "classify": {"time": 0.3, "tube_radius": 0.3}}
    quiet = logging.getLogger("quiet")
    block = n_samples * n_snapshots if one_block else METRICS_BLOCK_POINTS
    return (lambda: metrics_to_store(folder / "metrics.zarr", dist, run, ridge_dim=1, cfg=cfg, attrs={}, model=model,
                                     block_points=block, logger=quiet),
            lambda path: 0.0)


def sampling(n_samples: int, n_steps: int, one_block: bool = False):
    import tempfile

    import torch

    from ridgeline.datasets import named_set
    from ridgeline.forward import geometric_grid
    from ridgeline.models.exact import ExactScore
    from ridgeline.runtime import BlockStreams
    from ridgeline.sample_store import sample_to_store
    from ridgeline.sampling import DEFAULT_BLOCK_SAMPLES

    model = ExactScore(named_set("thirteen"))
    grid = geometric_grid(10.0, 1e-3, n_steps)
    snaps = torch.linspace(0, n_steps, 11).round().long().unique()
    folder = Path(tempfile.mkdtemp(prefix="bench_memory_"))
    TEMP_FOLDERS.append(folder)
    quiet = logging.getLogger("quiet")
    return (lambda: sample_to_store(folder / "samples.zarr", model, n_samples=n_samples, dim=2, grid=grid,
                                    snapshot_idx=snaps, method="sde", streams=BlockStreams(3, "bench"), attrs={},
                                    long_name="y", units="length",
                                    block_samples=n_samples if one_block else DEFAULT_BLOCK_SAMPLES, logger=quiet),
            lambda path: 0.0)


def rf_moments_nodes(n_time: int):
    import torch

    from ridgeline.datasets import named_set
    from ridgeline.models.random_features import RandomFeatures
    from ridgeline.rf.moments import rf_moments
    from ridgeline.rf.quadrature import build_quadrature

    features = RandomFeatures(2, 200, 10.0, generator=torch.Generator().manual_seed(4))
    quad = build_quadrature(2, 1e-3, 10.0, time_rule="simpson", n_time=n_time, n_frequencies=128,
                            z_rule="gauss_hermite", z_order=8, n_qmc=0)
    data = named_set("two_mode")
    quiet = logging.getLogger("quiet")
    return (lambda: rf_moments(features, data, weighting="h", quad=quad, logger=quiet),
            lambda mom: nbytes_mb(mom.U, mom.V))


def build(case: str, size: int):
    """(run, kept_mb) for one case and size."""
    if case == "frames_train":
        return frames_train(size)
    if case == "metrics_samples":
        return trajectory(size, 2)
    if case == "metrics_samples_one_block":
        return trajectory(size, 2, one_block=True)
    if case == "metrics_snapshots":
        return trajectory(2_000, size)
    if case == "sampling_steps":
        return sampling(2_000, size)
    if case == "sampling_samples":
        return sampling(size, 100)
    if case == "sampling_samples_one_block":
        return sampling(size, 100, one_block=True)
    if case == "rf_moments_nodes":
        return rf_moments_nodes(size)
    raise ValueError(f"unknown case '{case}'; choose one of {sorted(CASES)}")


def measure_here(case: str, size: int, threads: int) -> dict:
    """Run one case in this process and report its memory (call in a fresh process)."""
    import torch

    torch.set_num_threads(threads)
    run, kept = build(case, size)
    reset = reset_peak_rss()
    before = current_rss_mb()
    start = time.perf_counter()
    out = run()
    seconds = time.perf_counter() - start
    peak = peak_rss_mb()
    for folder in TEMP_FOLDERS:
        shutil.rmtree(folder, ignore_errors=True)
    return {"case": case, "size": size, "seconds": seconds, "before_mb": before, "peak_mb": peak,
            "working_mb": peak - before, "kept_mb": kept(out), "peak_reset": reset}


def measure_in_child(case: str, size: int, threads: int) -> dict:
    cmd = [sys.executable, __file__, "--child", case, str(size), "--threads", str(threads)]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default="benchmarks/results/memory.json")
    parser.add_argument("--cases", nargs="*", default=list(CASES), choices=list(CASES))
    parser.add_argument("--child", nargs=2, metavar=("CASE", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("ridgeline").setLevel(logging.WARNING)
    if args.child:
        print(json.dumps(measure_here(args.child[0], int(args.child[1]), args.threads)))
        return
    rows = []
    for case in args.cases:
        for size in CASES[case]:
            row = measure_in_child(case, size, args.threads)
            rows.append(row)
            log.info("%-18s %9d: %6.1f s, peak %7.1f MB, working %7.1f MB, kept %7.1f MB, working - kept %7.1f MB",
                     case, size, row["seconds"], row["peak_mb"], row["working_mb"], row["kept_mb"],
                     row["working_mb"] - row["kept_mb"])
    growth = {}
    for case in args.cases:
        sel = [r for r in rows if r["case"] == case]
        extra = [r["working_mb"] - r["kept_mb"] for r in sel]
        growth[case] = {"size_ratio": sel[-1]["size"] / sel[0]["size"],
                        "working_minus_kept_mb": extra,
                        "peak_mb": [r["peak_mb"] for r in sel]}
    report = {"threads": args.threads, "rows": rows, "growth": growth}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    log.info("wrote %s", args.out)


if __name__ == "__main__":
    main()
