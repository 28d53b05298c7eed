"""Plain gradient descent on L(A) against the closed-form flow (rule rf_gd, experiment gd_vs_flow)."""

import math

import numpy as np
import torch
import xarray as xr

from ridgeline.device import resolve_device
from ridgeline.io import read_store, variable, write_store
from ridgeline.provenance import provenance
from ridgeline.rf_flow import flow_weights, gradient_descent, spectrum
from ridgeline.jobs import configure_job
from ridgeline.runtime import generator

log = configure_job(snakemake.log[0], snakemake.threads)
rf, w = snakemake.params.rf, snakemake.wildcards
gd = rf["gd_vs_flow"]
seed, p = int(w.seed), int(w.p)
device = resolve_device(snakemake.params.device)
mom = read_store(snakemake.input.moments)
U = torch.as_tensor(mom["U"].values, dtype=torch.float64, device=device)
V = torch.as_tensor(mom["V"].values, dtype=torch.float64, device=device)
dim = V.shape[0]
A0 = (torch.randn(dim, p, generator=generator(seed, "rf-init"), dtype=torch.float64) * rf["init_scale"]).to(device)
steps = [max(1, round(tau * dim / gd["eta"])) for tau in gd["taus"]]
log.info("GD with eta=%g: %d steps to tau=%g", gd["eta"], max(steps), max(gd["taus"]))
taus, A_gd = gradient_descent(U, V, A0, gd["eta"], steps)
spec = spectrum(U, rf["eig_rel_tol"])
A_flow = flow_weights(spec, V, A0 / math.sqrt(p), taus.tolist()) * math.sqrt(p)
gap = torch.linalg.norm(A_gd - A_flow, dim=(1, 2))
moved = torch.linalg.norm(A_flow - A0, dim=(1, 2))
for tau, g, m in zip(taus.tolist(), gap.tolist(), moved.tolist()):
    log.info("tau=%g: |A_GD - A_flow| = %.3g (flow moved %.3g)", tau, g, m)
ds = xr.Dataset(
    {
        "gap": variable(gap.cpu().numpy(), ("tau",), "|A_GD - A_flow| (Frobenius)"),
        "moved": variable(moved.cpu().numpy(), ("tau",), "|A_flow(tau) - A_0| (Frobenius)"),
        "steps": variable(np.asarray(steps), ("tau",), "GD steps"),
        "top_eigenvalue": variable(float(spec.values.max()) / p, (), "largest eigenvalue of U / p"),
    },
    coords={"tau": variable(taus.numpy(), ("tau",), "gradient-flow time tau = eta * steps / D")},
)
ds.attrs["eta"] = gd["eta"]
write_store(ds, snakemake.output[0], provenance("rf_gd", rf, seed))
