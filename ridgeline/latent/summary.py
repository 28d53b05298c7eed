"""The latent on-ridge check, judged at resolved times only, with the baselines as controls.

A latent run reads "on the ridge" of p_t (for one d*) when, at every snapshot where at least
``min_resolved`` of its normal frames are resolved, the median normal excess h_t |P_N g|^2 - (D - d)
of its resolved samples is at most ``max_excess``: the squared normal offset |P_N (m - x)|^2 of a
sample beyond the h_t (D - d) that p_t's own noise gives it, in units of h_t (one noise dimension).
Samples of p_t itself sit at about 0, so the exact score of the training latents (which samples p_t
at every t) must pass; a Gaussian fitted to the latents has no ridge between the training points,
and must fail. The network's verdict is reported beside them, with the near-copy count of its
on- and off-ridge samples.

Why not the tube ratio h_t |P_N g| / sqrt(h_t (D - d))? Most normal directions of VAE latents are
collapsed (variance far below h_t): every model puts p_t's noise there, and that noise, sqrt(D - d)
widths of it, hides an offset in the few normal directions that carry data. A fitted Gaussian's
median tube ratio stays below 2 on the real latents, while its median excess is many noise
dimensions (docs/results.md). The excess does not grow with the number of collapsed directions.
"""

import math

import numpy as np
import xarray as xr

from .. import dims
from ..aggregate import combine_runs, run_snapshot_times
from ..authors_view import authors_summary
from .spectrum import latent_dimension_dataset
from ..checks import FAIL, PASS, UNDETERMINED, CheckResult, verdict_of

MODEL, RIDGE_DIM = dims.MODEL, dims.RIDGE_DIM
#: A final sample is a near-copy when its nearest training latent is closer than this times the second nearest
#: (the ratio criterion of Yoon et al. 2023 and Gu et al. 2023 for memorized diffusion samples).
DEFAULT_MAX_COPY_RATIO = 1.0 / 3.0
#: The verdict each baseline must get: the memorizing exact score samples p_t, the Gaussian has no ridge.
BASELINE_ROLES = {"exact": ("positive", PASS), "gaussian": ("negative", FAIL)}


def combine_latent_runs(stores: dict, latents: dict) -> xr.Dataset:
    """Stack latent ridge stores keyed (experiment, seed, model), with each latent set's final VAE loss and dimension.

    stores : {(experiment, seed, model): ridge store}. latents : {(experiment, seed): latents store
    with ``points`` (train, coord), ``loss_history`` (epoch, loss_term) and ``kl_per_dim`` (coord)}.
    What belongs to the latents (the VAE loss, the spectra of
    :func:`ridgeline.latent.spectrum.latent_dimension_dataset`) is one per (experiment, seed): it is
    not repeated per model.
    """
    ds = combine_runs(stores, key_dims=("experiment", dims.SEED, MODEL))
    if not latents:
        return ds
    per_set = {key: _latent_set_summary(store) for key, store in latents.items()}
    return ds.merge(combine_runs(per_set, key_dims=("experiment", dims.SEED)))


def _latent_set_summary(store: xr.Dataset) -> xr.Dataset:
    """The final VAE loss terms and the latent dimension spectra of one latents store."""
    final = store["loss_history"].isel(epoch=-1, drop=True).rename("vae_final_loss")
    return latent_dimension_dataset(store["points"].values, store["kl_per_dim"].values).assign(vae_final_loss=final)


