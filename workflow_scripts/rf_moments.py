"""Moment matrices U, V, c and L* of one random-feature run (rule rf_moments)."""

from ridgeline.device import resolve_device
from ridgeline.io import read_store, write_store
from ridgeline.jobs import configure_job
from ridgeline.provenance import provenance
from ridgeline.rf.stages import moments_stage

log = configure_job(snakemake.log[0], snakemake.threads)
rf, times, w = snakemake.params.rf, snakemake.params.times, snakemake.wildcards
ds = moments_stage(read_store(snakemake.input.dataset)["points"].values, p=int(w.p), weighting=w.weighting, rf=rf,
                   T=times["T"], seed=int(w.seed), device=resolve_device(snakemake.params.device), logger=log)
write_store(ds, snakemake.output[0],
            provenance("rf_moments", {"rf": rf, **times, "p": int(w.p), "weighting": w.weighting}, int(w.seed)))
