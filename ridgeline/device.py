"""Choose the torch device once, at the edge, and pass it down."""

import torch


def resolve_device(name: str = "auto") -> torch.device:
    """Return the torch device for ``name``.

    Parameters
    ----------
    name : {"auto", "cpu", "cuda", "cuda:N"}
        ``auto`` picks CUDA when it is available, else the CPU.
    """
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(
            f"device '{name}' was requested but CUDA is not available; "
            "set `device: auto` or `device: cpu` in the config."
        )
    return torch.device(name)
