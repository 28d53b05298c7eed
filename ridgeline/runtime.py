"""The randomness of a run: every stochastic step draws from a stream derived from the config seed."""

import hashlib


def derived_seed(seed: int, stream: str) -> int:
    """A 63-bit seed for the named random ``stream`` of a run, derived from the config seed."""
    digest = hashlib.sha256(f"{int(seed)}/{stream}".encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def generator(seed: int, stream: str, device="cpu"):
    """A torch.Generator on ``device`` seeded for ``stream``; the only randomness a job uses."""
    import torch

    return torch.Generator(device=device).manual_seed(derived_seed(seed, stream))


class BlockStreams:
    """Generators for the sample blocks of a run: block 0 uses ``stream`` itself, block k its own.

    So a run that fits in one block draws exactly what a single generator for ``stream`` draws.
    """

    def __init__(self, seed: int, stream: str, device="cpu"):
        self.seed, self.stream, self.device = int(seed), stream, device

    def __call__(self, k: int):
        name = self.stream if k == 0 else f"{self.stream}/block{int(k)}"
        return generator(self.seed, name, self.device)
