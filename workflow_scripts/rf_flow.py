"""Closed-form gradient flow at every tau, losses and the normal/tangential split (rule rf_flow)."""

import math

import torch

from ridgeline.device import resolve_device
from ridgeline.io import read_store, write_store
from ridgeline.models import features_from_moments
from ridgeline.provenance import provenance
from ridgeline.rf.errors import excess_loss
from ridgeline.rf.stores import flow_dataset
from ridgeline.rf.flow import flow_times, flow_weights, initial_readout, loss, spectrum
from ridgeline.rf.quadrature import configured_quadrature
from ridgeline.jobs import configure_job

log = configure_job(snakemake.log[0], snakemake.threads)
rf, times, w = snakemake.params.rf, snakemake.params.times, snakemake.wildcards
seed, p = int(w.seed), int(w.p)
device = resolve_device(snakemake.params.device)
points = read_store(snakemake.input.dataset)["points"].values
mom = read_store(snakemake.input.moments)
dim = points.shape[1]
as64 = dict(dtype=torch.float64, device=device)
U, V = torch.as_tensor(mom["U"].values, **as64), torch.as_tensor(mom["V"].values, **as64)
features = features_from_moments(mom, device)
taus = flow_times(rf["taus"])
A0 = initial_readout(seed, dim, p, rf["init_scale"])
W0 = (A0 / math.sqrt(p)).to(device)
spec = spectrum(U, rf["eig_rel_tol"])
log.info("U: rank %d of %d (eigenvalues %.3g .. %.3g)", spec.rank, p, float(spec.values[spec.values > 0].min()),
         float(spec.values.max()))
W = flow_weights(spec, V, W0, taus)
q = rf["quadrature"]
quad = configured_quadrature(dim, times["T"], quadrature=q, t0=rf["t0"], n_frequencies=rf["n_frequencies"], seed=seed,
                             stream="rf-qmc")
ex = excess_loss(features, points, W, w.weighting, quad, snakemake.params.ridge_dim, q["rows"], log)
L = loss(U, V, float(mom["c"]), W).cpu().numpy()
total, normal, tangential = (v.cpu().numpy() for v in (ex.total, ex.normal, ex.tangential))
ds = flow_dataset(W.cpu().numpy(), W0.cpu().numpy(), spec.values.cpu().numpy(), L, float(mom["l_star"]),
                  (total, normal, tangential), taus, ex.direct_loss.cpu().numpy())
ds.attrs.update(rank=spec.rank, p=p, weighting=w.weighting)
for k, tau in enumerate(taus):
    log.info("tau=%g: loss %.5g excess %.5g (normal %.4g, tangential %.4g)", tau, L[k], total[k], normal[k],
             tangential[k])
write_store(ds, snakemake.output[0], provenance("rf_flow", {"rf": rf, **times, "p": p, "weighting": w.weighting}, seed))
