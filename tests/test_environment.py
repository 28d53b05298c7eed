"""The environment: the conda file installs what pyproject.toml asks for, at the versions CI tests
with (envs/constraints.txt), and never the repository by a relative path (which Snakemake would
resolve against its copy under .snakemake/conda/); the scripts find the library through a link."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def constraints():
    lines = (ROOT / "envs" / "constraints.txt").read_text().splitlines()
    return dict(line.split("==") for line in lines if line and not line.startswith("#"))


def test_the_conda_environment_pins_every_runtime_dependency_and_no_local_path():
    env = yaml.safe_load((ROOT / "envs" / "ridgeline.yaml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    needed = {re.split(r"[<>=~!\[ ]", d)[0].lower() for d in project["dependencies"]
              + project["optional-dependencies"]["mnist"]}
    pins = dict(item.split("==") for item in pip)
    assert set(pins) == needed
    assert all(pins[name] == constraints()[name] for name in pins)
    assert not any(item.startswith("-e") or ".." in item or "/" in item for item in pip)


def test_the_constraints_pin_what_ci_installs():
    pins = constraints()
    for name in ("snakemake", "torch", "xarray", "zarr", "mlxtend", "pytest", "ruff", "snakefmt"):
        assert name in pins
    assert pins["torch"] == "2.13.0"  # no local label: a +cpu or +cu wheel of 2.13.0 satisfies it


def test_the_scripts_find_the_library_through_their_folder():
    """Snakemake puts the scripts' folder on sys.path; the link there reaches the library."""
    code = ("import sys; sys.path.insert(0, 'workflow_scripts'); import ridgeline, pathlib; "
            "print(ridgeline.__file__); print(pathlib.Path(ridgeline.__file__).resolve())")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    found, resolved = out.stdout.split()
    assert "workflow_scripts" in found and Path(resolved) == ROOT / "ridgeline" / "__init__.py"
