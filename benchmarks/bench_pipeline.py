"""Wall time of the whole DAG from a clean results folder (default: config/test.yaml).

Copies the workflow and library into a temporary directory, runs `snakemake --cores N` there,
and reports the wall time with the per-rule times of the benchmark files.

Usage: python benchmarks/bench_pipeline.py [--config config/test.yaml] [--cores 2]
       python benchmarks/bench_pipeline.py --collect FOLDER --out FILE   (a run done elsewhere)
"""

import argparse
import csv
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
log = logging.getLogger("bench_pipeline")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="config/test.yaml")
    parser.add_argument("--overlay", action="append", default=[],
                        help="a further config file on top of --config (e.g. config/gpu.yaml); repeatable")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--out", default="benchmarks/results/pipeline_test.json")
    parser.add_argument("--keep", default=None, help="run in this directory and keep its results")
    parser.add_argument("--timeout", type=float, default=None,
                        help="stop Snakemake gracefully (SIGTERM) after this many seconds and report the jobs "
                             "done so far; a later call with the same --keep resumes")
    parser.add_argument("--drain", type=float, default=60,
                        help="seconds Snakemake may take to finish its running jobs after the timeout before "
                             "they are killed")
    parser.add_argument("targets", nargs="*", help="targets to build (default: the whole DAG)")
    parser.add_argument("--collect", default=None,
                        help="run nothing: report the benchmark files under COLLECT/benchmarks (a run done "
                             "elsewhere)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.collect:
        report = collect(Path(args.collect), args)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(report, indent=2))
        log.info("%d jobs, %.1f s from the first start to the last end", report["jobs_done"], report["span_seconds"])
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.keep or tmp)
        if (work / "bench_pipeline_calls.json").exists():
            log.warning("resuming the run in %s: only jobs not yet done there run, and the wall times of "
                        "its earlier calls are added; delete the folder for a run from scratch", work)
        work.mkdir(parents=True, exist_ok=True)
        # the library is copied too and put first on the jobs' import path: edits to the working
        # tree during a long run do not reach its jobs
        for name in ("Snakefile", "rules", "workflow_scripts", "config", "envs", "profiles", "report", "ridgeline"):
            src = ROOT / name
            if src.is_dir():
                shutil.copytree(src, work / name, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(src, work / name)
        start = time.perf_counter()
        completed = run_snakemake(work, args)
        wall = time.perf_counter() - start
        calls = record_call(work, wall)
        per_rule = job_times(work)
    report = {"config": args.config, "overlays": args.overlay, "cores": args.cores, "targets": args.targets,
              "wall_seconds": wall,
              "completed": completed, "calls_wall_seconds": calls, "wall_seconds_all_calls": sum(calls),
              "span_seconds": span(per_rule), "jobs": per_rule}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))
    log.info("%s on %d cores: %.1f s wall%s", args.config, args.cores, wall, "" if completed else " (stopped)")
    for name, row in per_rule.items():
        log.info("  %-40s %7.1f s  %7.0f MB", name, row["seconds"], row["max_rss_mb"])


def job_times(work: Path) -> dict:
    """Per job (benchmark file): seconds, peak RSS, and start/end (Unix time, from the file's mtime)."""
    per_rule = {}
    for tsv in sorted((work / "benchmarks").rglob("*.tsv")):
        with tsv.open() as fh:
            row = next(csv.DictReader(fh, delimiter="\t"))
        rel = str(tsv.relative_to(work / "benchmarks").with_suffix(""))
        end = tsv.stat().st_mtime
        per_rule[rel] = {"seconds": float(row["s"]), "max_rss_mb": float(row["max_rss"]),
                         "start": end - float(row["s"]), "end": end}
    return per_rule


def span(per_rule: dict) -> float:
    """Seconds from the first job's start to the last job's end (0 without jobs)."""
    if not per_rule:
        return 0.0
    return max(j["end"] for j in per_rule.values()) - min(j["start"] for j in per_rule.values())


def collect(folder: Path, args) -> dict:
    """The report of a run done elsewhere (e.g. the benchmarks/ folder copied back from a GPU)."""
    per_rule = job_times(folder)
    return {"config": args.config, "overlays": args.overlay, "cores": args.cores, "collected_from": str(folder),
            "completed": None, "jobs_done": len(per_rule), "span_seconds": span(per_rule), "jobs": per_rule}


def record_call(work: Path, wall: float) -> list:
    """Wall times of every call that ran in ``work`` (a run resumed with the same --keep sums them)."""
    path = work / "bench_pipeline_calls.json"
    calls = json.loads(path.read_text()) if path.exists() else []
    calls.append(wall)
    path.write_text(json.dumps(calls))
    return calls


def run_snakemake(work: Path, args) -> bool:
    """Run the DAG in ``work``; True when it finished, False when stopped at ``args.timeout``.

    At the timeout Snakemake gets SIGTERM (it then waits for its running jobs); after
    ``args.drain`` more seconds its whole process group is killed. Killed jobs are incomplete, so
    a later call with the same ``--keep`` re-runs them (``--rerun-incomplete``).
    """
    configs = [str(work / name) for name in (args.config, *args.overlay)]
    cmd = [sys.executable, "-m", "snakemake", *args.targets, "--cores", str(args.cores), "--configfile",
           *configs, "--quiet", "--rerun-incomplete"]
    locks = work / ".snakemake" / "locks"
    if locks.is_dir() and any(locks.iterdir()):
        log.warning("removing the lock of an earlier, killed call in %s (snakemake --unlock)", work)
        subprocess.run([*cmd, "--unlock"], cwd=work, env=dict(os.environ, PYTHONPATH=str(work)), check=True)
    env = dict(os.environ, PYTHONPATH=str(work))
    proc = subprocess.Popen(cmd, cwd=work, env=env, start_new_session=True)
    try:
        code = proc.wait(timeout=args.timeout)
    except subprocess.TimeoutExpired:
        log.warning("stopping Snakemake after %.0f s", args.timeout)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=args.drain)
        except subprocess.TimeoutExpired:
            log.warning("killing Snakemake and its jobs: still running %.0f s after SIGTERM", args.drain)
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        return False
    if code:
        raise subprocess.CalledProcessError(code, cmd)
    return True


if __name__ == "__main__":
    main()
