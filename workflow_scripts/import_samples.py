"""Your own model's samples as a sample store, mapped onto ridgeline's OU process (rule import_samples)."""

from ridgeline.external import external_store, read_external
from ridgeline.io import read_store, write_store
from ridgeline.provenance import provenance
from ridgeline.jobs import configure_job

log = configure_job(snakemake.log[0])
entry, inputs = snakemake.params.entry, snakemake.input
points = read_store(inputs.dataset)["points"].values
times_file = inputs.times[0] if inputs.times else None
states, times = read_external(entry["name"], inputs.samples, times_file, entry["process"], points.shape[1])
log.info("external run %s: %d snapshots of %d samples in %d dimensions, OU times %.3g to %.3g", entry["name"],
         *states.shape, times[0], times[-1])
write_store(external_store(states, times), snakemake.output[0], provenance("import_samples", entry),
            finite=["states"])
