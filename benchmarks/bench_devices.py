"""Sampling throughput per score model on CPU and (when present) CUDA, and CPU/GPU agreement.

Throughput: samples x steps per second of the reverse SDE for
- exact: the smoothed empirical score of the 13-point 2D set and of 1,000 random modes in D = 64;
- neural: the [D + 128 -> 512 -> 512 -> D] score MLP in D = 2 (weights as initialised);
- rf: p = 2,000 random features with 8 stacked readouts (one tau sweep) in D = 2.

Geometry: seconds of one (2000, 64, 64) float64 eigendecomposition, by torch's own call and by
``ridgeline.ridge.symmetric_eigh`` (which sends batches above order 32 on CUDA to LAPACK), and of
SCMS for 500 points in D = 64 (1,000 modes, t = 1), the core of the D = 64 metrics jobs.

Agreement: the same float64 computations on both devices from the same inputs: probability-flow
ODE trajectories (same y_T, so no random stream is involved) for every model, and SCMS ridge
projections; reports the largest absolute difference.

Usage: python benchmarks/bench_devices.py [--samples 2000] [--steps 200] [--out FILE]
"""

import argparse
import json
import logging
import platform
import time
from pathlib import Path

import torch

from ridgeline.datasets import named_set, random_modes
from ridgeline.empirical import SmoothedEmpirical
from ridgeline.forward import geometric_grid
from ridgeline.models import ExactScore, NeuralScore, RandomFeatures, RFScore, ScoreMLP
from ridgeline.ridge import symmetric_eigh
from ridgeline.sampling import sample
from ridgeline.scms import scms_project

log = logging.getLogger("bench_devices")
QUIET = logging.getLogger("quiet")


def models(device):
    """name -> (score model on ``device``, dimension); built from the same seeds on every device."""
    g = torch.Generator().manual_seed(0)
    mlp = ScoreMLP(2, 10.0, 1e-3, hidden=512, n_fourier=128, generator=g).to(device)
    features = RandomFeatures(2, 2000, 10.0, 128, generator=torch.Generator().manual_seed(1), device=device)
    W = 0.01 * torch.randn(8, 2, 2000, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    return {
        "exact_2d": (ExactScore(named_set("thirteen"), device=device), 2),
        "exact_d64_n1000": (ExactScore(random_modes(1000, 64, seed=0), device=device), 64),
        "neural_2d": (NeuralScore(mlp), 2),
        "rf_p2000_8taus": (RFScore(features, W.to(device)), 2),
    }


def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def throughput(device, n_samples, n_steps):
    """samples x steps per second of the SDE sampler, per model."""
    grid = geometric_grid(10.0, 1e-3, n_steps).to(device)
    out = {}
    for name, (model, dim) in models(device).items():
        n = n_samples * (8 if name.startswith("rf") else 1)  # rf: every readout gets n_samples
        sample(model, n, dim=dim, grid=grid[:3], snapshot_idx=torch.tensor([2]), method="sde",
               generator=torch.Generator(device).manual_seed(0), device=device, logger=QUIET)  # warm-up
        synchronize(device)
        start = time.perf_counter()
        sample(model, n, dim=dim, grid=grid, snapshot_idx=torch.tensor([n_steps]), method="sde",
               generator=torch.Generator(device).manual_seed(0), device=device, logger=QUIET)
        synchronize(device)
        seconds = time.perf_counter() - start
        out[name] = {"samples": n, "steps": n_steps, "seconds": seconds, "sample_steps_per_s": n * n_steps / seconds}
        log.info("%s on %s: %d samples x %d steps in %.2f s (%.3g sample-steps/s)", name, device, n, n_steps,
                 seconds, n * n_steps / seconds)
    return out


def scms_d64(device):
    """SCMS projections (t = 1, d = 1) of 500 draws from p_1 of 1,000 modes in D = 64 on ``device``; on the CPU."""
    dist = SmoothedEmpirical(random_modes(1000, 64, seed=0), device=device)
    x = dist.draw(500, 1.0, torch.Generator().manual_seed(5))
    return scms_project(dist, x, 1.0, ridge_dim=1, tol=1e-6, max_iter=100).points.cpu()


def timed(device, fn, *args):
    synchronize(device)
    start = time.perf_counter()
    fn(*args)
    synchronize(device)
    return time.perf_counter() - start


def geometry(device):
    """Seconds of a (2000, 64, 64) eigh (torch's call, ridgeline's) and of SCMS in D = 64."""
    A = torch.randn(2000, 64, 64, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    H = (A @ A.transpose(1, 2) / 64).to(device)
    out = {}
    for name, fn in (("torch_linalg_eigh", torch.linalg.eigh), ("ridgeline_symmetric_eigh", symmetric_eigh)):
        fn(H[:2])  # warm-up, same code path (batch > 1)
        out[f"eigh_2000x64x64_{name}_s"] = timed(device, fn, H)
    out["scms_d64_500_points_s"] = timed(device, scms_d64, device)
    log.info("geometry on %s: %s", device, out)
    return out


def ode_finals(device, y0s, n_steps):
    """Final ODE states per model from the given starts (moved to ``device``); on the CPU."""
    grid = geometric_grid(10.0, 1e-3, n_steps).to(device)
    return {name: sample(model, y0s[name].shape[0], dim=dim, grid=grid, snapshot_idx=torch.tensor([n_steps]),
                         method="ode", generator=None, device=device, logger=QUIET,
                         y0=y0s[name]).states[-1].cpu()
            for name, (model, dim) in models(device).items()}


def agreement(devices, n_steps):
    """Largest |difference| between devices of ODE finals and SCMS projections (same inputs)."""
    g = torch.Generator().manual_seed(3)
    y0s = {name: torch.randn(256 * (8 if name.startswith("rf") else 1), dim, generator=g, dtype=torch.float64)
           for name, (_, dim) in models(torch.device("cpu")).items()}
    finals = {str(d): ode_finals(d, y0s, n_steps) for d in devices}
    x = 3 * torch.randn(2000, 2, generator=g, dtype=torch.float64)
    ridge = {str(d): scms_project(SmoothedEmpirical(named_set("thirteen"), device=d), x.to(d), 0.3, ridge_dim=1,
                                  tol=1e-8, max_iter=2000).points.cpu() for d in devices}
    ref, other = str(devices[0]), str(devices[-1])
    out = {f"ode_{k}": float((finals[ref][k] - finals[other][k]).abs().max()) for k in finals[ref]}
    out["scms_thirteen_t0.3"] = float((ridge[ref] - ridge[other]).abs().max())
    d64 = {str(d): scms_d64(d) for d in devices}
    out["scms_d64_t1"] = float((d64[ref] - d64[other]).abs().max())
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default="benchmarks/results/devices.json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("quiet").setLevel(logging.WARNING)
    logging.getLogger("ridgeline").setLevel(logging.WARNING)
    torch.set_num_threads(args.threads)
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    report = {"host": platform.node(), "threads": args.threads,
              "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
              "throughput": {str(d): throughput(d, args.samples, args.steps) for d in devices},
              "geometry": {str(d): geometry(d) for d in devices}}
    if len(devices) > 1:
        report["agreement_max_abs"] = agreement(devices, 100)
        log.info("CPU vs GPU agreement (max |difference|): %s", report["agreement_max_abs"])
        cpu, gpu = report["throughput"]["cpu"], report["throughput"]["cuda"]
        report["gpu_speedup"] = {k: gpu[k]["sample_steps_per_s"] / cpu[k]["sample_steps_per_s"] for k in cpu}
        log.info("GPU / CPU throughput: %s", report["gpu_speedup"])
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
