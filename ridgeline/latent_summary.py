"""The latent on-ridge check, judged at resolved times only, with the baselines as controls.

A latent run reads "on the ridge" of p_t (for one d*) when, at every snapshot where at least
``min_resolved`` of its normal frames are resolved, the median tube ratio h_t |P_N g| /
sqrt(h_t (D - d)) of its resolved samples is at most ``tube_scale``. Samples of p_t itself sit at
ratio about 1 (their normal offset has p_t's own width), so the exact score of the training latents
(which samples p_t at every t) must pass; a Gaussian fitted to the latents has no ridge between the
training points, and must fail. The network's verdict is reported beside them.
"""

import math

import numpy as np
import xarray as xr

from . import dims
from .aggregate import combine_runs
from .checks import FAIL, PASS, UNDETERMINED, CheckResult, verdict_of

MODEL, RIDGE_DIM = dims.MODEL, dims.RIDGE_DIM
#: The verdict each baseline must get: the memorizing exact score samples p_t, the Gaussian has no ridge.
BASELINE_ROLES = {"exact": ("positive", PASS), "gaussian": ("negative", FAIL)}


def combine_latent_runs(stores: dict, losses: dict) -> xr.Dataset:
    """Stack latent ridge stores keyed (experiment, seed, model), with each run's final VAE loss.

    stores : {(experiment, seed, model): ridge store}. losses : {(experiment, seed): VAE loss
    history (epoch, ...)}. The VAE loss is one per (experiment, seed): it is not repeated per model.
    """
    ds = combine_runs(stores, key_dims=("experiment", dims.SEED, MODEL))
    final = {key: history.isel(epoch=-1, drop=True).rename("vae_final_loss") for key, history in losses.items()}
    vae = combine_runs({key: value.to_dataset() for key, value in final.items()}, key_dims=("experiment", dims.SEED))
    return ds.assign(vae_final_loss=vae["vae_final_loss"])


def on_ridge_check(run: xr.Dataset, tube_scale: float, min_resolved: float) -> CheckResult:
    """The on-ridge check of one run and d* (dims time, sample; variables tube_ratio, resolved).

    The window is the snapshots with a resolved fraction of at least ``min_resolved``; at each, the
    median tube ratio of the resolved samples; the statistic is the largest of these medians (the
    run must sit within the tube at every resolved time: a pooled median would be carried by the
    early times, where p_t of any model looks alike). NaN, verdict undetermined, when no snapshot
    qualifies.
    """
    resolved = run["resolved"].values == 1  # padded entries (NaN) of an aggregated store count as unresolved
    ratio = np.where(resolved, run["tube_ratio"].values, np.nan)
    fraction = resolved.mean(-1)
    window = np.flatnonzero(fraction >= min_resolved)
    with np.errstate(all="ignore"):
        medians = np.array([np.nanmedian(ratio[k]) for k in window])
    statistic = float(np.max(medians)) if medians.size else math.nan
    times = np.asarray(run["t"].values if "t" in run else run[dims.TIME].values, dtype=float)
    detail = {"window_times": times[window].tolist(), "window_medians": medians.tolist(),
              "worst_time": float(times[window][np.argmax(medians)]) if medians.size else None,
              "resolved_fraction": fraction.tolist()}
    return CheckResult("on_ridge", statistic, tube_scale, "<=", verdict_of(statistic, tube_scale, "<="), detail)


def latent_checks(ds: xr.Dataset, tube_scale: float, min_resolved: float) -> dict:
    """The on-ridge check of every (experiment, seed, model, ridge_dim) of the aggregated store.

    Returns a JSON-ready dict: ``entries`` (experiment, seed, model, ridge_dim, role, expected,
    as_expected, and the check's statistic, threshold, verdict and detail), ``all_as_expected``
    over the baselines whose verdict is determined (the network has no expected verdict), and
    ``baselines_undetermined``: baseline entries with no resolved snapshot (a d* whose frame is
    never resolved tells nothing either way; ``as_expected`` is None there).
    """
    entries = []
    for experiment in ds["experiment"].values:
        for seed in ds[dims.SEED].values:
            for model in ds[MODEL].values:
                for d in ds[RIDGE_DIM].values:
                    run = ds.sel({"experiment": experiment, dims.SEED: seed, MODEL: model, RIDGE_DIM: d})
                    result = on_ridge_check(run, tube_scale, min_resolved).to_dict()
                    role, expected = BASELINE_ROLES.get(str(model), ("model", None))
                    judged = expected is not None and result["verdict"] != UNDETERMINED
                    entries.append({"experiment": str(experiment), "seed": int(seed), "model": str(model),
                                    "ridge_dim": int(d), "role": role, "expected": expected,
                                    "as_expected": result["verdict"] == expected if judged else None,
                                    **result})
    judged = [e["as_expected"] for e in entries if e["as_expected"] is not None]
    unjudged = sum(e["expected"] is not None and e["as_expected"] is None for e in entries)
    return {"entries": entries, "all_as_expected": all(judged) if judged else None,
            "baselines_undetermined": unjudged}
