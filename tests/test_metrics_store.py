import numpy as np
import pytest
import torch
import xarray as xr

from ridgeline import dims
from ridgeline.datasets import named_set
from ridgeline.empirical import SmoothedEmpirical
from ridgeline.io import open_store, read_store, variable, write_store
from ridgeline.latent.ridge import latent_ridge_dataset
from ridgeline.latent.store import latent_ridge_to_store
from ridgeline.metrics import classify_final_samples, trajectory_metrics
from ridgeline.metrics_store import metrics_to_store
from ridgeline.models import ExactScore
from ridgeline.phases import reach_times, tube_radius
from ridgeline.rf.metrics_store import rf_metrics_to_store

CFG = {"near_radius": 0.3, "tube_scale": 2.0,
       "classify": {"time": 0.3, "tube_radius": 0.3},
       "scms": dict(tol=1e-8, max_iter=500, criterion="relative", method="newton")}
TIMES = [2.0, 0.8, 0.3, 0.1, 0.02]


def _run(tmp_path, n=40):
    """A sample store of n draws of p_t at each snapshot time, and an imperfect score model."""
    data = named_set("thirteen")
    dist = SmoothedEmpirical(data)
    g = torch.Generator().manual_seed(7)
    states = torch.stack([dist.draw(n, t, g) for t in TIMES]).numpy()
    ds = xr.Dataset({"states": variable(states, (dims.TIME, dims.SAMPLE, dims.COORD), "y")},
                    coords={dims.TIME: np.asarray(TIMES)})
    write_store(ds, tmp_path / "samples.zarr")
    model = ExactScore(np.asarray(data) * 1.05)  # score error with normal and tangential parts
    return data, dist, model, states


def _whole_run(data, dist, model, states):
    """What run_metrics computed before streaming: everything on all samples at once."""
    x = torch.as_tensor(states)
    ds = trajectory_metrics(dist, TIMES, x, ridge_dim=1, scms=CFG["scms"], near_radius=CFG["near_radius"], model=model)
    radii = tube_radius(np.asarray(TIMES), 2, 1, CFG["tube_scale"])
    distance = ds["scms_distance"].values
    cls = classify_final_samples(data, x[-1], t_c=CFG["classify"]["time"], ridge_dim=1, near_radius=CFG["near_radius"],
                                 tube_radius=CFG["classify"]["tube_radius"], scms=CFG["scms"])
    return ds.assign(final_class=((dims.SAMPLE,), cls["label"]), class_count=(("class",), cls["counts"]),
                     reach_time=((dims.SAMPLE,), reach_times(np.asarray(TIMES), distance, radii)),
                     tube_radius=((dims.TIME,), radii),
                     tube_fraction=((dims.TIME,), (distance <= radii[:, None]).mean(axis=1)))


@pytest.mark.parametrize("block", [200, 45])  # 40 samples at 5 snapshots: one block; blocks of 9 samples
def test_streamed_metrics_equal_the_whole_run_computation(tmp_path, block):
    data, dist, model, states = _run(tmp_path)
    run = open_store(tmp_path / "samples.zarr")
    path = metrics_to_store(tmp_path / "m.zarr", dist, run, ridge_dim=1, cfg=CFG, attrs={"seed": 0}, model=model,
                            block_points=block)
    got, want = read_store(path), _whole_run(data, dist, model, states)
    assert sorted(got.data_vars) == sorted(want.data_vars) and got.attrs["seed"] == 0
    exact = block == 200  # one block: the same calls as the whole run
    for name in want.data_vars:
        a, b = got[name].values, want[name].values
        assert a.shape == b.shape and a.dtype == b.dtype, name
        if name == "tube_fraction" or not exact:
            # offsets are evaluated at the SCMS projection, which rounding in other batch shapes moves
            # within the SCMS tolerance (1e-8): a few 1e-10 of relative difference
            rtol = 1e-8 if name.startswith("offset_") else 1e-10
            np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-12, err_msg=name)
        else:
            np.testing.assert_array_equal(a, b, err_msg=name)
    assert got["class_count"].sum() == 40 and got["count_near_point"].sum() <= 40