def on_ridge_check(run: xr.Dataset, max_excess: float, min_resolved: float) -> CheckResult:
    """The on-ridge check of one run and d* (dims time, sample; variables normal_excess, resolved).

    The window is the snapshots with a resolved fraction of at least ``min_resolved``; at each, the
    median normal excess h_t |P_N g|^2 - (D - d) of the resolved samples (the squared normal offset
    beyond p_t's own noise, in units of h_t: about 0 for samples of p_t); the statistic is the
    largest of these medians (the run must stay on the ridge at every resolved time: a pooled
    median would be carried by the early times, where p_t of any model looks alike). NaN, verdict
    undetermined, when no snapshot qualifies.
    """
    resolved = run["resolved"].values == 1
    excess = np.where(resolved, run["normal_excess"].values, np.nan)
    fraction = resolved_fraction(run)
    window = np.flatnonzero(fraction >= min_resolved)
    with np.errstate(all="ignore"):
        medians = np.array([np.nanmedian(excess[k]) for k in window])
    statistic = float(np.max(medians)) if medians.size else math.nan
    times = run_snapshot_times(run)
    detail = {"window_times": times[window].tolist(), "window_medians": medians.tolist(),
              "window_standard_errors": [median_standard_error(excess[k]) for k in window],
              "worst_time": float(times[window][np.argmax(medians)]) if medians.size else None,
              "resolved_fraction": fraction.tolist()}
    return CheckResult("on_ridge", statistic, max_excess, "<=", verdict_of(statistic, max_excess, "<="), detail)


def resolved_fraction(run: xr.Dataset) -> np.ndarray:
    """Share of a run's samples with a resolved frame at each snapshot: (..., time, sample) -> (..., time).

    The samples of the run are those present: an aggregated store pads runs with fewer samples with
    NaN, and these padded entries are neither resolved nor counted.
    """
    present = np.isfinite(np.asarray(run["resolved"].values, dtype=float))
    with np.errstate(invalid="ignore"):
        return (run["resolved"].values == 1).sum(-1) / np.maximum(present.sum(-1), 1)


def median_standard_error(values: np.ndarray) -> float:
    """Large-sample standard error of a median, 1.2533 sd / sqrt(n), of the finite ``values`` (Gaussian shape).

    For samples of p_t the normal excess is about chi^2_{D-d} - (D - d), so its sd is about
    sqrt(2 (D - d)): the median of n resolved samples is known to 1.25 sqrt(2 (D - d) / n) noise
    dimensions, which must stay well below ``max_excess``.
    """
    finite = values[np.isfinite(values)]
    return float(np.sqrt(np.pi / 2) * finite.std(ddof=1) / np.sqrt(finite.size)) if finite.size > 1 else math.nan


def near_copy_groups(run: xr.Dataset, tube_scale: float, min_resolved: float, max_copy_ratio: float) -> dict:
    """How many samples of each on/off-ridge group are near-copies of a training latent.

    The groups are read at the latest snapshot whose resolved fraction is at least
    ``min_resolved`` (the smallest time at which the ridge is defined for most samples): ``on``
    (tube ratio at most ``tube_scale``, i.e. within that many of p_t's normal widths), ``off`` and
    ``unresolved``. A final sample is a near-copy when its nearest training latent is closer than
    ``max_copy_ratio`` times the second nearest (``nearest_ratio``).

    Returns {"time": t or None, group: {"n": count, "near_copies": count}}.
    """
    copies = run["nearest_ratio"].values < max_copy_ratio
    present = np.isfinite(run["nearest_ratio"].values)  # padding of an aggregated store
    resolved = run["resolved"].values == 1
    window = np.flatnonzero(resolved_fraction(run) >= min_resolved)
    if not window.size:
        return {"time": None, "unresolved": {"n": int(present.sum()), "near_copies": int((copies & present).sum())}}
    k = window[-1]
    on = resolved[k] & (run["tube_ratio"].values[k] <= tube_scale)
    groups = {"on": on, "off": resolved[k] & ~on, "unresolved": present & ~resolved[k]}
    out = {"time": float(run_snapshot_times(run)[k])}
    out.update({name: {"n": int(mask.sum()), "near_copies": int((mask & copies).sum())} for name, mask in groups.items()})
    return out


