"""What `--software-deployment-method conda` would install, rendered without conda.

Snakemake is run with a stand-in conda (tests/workflow/fake_conda/conda) that records the
environment file Snakemake hands to `conda env create`; pip's resolver then resolves that file's
pip section from the folder conda would run it in (.snakemake/conda/), as conda does. The negative
control puts back the editable install of the repository by a relative path that the environment
once had: resolved from .snakemake/conda/ it names no project and is refused.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import copy_project, snakemake

FAKE_CONDA = Path(__file__).parent / "fake_conda"


def render_environments(project: Path, log: Path) -> list[Path]:
    """The environment files Snakemake asks conda to create for config/test.yaml."""
    snakemake(project, "--sdm", "conda", "--conda-create-envs-only")
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    return [Path(c[c.index("--file") + 1]) for c in calls if c[:2] == ["env", "create"]]


def resolve_pip_section(env_file: Path) -> subprocess.CompletedProcess:
    """pip's dry-run resolution of the pip section, from the rendered file's folder (as conda runs it)."""
    env = yaml.safe_load(env_file.read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    requirements = env_file.with_suffix(".requirements.txt")
    requirements.write_text("\n".join(pip) + "\n")
    report = env_file.with_suffix(".report.json")
    return subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                           "--report", str(report), "-r", requirements.name], cwd=env_file.parent,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture
def fake_conda(tmp_path, monkeypatch):
    log = tmp_path / "conda_calls.jsonl"
    monkeypatch.setenv("FAKE_CONDA_LOG", str(log))
    monkeypatch.setenv("PATH", f"{FAKE_CONDA}{os.pathsep}{os.environ['PATH']}")
    return log


def test_every_rule_gets_the_pinned_environment_and_pip_resolves_it_where_conda_would(tmp_path, fake_conda):
    project = copy_project(tmp_path / "project")
    rendered = render_environments(project, fake_conda)
    assert len(rendered) == 1, f"one environment for every rule, got {rendered}"
    assert rendered[0].read_text() == (project / "envs" / "ridgeline.yaml").read_text()
    assert rendered[0].parent == project / ".snakemake" / "conda"
    listed = snakemake(project, "--sdm", "conda", "--list-conda-envs").stdout
    assert [line.split()[0] for line in listed.splitlines() if line.startswith("envs/")] == ["envs/ridgeline.yaml"]
    out = resolve_pip_section(rendered[0])
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(rendered[0].with_suffix(".report.json").read_text())
    installed = {i["metadata"]["name"].lower(): i["metadata"]["version"].split("+")[0] for i in report["install"]}
    pins = dict(line.split("==") for line in (project / "envs" / "constraints.txt").read_text().splitlines()
                if line and not line.startswith("#"))
    for name in ("numpy", "torch", "xarray", "zarr", "matplotlib"):
        assert installed[name] == pins[name]


def test_control_an_editable_install_by_relative_path_is_refused_where_conda_runs_pip(tmp_path, fake_conda):
    project = copy_project(tmp_path / "project")
    env_file = project / "envs" / "ridgeline.yaml"
    env = yaml.safe_load(env_file.read_text())
    next(d["pip"] for d in env["dependencies"] if isinstance(d, dict)).append("-e ..")
    env_file.write_text(yaml.safe_dump(env))
    (rendered,) = render_environments(project, fake_conda)
    out = resolve_pip_section(rendered)
    assert out.returncode != 0
    assert "project/.snakemake" in out.stderr and "does not appear to be a Python project" in out.stderr
