import json

import numpy as np
import pytest
import xarray as xr

from ridgeline import dims
from ridgeline.io import read_store, variable, write_store
from ridgeline.provenance import code_fingerprint, provenance


def _ds():
    return xr.Dataset({"x": variable(np.arange(6.0).reshape(2, 3), (dims.TIME, dims.SAMPLE), "a thing", "length")},
                      coords={dims.TIME: [1.0, 0.5]})


def test_round_trip_keeps_values_attrs_and_provenance(tmp_path):
    prov = provenance("rule_x", {"a": 1, "b": [1, 2]}, seed=3)
    write_store(_ds(), tmp_path / "s.zarr", prov)
    back = read_store(tmp_path / "s.zarr")
    xr.testing.assert_allclose(back, _ds())
    assert back["x"].attrs == {"long_name": "a thing", "units": "length"}
    assert back.attrs["rule"] == "rule_x" and back.attrs["seed"] == 3
    assert json.loads(back.attrs["config"]) == {"a": 1, "b": [1, 2]}
    assert back.attrs["ridgeline_version"] and back.attrs["git_commit"]


def test_failed_write_leaves_no_store_behind(tmp_path):
    bad = _ds().assign(y=xr.Variable((), object()))
    with pytest.raises(Exception):
        write_store(bad, tmp_path / "s.zarr")
    assert list(tmp_path.iterdir()) == []


def test_overwrite_replaces_the_store(tmp_path):
    write_store(_ds(), tmp_path / "s.zarr")
    write_store(_ds() * 2, tmp_path / "s.zarr")
    assert read_store(tmp_path / "s.zarr")["x"].values[1, 2] == 10.0
    assert [p.name for p in tmp_path.iterdir()] == ["s.zarr"]


def test_missing_store_message(tmp_path):
    with pytest.raises(FileNotFoundError, match="run the rule"):
        read_store(tmp_path / "nope.zarr")


def test_code_fingerprint_is_stable_and_specific():
    assert code_fingerprint("scms", "ridge") == code_fingerprint("ridge", "scms")
    assert code_fingerprint("scms") != code_fingerprint("ridge")
    assert code_fingerprint("models") != code_fingerprint("models.exact")
    with pytest.raises(ValueError, match="no ridgeline module"):
        code_fingerprint("nonexistent")
