"""Sampling one run, one call each (rules sample and mnist_sample): the model named by the run is
built and sampled on the configured grid into a sample store."""

import logging

from .controls import load_run_model
from .empirical import SmoothedEmpirical
from .provenance import provenance
from .runtime import BlockStreams
from .sample_store import sample_to_store
from .sampling import snapshot_grid

log = logging.getLogger(__name__)


def sample_stage(path, points, checkpoint, *, model: str, sampling: dict, times: dict, ridge_dim: int, slide: dict,
                 rf_tau: float, controls: dict, seed: int, device=None, logger=log):
    """Sample run (dataset, ``model``, ``seed``) into the store ``path``, coupled with the exact score
    over the slide window (:class:`ridgeline.coupling.SlideCoupling`).

    Parameters
    ----------
    points : (n, D) training points. checkpoint : the model's file(s) (None for exact and controls).
    sampling, slide, controls : those config sections; times : {"T", "t_min"} of the dataset.
    rf_tau : the random-feature readout's flow time. seed : the run's seed (stream ``sample-<model>``).
    """
    from .coupling import SlideCoupling

    score = load_run_model(model, points, checkpoint, device=device, rf_tau=rf_tau, ridge_dim=ridge_dim,
                           controls=controls, seed=seed)
    grid, snaps = snapshot_grid(sampling["grid"], times["T"], times["t_min"], sampling["n_steps"],
                                sampling["n_snapshots"])
    coupling = SlideCoupling(SmoothedEmpirical(points, device=device), ridge_dim, slide["start_time"],
                             sampling["method"], slide["n_samples"])
    attrs = provenance("sample", {"sampling": sampling, **times, "model": model, "slide": slide}, seed)
    return sample_to_store(path, score, n_samples=sampling["n_samples"], dim=points.shape[1], grid=grid.to(device),
                           snapshot_idx=snaps, method=sampling["method"],
                           streams=BlockStreams(seed, f"sample-{model}", device), attrs=attrs,
                           long_name="sample position y_t", units="length", block_samples=sampling["block_samples"],
                           device=device, logger=logger, coupling=coupling)


def latent_sample_stage(path, source, *, model: str, sampling: dict, seed: int, device=None, logger=log):
    """Sample latents from the latent score model ``model`` (the network, sharpened when
    ``sampling.sharpen``, or a baseline built from the latents ``source``) into the store ``path``.
    Every latent model draws the same noise (stream ``mnist-sample``): the baselines are coupled
    with the network's run."""
    from .models import load_latent_model
    from .models.loading import is_latent_network
    from .models.sharpened import SharpenedScore

    network = is_latent_network(model)
    score = load_latent_model(model, source, device=device)
    sharpened = bool(sampling["sharpen"] and network)
    if sharpened:
        score = SharpenedScore(score)
        logger.warning("sampling with the %s", SharpenedScore.label)
    dim = score.module.hparams["dim"] if network else source.shape[1]
    grid, snaps = snapshot_grid(sampling["grid"], sampling["T"], sampling["t_min"], sampling["n_steps"],
                                sampling["n_snapshots"])
    attrs = provenance("mnist_sample", {**sampling, "model": model, "sharpened": sharpened}, seed)
    return sample_to_store(path, score, n_samples=sampling["n_samples"], dim=dim, grid=grid.to(device),
                           snapshot_idx=snaps, method=sampling["method"],
                           streams=BlockStreams(seed, "mnist-sample", device), attrs=attrs,
                           long_name="latent sample y_t", units="latent units",
                           block_samples=sampling["block_samples"], device=device, logger=logger)
