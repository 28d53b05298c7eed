"""Resolve a dataset entry to a validated point set and store it (rule prepare_dataset)."""

from ridgeline.datasets import dataset_store
from ridgeline.io import write_store
from ridgeline.provenance import provenance
from ridgeline.jobs import configure_job

configure_job(snakemake.log[0])
entry = snakemake.params.entry
write_store(dataset_store(**entry), snakemake.output[0], provenance("prepare_dataset", entry), finite=["points"])
