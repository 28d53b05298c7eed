"""Code fingerprints derived from what a workflow script imports."""

from pathlib import Path

import pytest

from ridgeline.provenance import NOT_NUMERICAL, code_fingerprint, imported_modules, module_closure, script_fingerprint

SCRIPTS = Path(__file__).resolve().parents[1] / "workflow_scripts"


def test_imports_are_found_in_every_form():
    source = """
import ridgeline.forward
from ridgeline import dims
from ridgeline.models import load_score_model
from ridgeline.models.neural import ScoreMLP
import numpy

def late():
    from ridgeline.scms import scms_project
"""
    assert imported_modules(source) == {"forward", "dims", "models", "models.neural", "scms"}
    relative = "from ..empirical import SmoothedEmpirical\nfrom .neural import ScoreMLP\nfrom . import loading"
    assert imported_modules(relative, package="models") == {"empirical", "models.neural", "models.loading", "models"}


def test_the_closure_follows_imports_through_the_library():
    closure = module_closure(imported_modules((SCRIPTS / "sample.py").read_text()))
    # sample.py imports neither the empirical distribution nor the random streams directly
    assert {"sampling", "coupling", "empirical", "runtime", "forward", "models", "ridge"} <= closure
    assert "models.neural" not in closure  # a package counts once, with all its files
    figure = module_closure(imported_modules((SCRIPTS / "figure_phases.py").read_text()))
    assert "empirical" not in figure and "check_plots" in figure


def test_script_fingerprints_change_with_a_transitive_module_and_skip_non_numerical_ones():
    modules = module_closure(imported_modules((SCRIPTS / "run_metrics.py").read_text())) - NOT_NUMERICAL
    assert script_fingerprint(SCRIPTS / "run_metrics.py") == code_fingerprint(*modules)
    assert "scms" in modules and not modules & NOT_NUMERICAL
    assert code_fingerprint(*(modules - {"scms"})) != code_fingerprint(*modules)
    with pytest.raises(ValueError, match="no ridgeline module"):
        code_fingerprint("not_a_module")


def test_nothing_a_run_writes_is_tracked_so_provenance_stays_clean():
    """Rule benchmark files were tracked: every run rewrote them and its stores recorded a dirty commit."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    if not (root / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(["git", "ls-files", "benchmarks", "results", "logs"], cwd=root, capture_output=True,
                             text=True, check=True).stdout.split()
    assert [p for p in tracked if p.endswith(".tsv") or p.startswith(("results/", "logs/"))] == []
    for written in ("benchmarks/sample/thirteen/exact/seed0.tsv", "results/metrics.zarr", "logs/sample/x.log"):
        assert subprocess.run(["git", "check-ignore", "-q", written], cwd=root).returncode == 0, written