def latent_checks(ds: xr.Dataset, cfg: dict, authors: dict | None = None) -> dict:
    """The on-ridge check of every (experiment, seed, model, ridge_dim) of the aggregated store.

    cfg : ``mnist.checks`` (max_excess, min_resolved, tube_scale, max_copy_ratio).
    authors : ``mnist.authors_view``; when given, ``authors_view`` lists per (experiment, seed,
        model) the authors' on/off groups at t_min with their near-copy counts
        (:func:`ridgeline.authors_view.authors_summary`).

    Returns a JSON-ready dict: ``entries`` (experiment, seed, model, ridge_dim, role, expected,
    as_expected, the check's statistic, threshold, verdict and detail, and the near-copy count
    of every on/off group), ``all_as_expected`` over the baselines whose verdict is determined
    (the network has no expected verdict), and ``baselines_undetermined``: baseline entries with no
    resolved snapshot (a d* whose frame is never resolved tells nothing either way; ``as_expected``
    is None there). A d* that a latent set does not have (``effective`` differs between sets) is
    left out. A d* at or above the latents' effective dimension has only collapsed directions in
    its normal space, where every model reads on the ridge: its baselines get the role
    ``uninformative`` and no expected verdict.
    """
    entries = []
    for experiment in ds["experiment"].values:
        for seed in ds[dims.SEED].values:
            for model in ds[MODEL].values:
                for d in ds[RIDGE_DIM].values:
                    run = ds.sel({"experiment": experiment, dims.SEED: seed, MODEL: model, RIDGE_DIM: d})
                    if not np.isfinite(run["normal_excess"].values).any():
                        continue
                    entries.append(_entry(run, cfg, experiment, seed, model, d))
    judged = [e["as_expected"] for e in entries if e["as_expected"] is not None]
    unjudged = sum(e["expected"] is not None and e["as_expected"] is None for e in entries)
    report = {"entries": entries, "all_as_expected": all(judged) if judged else None,
              "baselines_undetermined": unjudged}
    if authors is not None:
        report["authors_view"] = [
            {"experiment": str(e), "seed": int(s), "model": str(m),
             **authors_summary(ds.sel({"experiment": e, dims.SEED: s, MODEL: m}), authors, cfg["max_copy_ratio"])}
            for e in ds["experiment"].values for s in ds[dims.SEED].values for m in ds[MODEL].values
            if np.isfinite(ds["residual"].sel({"experiment": e, dims.SEED: s, MODEL: m}).values).any()]
    return report


def _entry(run, cfg, experiment, seed, model, d) -> dict:
    result = on_ridge_check(run, cfg["max_excess"], cfg["min_resolved"]).to_dict()
    role, expected = BASELINE_ROLES.get(str(model), ("model", None))
    effective = int(run["effective_dimension"]) if "effective_dimension" in run else None
    if expected is not None and effective is not None and d >= effective:
        role, expected = "uninformative", None
    judged = expected is not None and result["verdict"] != UNDETERMINED
    groups = near_copy_groups(run, cfg["tube_scale"], cfg["min_resolved"], cfg["max_copy_ratio"])
    return {"experiment": str(experiment), "seed": int(seed), "model": str(model), "ridge_dim": int(d),
            "effective_dimension": effective, "role": role, "expected": expected, "as_expected": result["verdict"] == expected if judged else None,
            **result, "groups": groups}


def latent_control_entries(report: dict) -> list[dict]:
    """The baselines of a :func:`latent_checks` report as entries of ``results/controls.json``.

    Same keys as the synthetic controls (dataset, check, control, role, expected, as_expected and
    the check's statistic, threshold, verdict, detail), with dataset ``mnist/<experiment>`` and the
    ridge dimension and seed added; the network and the uninformative d* are not controls.
    """
    keys = ("role", "expected", "as_expected", "name", "statistic", "threshold", "direction", "verdict", "detail")
    return [{"dataset": f"mnist/{e['experiment']}", "check": "on_ridge", "control": e["model"],
             "ridge_dim": e["ridge_dim"], "seed": e["seed"], **{k: e[k] for k in keys if k in e}}
            for e in report["entries"] if e["role"] in ("positive", "negative")]
