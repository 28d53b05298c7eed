"""Random-feature posterior-mean model with frozen features (docs/science.md 4b).

m(x, t) = W relu(W_x x + W_t phi(t) + b),  W = A / sqrt(p) in R^{D x p} trained; frozen
W_x ~ N(0, 1/D), W_t ~ N(0, 1/(2K+1)), b ~ N(0, 1), and the Fourier time embedding
phi(t) = [1, sin(2 pi k t / T), cos(2 pi k t / T)]_{k=1..K}. score = (m - x) / h_t.
"""

import math
import threading

import torch

from ..forward import variance


class RandomFeatures:
    """The frozen feature map s(x, t) = relu(W_x x + W_t phi(t) + b) in R^p.

    Parameters
    ----------
    dim : D. n_features : p. T : period scale of the time embedding. n_frequencies : K.
    generator : torch.Generator (CPU) for the frozen weights. device : where features are computed.
    """

    def __init__(self, dim: int, n_features: int, T: float, n_frequencies: int = 128, generator=None,
                 device=None):
        self.dim, self.p, self.T, self.K = int(dim), int(n_features), float(T), int(n_frequencies)
        width = 2 * self.K + 1
        f64 = dict(dtype=torch.float64, generator=generator)
        self.W_x = (torch.randn(self.p, self.dim, **f64) / math.sqrt(self.dim)).to(device)
        self.W_t = (torch.randn(self.p, width, **f64) / math.sqrt(width)).to(device)
        self.b = torch.randn(self.p, **f64).to(device)
        self.k = torch.arange(1, self.K + 1, dtype=torch.float64, device=device)

    @property
    def device(self):
        return self.W_x.device

    def time_embedding(self, t: torch.Tensor) -> torch.Tensor:
        """phi(t) = [1, sin(2 pi k t/T), cos(2 pi k t/T)]; (J,) -> (J, 2K + 1)."""
        phase = 2 * math.pi * t[:, None] * self.k[None, :] / self.T
        return torch.cat([torch.ones_like(t)[:, None], torch.sin(phase), torch.cos(phase)], dim=1)

    def time_offsets(self, t: torch.Tensor) -> torch.Tensor:
        """W_t phi(t) + b for times t (J,); shape (J, p)."""
        return self.time_embedding(t) @ self.W_t.T + self.b

    def __call__(self, x: torch.Tensor, t) -> torch.Tensor:
        """Features s(x, t); x (B, D), t scalar or (B,) -> (B, p)."""
        t = torch.as_tensor(t, dtype=torch.float64, device=x.device)
        return self.with_offsets(x, self.time_offsets(t.reshape(-1)))

    def with_offsets(self, x: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
        """relu(W_x x + offsets) with precomputed offsets (1, p) or (B, p); shape (B, p)."""
        return torch.relu(torch.addmm(offsets, x, self.W_x.T) if offsets.shape[0] == 1 else x @ self.W_x.T + offsets)

    @classmethod
    def from_arrays(cls, W_x, W_t, b, T: float, device=None) -> "RandomFeatures":
        """Rebuild frozen features from stored weights W_x (p, D), W_t (p, 2K + 1), b (p,)."""
        obj = cls.__new__(cls)
        as64 = dict(dtype=torch.float64, device=device)
        obj.W_x, obj.W_t, obj.b = (torch.as_tensor(v, **as64) for v in (W_x, W_t, b))
        obj.p, obj.dim = obj.W_x.shape
        obj.T, obj.K = float(T), (obj.W_t.shape[1] - 1) // 2
        obj.k = torch.arange(1, obj.K + 1, **as64)
        return obj


def features_from_moments(moments, device=None) -> RandomFeatures:
    """The frozen features a moments store (rule rf_moments) was computed with."""
    return RandomFeatures.from_arrays(moments["W_x"].values, moments["W_t"].values, moments["b"].values,
                                      moments.attrs["T"], device)


class RFScore:
    """Score-model interface for readout weights W (D, p), or a stack (G, D, p) of G models.

    With a stack, x holds G groups of equal size (G * B, D), group g evaluated with W[g]; this
    samples every tau of a sweep in one batched run. Features are formed in chunks of ``chunk``
    rows in one reused buffer, so that the (chunk, p) activations stay in cache and no memory is
    allocated per chunk (fresh multi-MB allocations cost page faults that made sampling up to 10x
    slower, depending on the allocator's state). The buffer is per thread, so that threads (see
    :mod:`ridgeline.parallel`) may evaluate one model at the same time.
    """

    def __init__(self, features: RandomFeatures, W: torch.Tensor, chunk: int = 256):
        self.features = features
        self.W = W.to(features.device, torch.float64)
        self.W = self.W[None] if self.W.ndim == 2 else self.W
        self.chunk = chunk
        self._local = threading.local()

    def posterior_mean(self, x: torch.Tensor, t) -> torch.Tensor:
        t = torch.as_tensor(t, dtype=torch.float64, device=x.device)
        if t.ndim:
            return torch.cat([self._group_mean(xg, tg, W) for xg, tg, W in
                              zip(x.chunk(len(self.W)), t.chunk(len(self.W)), self.W)])
        offsets = self.features.time_offsets(t.reshape(1))
        out = torch.empty_like(x)
        W_x = self.features.W_x.T
        for xg, og, W in zip(x.chunk(len(self.W)), out.chunk(len(self.W)), self.W):
            for xc, oc in zip(xg.split(self.chunk), og.split(self.chunk)):
                buf = self._buffer()[: xc.shape[0]]
                torch.addmm(offsets, xc, W_x, out=buf).relu_()
                torch.mm(buf, W.T, out=oc)
        return out

    def _buffer(self) -> torch.Tensor:
        """This thread's (chunk, p) activation buffer."""
        buf = getattr(self._local, "buffer", None)
        if buf is None:
            buf = torch.empty(self.chunk, self.features.p, dtype=torch.float64, device=self.features.device)
            self._local.buffer = buf
        return buf

    def _group_mean(self, x, t, W):
        return self.features(x, t) @ W.T

    def score(self, x: torch.Tensor, t) -> torch.Tensor:
        h = variance(torch.as_tensor(t, dtype=torch.float64, device=x.device))
        h = h.reshape(-1, 1) if h.ndim else h
        return (self.posterior_mean(x, t) - x) / h
