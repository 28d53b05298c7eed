import math
import warnings

import numpy as np
import torch

from ridgeline.aggregate import combine_runs
from ridgeline.datasets import named_set
from ridgeline.empirical import SmoothedEmpirical
from ridgeline.metrics import data_diameter, escaped_count, near_point_counts, trajectory_metrics

SCMS = dict(tol=1e-8, max_iter=2000, criterion="relative", method="newton")


def test_points_on_the_ridge_have_zero_distance_and_residual():
    data = named_set("two_mode")
    t = 0.5
    x = torch.stack([torch.linspace(-2, 2, 9, dtype=torch.float64), torch.zeros(9, dtype=torch.float64)], 1)
    off = x + torch.tensor([0.0, 0.4], dtype=torch.float64)
    states = torch.stack([x, off])
    ds = trajectory_metrics(SmoothedEmpirical(data), [t, t], states, ridge_dim=1, scms=SCMS, near_radius=0.5)
    np.testing.assert_allclose(ds["scms_distance"].values[0], 0.0, atol=1e-12)
    np.testing.assert_allclose(ds["residual"].values[0], 0.0, atol=1e-12)
    # off the axis the ridge (the axis) is 0.4 away, reached along the normal y direction
    np.testing.assert_allclose(ds["scms_distance"].values[1], 0.4, atol=1e-6)
    assert (ds["relative_residual"].values[1] > 0).all()
    assert ds["time"].attrs["long_name"] and ds["scms_distance"].attrs["quantity"] == "length"


def test_snapshot_times_from_a_read_only_array_become_the_time_coordinate_without_warnings():
    times = np.array([1.0, 0.1])
    times.flags.writeable = False  # what xarray hands over for a zarr coordinate
    states = torch.zeros(2, 3, 2, dtype=torch.float64) + 0.3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = trajectory_metrics(SmoothedEmpirical(named_set("two_mode")), times, states, ridge_dim=1, scms=SCMS,
                                near_radius=0.5)
    np.testing.assert_array_equal(ds["time"].values, times)


def test_nearest_ratio_detects_memorized_samples():
    data = named_set("triangle")
    t = 1e-3
    x = math.exp(-t) * torch.as_tensor(data) + 1e-3
    ds = trajectory_metrics(SmoothedEmpirical(data), [t], x[None], ridge_dim=1, scms=SCMS, near_radius=0.5)
    assert (ds["nearest_ratio"].values < 1e-3).all()
    np.testing.assert_array_equal(ds["count_near_point"].values, [1, 1, 1])
    assert float(ds["fraction_near_points"]) == 1.0


def test_near_point_counts_assign_to_the_nearest_point_within_radius():
    data = np.array([[0.0, 0.0], [3.0, 0.0]])
    final = np.array([[0.1, 0.0], [2.8, 0.1], [1.5, 0.0], [0.0, 0.49]])
    np.testing.assert_array_equal(near_point_counts(data, final, 0.5), [2, 1])


def test_combine_runs_pads_training_dimension_and_indexes_time():
    a = trajectory_metrics(SmoothedEmpirical(named_set("two_mode")), [1.0, 0.1],
                           torch.zeros(2, 4, 2, dtype=torch.float64) + 0.3, ridge_dim=1, scms=SCMS, near_radius=0.5)
    b = trajectory_metrics(SmoothedEmpirical(named_set("triangle")), [40.0, 0.1],
                           torch.zeros(2, 4, 2, dtype=torch.float64) + 0.3, ridge_dim=1, scms=SCMS, near_radius=0.5)
    out = combine_runs({("two_mode", "exact", 0): a, ("triangle", "exact", 0): b})
    assert dict(out.sizes) == {"dataset": 2, "model": 1, "seed": 1, "time": 2, "sample": 4, "train": 3, "coord": 2}
    assert np.isnan(out["count_near_point"].sel(dataset="two_mode").values[..., 2]).all()
    np.testing.assert_allclose(out["t"].sel(dataset="triangle").values.ravel(), [40.0, 0.1])


def test_classification_of_final_samples_for_two_points():
    from ridgeline.metrics import classify_final_samples

    data = named_set("two_mode")
    final = torch.tensor([[3.1, 0.0], [-2.9, 0.1], [0.5, 0.05], [-1.0, -0.1], [0.0, 2.0], [1.0, 1.5]],
                         dtype=torch.float64)
    out = classify_final_samples(data, final, t_c=0.3, ridge_dim=1, near_radius=0.5, tube_radius=0.3, scms=SCMS)
    # near x_i / on the axis segment between the points (the ridge) / off the ridge
    np.testing.assert_array_equal(out["label"], [0, 0, 1, 1, 2, 2])
    np.testing.assert_array_equal(out["counts"], [2, 2, 2])
    # the reference ridge is the x axis at data scale: projections keep x, drop y
    np.testing.assert_allclose(out["projection"][2:4, 1], 0.0, atol=1e-6)
    np.testing.assert_allclose(out["ridge_distance"][:4], [0.0, 0.1, 0.05, 0.1], atol=1e-5)


def test_escaped_count_uses_the_data_diameter_and_counts_non_finite_distances():
    data = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]])  # bounding-box diagonal 5
    assert data_diameter(data) == 5.0
    distances = np.array([0.1, 49.9, 50.1, 1e9, np.inf, np.nan])
    assert escaped_count(distances, data) == 4
    assert escaped_count(distances, data, diameters=1e9) == 2
