"""Write envs/constraints.txt: the exact versions of ridgeline's dependency closure (extras
workflow, test, mnist, and the test-only sconce-scms and the linter ruff) as installed here, the
versions CI tests with. Run it after an upgrade: python envs/make_constraints.py"""

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


def main():
    pins = closure(ROOTS)
    lines = ["# Exact versions CI installs (python envs/make_constraints.py); pip install -c envs/constraints.txt ..."]
    lines += [f"{name}=={version.split('+')[0]}" for name, version in sorted(pins.items())]  # local labels (+cpu) dropped
    Path(__file__).with_name("constraints.txt").write_text("\n".join(lines) + "\n")
    print(f"{len(pins)} pins")


if __name__ == "__main__":
    main()
