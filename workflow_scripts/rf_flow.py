"""Closed-form gradient flow at every tau, losses and the normal/tangential split (rule rf_flow)."""

import math

import numpy as np
import torch
import xarray as xr

from ridgeline import dims
from ridgeline.device import resolve_device
from ridgeline.io import read_store, variable, write_store
from ridgeline.models import RandomFeatures
from ridgeline.provenance import provenance
from ridgeline.rf_errors import excess_loss
from ridgeline.rf_flow import flow_weights, loss, spectrum
from ridgeline.rf_quadrature import build_quadrature
from ridgeline.jobs import configure_job
from ridgeline.runtime import derived_seed, generator

log = configure_job(snakemake.log[0], snakemake.threads)
rf, times, w = snakemake.params.rf, snakemake.params.times, snakemake.wildcards
seed, p = int(w.seed), int(w.p)
device = resolve_device(snakemake.params.device)
points = read_store(snakemake.input.dataset)["points"].values
mom = read_store(snakemake.input.moments)
dim = points.shape[1]
as64 = dict(dtype=torch.float64, device=device)
U, V = torch.as_tensor(mom["U"].values, **as64), torch.as_tensor(mom["V"].values, **as64)
features = RandomFeatures.from_arrays(mom["W_x"].values, mom["W_t"].values, mom["b"].values, mom.attrs["T"], device)
taus = sorted(set(float(t) for t in rf["taus"]) | {math.inf})
A0 = torch.randn(dim, p, generator=generator(seed, "rf-init"), dtype=torch.float64) * rf["init_scale"]
W0 = (A0 / math.sqrt(p)).to(device)
spec = spectrum(U, rf["eig_rel_tol"])
log.info("U: rank %d of %d (eigenvalues %.3g .. %.3g)", spec.rank, p, float(spec.values[spec.values > 0].min()),
         float(spec.values.max()))
W = flow_weights(spec, V, W0, taus)
q = rf["quadrature"]
quad = build_quadrature(dim, rf["t0"], times["T"], q["time_rule"], q["n_time"], rf["n_frequencies"],
                        q["z_rule"], q["z_order"], q["n_qmc"], derived_seed(seed, "rf-qmc") % 2**31)
ex = excess_loss(features, points, W, w.weighting, quad, snakemake.params.ridge_dim, q["rows"], log)
L = loss(U, V, float(mom["c"]), W).cpu().numpy()
total, normal, tangential = (v.cpu().numpy() for v in (ex.total, ex.normal, ex.tangential))
TAU, F = "tau", "feature"
unit = "length^2"
ds = xr.Dataset(
    {
        "W": variable(W.cpu().numpy(), (TAU, dims.COORD, F), "readout W(tau)"),
        "W0": variable(W0.cpu().numpy(), (dims.COORD, F), "initial readout W_0 = A_0 / sqrt(p)"),
        "eigenvalues": variable(spec.values.cpu().numpy(), (F,), "eigenvalues of U (clipped)"),
        "loss": variable(L, (TAU,), "loss L(W(tau))", unit),
        "l_star": variable(float(mom["l_star"]), (), "irreducible loss L*", unit),
        "excess": variable(total, (TAU,), "excess loss (1/D) E[lambda |m_W - m_t|^2]", unit),
        "excess_normal": variable(normal, (TAU,), "normal part of the excess loss", unit),
        "excess_tangential": variable(tangential, (TAU,), "tangential part of the excess loss", unit),
        "bias": variable(total[-1], (), "architectural bias L(W_inf) - L*", unit),
        "bias_normal": variable(normal[-1], (), "normal part of the architectural bias", unit),
        "bias_tangential": variable(tangential[-1], (), "tangential part of the architectural bias", unit),
        "optimization": variable(total - total[-1], (TAU,), "optimization error L(W(tau)) - L(W_inf)", unit),
        "optimization_normal": variable(normal - normal[-1], (TAU,), "normal part of the optimization error", unit),
        "optimization_tangential": variable(tangential - tangential[-1], (TAU,),
                                            "tangential part of the optimization error", unit),
        "loss_check": variable(ex.direct_loss.cpu().numpy(), (TAU,), "L(W) summed point by point", unit),
    },
    coords={TAU: variable(np.asarray(taus), (TAU,), "gradient-flow time tau")},
)
ds.attrs.update(rank=spec.rank, p=p, weighting=w.weighting)
for k, tau in enumerate(taus):
    log.info("tau=%g: loss %.5g excess %.5g (normal %.4g, tangential %.4g)", tau, L[k], total[k], normal[k],
             tangential[k])
write_store(ds, snakemake.output[0], provenance("rf_flow", {"rf": rf, **times, "p": p, "weighting": w.weighting}, seed))
