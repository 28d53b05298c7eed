"""Neural training-length sweep: where the checkpoints of one training run put their samples.

Along one training run the network goes from under-trained (samples off the ridge) through
generalizing (samples on ridge segments between training points) to memorizing (samples on the
training points). For every checkpoint the sweep samples the reverse process, classifies the
final samples (:func:`ridgeline.metrics.classify_final_samples`) and measures the excess loss
split into normal and tangential parts (:func:`ridgeline.rf.errors.excess_loss_split`); the
checkpoint with the largest inter-mode fraction is the run's *generalizing* model.
"""

import numpy as np
import torch
import xarray as xr

from . import dims
from .io import variable
from .metrics import CLASSES, classify_final_samples
from .rf.errors import ExcessLoss
from .sampling import sample_in_blocks

STEP = "step"


def final_samples(stack, n_models: int, n_samples: int, dim: int, grid, method: str, streams,
                  block_samples: int, device=None, logger=None) -> torch.Tensor:
    """Final reverse-process samples of a stack of ``n_models`` score models; (K, n_samples, D).

    Rows are group-major (:func:`ridgeline.sampling.sample_in_blocks` with ``group_size`` K): each
    model gets its own draws from the block's stream.
    """
    out = torch.empty(n_models, n_samples, dim, dtype=torch.float64)
    last = len(grid) - 1

    def record(slot, samples, y):
        out[:, samples] = y.reshape(n_models, -1, dim).cpu()

    kwargs = {} if logger is None else {"logger": logger}
    sample_in_blocks(stack, n_samples, dim, grid, torch.tensor([last]), method, streams, record,
                     block_samples, device, group_size=n_models, **kwargs)
    return out


def sweep_dataset(data, finals: torch.Tensor, steps, excess: ExcessLoss, ridge_dim: int, cfg: dict) -> xr.Dataset:
    """Final classes, distances to the reference ridge and excess losses of every checkpoint.

    Parameters
    ----------
    data : (n, D) training points. finals : (K, B, D) final samples per checkpoint.
    steps : (K,) training steps of the checkpoints. excess : their excess losses (each (K,)).
    cfg : the ``metrics`` config section (near_radius, classify, scms).
    """
    cls = [classify_final_samples(data, finals[k], cfg["classify"]["time"], ridge_dim, cfg["near_radius"],
                                  cfg["classify"]["tube_radius"], cfg["scms"]) for k in range(len(steps))]
    counts = np.stack([c["counts"] for c in cls])
    distance = np.stack([c["ridge_distance"] for c in cls])
    unit = "length^2"
    per_step = (STEP,)
    return xr.Dataset(
        {
            "final": variable(finals.numpy(), (STEP, dims.SAMPLE, dims.COORD), "final sample", "length"),
            "final_class": variable(np.stack([c["label"] for c in cls]), (STEP, dims.SAMPLE),
                                    "final class: near_point / inter_mode / off_ridge"),
            "ridge_distance": variable(distance, (STEP, dims.SAMPLE),
                                       "distance of the final sample to the reference ridge", "length"),
            "median_ridge_distance": variable(np.median(distance, axis=1), per_step,
                                              "median distance of the final samples to the reference ridge", "length"),
            "class_count": variable(counts, (STEP, "class"), "final samples per class"),
            "class_fraction": variable(counts / counts.sum(axis=1, keepdims=True), (STEP, "class"),
                                       "fraction of final samples per class"),
            "excess": variable(excess.total.cpu().numpy(), per_step, "excess loss (1/D) E[lambda |m - m_t|^2]", unit),
            "excess_normal": variable(excess.normal.cpu().numpy(), per_step, "normal part of the excess loss", unit),
            "excess_tangential": variable(excess.tangential.cpu().numpy(), per_step,
                                          "tangential part of the excess loss", unit),
        },
        coords={STEP: variable(np.asarray(steps, dtype=np.int64), per_step, "training steps (Adam)"),
                "class": np.asarray(CLASSES)},
    )


def generalizing_step(ds: xr.Dataset) -> int:
    """The checkpoint with the largest inter-mode fraction (the earliest of ties)."""
    inter = ds["class_fraction"].sel({"class": "inter_mode"}).values
    return int(ds[STEP].values[int(np.argmax(inter))])


def stack_posterior_means(stack, n_models: int):
    """callable(quadrature block) -> (K, R, D) posterior means of a stack at the block's points."""

    def means(blk):
        rows = blk.x.shape[0]
        return stack.posterior_mean(blk.x.repeat(n_models, 1), blk.t.repeat(n_models)).reshape(n_models, rows, -1)

    return means


def neural_sweep(modules, steps, points, *, metrics: dict, ridge_dim: int, grid, method: str, n_samples: int,
                 streams, block_samples: int, weighting: str, quadrature, rows: int, device=None,
                 logger=None) -> xr.Dataset:
    """The training-length sweep of one run: sample, classify and measure every checkpoint.

    Parameters
    ----------
    modules : K :class:`ridgeline.models.neural.ScoreMLP` checkpoints; steps : their training steps.
    points : (n, D) training points. metrics : the ``metrics`` config section (classification).
    grid, method, n_samples, streams, block_samples : the sampler (:func:`final_samples`).
    weighting, quadrature, rows : the excess loss (:func:`ridgeline.rf.errors.excess_loss_split`).

    Returns
    -------
    The Dataset of :func:`sweep_dataset`, with the attribute ``generalizing_step``.
    """
    from .models.stacked import StackedNeuralScore
    from .rf.errors import excess_loss_split

    stack, k = StackedNeuralScore(modules), len(modules)
    finals = final_samples(stack, k, n_samples, points.shape[1], grid, method, streams, block_samples, device, logger)
    excess = excess_loss_split(stack_posterior_means(stack, k), k, points, weighting, quadrature, ridge_dim, rows,
                               logger, "neural excess loss", device)
    ds = sweep_dataset(points, finals, steps, excess, ridge_dim, metrics)
    ds.attrs["generalizing_step"] = generalizing_step(ds)
    return ds
