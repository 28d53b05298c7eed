"""The latent codes of an image set: train the VAE, encode every image by its posterior mean, and
record the loss history, the reconstruction of the mean code and the per-dimension KL and
variance (rule mnist_vae; docs/method.md, "MNIST latents")."""

import logging

import numpy as np
import xarray as xr

from .. import dims
from ..io import variable
from ..models.vae import VAE, decode, encode_posteriors, kl_per_dimension, reconstruction_bce, train_vae
from ..runtime import generator

log = logging.getLogger(__name__)


def vae_latents(images, labels, *, latent_dim: int, hidden, epochs: int, batch_size: int, lr: float, seed: int,
                device=None, logger=log) -> tuple[VAE, xr.Dataset]:
    """Train the VAE on ``images`` and return it with the latent store.

    Parameters
    ----------
    images : (n, 784) pixel intensities in [0, 1]. labels : (n,) classes, carried into the store.
    latent_dim, hidden, epochs, batch_size, lr : the ``mnist.vae`` config keys.
    seed : the run's seed; the stream ``vae`` fixes the weights, the batch order and the noise.

    Returns
    -------
    (model, dataset) with ``points`` (train, coord) the encoder means, ``labels`` (train,),
    ``loss_history`` (epoch, loss_term), ``reconstruction_bce`` (train,), ``kl_per_dim`` and
    ``posterior_variance`` (coord,).
    """
    images = np.asarray(images, dtype=np.float64)
    model, history = train_vae(images, latent_dim=latent_dim, hidden=hidden, epochs=epochs, batch_size=batch_size,
                               lr=lr, generator=generator(seed, "vae"), device=device, logger=logger)
    means, logvars = encode_posteriors(model, images)
    latents = means.numpy()
    bce = reconstruction_bce(images, decode(model, latents)).numpy()
    logger.info("final epoch: loss %.2f (BCE %.2f + KL %.2f); mean-code reconstruction BCE %.2f",
                *history[-1].tolist(), bce.mean())
    ds = xr.Dataset(
        {
            "points": variable(latents, (dims.TRAIN, dims.COORD),
                               "latent codes (encoder means) of the training images", "latent units"),
            "labels": variable(np.asarray(labels), (dims.TRAIN,), "digit class", "1"),
            "loss_history": variable(history.numpy(), (dims.EPOCH, dims.LOSS_TERM), "mean per-image loss per epoch",
                                     "nats"),
            "reconstruction_bce": variable(bce, (dims.TRAIN,), "BCE of the decoded encoder mean", "nats"),
            "kl_per_dim": variable(kl_per_dimension(means, logvars).numpy(), (dims.COORD,),
                                   "mean KL(q(z_j | x) || N(0, 1)) of latent dimension j", "nats"),
            "posterior_variance": variable(logvars.exp().mean(0).numpy(), (dims.COORD,),
                                           "mean encoder variance of latent dimension j", "latent units^2"),
        },
        coords={dims.LOSS_TERM: np.asarray(["total", "bce", "kl"])},
    )
    return model, ds
