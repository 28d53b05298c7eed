"""Helpers to run the Snakemake DAG on config/test.yaml in a throw-away copy of the project."""

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COPIED = ["Snakefile", "rules", "workflow_scripts", "config", "envs", "profiles", "report", "ridgeline", "examples"]


def copy_project(dest: Path) -> Path:
    """Copy the workflow and the library into ``dest``; jobs there import that library copy."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__", "out"))
        else:
            shutil.copy2(src, dest / name)
    return dest


def _default_sigint():
    """Undo an inherited SIG_IGN (background shells ignore SIGINT) so Ctrl-C can be simulated."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def snakemake(project: Path, *args, config: Path | None = None, check=True, popen=False, env=None,
              timeout: float = 900):
    """Run snakemake in ``project`` with its own library copy first on the import path.

    ``args`` (targets, options) come before ``--configfile``, which would read a target after it
    as one more configuration file. ``env``: the environment to start from (default: this one).
    """
    env = dict(env or os.environ, PYTHONPATH=str(project), PYTHONUNBUFFERED="1")
    cmd = [sys.executable, "-m", "snakemake", *args, "--cores", "2",
           "--configfile", str(config or project / "config" / "test.yaml")]
    if popen:
        log = open(project / "snakemake_console.log", "w")
        return subprocess.Popen(cmd, cwd=project, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, preexec_fn=_default_sigint)
    out = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True, timeout=timeout)
    if check and out.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{out.stdout[-4000:]}\n{out.stderr[-4000:]}")
    return out


def planned_jobs(project: Path, config: Path | None = None) -> dict:
    """{rule: count} of the jobs a dry run would execute."""
    out = snakemake(project, "--dry-run", config=config)
    text = out.stdout + out.stderr
    if "Nothing to be done" in text:
        return {}
    table = text.split("Job stats:")[1].split("total")[0]
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", table, re.M)}


def planned_resources(text: str) -> dict:
    """{rule: {resource: value}} from the job blocks of a dry run's output."""
    out = {}
    for block in re.split(r"\n(?=rule \w+:)", text):
        name = re.match(r"rule (\w+):", block)
        res = re.search(r"^\s+resources: (.+)$", block, re.M)
        if not name or not res:
            continue
        out[name.group(1)] = dict(item.split("=", 1) for item in res.group(1).split(", "))
    return out


def edited_config(project: Path, name: str, edit) -> Path:
    """Write a copy of the test config changed by ``edit(dict)``; returns its path."""
    cfg = yaml.safe_load((project / "config" / "test.yaml").read_text())
    edit(cfg)
    path = project / "config" / name
    path.write_text(yaml.safe_dump(cfg, sort_keys=True))
    return path


@pytest.fixture(scope="session")
def finished_run(tmp_path_factory):
    """A project copy on which the whole test DAG has run once."""
    project = copy_project(tmp_path_factory.mktemp("run1"))
    snakemake(project)
    return project
