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
    assert back["x"].attrs == {"long_name": "a thing", "units": "1", "quantity": "length"}
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


def _sealed(tmp_path, rule="sample"):
    """A store of two chunks of x along time (rows 0 and 1), written with provenance."""
    ds = xr.Dataset({"x": variable(np.arange(6.0).reshape(2, 3) + 1, (dims.TIME, dims.SAMPLE), "a thing")},
                    coords={dims.TIME: [1.0, 0.5]})
    ds["x"].encoding["chunks"] = (1, 3)
    return write_store(ds, tmp_path / "results" / rule / "s.zarr", provenance(rule, {}))


def test_an_intact_store_passes_its_seal_and_reads_unchanged(tmp_path):
    path = _sealed(tmp_path)
    assert io.verify_store(path) is True
    assert read_store(path)["x"].values.tolist() == [[1, 2, 3], [4, 5, 6]]


def test_a_deleted_chunk_is_named_instead_of_read_as_nan(tmp_path):
    path = _sealed(tmp_path)
    (path / "x" / "c" / "1" / "0").unlink()
    with xr.open_zarr(path, zarr_format=3, consolidated=False) as raw:  # what zarr alone would report
        assert np.isnan(raw["x"].values[1]).all()
    with pytest.raises(io.StoreDamagedError) as err:
        read_store(path)
    message = str(err.value)
    assert "chunk c/1/0 of variable 'x' is missing" in message and str(path) in message
    assert "snakemake --forcerun sample" in message and "rm -r" in message


@pytest.mark.parametrize("damage", ["garbage_chunk", "no_metadata", "no_variable_metadata", "seal_garbage"])
def test_damaged_chunks_and_metadata_are_named(tmp_path, damage):
    path = _sealed(tmp_path)
    if damage == "garbage_chunk":
        (path / "x" / "c" / "0" / "0").write_bytes(b"\x00garbage")
    elif damage == "no_metadata":
        (path / "zarr.json").unlink()
    elif damage == "no_variable_metadata":
        (path / "x" / "zarr.json").unlink()
    else:
        (path / io.INTEGRITY_GROUP / "zarr.json").write_text("{not json")
    with pytest.raises(io.StoreDamagedError, match="is damaged") as err:
        io.open_store(path)
    assert str(path) in str(err.value)


def test_a_store_without_seal_reads_but_reports_it_cannot_be_checked(tmp_path):
    ds = _ds()
    ds.to_zarr(tmp_path / "external.zarr", zarr_format=3, consolidated=False)
    assert io.verify_store(tmp_path / "external.zarr") is False
    xr.testing.assert_allclose(read_store(tmp_path / "external.zarr"), ds)


def test_a_file_where_a_store_should_be_is_named(tmp_path):
    (tmp_path / "s.zarr").write_text("not a store")
    with pytest.raises(io.StoreDamagedError, match="is a file"):
        read_store(tmp_path / "s.zarr")


def test_temporary_stores_of_killed_jobs_are_removed_by_the_next_write(tmp_path):
    stale = tmp_path / ".s.zarr.tmp-deadbeef"
    (stale / "x").mkdir(parents=True)
    (stale / "x" / "chunk").write_bytes(b"0" * 1000)
    other = tmp_path / ".t.zarr.tmp-deadbeef"  # another store's: not ours to remove
    other.mkdir()
    write_store(_ds(), tmp_path / "s.zarr")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".t.zarr.tmp-deadbeef", "s.zarr"]


def test_a_store_that_would_hold_nan_where_values_must_be_finite_is_not_written(tmp_path):
    ds = _ds()
    ds["x"].values[1, 1:] = [np.nan, np.inf]
    with pytest.raises(io.NonFiniteError, match=r"'x': 2 of 6 values.*lower the rate"):
        write_store(ds, tmp_path / "s.zarr", finite=["x"], hint="lower the rate")
    assert list(tmp_path.iterdir()) == []
    write_store(ds, tmp_path / "s.zarr")  # control: NaN is allowed where it means "undefined"
    assert np.isnan(read_store(tmp_path / "s.zarr")["x"].values[1, 1])


def test_figures_are_saved_in_every_asked_format_at_the_text_width(tmp_path):
    from ridgeline.figure_style import plt, save_figure

    fig, ax = plt.subplots(figsize=(14.0, 5.0))
    ax.plot([0, 1], [0, 1])
    paths = save_figure(fig, tmp_path / "f.png", formats=["pdf", "svg"], dpi=50)
    assert [p.name for p in paths] == ["f.png", "f.pdf", "f.svg"] and all(p.stat().st_size > 500 for p in paths)
    assert (tmp_path / "f.pdf").read_bytes().startswith(b"%PDF") and b"<svg" in (tmp_path / "f.svg").read_bytes()
    with pytest.raises(ValueError, match="unknown figure format"):
        save_figure(plt.figure(), tmp_path / "g.png", formats=["gif"])
