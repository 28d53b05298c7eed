"""A small diffusion model trained outside ridgeline: plain torch, DDPM-style noise prediction on
the continuous VP SDE (beta from 0.1 to 20, s in [0, 1]), then sampled with its own reverse SDE.

It writes what any model of yours would give ridgeline:
  train.npy       (n, 2)           the training points
  samples.npy     (n_samples, 2)   final samples
  trajectory.npy  (S, n_samples, 2) snapshots of the same runs
  times.npy       (S,)             their times s in the model's own convention

Usage: python examples/own_model/train_ddpm.py OUT_DIR [--steps 1500] [--samples 1000]
then:  ridgeline analyze --train OUT_DIR/train.npy --samples OUT_DIR/trajectory.npy \\
           --times OUT_DIR/times.npy --process vp_linear:0.1,20 --out OUT_DIR/analysis.zarr
"""

import argparse
import math
from pathlib import Path

import numpy as np
import torch
from torch import nn

BETA_MIN, BETA_MAX = 0.1, 20.0
#: seven points on two crossing segments: a set ridgeline does not ship
POINTS = [(-3.0, -3.0), (-1.5, -1.5), (0.0, 0.0), (1.5, 1.5), (3.0, 3.0), (-3.0, 3.0), (3.0, -3.0)]


def log_alpha(s):
    """log alpha(s) of the VP SDE: alpha(s)^2 = exp(-beta_min s - (beta_max - beta_min) s^2 / 2)."""
    return -0.5 * (BETA_MIN * s + 0.5 * (BETA_MAX - BETA_MIN) * s * s)


class NoiseNet(nn.Module):
    """eps(x, s): an MLP on (x, Fourier features of s)."""

    def __init__(self, dim=2, width=256, n_freq=16):
        super().__init__()
        self.register_buffer("freq", torch.randn(n_freq, generator=torch.Generator().manual_seed(0)) * 16.0)
        self.net = nn.Sequential(nn.Linear(dim + 2 * n_freq, width), nn.SiLU(), nn.Linear(width, width), nn.SiLU(),
                                 nn.Linear(width, width), nn.SiLU(), nn.Linear(width, dim))

    def forward(self, x, s):
        phase = s.reshape(-1, 1) * self.freq[None]
        return self.net(torch.cat([x, torch.sin(phase), torch.cos(phase)], dim=1))


def train(model, data, steps, batch=256, lr=2e-3, seed=0):
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for step in range(steps):
        x0 = data[torch.randint(len(data), (batch,), generator=gen)]
        s = torch.rand(batch, generator=gen) * (1 - 1e-3) + 1e-3
        a = torch.exp(log_alpha(s))[:, None]
        z = torch.randn(x0.shape, generator=gen)
        loss = ((model(a * x0 + torch.sqrt(1 - a * a) * z, s) - z) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 1000 == 0:
            print(f"step {step}: loss {loss.item():.4f}")
    return model


@torch.no_grad()
def sample(model, n, n_steps=1000, n_snapshots=20, s_end=1e-3, seed=1):
    """Euler-Maruyama of the reverse VP SDE dx = [-beta x / 2 - beta score] ds + sqrt(beta) dW, s: 1 -> s_end."""
    gen = torch.Generator().manual_seed(seed)
    s_grid = torch.linspace(1.0, s_end, n_steps + 1)
    # snapshots log-spaced in s, each on its nearest grid node
    keep = {int((s_grid - s).abs().argmin()) for s in np.geomspace(1.0, s_end, n_snapshots)}
    x = torch.randn(n, 2, generator=gen)
    snaps, times = [], []
    for i in range(n_steps + 1):
        if i in keep:
            snaps.append(x.clone())
            times.append(float(s_grid[i]))
        if i == n_steps:
            break
        s, ds = s_grid[i], s_grid[i] - s_grid[i + 1]
        beta = BETA_MIN + s * (BETA_MAX - BETA_MIN)
        sigma = math.sqrt(-math.expm1(2 * log_alpha(float(s))))
        score = -model(x, s.expand(n)) / sigma
        x = x + (0.5 * beta * x + beta * score) * ds + torch.sqrt(beta * ds) * torch.randn(x.shape, generator=gen)
    return torch.stack(snaps).numpy(), np.asarray(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--samples", type=int, default=1000)
    args = parser.parse_args()
    torch.manual_seed(0)
    data = torch.tensor(POINTS, dtype=torch.float32)
    model = train(NoiseNet(), data, args.steps)
    trajectory, times = sample(model, args.samples)
    args.out.mkdir(parents=True, exist_ok=True)
    np.save(args.out / "train.npy", data.numpy().astype(np.float64))
    np.save(args.out / "samples.npy", trajectory[-1].astype(np.float64))
    np.save(args.out / "trajectory.npy", trajectory.astype(np.float64))
    np.save(args.out / "times.npy", times)
    print(f"wrote {args.out}/train.npy, samples.npy, trajectory.npy {trajectory.shape}, times.npy")


if __name__ == "__main__":
    main()
