"""Train the MLP VAE and store the encoder means as latents (rule mnist_vae)."""

from ridgeline.device import resolve_device
from ridgeline.io import read_store, write_store
from ridgeline.jobs import configure_job
from ridgeline.latent.codes import vae_latents
from ridgeline.models.vae import save_vae
from ridgeline.provenance import provenance

log = configure_job(snakemake.log[0], snakemake.threads)
cfg, seed = snakemake.params.vae, int(snakemake.wildcards.seed)
data = read_store(snakemake.input[0])
model, ds = vae_latents(data["images"].values, data["labels"].values, **cfg, seed=seed,
                        device=resolve_device(snakemake.params.device), logger=log)
save_vae(model, snakemake.output.vae, provenance=provenance("mnist_vae", cfg, seed))
write_store(ds, snakemake.output.latents, provenance("mnist_vae", cfg, seed), finite=["points", "loss_history"],
            hint="The VAE training diverged: lower mnist.vae.lr or check the images.")
