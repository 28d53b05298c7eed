"""The reach, align and slide checks: a statistic, a threshold and a verdict (docs/method.md).

Each check takes per-sample measurements of one run (see :mod:`ridgeline.phases`) and returns a
:class:`CheckResult`. The same functions judge the models under study and the controls
(:mod:`ridgeline.controls`): a check is evidence only because its negative controls fail it.

- reach: deficit = max over the snapshots with t >= ``min_time`` of (tube fraction of the exact
  score) - (tube fraction of the model); pass when deficit <= ``max_deficit``.
- align: within the align window (snapshots with t <= ``max_time`` where at least
  ``min_resolved`` of the samples have a resolved frame at their ridge projection), the
  normalized residual A = median |measured - predicted offset| / (sqrt(h_t) m_k), with m_k the
  median of a chi distribution with k = D - d degrees of freedom (A = 1 when samples scatter
  around the predicted offset with p_t's own normal width), and the slope beta of measured on
  predicted offsets (least squares through 0, each sample weighted by 1/h_t, standard error
  1/sqrt(sum |p|^2 / h_t)). Pass when A <= ``max_residual`` and, where the slope is determined
  (standard error <= ``max_slope_error``), |beta - 1| <= ``slope_tolerance``.
- slide: fraction of samples (resolved reference frame) whose tangential separation from the
  coupled exact run is explained by the linear response R: |sep - R| <= ``tolerance``
  (|sep| + |R|) + ``floor``; pass when the fraction >= ``min_explained``.
"""

import math
from dataclasses import asdict, dataclass, field

import numpy as np

PASS, FAIL, UNDETERMINED = "pass", "fail", "undetermined"
CHECKS = ("reach", "align", "slide")


