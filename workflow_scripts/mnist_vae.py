"""Train the MLP VAE and store the encoder means as latents (rule mnist_vae)."""

import numpy as np
import xarray as xr

from ridgeline import dims
from ridgeline.device import resolve_device
from ridgeline.io import read_store, variable, write_store
from ridgeline.models.vae import (decode, encode_posteriors, kl_per_dimension, reconstruction_bce, save_vae,
                                  train_vae)
from ridgeline.provenance import provenance
from ridgeline.jobs import configure_job
from ridgeline.runtime import generator

log = configure_job(snakemake.log[0], snakemake.threads)
cfg, seed = snakemake.params.vae, int(snakemake.wildcards.seed)
device = resolve_device(snakemake.params.device)
data = read_store(snakemake.input[0])
images = data["images"].values.astype(np.float64)
model, history = train_vae(images, cfg["latent_dim"], cfg["hidden"], cfg["epochs"], cfg["batch_size"], cfg["lr"],
                           generator=generator(seed, "vae"), device=device, logger=log)
means, logvars = encode_posteriors(model, images)
latents = means.numpy()
bce = reconstruction_bce(images, decode(model, latents)).numpy()
log.info("final epoch: loss %.2f (BCE %.2f + KL %.2f); mean-code reconstruction BCE %.2f", *history[-1].tolist(),
         bce.mean())
save_vae(model, snakemake.output.vae, provenance=provenance("mnist_vae", cfg, seed))
ds = xr.Dataset(
    {
        "points": variable(latents, (dims.TRAIN, dims.COORD), "latent codes (encoder means) of the training images",
                           "latent units"),
        "labels": variable(data["labels"].values, (dims.TRAIN,), "digit class", "1"),
        "loss_history": variable(history.numpy(), ("epoch", "loss_term"), "mean per-image loss per epoch", "nats"),
        "reconstruction_bce": variable(bce, (dims.TRAIN,), "BCE of the decoded encoder mean", "nats"),
        "kl_per_dim": variable(kl_per_dimension(means, logvars).numpy(), (dims.COORD,),
                               "mean KL(q(z_j | x) || N(0, 1)) of latent dimension j", "nats"),
        "posterior_variance": variable(logvars.exp().mean(0).numpy(), (dims.COORD,),
                                       "mean encoder variance of latent dimension j", "latent units^2"),
    },
    coords={"loss_term": np.asarray(["total", "bce", "kl"])},
)
write_store(ds, snakemake.output.latents, provenance("mnist_vae", cfg, seed), finite=["points", "loss_history"],
            hint="The VAE training diverged: lower mnist.vae.lr or check the images.")
