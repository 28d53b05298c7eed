import json

import numpy as np
import pytest
import xarray as xr

from ridgeline import dims, io
from ridgeline.io import StreamedArray, read_store, streamed_store, variable, write_store
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


def _streamed(tmp_path, values, blocks, name="s.zarr"):
    spec = {"x": StreamedArray((dims.TIME, dims.SAMPLE), values.shape, "a thing", "length")}
    template = xr.Dataset(coords={dims.TIME: [1.0, 0.5]})
    with streamed_store(tmp_path / name, template, spec, {"seed": 3}) as store:
        for sl in blocks:
            store.write("x", (slice(None), sl), values[:, sl])
    return read_store(tmp_path / name)


def test_streamed_store_reads_back_like_a_whole_write(tmp_path, monkeypatch):
    monkeypatch.setattr(io, "STREAM_CHUNK_ELEMENTS", 4)  # chunks of 2 samples: writes straddle them
    values = np.arange(14.0).reshape(2, 7)
    back = _streamed(tmp_path, values, [slice(0, 3), slice(3, 6), slice(6, 7)])
    whole = xr.Dataset({"x": variable(values, (dims.TIME, dims.SAMPLE), "a thing", "length")},
                       coords={dims.TIME: [1.0, 0.5]})
    write_store(whole, tmp_path / "w.zarr", {"seed": 3})
    assert back.identical(read_store(tmp_path / "w.zarr"))
    assert back["x"].encoding["chunks"] == (2, 2)


def test_given_chunks_are_clipped_to_the_array():
    spec = StreamedArray((dims.TIME, dims.SAMPLE), (3, 10), "y", chunks=(1, 64))
    assert spec.chunk_shape() == (1, 10)


def test_default_chunks_stay_within_the_budget_along_samples_only():
    spec = StreamedArray((dims.TIME, dims.SAMPLE, dims.COORD), (50, 1_000_000, 3), "y")
    chunks = spec.chunk_shape()
    assert chunks[0] == 50 and chunks[2] == 3
    assert chunks[1] * 150 <= io.STREAM_CHUNK_ELEMENTS < (chunks[1] + 1) * 150


def test_incomplete_streamed_store_is_not_put_in_place(tmp_path):
    values = np.ones((2, 5))
    with pytest.raises(RuntimeError, match="incomplete"):
        _streamed(tmp_path, values, [slice(0, 3)])
    assert list(tmp_path.iterdir()) == []


def test_failure_while_streaming_leaves_no_store_behind(tmp_path):
    spec = {"x": StreamedArray((dims.TIME, dims.SAMPLE), (2, 4), "a thing")}
    with pytest.raises(ZeroDivisionError):
        with streamed_store(tmp_path / "s.zarr", xr.Dataset(), spec) as store:
            store.write("x", (slice(None), slice(0, 2)), np.zeros((2, 2)))
            1 / 0
    assert list(tmp_path.iterdir()) == []
