"""The latent ridge analysis measured over blocks of samples (mnist_latent)."""

import logging
from functools import partial

import numpy as np
import torch
import xarray as xr

from .. import dims
from ..blocks import DEFAULT_BLOCK_POINTS, all_coordinates, write_in_blocks
from .ridge import DEFAULT_MIN_GAP, gap_filtered_sums, latent_ridge_dataset, means_from_sums

log = logging.getLogger(__name__)


def latent_ridge_to_store(path, latents, times, states, *, ridge_dims, gap_thresholds, scms: dict, attrs: dict,
                          device=None, block_points: int = DEFAULT_BLOCK_POINTS, logger=log,
                          min_gap: float = DEFAULT_MIN_GAP, project_dims=None):
    """The latent ridge analysis (:func:`ridgeline.latent.ridge.latent_ridge_dataset`) in blocks of samples.

    Parameters
    ----------
    latents : (n, D) training latents. times : (S,) snapshot times. states : (S, B, D) array-like
        indexed lazily. ridge_dims, gap_thresholds, scms, min_gap, project_dims : as in
        ``latent_ridge_dataset``.
    attrs : store attributes (provenance). block_points : (snapshot, sample) pairs per block.

    Returns
    -------
    The totals written to the store (curvature and resolved fractions, gap-filtered means and counts over all
    samples). The store holds what ``latent_ridge_dataset`` returns for all samples: per-sample
    arrays written block by block, the totals from counts and sums over all blocks.
    """
    per_block = max(1, int(block_points) // max(1, states.shape[0]))
    measure = partial(_latent_block, latents, times, states, ridge_dims, gap_thresholds, scms, min_gap, project_dims,
                      device, logger)
    return write_in_blocks(
        path,
        states.shape[1],
        per_block=per_block,
        measure=measure,
        totals=_LatentTotals(gap_thresholds),
        coords=all_coordinates,
        attrs=attrs,
        label="latent ridge",
        logger=logger,
    )


def _latent_block(
    latents, times, states, ridge_dims, gap_thresholds, scms, min_gap, project_dims, device, logger, block
) -> xr.Dataset:
    x = torch.as_tensor(np.asarray(states[:, block]), dtype=torch.float64, device=device)
    return latent_ridge_dataset(
        latents,
        times,
        x,
        ridge_dims=ridge_dims,
        gap_thresholds=gap_thresholds,
        scms=scms,
        logger=logger,
        min_gap=min_gap,
        project_dims=project_dims,
    )


class _LatentTotals:
    """Curvature and resolved counts and gap-filtered sums over all blocks; variables shaped like the first block's."""

    RESIDUALS = ("relative_residual", "scaled_residual")

    def __init__(self, thresholds):
        self.thresholds, self.n, self.templates, self.coords = thresholds, 0, None, None
        self.curvature = self.resolved = 0
        self.sums = dict.fromkeys(self.RESIDUALS, 0.0)
        self.counts = 0

    def add(self, ds: xr.Dataset) -> None:
        if self.templates is None:  # the totals take the first block's dimensions and attributes
            names = [
                "curvature_fraction",
                "resolved_fraction",
                "gap_filtered_count",
                *(f"gap_filtered_{r}" for r in self.RESIDUALS),
            ]
            self.templates = {name: ds[name].variable for name in names}
            self.coords = all_coordinates(ds)
        self.n += ds.sizes[dims.SAMPLE]
        self.curvature = self.curvature + ds["curvature_ok"].values.sum(-1)
        self.resolved = self.resolved + ds["resolved"].values.sum(-1)
        for name in self.RESIDUALS:
            sums, counts = gap_filtered_sums(ds[name].values, ds["eigengap"].values, self.thresholds)
            self.sums[name] = self.sums[name] + sums
        self.counts = self.counts + counts

    def dataset(self) -> xr.Dataset:
        """curvature_fraction, resolved_fraction, gap_filtered_<residual> and gap_filtered_count over all samples."""
        values = {
            "curvature_fraction": self.curvature / self.n,
            "resolved_fraction": self.resolved / self.n,
            "gap_filtered_count": self.counts,
        }
        values.update(
            {f"gap_filtered_{name}": means_from_sums(self.sums[name], self.counts) for name in self.RESIDUALS}
        )
        return xr.Dataset(
            {name: self.templates[name].copy(data=value) for name, value in values.items()}, coords=self.coords
        )
