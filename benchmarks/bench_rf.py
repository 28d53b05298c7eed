"""Random-feature benchmarks: quadrature vs Monte Carlo for U, and many taus vs one tau.

1. Relative error of U (Frobenius) against a fine reference rule, for the Gauss-Hermite x
   Gauss-Legendre-panel quadrature at increasing orders and for plain Monte Carlo at increasing
   sample counts; reports the feature evaluations each needs for a relative error of 1e-3.
2. Cost of W(tau) for 8 taus from one eigendecomposition vs one tau, and vs one matrix
   exponential per tau.

Usage: python benchmarks/bench_rf.py [--p 500] [--weighting h] [--out benchmarks/results/rf.json]
"""

import argparse
import json
import logging
import math
import time
from pathlib import Path

import numpy as np
import torch

from ridgeline.datasets import named_set
from ridgeline.forward import alpha, score_matching_weight, variance
from ridgeline.models import RandomFeatures
from ridgeline.rf.flow import flow_weights, spectrum
from ridgeline.rf.moments import rf_moments
from ridgeline.rf.quadrature import Quadrature, gauss_hermite_normal, panel_rule

log = logging.getLogger("bench_rf")
T, T0, K = 10.0, 1e-3, 128


def quadrature_U(feat, data, weighting, z_order, panel_order, geometric_panels):
    t, wt = panel_rule(T0, T, K, order=panel_order, geometric_panels=geometric_panels)
    z, wz = gauss_hermite_normal(2, z_order)
    mom = rf_moments(feat, data, weighting=weighting, quad=Quadrature(t, wt, z, wz), logger=logging.getLogger("quiet"))
    return mom.U, mom.n_evaluations


def monte_carlo_U(feat, data, weighting, n, seed, chunk=50_000):
    """Plain MC: t ~ U[t0, T], i uniform, z ~ N(0, I); U = (T - t0) mean(lambda s s^T)."""
    g = torch.Generator().manual_seed(seed)
    U = torch.zeros(feat.p, feat.p, dtype=torch.float64)
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        t = T0 + (T - T0) * torch.rand(m, generator=g, dtype=torch.float64)
        i = torch.randint(data.shape[0], (m,), generator=g)
        a, h = alpha(t)[:, None], variance(t)[:, None]
        x = a * data[i] + h.sqrt() * torch.randn(m, 2, generator=g, dtype=torch.float64)
        lam = (T - T0) * score_matching_weight(weighting, h[:, 0]) / h[:, 0] ** 2 / n
        s = feat(x, t)
        U += s.T @ (lam[:, None] * s)
    return U


def rel(a, b):
    return float(torch.linalg.norm(a - b) / torch.linalg.norm(b))


def quadrature_study(p, weighting):
    data = torch.as_tensor(named_set("two_mode"))
    feat = RandomFeatures(2, p, T, K, generator=torch.Generator().manual_seed(0))
    U_ref, n_ref = quadrature_U(feat, data, weighting, 16, 8, 64)
    quad_rows = []
    for z_order, panel_order, geo in [(2, 2, 8), (3, 2, 12), (4, 3, 16), (6, 4, 24), (8, 4, 24), (10, 6, 32)]:
        U, n = quadrature_U(feat, data, weighting, z_order, panel_order, geo)
        quad_rows.append({"z_order": z_order, "panel_order": panel_order, "geometric_panels": geo,
                          "evaluations": n, "rel_error": rel(U, U_ref)})
        log.info("quadrature GH %d, GL %d: %9d evaluations, rel. error %.2e", z_order, panel_order, n,
                 quad_rows[-1]["rel_error"])
    mc_rows = []
    for n in [10_000, 40_000, 160_000, 640_000]:
        errs = [rel(monte_carlo_U(feat, data, weighting, n, seed), U_ref) for seed in range(3)]
        mc_rows.append({"evaluations": n, "rel_error": float(np.mean(errs))})
        log.info("Monte Carlo: %9d evaluations, rel. error %.2e", n, mc_rows[-1]["rel_error"])
    # MC error ~ C / sqrt(n): evaluations needed for 1e-3
    c = np.mean([r["rel_error"] * math.sqrt(r["evaluations"]) for r in mc_rows])
    mc_needed = (c / 1e-3) ** 2
    quad_needed = min((r["evaluations"] for r in quad_rows if r["rel_error"] <= 1e-3), default=float("nan"))
    log.info("evaluations for 1e-3: quadrature %d, Monte Carlo %.3g (fit C/sqrt(n)): ratio %.0fx",
             quad_needed, mc_needed, mc_needed / quad_needed)
    return {"p": p, "weighting": weighting, "reference_evaluations": n_ref, "quadrature": quad_rows,
            "monte_carlo": mc_rows, "mc_constant": c, "evaluations_for_1e-3": {
                "quadrature": quad_needed, "monte_carlo": mc_needed, "ratio": mc_needed / quad_needed}}


def flow_study(p):
    g = torch.Generator().manual_seed(1)
    B = torch.randn(p, p, generator=g, dtype=torch.float64)
    U = B @ B.T / p
    V = torch.randn(2, p, generator=g, dtype=torch.float64)
    W0 = torch.randn(2, p, generator=g, dtype=torch.float64) / math.sqrt(p)
    taus = [50, 100, 200, 500, 1000, 2000, 5000, math.inf]

    def timed(fn):
        start = time.perf_counter()
        out = fn()
        return time.perf_counter() - start, out

    t_one, _ = timed(lambda: flow_weights(spectrum(U), V, W0, [taus[0]]))
    t_all, W = timed(lambda: flow_weights(spectrum(U), V, W0, taus))
    spec = spectrum(U)
    W_inf = W[-1]

    def expm_all():
        return [W_inf + (W0 - W_inf) @ torch.linalg.matrix_exp(-2.0 * tau * U / p) for tau in taus[:-1]]

    t_expm, W_expm = timed(expm_all)
    err = max(rel(a, b) for a, b in zip(W_expm, W[:-1]))
    log.info("flow p=%d: 1 tau %.2f s, 8 taus %.2f s (ratio %.2f); matrix_exp per tau %.2f s (%.1fx slower), "
             "max rel. difference %.1e", p, t_one, t_all, t_all / t_one, t_expm, t_expm / t_all, err)
    return {"p": p, "one_tau_s": t_one, "eight_taus_s": t_all, "ratio_8_to_1": t_all / t_one,
            "matrix_exp_per_tau_s": t_expm, "speedup_vs_matrix_exp": t_expm / t_all, "max_rel_diff": err,
            "rank": spec.rank}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--p", type=int, default=500)
    parser.add_argument("--flow-p", type=int, default=2000)
    parser.add_argument("--weighting", default="h")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default="benchmarks/results/rf.json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("quiet").setLevel(logging.WARNING)
    torch.set_num_threads(args.threads)
    report = {"flow": flow_study(args.flow_p), "quadrature": quadrature_study(args.p, args.weighting)}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
