"""The controls' report (rule controls): the verdicts of the control score models on reach, align
and slide, and of the latent baselines on the on-ridge check, against the verdicts they were built
to get (docs/method.md, "Controls")."""

import logging

from .checks import CONTROL_PREFIX, controls_report, run_checks
from .latent.summary import latent_control_entries

log = logging.getLogger(__name__)


def judge_controls(metrics: dict, latent_reports, *, ridge_dim: int, checks: dict, logger=log) -> dict:
    """Run the checks on every control run and compare each verdict with the one it was built for.

    Parameters
    ----------
    metrics : {(dataset, model): opened run_metrics store}, with every dataset's ``exact`` run
        (its tube fraction is the reach reference). latent_reports : the MNIST checks reports
        (parsed JSON), whose latent baselines join the entries. ridge_dim : d. checks : the
        ``checks`` config section.

    Returns
    -------
    The report: ``entries`` (dataset, check, control, role, statistic, verdict, expected,
    as_expected), ``all_as_expected`` over the judged entries and the count of ``undetermined`` ones.
    """
    results = {}
    for (dataset, model), ds in metrics.items():
        exact = metrics[(dataset, "exact")]
        results[(dataset, model.removeprefix(CONTROL_PREFIX))] = run_checks(
            ds, exact["tube_fraction"].values, ds.sizes["coord"], ridge_dim, checks)
    report = controls_report(results)
    for latent in latent_reports:
        report["entries"] += latent_control_entries(latent)
    judged = [e["as_expected"] for e in report["entries"] if e["as_expected"] is not None]
    report["all_as_expected"] = all(judged)
    report["undetermined"] = len(report["entries"]) - len(judged)
    for e in report["entries"]:
        statistic = e["statistic"] if e["statistic"] is not None else float("nan")
        logger.info("%s %s%s %s (%s): statistic = %.4g, %s (expected %s)", e["dataset"], e["check"],
                    f" d* = {e['ridge_dim']}" if "ridge_dim" in e else "", e["control"], e["role"], statistic,
                    e["verdict"], e["expected"])
    if not report["all_as_expected"]:
        logger.warning("some controls did not get the verdict they were built for: the checks cannot be trusted on "
                       "this configuration (see results/controls.json, entries with as_expected = false)")
    return report
