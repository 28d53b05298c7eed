"""Moment matrices U, V, c and L* of one random-feature run (rule rf_moments)."""

import xarray as xr

from ridgeline import dims
from ridgeline.device import resolve_device
from ridgeline.io import read_store, variable, write_store
from ridgeline.models import RandomFeatures
from ridgeline.provenance import provenance
from ridgeline.rf.moments import rf_moments
from ridgeline.rf.quadrature import configured_quadrature
from ridgeline.jobs import configure_job
from ridgeline.runtime import generator

log = configure_job(snakemake.log[0], snakemake.threads)
rf, times, w = snakemake.params.rf, snakemake.params.times, snakemake.wildcards
seed, p = int(w.seed), int(w.p)
device = resolve_device(snakemake.params.device)
points = read_store(snakemake.input.dataset)["points"].values
dim = points.shape[1]
features = RandomFeatures(dim, p, times["T"], rf["n_frequencies"], generator(seed, "rf-features"), device)
q = rf["quadrature"]
quad = configured_quadrature(dim, times["T"], quadrature=q, t0=rf["t0"], n_frequencies=rf["n_frequencies"], seed=seed,
                             stream="rf-qmc")
log.info("quadrature: %d time nodes x %d z nodes%s x %d points", quad.t.numel(), quad.z_weights.shape[0],
         " (a set per time node)" if quad.z.ndim == 3 else "", len(points))
mom = rf_moments(features, points, w.weighting, quad, q["rows"], log)
F, F2 = "feature", "feature2"
ds = xr.Dataset({
    "U": variable(mom.U.cpu().numpy(), (F, F2), "moment matrix U = E[lambda s s^T]"),
    "V": variable(mom.V.cpu().numpy(), (dims.COORD, F), "moment matrix V = E[lambda y s^T]", "length"),
    "c": variable(mom.c, (), "constant c = E[lambda |y|^2]", "length^2"),
    "l_star": variable(mom.l_star, (), "irreducible loss L* (exact posterior mean)", "length^2"),
    "n_evaluations": variable(mom.n_evaluations, (), "feature evaluations of the quadrature"),
    "W_x": variable(features.W_x.cpu().numpy(), (F, dims.COORD), "frozen input weights W_x"),
    "W_t": variable(features.W_t.cpu().numpy(), (F, "embedding"), "frozen time weights W_t"),
    "b": variable(features.b.cpu().numpy(), (F,), "frozen biases b"),
})
ds.attrs["T"] = times["T"]
write_store(ds, snakemake.output[0], provenance("rf_moments", {"rf": rf, **times, "p": p, "weighting": w.weighting}, seed))
