"""Provenance of stored results: package version, git commit, code fingerprints."""

import ast
import functools
import hashlib
import json
import subprocess
from pathlib import Path

from . import __version__

PACKAGE_DIR = Path(__file__).resolve().parent


def git_commit(path: Path = PACKAGE_DIR) -> str:
    """The git commit of the checkout holding ``path`` (with ``-dirty`` if modified), or 'unknown'."""
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=40"], cwd=path,
                             capture_output=True, text=True, timeout=10, check=True)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def code_fingerprint(*modules: str) -> str:
    """SHA-256 prefix over the source of the named ridgeline modules (dotted paths or packages).

    ``code_fingerprint("empirical", "models")`` hashes ridgeline/empirical.py and every file of
    ridgeline/models/. Passed as a Snakemake param, it re-runs a rule when that code changes.
    """
    digest = hashlib.sha256()
    for name in sorted(modules):
        base = PACKAGE_DIR.joinpath(*name.split("."))
        files = sorted(base.rglob("*.py")) if base.is_dir() else [base.with_suffix(".py")]
        if not files or not files[0].exists():
            raise ValueError(f"no ridgeline module named '{name}'")
        for file in files:
            digest.update(file.relative_to(PACKAGE_DIR).as_posix().encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def provenance(rule: str, config_slice: dict, seed=None) -> dict:
    """Attributes recorded on every store: version, commit, rule, config slice (JSON), seed."""
    return {
        "ridgeline_version": __version__,
        "git_commit": git_commit(),
        "rule": rule,
        "config": json.dumps(config_slice, sort_keys=True, default=str),
        "seed": -1 if seed is None else int(seed),
    }


def imported_modules(source: str, package: str = "") -> set[str]:
    """ridgeline modules (dotted, relative to the package) that Python ``source`` imports anywhere.

    ``package`` is the dotted package of the importing module (for relative imports), "" for a
    module of the top-level package or a script outside it.
    """
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".", 1)[1] for a in node.names if a.name.startswith("ridgeline.")}
        elif isinstance(node, ast.ImportFrom):
            base = _import_base(node, package)
            if base is None:
                continue
            found |= {_join(base, a.name) for a in node.names if _is_module(_join(base, a.name))}
            if base:
                found.add(base)
    return {name for name in found if _is_module(name)}


def _import_base(node, package: str):
    """The imported module of ``from X import ...`` relative to ridgeline, or None if outside it."""
    if node.level == 0:
        if node.module == "ridgeline":
            return ""
        return node.module.split(".", 1)[1] if node.module and node.module.startswith("ridgeline.") else None
    parts = package.split(".") if package else []
    parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
    return ".".join(p for p in [*parts, node.module or ""] if p)


def _join(base: str, name: str) -> str:
    return f"{base}.{name}" if base else name


def _is_module(name: str) -> bool:
    path = PACKAGE_DIR.joinpath(*name.split("."))
    return bool(name) and (path.with_suffix(".py").is_file() or (path / "__init__.py").is_file())


def module_closure(modules) -> set[str]:
    """The ridgeline modules ``modules`` import, directly or through each other (packages as one unit)."""
    todo, seen = list(modules), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = PACKAGE_DIR.joinpath(*name.split("."))
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")]
        for file in files:
            todo += sorted(_file_imports(file) - seen)
    return {name for name in seen if not any(name.startswith(f"{other}.") for other in seen)}


@functools.lru_cache(maxsize=None)
def _file_imports(file: Path) -> frozenset[str]:
    """imported_modules of one file of the package, parsed once per process (the DAG asks per rule)."""
    rel = file.relative_to(PACKAGE_DIR).with_suffix("")
    return frozenset(imported_modules(file.read_text(), ".".join(rel.parts[:-1])))


#: Modules that cannot change a result (store attributes, progress logging): left out of fingerprints.
NOT_NUMERICAL = frozenset({"provenance", "progress", "jobs", "allocator"})


def script_fingerprint(script) -> str:
    """Code fingerprint of every ridgeline module a workflow script uses, directly or transitively
    (except :data:`NOT_NUMERICAL`), so no rule can miss a module its results depend on."""
    return code_fingerprint(*(module_closure(imported_modules(Path(script).read_text())) - NOT_NUMERICAL))