def _rf_whole_run(data, dist, times, states):
    """What rf_metrics computed before streaming, for (G, S, B, D) states."""
    from ridgeline.metrics import frame_metrics, near_point_counts

    x = torch.as_tensor(states)
    n_tau, n_time, n, dim = x.shape
    out = {"scaled_residual": np.empty((n_tau, n_time, n)), "relative_residual": np.empty((n_tau, n_time, n)),
           "curvature_ok": np.empty((n_tau, n_time, n), dtype=bool)}
    for k, t in enumerate(times):
        m = frame_metrics(dist, x[:, k].reshape(-1, dim), t, 1)
        for name in out:
            out[name][:, k] = m[name].reshape(n_tau, n)
    cls = [
        classify_final_samples(
            data,
            x[g, -1],
            t_c=CFG["classify"]["time"],
            ridge_dim=1,
            near_radius=CFG["near_radius"],
            tube_radius=CFG["classify"]["tube_radius"],
            scms=CFG["scms"],
        )
        for g in range(n_tau)
    ]
    out.update(
        label=np.stack([c["label"] for c in cls]),
        ridge_position=np.stack([c["projection"] for c in cls]),
        ridge_distance=np.stack([c["ridge_distance"] for c in cls]),
        final=states[:, -1],
        class_count=np.stack([c["counts"] for c in cls]),
        count_near_point=np.stack([near_point_counts(data, x[g, -1], CFG["near_radius"]) for g in range(n_tau)]),
    )
    return out


@pytest.mark.parametrize("block", [400, 30])
def test_streamed_rf_metrics_equal_the_whole_run_computation(tmp_path, block):
    data, dist, _, states = _run(tmp_path)
    stacked = np.stack([states, states[:, ::-1]])  # two "taus": (G=2, S=5, B=40, D=2)
    taus = xr.DataArray([0.5, 2.0], dims="tau")
    times = xr.DataArray(np.asarray(TIMES), dims=dims.TIME, attrs={"long_name": "inference time t"})
    path = rf_metrics_to_store(
        tmp_path / "rf.zarr",
        dist,
        times,
        taus=taus,
        states=stacked,
        ridge_dim=1,
        cfg=CFG,
        attrs={"rule": "x"},
        block_points=block,
    )
    got, want = read_store(path), _rf_whole_run(data, dist, TIMES, stacked)
    assert sorted(got.data_vars) == sorted(want) and got.attrs["rule"] == "x"
    assert got[dims.TIME].attrs["long_name"] == "inference time t" and list(got["tau"].values) == [0.5, 2.0]
    for name, value in want.items():
        assert got[name].shape == value.shape and got[name].dtype == value.dtype, name
        if block == 400:  # one block (40 samples x 2 taus x 5 snapshots): the same calls as the whole run
            np.testing.assert_array_equal(got[name].values, value, err_msg=name)
        else:
            np.testing.assert_allclose(got[name].values, value, rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("block", [60, 12])
def test_streamed_latent_ridge_equals_the_whole_run_analysis(tmp_path, block):
    g = torch.Generator().manual_seed(0)
    latents = torch.randn(60, 6, generator=g, dtype=torch.float64).numpy()
    states = torch.randn(3, 20, 6, generator=g, dtype=torch.float64).numpy()
    times = np.array([1.0, 0.1, 0.01])
    scms = dict(tol=1e-6, max_iter=200, criterion="relative", method="scms")
    ds = xr.Dataset({"states": variable(states, (dims.TIME, dims.SAMPLE, dims.COORD), "y")}, coords={dims.TIME: times})
    write_store(ds, tmp_path / "samples.zarr")
    run = open_store(tmp_path / "samples.zarr")
    summary = latent_ridge_to_store(
        tmp_path / "ridge.zarr",
        latents,
        run["time"].values,
        run["states"],
        ridge_dims=[1, 3],
        gap_thresholds=[1e-3, 1e-1],
        scms=scms,
        attrs={"seed": 2},
        block_points=block,
    )
    got = read_store(tmp_path / "ridge.zarr")
    want = latent_ridge_dataset(
        latents, times, torch.as_tensor(states), ridge_dims=[1, 3], gap_thresholds=[1e-3, 1e-1], scms=scms
    )
    assert sorted(got.data_vars) == sorted(want.data_vars) and got.attrs["seed"] == 2
    assert summary["curvature_fraction"].equals(got["curvature_fraction"])
    for name in want.data_vars:  # 60 points: one block of 20 samples; 12 points: blocks of 4
        assert got[name].dtype == want[name].dtype and got[name].attrs == want[name].attrs, name
        if block == 60:
            np.testing.assert_array_equal(got[name].values, want[name].values, err_msg=name)
        else:
            np.testing.assert_allclose(got[name].values, want[name].values, rtol=1e-10, atol=1e-12, err_msg=name)