@dataclass
class CheckResult:
    """Outcome of one check on one run.

    statistic : the number compared with the threshold (NaN when undetermined).
    threshold : the bound it must satisfy; ``direction`` says which side passes ("<=" or ">=").
    verdict : "pass", "fail" or "undetermined" (no data to judge: too few resolved samples).
    detail : further numbers (the slope of align, counts, ...).
    """

    check: str
    statistic: float
    threshold: float
    direction: str
    verdict: str
    detail: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Plain JSON-ready dict; non-finite numbers become None."""
        return json_ready(asdict(self))


def json_ready(value):
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def verdict_of(statistic: float, threshold: float, direction: str) -> str:
    """"pass" when ``statistic`` lies on the ``direction`` side of ``threshold`` ("<=" or ">="), else
    "fail"; "undetermined" when it is not finite."""
    if not math.isfinite(statistic):
        return UNDETERMINED
    ok = statistic <= threshold if direction == "<=" else statistic >= threshold
    return PASS if ok else FAIL


def reach_check(times, tube_model, tube_exact, min_time: float, max_deficit: float) -> CheckResult:
    """Reach: largest shortfall of the model's tube fraction under the exact score's at t >= min_time.

    times, tube_model, tube_exact : (S,). Snapshots before ``min_time`` (the slide phase, where
    the ridge of p_t breaks up around the training points) are left out.
    """
    deficit = np.asarray(tube_exact, dtype=np.float64) - np.asarray(tube_model, dtype=np.float64)
    finite = np.isfinite(deficit) & (np.asarray(times) >= min_time)
    stat = float(deficit[finite].max()) if finite.any() else math.nan
    worst = int(np.flatnonzero(finite)[deficit[finite].argmax()]) if finite.any() else -1
    return CheckResult("reach", stat, float(max_deficit), "<=", verdict_of(stat, max_deficit, "<="),
                       {"worst_snapshot": worst})


def chi_median(k: int) -> float:
    """Median of the chi distribution with k degrees of freedom (|z| for z ~ N(0, I_k))."""
    from scipy.stats import chi2  # scipy.stats takes over a second to import; only this needs it

    return math.sqrt(chi2.ppf(0.5, k))


def align_window(times, resolved, max_time: float, min_resolved: float) -> np.ndarray:
    """Snapshots of the align window: t <= max_time and a resolved fraction >= min_resolved; (S,) bool.

    times : (S,). resolved : (S, B) bool, frame resolved at the sample's ridge projection.
    """
    fraction = np.asarray(resolved, dtype=np.float64).mean(axis=1)
    return (np.asarray(times) <= max_time) & (fraction >= min_resolved)


def align_check(times, predicted, along, residual, resolved, *, normal_dims: int, max_time: float,
                min_resolved: float, max_residual: float, slope_tolerance: float,
                max_slope_error: float) -> CheckResult:
    """Align: do samples sit at the offset h_t e_N(r) predicted from the error at their ridge projection?

    Parameters
    ----------
    times : (S,) snapshot times. predicted : (S, B) |h_t P_N e(r)|. along : (S, B) the measured
    normal offset P_N (x - r) along the predicted direction (0 where the prediction is 0).
    residual : (S, B) |P_N (x - r) - h_t P_N e(r)|. resolved : (S, B) bool. normal_dims : D - d.
    """
    times = np.asarray(times, dtype=np.float64)
    window = align_window(times, resolved, max_time, min_resolved)
    use = window[:, None] & np.asarray(resolved, dtype=bool) & np.isfinite(residual)
    detail = {"window_snapshots": int(window.sum()), "samples": int(use.sum())}
    if not use.any():
        return CheckResult("align", math.nan, float(max_residual), "<=", UNDETERMINED, detail)
    h = np.broadcast_to(-np.expm1(-2.0 * times)[:, None], use.shape)
    a = float(np.median(residual[use] / np.sqrt(h[use]))) / chi_median(normal_dims)
    p2 = float(np.sum(predicted[use] ** 2 / h[use]))
    slope = float(np.sum(along[use] * predicted[use] / h[use]) / p2) if p2 > 0 else math.nan
    slope_error = 1.0 / math.sqrt(p2) if p2 > 0 else math.inf
    detail.update(slope=slope, slope_error=slope_error, slope_tested=bool(slope_error <= max_slope_error))
    verdict = verdict_of(a, max_residual, "<=")
    if verdict == PASS and detail["slope_tested"] and not abs(slope - 1.0) <= slope_tolerance:
        verdict = FAIL
    return CheckResult("align", a, float(max_residual), "<=", verdict, detail)


def slide_explained(separation, response, tolerance: float, floor: float) -> np.ndarray:
    """Samples whose tangential separation is explained by the linear response; (B,) bool."""
    separation, response = np.asarray(separation), np.asarray(response)
    return np.abs(separation - response) <= tolerance * (np.abs(separation) + np.abs(response)) + floor


def slide_check(separation, response, resolved, tolerance: float, floor: float, min_explained: float) -> CheckResult:
    """Slide: fraction of resolved samples whose separation from the exact run is the response R; (B,) each."""
    resolved = np.asarray(resolved, dtype=bool) & np.isfinite(separation) & np.isfinite(response)
    detail = {"samples": int(resolved.sum())}
    if not resolved.any():
        return CheckResult("slide", math.nan, float(min_explained), ">=", UNDETERMINED, detail)
    explained = slide_explained(np.asarray(separation)[resolved], np.asarray(response)[resolved], tolerance, floor)
    stat = float(explained.mean())
    detail["median_separation"] = float(np.median(np.abs(np.asarray(separation)[resolved])))
    return CheckResult("slide", stat, float(min_explained), ">=", verdict_of(stat, min_explained, ">="), detail)


def run_checks(metrics, exact_tube_fraction, dim: int, ridge_dim: int, cfg: dict) -> dict:
    """Reach, align and slide of one run from its metrics store (:mod:`ridgeline.metrics_store`).

    Parameters
    ----------
    metrics : the run's metrics Dataset (per-sample align measures, tube fraction, slide measures).
    exact_tube_fraction : (S,) the exact score's tube fraction on the same dataset and snapshots
        (NaN where unknown: reach is then undetermined).
    dim, ridge_dim : D and d. cfg : the ``checks`` config section (reach, align, slide, min_gap).

    Returns
    -------
    {check name: :class:`CheckResult`}; a check whose measurements the store lacks (no score model,
    no coupled run) is left out.
    """
    r = cfg["reach"]
    out = {"reach": reach_check(metrics["time"].values, metrics["tube_fraction"].values, exact_tube_fraction,
                                r["min_time"], r["max_deficit"])}
    if "offset_residual" in metrics:
        a = cfg["align"]
        resolved = metrics["projection_gap"].values >= cfg["min_gap"]
        out["align"] = align_check(
            metrics["time"].values,
            metrics["offset_predicted"].values,
            metrics["offset_along"].values,
            metrics["offset_residual"].values,
            resolved,
            normal_dims=dim - ridge_dim,
            max_time=a["max_time"],
            min_resolved=a["min_resolved"],
            max_residual=a["max_residual"],
            slope_tolerance=a["slope_tolerance"],
            max_slope_error=a["max_slope_error"],
        )
    if "slide_separation" in metrics:
        s = cfg["slide"]
        resolved = metrics["slide_resolved_gap"].values >= cfg["min_gap"]
        out["slide"] = slide_check(
            metrics["slide_separation"].values,
            metrics["slide_response"].values,
            resolved,
            s["tolerance"],
            s["floor"],
            s["min_explained"],
        )
        out["slide"].detail.update(inter_mode_drifts(metrics))
    return out


def inter_mode_drifts(metrics) -> dict:
    """Median tangential drift over the slide window of the model's coupled samples that end between
    training points (final class inter_mode), and of the exact score's from the same starts.

    The coupled samples are the first ones of the run, so their final classes are the first entries
    of ``final_class``.
    """
    coupled = metrics.sizes["slide_sample"]
    inter = metrics["final_class"].values[:coupled] == 1  # index of "inter_mode" in metrics.CLASSES
    if not inter.any():
        return {"inter_mode_samples": 0}
    return {
        "inter_mode_samples": int(inter.sum()),
        "inter_mode_drift_model": float(np.median(np.abs(metrics["slide_drift_model"].values[inter]))),
        "inter_mode_drift_exact": float(np.median(np.abs(metrics["slide_drift_exact"].values[inter]))),
    }


def summarize_seeds(results: list[CheckResult]) -> dict:
    """Median [min - max] of a check's statistic over the seeds of one (dataset, model), and its verdicts."""
    values = np.asarray([r.statistic for r in results], dtype=np.float64)
    finite = values[np.isfinite(values)]
    verdicts = [r.verdict for r in results]
    spread = (float(np.median(finite)), float(finite.min()), float(finite.max())) if finite.size else (math.nan,) * 3
    return json_ready(
        {
            "check": results[0].check,
            "threshold": results[0].threshold,
            "direction": results[0].direction,
            "median": spread[0],
            "min": spread[1],
            "max": spread[2],
            "seeds": len(results),
            "verdicts": {v: verdicts.count(v) for v in (PASS, FAIL, UNDETERMINED) if v in verdicts},
            "text": f"{spread[0]:.3g} [{spread[1]:.3g}-{spread[2]:.3g}]" if finite.size else "undetermined",
        }
    )


