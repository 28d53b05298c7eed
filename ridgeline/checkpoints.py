"""Checkpoint files (.pt) that load without running code: tensors, numbers, strings, lists and dicts only.

``torch.load(weights_only=False)`` unpickles arbitrary objects, so a crafted file in a shared
results folder can run code when it is loaded. Every ridgeline checkpoint is saved with numpy
arrays and scalars turned into tensors and Python numbers, and loaded with ``weights_only=True``;
a file that needs more (an older ridgeline version stored its losses as a numpy array) is refused
with the rule that rebuilds it.
"""

import pickle

import numpy as np
import torch


class CheckpointError(ValueError):
    """A checkpoint that cannot be loaded safely, with the file and the fix in the message."""


def plain(value):
    """``value`` with numpy arrays as tensors and numpy scalars as Python numbers, recursively."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(plain(item) for item in value)
    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(value))
    if isinstance(value, np.generic):
        return value.item()
    return value


def save_checkpoint(payload: dict, path) -> None:
    """Write ``payload`` so that :func:`load_checkpoint` reads it back with ``weights_only=True``."""
    torch.save(plain(payload), path)


def load_checkpoint(path, device=None, rebuild: str = "the rule that wrote it") -> dict:
    """Load a checkpoint with ``weights_only=True``; refuse, naming the file and ``rebuild``, what needs more."""
    try:
        return torch.load(path, map_location=device or "cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        raise CheckpointError(
            f"'{path}' is not a plain checkpoint (it holds objects that would run code when loaded: "
            f"{str(err).splitlines()[0]}). Files written by earlier ridgeline versions stored numpy arrays; "
            f"delete it and rerun {rebuild} (snakemake --forcerun <rule>)") from None
