"""External runs (config `external`): samples read from .npy / .csv / zarr, mapped onto the OU
process, with errors that name the entry."""

import numpy as np
import pytest

from ridgeline.external import external_store, read_external
from ridgeline.io import write_store
from ridgeline.processes import ForwardProcess


def test_final_samples_are_one_snapshot_at_t_min(tmp_path):
    np.save(tmp_path / "s.npy", np.ones((5, 2)))
    states, times = read_external("mine", tmp_path / "s.npy", dim=2)
    assert states.shape == (1, 5, 2) and times.tolist() == [1e-3]


def test_vp_snapshots_map_onto_ou_times_in_decreasing_order(tmp_path):
    s = np.array([0.01, 1.0, 0.3])  # any order
    np.save(tmp_path / "traj.npy", np.arange(3 * 4 * 2, dtype=float).reshape(3, 4, 2))
    np.save(tmp_path / "t.npy", s)
    states, times = read_external("mine", tmp_path / "traj.npy", tmp_path / "t.npy", "vp_linear:0.1,20", dim=2)
    vp = ForwardProcess.vp_linear(0.1, 20.0)
    np.testing.assert_allclose(times, [vp.ou_time(1.0), vp.ou_time(0.3), vp.ou_time(0.01)])
    assert states[0, 0, 0] == 8.0  # the s = 1 snapshot first; VP: no scale change


def test_a_zarr_store_of_states_is_read_with_its_times(tmp_path):
    write_store(external_store(np.zeros((2, 3, 2)), np.array([1.0, 0.1])), tmp_path / "run.zarr")
    states, times = read_external("mine", tmp_path / "run.zarr", dim=2)
    assert states.shape == (2, 3, 2) and times.tolist() == [1.0, 0.1]


@pytest.mark.parametrize("array, times, match", [
    (np.ones((5, 3)), None, "external.mine.samples .* has shape \\(5, 3\\)"),
    (np.ones((2, 5, 2)), None, "give their times"),
    (np.full((5, 2), np.nan), None, "10 of 10 values are NaN"),
    (np.ones((2, 5, 2)), np.array([1.0]), "need 2 finite times"),
])
def test_bad_external_runs_are_named(tmp_path, array, times, match):
    np.save(tmp_path / "s.npy", array)
    if times is not None:
        np.save(tmp_path / "t.npy", times)
    with pytest.raises(ValueError, match=match):
        read_external("mine", tmp_path / "s.npy", tmp_path / "t.npy" if times is not None else None, dim=2)
