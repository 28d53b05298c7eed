"""QMC rules for the random-feature moments in D = 16: one Sobol set at every time node vs an
independently scrambled set per node, at equal accuracy.

On the modes_d16 problem (10 random modes in D = 16, panel time rule, w_SM = 1) with p features,
reports the relative errors of U, V (Frobenius) and L* against a reference rule (``--ref`` Sobol
points per node, scrambled per node) and the wall time of each rule. With one shared set, the z
error of every time node is the same and does not average out over the ~1,100 nodes; with a set
per node it does.

Usage: python benchmarks/bench_qmc.py [--p 200] [--ref 8192] [--out benchmarks/results/qmc.json]
"""

import argparse
import json
import logging
import time
from pathlib import Path

import torch

from ridgeline.datasets import random_modes
from ridgeline.models import RandomFeatures
from ridgeline.rf.moments import rf_moments
from ridgeline.rf.quadrature import build_quadrature

log = logging.getLogger("bench_qmc")
T, T0, K, DIM = 10.0, 1e-3, 128, 16


def moments(feat, data, rule: str, n_qmc: int, seed: int):
    """(U, V, L*, seconds) for one z rule."""
    quad = build_quadrature(DIM, T0, T, time_rule="panels", n_time=0, n_frequencies=K, z_rule=rule, z_order=0,
                            n_qmc=n_qmc, seed=seed)
    start = time.perf_counter()
    mom = rf_moments(feat, data, weighting="1", quad=quad, logger=logging.getLogger("quiet"))
    return mom.U, mom.V, mom.l_star, time.perf_counter() - start


def modes_d16_problem(p: int):
    """Set up logging and 2 threads; return the modes_d16 points (10, 16) and p frozen features."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("quiet").setLevel(logging.WARNING)
    torch.set_num_threads(2)
    data = torch.as_tensor(random_modes(10, DIM, 0))
    return data, RandomFeatures(DIM, p, T, K, generator=torch.Generator().manual_seed(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--p", type=int, default=200)
    parser.add_argument("--ref", type=int, default=8192, help="Sobol points per node of the reference rule")
    parser.add_argument("--out", default="benchmarks/results/qmc.json")
    args = parser.parse_args()
    data, feat = modes_d16_problem(args.p)
    U_ref, V_ref, L_ref, ref_seconds = moments(feat, data, "qmc", args.ref, seed=999)
    log.info("reference: %d points per node, %.0f s", args.ref, ref_seconds)
    rows = []
    for rule, sizes in (("qmc_shared", (64, 512, 2048)), ("qmc", (32, 64, 128, 512))):
        for n_qmc in sizes:
            for seed in (1, 2):
                U, V, L, seconds = moments(feat, data, rule, n_qmc, seed)
                row = {"rule": rule, "n_qmc": n_qmc, "seed": seed, "seconds": seconds,
                       "U": float(torch.linalg.norm(U - U_ref) / torch.linalg.norm(U_ref)),
                       "V": float(torch.linalg.norm(V - V_ref) / torch.linalg.norm(V_ref)),
                       "l_star": abs(L - L_ref) / L_ref}
                rows.append(row)
                log.info("%-10s n_qmc=%5d seed %d: U %.2e  V %.2e  L* %.2e  (%.1f s)", rule, n_qmc, seed,
                         row["U"], row["V"], row["l_star"], seconds)
    report = {"p": args.p, "dim": DIM, "n_modes": 10, "reference_points_per_node": args.ref,
              "reference_seconds": ref_seconds, "rows": rows}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
