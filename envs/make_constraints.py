"""Write envs/constraints.txt, the exact versions of ridgeline's dependency closure (extras
workflow, test, mnist, the test-only sconce-scms and the linter ruff) as installed here, i.e. the
versions CI tests with, and envs/ridgeline.yaml, the conda environment of the rules with the same
pins. Run it after an upgrade: python envs/make_constraints.py"""

import re
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from packaging.requirements import Requirement

ROOTS = ["ridgeline[workflow,test,mnist]", "sconce-scms", "ruff"]


def closure(roots):
    seen, todo = {}, [Requirement(r) for r in roots]
    while todo:
        req = todo.pop()
        name = re.sub(r"[-_.]+", "-", req.name).lower()
        try:
            dist = distribution(req.name)
        except PackageNotFoundError:
            continue
        extras = set(req.extras) | seen.get(name, (None, set()))[1]
        if name in seen and extras <= seen[name][1]:
            continue
        seen[name] = (dist.version, extras)
        if name == "sconce-scms":  # installed with --no-deps: its ray pins conflict with Snakemake's
            continue
        for text in dist.requires or []:
            sub = Requirement(text)
            if sub.marker is None or any(sub.marker.evaluate({"extra": e}) for e in (extras or {""})):
                todo.append(sub)
    return {name: version for name, (version, _) in seen.items() if name != "ridgeline"}


ENV_HEADER = """# Conda environment of every rule (snakemake --software-deployment-method conda), written by
# envs/make_constraints.py. The ridgeline package itself is not installed here: the scripts import
# it through the link workflow_scripts/ridgeline -> ../ridgeline (Snakemake puts the scripts'
# folder on the path). Versions: envs/constraints.txt (tests/test_environment.py keeps them in step).
name: ridgeline
channels:
  - conda-forge
dependencies:
  - python=3.11
  - pip
  - pip:
"""


def runtime_requirements() -> list:
    """Names of ridgeline's own dependencies and those of its extra ``mnist``, from pyproject.toml."""
    import tomllib

    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]
    return [Requirement(d).name.lower() for d in project["dependencies"] + project["optional-dependencies"]["mnist"]]


def main():
    pins = closure(ROOTS)
    lines = ["# Exact versions CI installs (python envs/make_constraints.py); pip install -c envs/constraints.txt ..."]
    lines += [f"{name}=={version.split('+')[0]}" for name, version in sorted(pins.items())]  # local labels (+cpu) dropped
    Path(__file__).with_name("constraints.txt").write_text("\n".join(lines) + "\n")
    env = "".join(f"      - {name}=={pins[name].split('+')[0]}\n" for name in runtime_requirements())
    Path(__file__).with_name("ridgeline.yaml").write_text(ENV_HEADER + env)
    print(f"{len(pins)} pins")


if __name__ == "__main__":
    main()
