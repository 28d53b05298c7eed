"""Ridge analysis against 60,000 latents in D = 32 (issue: ridge geometry at scale).

The VAE of the `large` protocol (32 latents, [400, 200], 20 epochs at batch 512, seed 0) encodes
Fashion-MNIST's 60,000 training images (Debian's dataset-fashion-mnist); 2,000 queries are drawn
from p_t of the latents at t = 1e-3 and 0.05. Per time: one frame evaluation at the 2,000
queries with the full decomposition (streamed over the 60,000 latents) and with truncated frames
(dropped mass <= 1e-14), their agreement where both are defined, and the SCMS projection (d* = 4,
relative residual < 1e-6, at most 200 iterations) with truncated frames; each timed, with the
process's peak RSS at the end (2 threads).

Usage: python benchmarks/bench_latent_scale.py [--out benchmarks/results/latent_60k.json]  (about 10 min)
"""

import argparse
import json
import logging
import resource
import time
from pathlib import Path

import torch

log = logging.getLogger("bench_latent_scale")


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main():
    from ridgeline.empirical import SmoothedEmpirical
    from ridgeline.latent.codes import vae_latents
    from ridgeline.latent.mnist import FASHION_MNIST_DIR, load_idx_directory
    from ridgeline.ridge import ridge_frame
    from ridgeline.scms import scms_project
    from ridgeline.truncated_frames import truncated_frame

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results/latent_60k.json")
    parser.add_argument("--times", type=float, nargs="+", default=[1e-3, 0.05])
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    torch.set_num_threads(2)
    images, labels = load_idx_directory(FASHION_MNIST_DIR, "train")
    vae_seconds, (_, store) = timed(lambda: vae_latents(images, labels, latent_dim=32, hidden=[400, 200], epochs=20,
                                                         batch_size=512, lr=1e-3, seed=0))
    dist = SmoothedEmpirical(store["points"].values)
    rows = []
    for t in args.times:
        x = dist.draw(2000, t, torch.Generator().manual_seed(1))
        full_s, full = timed(lambda: ridge_frame(dist, x, t, 4))
        fast_s, fast = timed(lambda: truncated_frame(dist, x, t, 4))
        both = full.defined() & fast.defined()
        scms_s, res = timed(lambda: scms_project(dist, x, t, ridge_dim=4, tol=1e-6, max_iter=200, frames="truncated"))
        rows.append({
            "t": t, "queries": 2000, "full_frame_seconds": full_s, "truncated_frame_seconds": fast_s,
            # None: the posterior needs at least min(n, D) points, and the full frame was used
            "kept": int(fast.vectors.shape[2]) if hasattr(fast, "vectors") else None,
            "max_dropped_mass": float(fast.dropped_mass.max()) if hasattr(fast, "dropped_mass") else 0.0,
            "defined_fraction": float(both.float().mean()),
            "max_residual_difference_where_defined": float((full.residual() - fast.residual())[both].abs().max())
            if bool(both.any()) else None,
            "scms_truncated_seconds": scms_s, "scms_converged": float(res.converged.float().mean()),
            "scms_mean_iterations": float(res.iterations.float().mean()),
            "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
        })
        log.info("%s", rows[-1])
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"n": dist.n, "D": dist.dim, "vae_seconds": vae_seconds, "rows": rows},
                                         indent=1))


if __name__ == "__main__":
    main()
