"""`ridgeline analyze` on a model the project does not ship: the worked example's plain-torch DDPM
(examples/own_model/train_ddpm.py), trained briefly, its samples analysed from the command line
and from Python, with the same answer."""

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from ridgeline import ForwardProcess, analyze_samples
from ridgeline.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def own_model(tmp_path_factory):
    out = tmp_path_factory.mktemp("own")
    subprocess.run([sys.executable, str(ROOT / "examples/own_model/train_ddpm.py"), str(out), "--steps", "300",
                    "--samples", "200"], check=True, capture_output=True)
    return out


def test_the_command_line_writes_a_store_and_vector_figures_and_prints_the_checks(own_model, capsys):
    out = own_model / "analysis.zarr"
    code = main(["analyze", "--train", str(own_model / "train.npy"), "--samples", str(own_model / "trajectory.npy"),
                 "--times", str(own_model / "times.npy"), "--process", "vp_linear:0.1,20", "--out", str(out),
                 "--format", "png", "pdf", "svg", "--reference-samples", "100"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "reach" in printed and "final samples: near_point:" in printed
    for fmt in ("png", "pdf", "svg"):
        assert (own_model / f"analysis.{fmt}").stat().st_size > 1000
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with xr.open_zarr(out) as ds:
            assert ds["check_verdict"].dims == ("check",) and ds.attrs["rule"] == "analyze"
            assert ds["scms_distance"].dims == ("time", "sample") and ds.sizes["sample"] == 200
            cli = ds.load()
    api = analyze_samples(np.load(own_model / "train.npy"), np.load(own_model / "trajectory.npy"),
                          np.load(own_model / "times.npy"), process=ForwardProcess.vp_linear(0.1, 20.0),
                          reference_samples=100)
    np.testing.assert_array_equal(api["final_class"].values, cli["final_class"].values)
    np.testing.assert_allclose(api["scms_distance"].values, cli["scms_distance"].values)


def test_final_samples_alone_are_measured_at_the_last_time(own_model, tmp_path, capsys):
    code = main(["analyze", "--train", str(own_model / "train.npy"), "--samples", str(own_model / "samples.npy"),
                 "--out", str(tmp_path / "final.zarr")])
    assert code == 0 and "undetermined" in capsys.readouterr().out  # one snapshot: no reach timing
    assert xr.open_zarr(tmp_path / "final.zarr")["time"].values.tolist() == [1e-3]


@pytest.mark.parametrize("args, message", [
    (["--samples", "missing.npy"], "does not exist"),
    (["--process", "cosine"], "unknown forward process"),
    (["--ridge-dim", "2"], "ridge_dim = 2 must lie in [1, D - 1]"),
])
def test_errors_name_the_fix_and_exit_2(own_model, tmp_path, capsys, args, message):
    base = {"--train": str(own_model / "train.npy"), "--samples": str(own_model / "samples.npy"),
            "--out": str(tmp_path / "x.zarr")}
    base.update(dict(zip(args[::2], args[1::2])))
    code = main(["analyze", *[item for pair in base.items() for item in pair]])
    assert code == 2 and message in capsys.readouterr().err


def test_the_console_script_has_help_enough_to_use_it():
    out = subprocess.run([sys.executable, "-m", "ridgeline.cli", "analyze", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    for needed in ("--train", "--samples", "--times", "--process", "vp_linear", "--out", "--format", "examples:"):
        assert needed in out.stdout
