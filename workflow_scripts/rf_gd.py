"""Plain gradient descent on L(A) against the closed-form flow (rule rf_gd, experiment gd_vs_flow)."""

from ridgeline.device import resolve_device
from ridgeline.io import read_store, write_store
from ridgeline.jobs import configure_job
from ridgeline.provenance import provenance
from ridgeline.rf.stages import gd_stage

log = configure_job(snakemake.log[0], snakemake.threads)
rf, seed = snakemake.params.rf, int(snakemake.wildcards.seed)
ds = gd_stage(read_store(snakemake.input.moments), p=int(snakemake.wildcards.p), rf=rf, seed=seed,
              device=resolve_device(snakemake.params.device), logger=log)
write_store(ds, snakemake.output[0], provenance("rf_gd", rf, seed))
