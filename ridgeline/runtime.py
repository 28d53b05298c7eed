"""Job set-up shared by the workflow scripts: logging to the job's log file, threads, seeds."""

import hashlib
import logging
import sys


def configure_job(log_path=None, threads: int = 1, name: str = "ridgeline") -> logging.Logger:
    """Send log records to ``log_path`` (and to stderr when no path is given); set torch threads."""
    handler = logging.FileHandler(log_path, mode="w") if log_path else logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    if "torch" in sys.modules:  # jobs that never import torch (aggregates, reports) do not pay for it
        sys.modules["torch"].set_num_threads(max(1, int(threads)))
    logger = logging.getLogger(name)

    def log_uncaught(kind, value, tb):
        logger.critical("job failed: %s", value, exc_info=(kind, value, tb))
        sys.__excepthook__(kind, value, tb)

    sys.excepthook = log_uncaught
    return logger


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
