"""Two results folders compared store by store: identical arrays pass whatever their provenance;
one changed value, a changed dtype, a missing variable or a missing store is reported."""

import shutil

import numpy as np
import xarray as xr

from ridgeline.io import variable, write_store
from ridgeline.store_compare import result_stores, run_differences


def _write(root, values, *, commit="a", extra=False, dtype=np.float64):
    data = {"x": variable(np.asarray(values, dtype=dtype), ("sample",), "a value")}
    if extra:
        data["y"] = variable(np.zeros(3), ("sample",), "another")
    write_store(xr.Dataset(data), root / "sample" / "run.zarr", {"git_commit": commit, "rule": "r", "seed": 0})
    write_store(xr.Dataset({"z": variable(np.arange(2.0), ("k",), "z")}), root / "metrics.zarr", {"git_commit": commit})


def test_identical_arrays_written_by_different_commits_are_the_same_run(tmp_path):
    _write(tmp_path / "a", [1.0, np.nan, 3.0], commit="a")
    _write(tmp_path / "b", [1.0, np.nan, 3.0], commit="b")
    assert result_stores(tmp_path / "a") == ["metrics.zarr", "sample/run.zarr"]
    assert run_differences(tmp_path / "a", tmp_path / "b") == {}


def test_control_one_changed_value_a_dtype_a_variable_and_a_store_are_each_reported(tmp_path):
    _write(tmp_path / "a", [1.0, 2.0, 3.0])
    _write(tmp_path / "b", [1.0, 2.0, 3.0 + 1e-15])
    assert run_differences(tmp_path / "a", tmp_path / "b") == {"sample/run.zarr": ["x: values differ"]}
    _write(tmp_path / "c", [1.0, 2.0, 3.0], dtype=np.float32)
    assert "float32" in run_differences(tmp_path / "a", tmp_path / "c")["sample/run.zarr"][0]
    _write(tmp_path / "d", [1.0, 2.0, 3.0], extra=True)
    assert "only in one" in run_differences(tmp_path / "a", tmp_path / "d")["sample/run.zarr"][0]
    (tmp_path / "e").mkdir()
    _write(tmp_path / "e", [1.0, 2.0, 3.0])
    shutil.rmtree(tmp_path / "e" / "metrics.zarr")
    assert run_differences(tmp_path / "a", tmp_path / "e") == {"metrics.zarr": ["missing in the second run"]}