def check_runs(runs: dict, cfg: dict, ridge_dim: int) -> dict:
    """The checks of every run, each judged against the exact run of its dataset and seed.

    Parameters
    ----------
    runs : {(dataset, model, seed): metrics Dataset (:mod:`ridgeline.metrics_store`)}.
    cfg : the ``checks`` config section. ridge_dim : d.

    Returns
    -------
    dict with ``runs`` (per run: every check's result) and ``summary`` (per dataset, model and
    check: the statistic's median [min - max] over seeds, :func:`summarize_seeds`).
    """
    per_run, grouped = [], {}
    for (dataset, model, seed), ds in runs.items():
        exact = runs.get((dataset, "exact", seed))
        tube = exact_tube_on(ds, exact)
        results = run_checks(ds, tube, ds.sizes["coord"], ridge_dim, cfg)
        per_run.append(
            {
                "dataset": dataset,
                "model": model,
                "seed": int(seed),
                **{name: result.to_dict() for name, result in results.items()},
            }
        )
        for name, result in results.items():
            grouped.setdefault((dataset, model, name), []).append(result)
    summary = [{"dataset": d, "model": m, **summarize_seeds(results)} for (d, m, _), results in grouped.items()]
    return {"runs": per_run, "summary": summary}


def exact_tube_on(ds, exact) -> np.ndarray:
    """The exact run's tube fraction at the snapshot times of ``ds`` (S,): as stored where the times
    agree, else interpolated in log t inside the exact run's snapshots (an external run's own times)
    and NaN outside them, or everywhere without an exact run."""
    times = ds["time"].values.astype(float)
    if exact is None:
        return np.full(times.size, np.nan)
    ref_t, ref = exact["time"].values.astype(float), exact["tube_fraction"].values.astype(float)
    if ref_t.shape == times.shape and np.allclose(ref_t, times, rtol=1e-12):
        return ref
    order = np.argsort(ref_t)
    return np.interp(np.log(times), np.log(ref_t[order]), ref[order], left=np.nan, right=np.nan)


#: Prefix of the control models' names in the pipeline (model wildcard ``control_<name>``).
CONTROL_PREFIX = "control_"

#: What each control is built to do in each check: "negative" (must fail), "positive" (must pass,
#: with a known answer) or "reference" (the exact score, which every check compares against).
ROLES = {
    "reach": {
        "exact": "reference",
        "normal_removed": "negative",
        "random_field": "negative",
        "tangential_push": "positive",
    },
    "align": {
        "exact": "reference",
        "normal_removed": "negative",
        "random_field": "negative",
        "normal_shift": "positive",
    },
    "slide": {"exact": "reference", "random_field": "negative", "tangential_shift": "positive"},
}


def expected_verdict(role: str) -> str:
    """A negative control must fail its check; the reference and the positive controls must pass it."""
    return "fail" if role == "negative" else "pass"


def controls_report(results: dict) -> dict:
    """Every control's verdict on the checks it was built for, against the verdict it must get.

    Parameters
    ----------
    results : {(dataset, control name): {check: :class:`ridgeline.checks.CheckResult`}}, the control
        names without the ``control_`` prefix (``exact`` for the exact score).

    Returns
    -------
    dict with ``entries`` (one per dataset, check and control with a role: role, statistic,
    threshold, verdict, expected, ``as_expected``) and ``all_as_expected``.
    """
    entries = []
    for (dataset, name), checks in results.items():
        for check, roles in ROLES.items():
            if name not in roles or check not in checks:
                continue
            result = checks[check].to_dict()
            expected = expected_verdict(roles[name])
            entries.append(
                {
                    "dataset": dataset,
                    "check": check,
                    "control": name,
                    "role": roles[name],
                    "expected": expected,
                    "as_expected": result["verdict"] == expected,
                    **result,
                }
            )
    return {"entries": entries, "all_as_expected": all(e["as_expected"] for e in entries)}
