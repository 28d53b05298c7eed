"""Plain gradient descent on L(A) against the closed-form flow (rule rf_gd, experiment gd_vs_flow)."""

import math

import torch

from ridgeline.device import resolve_device
from ridgeline.io import read_store, write_store
from ridgeline.provenance import provenance
from ridgeline.rf.flow import flow_weights, gd_steps, gradient_descent, initial_readout, spectrum
from ridgeline.rf.stores import gd_dataset
from ridgeline.jobs import configure_job

log = configure_job(snakemake.log[0], snakemake.threads)
rf, w = snakemake.params.rf, snakemake.wildcards
gd = rf["gd_vs_flow"]
seed, p = int(w.seed), int(w.p)
device = resolve_device(snakemake.params.device)
mom = read_store(snakemake.input.moments)
U = torch.as_tensor(mom["U"].values, dtype=torch.float64, device=device)
V = torch.as_tensor(mom["V"].values, dtype=torch.float64, device=device)
dim = V.shape[0]
A0 = initial_readout(seed, dim, p, rf["init_scale"]).to(device)
steps = gd_steps(gd["taus"], dim, gd["eta"])
log.info("GD with eta=%g: %d steps to tau=%g", gd["eta"], max(steps), max(gd["taus"]))
taus, A_gd = gradient_descent(U, V, A0, gd["eta"], steps)
spec = spectrum(U, rf["eig_rel_tol"])
A_flow = flow_weights(spec, V, A0 / math.sqrt(p), taus.tolist()) * math.sqrt(p)
gap = torch.linalg.norm(A_gd - A_flow, dim=(1, 2))
moved = torch.linalg.norm(A_flow - A0, dim=(1, 2))
for tau, g, m in zip(taus.tolist(), gap.tolist(), moved.tolist()):
    log.info("tau=%g: |A_GD - A_flow| = %.3g (flow moved %.3g)", tau, g, m)
ds = gd_dataset(taus.numpy(), gap.cpu().numpy(), moved.cpu().numpy(), steps, float(spec.values.max()) / p, gd["eta"])
write_store(ds, snakemake.output[0], provenance("rf_gd", rf, seed))
