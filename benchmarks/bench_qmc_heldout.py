"""Held-out check of the QMC rules at the paper's size: does the readout fit the rule's points?

modes_d16 (10 random modes in D = 16), p features (2000), w_SM = 1, panel time rule. For the old
rule (512 Sobol points shared by all time nodes) and the new one (128 per node, scrambled
independently), W_inf is the minimizer of the loss under that rule. Each W_inf is then evaluated
under an independent, finer rule (512 per node, another seed): a rule whose own minimum is far below
its held-out loss has fitted its own points, and its architectural bias is underestimated.

Usage: python benchmarks/bench_qmc_heldout.py [--p 2000] [--out benchmarks/results/qmc_heldout.json]
(about 12 min on 2 cores)
"""

import argparse
import json
import logging
import math
import time
from pathlib import Path

import torch
from bench_qmc import DIM, K, T, T0, modes_d16_problem

from ridgeline.rf.flow import flow_weights, loss, spectrum
from ridgeline.rf.moments import rf_moments
from ridgeline.rf.quadrature import build_quadrature

log = logging.getLogger("bench_qmc_heldout")
RULES = {"shared_512": ("qmc_shared", 512, 1), "per_node_128": ("qmc", 128, 1), "held_out_per_node_512": ("qmc", 512, 2)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--p", type=int, default=2000)
    parser.add_argument("--out", default="benchmarks/results/qmc_heldout.json")
    args = parser.parse_args()
    data, feat = modes_d16_problem(args.p)
    moments = {}
    for name, (rule, n_qmc, seed) in RULES.items():
        quad = build_quadrature(DIM, T0, T, time_rule="panels", n_time=0, n_frequencies=K, z_rule=rule, z_order=0,
                                n_qmc=n_qmc, seed=seed)
        start = time.perf_counter()
        moments[name] = rf_moments(feat, data, weighting="1", quad=quad, logger=logging.getLogger("quiet"))
        log.info("%s: %.0f s", name, time.perf_counter() - start)
    held = moments.pop("held_out_per_node_512")
    zero = torch.zeros(DIM, args.p, dtype=torch.float64)
    report = {"p": args.p, "held_out_min_loss": float(loss(held.U, held.V, held.c, flow_weights(
        spectrum(held.U), held.V, zero, [math.inf]))[0]), "held_out_l_star": held.l_star}
    for name, mom in moments.items():
        W_inf = flow_weights(spectrum(mom.U), mom.V, zero, [math.inf])
        report[name] = {"own_min_loss": float(loss(mom.U, mom.V, mom.c, W_inf)[0]),
                        "held_out_loss": float(loss(held.U, held.V, held.c, W_inf)[0]), "l_star": mom.l_star}
        log.info("%s: own minimum %.4f, held-out loss of its W_inf %.4f (held-out minimum %.4f); L* %.4f (held out %.4f)",
                 name, report[name]["own_min_loss"], report[name]["held_out_loss"], report["held_out_min_loss"],
                 mom.l_star, held.l_star)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
