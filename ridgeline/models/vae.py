"""MLP variational autoencoder for 28 x 28 images (docs/science.md 4d): 784-400-200-latent.

Loss per image: binary cross-entropy of the decoder's Bernoulli logits (summed over pixels) plus
KL(q(z|x) || N(0, I)); Adam. The latent codes used downstream are the encoder means.
"""

import logging

import torch
from torch import nn

from ..checkpoints import load_checkpoint, save_checkpoint
from ..progress import Progress

log = logging.getLogger(__name__)


class VAE(nn.Module):
    """Encoder 784 -> hidden... -> (mu, log var) of size ``latent``; decoder mirrored, logits out.

    Parameters
    ----------
    latent : latent dimension. hidden : widths of the hidden layers (encoder order).
    pixels : input size (784). generator : torch.Generator for the initial weights.
    """

    def __init__(self, latent: int = 32, hidden=(400, 200), pixels: int = 784, generator=None):
        super().__init__()
        self.hparams = dict(latent=latent, hidden=list(hidden), pixels=pixels)
        self.encoder = _mlp([pixels, *hidden])
        self.to_stats = nn.Linear(hidden[-1], 2 * latent)
        self.decoder = nn.Sequential(_mlp([latent, *hidden[::-1]]), nn.Linear(hidden[0], pixels))
        if generator is not None:
            with torch.no_grad():
                for p in self.parameters():
                    bound = 1.0 / max(1, p.shape[-1]) ** 0.5
                    p.copy_(torch.rand(p.shape, generator=generator) * 2 * bound - bound)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mu, log var) of q(z | x); x (B, 784) -> two (B, latent)."""
        return self.to_stats(self.encoder(x)).chunk(2, dim=1)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """Bernoulli logits (B, 784) of p(x | z)."""
        return self.decoder(z)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Mean image (B, 784) in [0, 1]."""
        return torch.sigmoid(self.decode_logits(z))

    def loss(self, x: torch.Tensor, noise: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Mean over the batch of (BCE + KL, BCE, KL), with reparametrization noise (B, latent)."""
        mu, logvar = self.encode(x)
        z = mu + (0.5 * logvar).exp() * noise
        bce = nn.functional.binary_cross_entropy_with_logits(self.decode_logits(z), x, reduction="none").sum(1)
        kl = 0.5 * (mu**2 + logvar.exp() - 1.0 - logvar).sum(1)
        return (bce + kl).mean(), bce.mean(), kl.mean()


def _mlp(widths) -> nn.Sequential:
    layers = []
    for a, b in zip(widths[:-1], widths[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers)


def train_vae(images, *, latent_dim=32, hidden=(400, 200), epochs=30, batch_size=128, lr=1e-3, generator=None,
              device=None, logger=log):
    """Train a :class:`VAE` on images (n, 784) in [0, 1] (float32 on ``device``).

    Returns (model, losses) with the mean loss, BCE and KL per epoch as an (epochs, 3) tensor.
    ``generator`` (CPU) fixes the initial weights, the batch order and the noise.
    """
    x = torch.as_tensor(images, dtype=torch.float32, device=device)
    latent = int(latent_dim)
    model = VAE(latent, hidden, x.shape[1], generator=generator).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    n = x.shape[0]
    history = torch.zeros(epochs, 3)
    with Progress(epochs, "train VAE", logger) as bar:
        for epoch in range(epochs):
            order = torch.randperm(n, generator=generator).to(device)
            total = torch.zeros(3, device=device)
            for idx in order.split(batch_size):
                noise = torch.randn(len(idx), latent, generator=generator).to(device)
                loss, bce, kl = model.loss(x[idx], noise)
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += torch.stack([loss, bce, kl]).detach() * len(idx)
            history[epoch] = (total / n).cpu()
            bar.update(1, loss=float(history[epoch, 0]))
    return model.eval(), history


@torch.no_grad()
def encode_posteriors(model: VAE, images, batch: int = 4096) -> tuple[torch.Tensor, torch.Tensor]:
    """Encoder means and log variances of q(z | x), each (n, latent), float64 on the CPU."""
    device = next(model.parameters()).device
    x = torch.as_tensor(images, dtype=torch.float32)
    parts = [model.encode(xb.to(device)) for xb in x.split(batch)]
    return tuple(torch.cat([p[i].double().cpu() for p in parts]) for i in range(2))


def encode_means(model: VAE, images, batch: int = 4096) -> torch.Tensor:
    """Encoder means (n, latent), float64 on the CPU."""
    return encode_posteriors(model, images, batch)[0]


def kl_per_dimension(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Mean over images of KL(q(z_j | x) || N(0, 1)) per latent dimension j: (n, latent) -> (latent,) nats.

    A dimension whose KL is near zero carries no information about the image (posterior collapse).
    """
    return (0.5 * (mu**2 + logvar.exp() - 1.0 - logvar)).mean(0)


@torch.no_grad()
def decode(model: VAE, latents, batch: int = 4096) -> torch.Tensor:
    """Decoded mean images (n, 784) in [0, 1], float64 on the CPU."""
    device = next(model.parameters()).device
    z = torch.as_tensor(latents, dtype=torch.float32)
    return torch.cat([model.decode(zb.to(device)).double().cpu() for zb in z.split(batch)])


def reconstruction_bce(images, decoded, floor: float = 1e-12) -> torch.Tensor:
    """Per-image binary cross-entropy (n,) in nats of ``decoded`` means (n, 784) against ``images``,
    with probabilities clipped to [floor, 1 - floor]."""
    x = torch.as_tensor(images, dtype=torch.float64)
    p = torch.as_tensor(decoded, dtype=torch.float64)
    return -(x * p.clamp(floor, 1).log() + (1 - x) * (1 - p).clamp(floor, 1).log()).sum(1)


def save_vae(model: VAE, path, **extra) -> None:
    save_checkpoint({"hparams": model.hparams, "state_dict": model.state_dict(), **extra}, path)


def load_vae(path, device=None) -> VAE:
    ckpt = load_checkpoint(path, device, "mnist_vae")
    model = VAE(**ckpt["hparams"])
    model.load_state_dict(ckpt["state_dict"])
    return model.to(device or "cpu").eval()
