"""Sample latents from a latent score model (the network or a baseline) with snapshots (rule mnist_sample)."""

from ridgeline.device import resolve_device
from ridgeline.io import read_store
from ridgeline.jobs import configure_job
from ridgeline.models.loading import is_latent_network
from ridgeline.sample_runs import latent_sample_stage

log = configure_job(snakemake.log[0], snakemake.threads)
name = snakemake.wildcards.latent
source = snakemake.input[0] if is_latent_network(name) else read_store(snakemake.input[0])["points"].values
latent_sample_stage(snakemake.output[0], source, model=name, sampling=snakemake.params.sampling,
                    seed=int(snakemake.wildcards.seed), device=resolve_device(snakemake.params.device), logger=log)
