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

STEP = dims.STEP


def final_samples(stack, n_models: int, *, n_samples: int, dim: int, grid, method: str, streams,
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
    sample_in_blocks(
        stack,
        n_samples,
        dim=dim,
        grid=grid,
        snapshot_idx=torch.tensor([last]),
        method=method,
        streams=streams,
        record=record,
        block_samples=block_samples,
        device=device,
        group_size=n_models,
        **kwargs,
    )
    return out


def sweep_dataset(data, finals: torch.Tensor, steps, excess: ExcessLoss, *, ridge_dim: int, cfg: dict) -> xr.Dataset:
    """Final classes, distances to the reference ridge and excess losses of every checkpoint.

    Parameters
    ----------
    data : (n, D) training points. finals : (K, B, D) final samples per checkpoint.
    steps : (K,) training steps of the checkpoints. excess : their excess losses (each (K,)).
    cfg : the ``metrics`` config section (near_radius, classify, scms).
    """
    cls = [
        classify_final_samples(
            data,
            finals[k],
            t_c=cfg["classify"]["time"],
            ridge_dim=ridge_dim,
            near_radius=cfg["near_radius"],
            tube_radius=cfg["classify"]["tube_radius"],
            scms=cfg["scms"],
        )
        for k in range(len(steps))
    ]
    counts = np.stack([c["counts"] for c in cls])
    distance = np.stack([c["ridge_distance"] for c in cls])
    unit = "length^2"
    per_step = (STEP,)
    return xr.Dataset(
        {
            "final": variable(finals.numpy(), (STEP, dims.SAMPLE, dims.COORD), "final sample", "length"),
            "final_class": variable(
                np.stack([c["label"] for c in cls]),
                (STEP, dims.SAMPLE),
                "final class: near_point / inter_mode / off_ridge",
            ),
            "ridge_distance": variable(
                distance, (STEP, dims.SAMPLE), "distance of the final sample to the reference ridge", "length"
            ),
            "median_ridge_distance": variable(
                np.median(distance, axis=1),
                per_step,
                "median distance of the final samples to the reference ridge",
                "length",
            ),
            "class_count": variable(counts, (STEP, dims.CLASS), "final samples per class"),
            "class_fraction": variable(
                counts / counts.sum(axis=1, keepdims=True), (STEP, dims.CLASS), "fraction of final samples per class"
            ),
            "excess": variable(excess.total.cpu().numpy(), per_step, "excess loss (1/D) E[lambda |m - m_t|^2]", unit),
            "excess_normal": variable(excess.normal.cpu().numpy(), per_step, "normal part of the excess loss", unit),
            "excess_tangential": variable(
                excess.tangential.cpu().numpy(), per_step, "tangential part of the excess loss", unit
            ),
        },
        coords={
            STEP: variable(np.asarray(steps, dtype=np.int64), per_step, "training steps (Adam)"),
            dims.CLASS: np.asarray(CLASSES),
        },
    )


def generalizing_step(ds: xr.Dataset) -> int:
    """The checkpoint with the largest inter-mode fraction (the earliest of ties)."""
    inter = ds["class_fraction"].sel({dims.CLASS: "inter_mode"}).values
    return int(ds[STEP].values[int(np.argmax(inter))])


def stack_posterior_means(stack, n_models: int):
    """callable(quadrature block) -> (K, R, D) posterior means of a stack at the block's points."""

    def means(blk):
        rows = blk.x.shape[0]
        return stack.posterior_mean(blk.x.repeat(n_models, 1), blk.t.repeat(n_models)).reshape(n_models, rows, -1)

    return means


def neural_sweep(
    modules,
    steps,
    points,
    *,
    metrics: dict,
    ridge_dim: int,
    grid,
    method: str,
    n_samples: int,
    streams,
    block_samples: int,
    weighting: str,
    quadrature,
    rows: int,
    device=None,
    logger=None,
) -> xr.Dataset:
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
    finals = final_samples(
        stack,
        k,
        n_samples=n_samples,
        dim=points.shape[1],
        grid=grid,
        method=method,
        streams=streams,
        block_samples=block_samples,
        device=device,
        logger=logger,
    )
    excess = excess_loss_split(
        stack_posterior_means(stack, k),
        k,
        points,
        weighting=weighting,
        quad=quadrature,
        ridge_dim=ridge_dim,
        rows=rows,
        logger=logger,
        label="neural excess loss",
        device=device,
    )
    ds = sweep_dataset(points, finals, steps, excess, ridge_dim=ridge_dim, cfg=metrics)
    ds.attrs["generalizing_step"] = generalizing_step(ds)
    return ds


def sweep_training_run(
    checkpoint,
    points,
    *,
    sweep: dict,
    neural: dict,
    sampling: dict,
    metrics: dict,
    ridge_dim: int,
    quadrature: dict,
    times: dict,
    seed: int,
    device=None,
    logger=None,
):
    """The sweep of one training run's checkpoint file (rule neural_sweep).

    Parameters
    ----------
    checkpoint : the train_neural checkpoint file, holding the final model and the snapshots at
        ``neural.checkpoints``. points : (n, D) training points.
    sweep, neural, sampling, metrics, quadrature : those config sections (the sweep's quadrature
        with its ``t0``); ridge_dim : d; times : {"T", "t_min"} of the dataset.
    seed : the run's seed (streams ``neural-sweep`` and ``neural-sweep-qmc``).

    Returns
    -------
    (dataset, step, module): the :func:`neural_sweep` Dataset, the generalizing checkpoint's
    training step and its :class:`ridgeline.models.neural.ScoreMLP`.
    """
    from .forward import time_grid
    from .models.neural import load_modules
    from .rf.quadrature import configured_quadrature
    from .runtime import BlockStreams

    final = neural["steps"]
    steps = sorted(set(neural["checkpoints"]) | {final})
    modules = load_modules(checkpoint, device, [None if s == final else s for s in steps])
    quad = configured_quadrature(
        points.shape[1],
        times["T"],
        quadrature=quadrature,
        t0=quadrature["t0"],
        n_frequencies=quadrature["n_frequencies"],
        seed=seed,
        stream="neural-sweep-qmc",
    )
    grid = time_grid(sampling["grid"], times["T"], times["t_min"], sweep["n_steps"]).to(device)
    ds = neural_sweep(
        modules,
        steps,
        points,
        metrics=metrics,
        ridge_dim=ridge_dim,
        grid=grid,
        method=sampling["method"],
        n_samples=sweep["n_samples"],
        streams=BlockStreams(seed, "neural-sweep", device),
        block_samples=sampling["block_samples"],
        weighting=neural["weighting"],
        quadrature=quad,
        rows=quadrature["rows"],
        device=device,
        logger=logger,
    )
    peak = ds.attrs["generalizing_step"]
    if logger is not None:
        for step, counts in zip(steps, ds["class_count"].values):
            logger.info("step %d: near_point / inter_mode / off_ridge = %s", step, counts.tolist())
        logger.info("generalizing checkpoint (largest inter-mode fraction): step %d", peak)
    return ds, peak, modules[steps.index(peak)]
