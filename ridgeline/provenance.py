"""Provenance of stored results: package version, git commit, code fingerprints."""

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
