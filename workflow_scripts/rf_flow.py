"""Closed-form gradient flow at every tau, losses and the normal/tangential split (rule rf_flow)."""

from ridgeline.device import resolve_device
from ridgeline.io import read_store, write_store
from ridgeline.jobs import configure_job
from ridgeline.provenance import provenance
from ridgeline.rf.stages import flow_stage

log = configure_job(snakemake.log[0], snakemake.threads)
rf, times, w = snakemake.params.rf, snakemake.params.times, snakemake.wildcards
ds = flow_stage(read_store(snakemake.input.dataset)["points"].values, read_store(snakemake.input.moments), p=int(w.p),
                weighting=w.weighting, rf=rf, T=times["T"], ridge_dim=snakemake.params.ridge_dim, seed=int(w.seed),
                device=resolve_device(snakemake.params.device), logger=log)
write_store(ds, snakemake.output[0],
            provenance("rf_flow", {"rf": rf, **times, "p": int(w.p), "weighting": w.weighting}, int(w.seed)))
