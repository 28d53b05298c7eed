import numpy as np
import pytest

from ridgeline.datasets import NAMED_SETS, DatasetError, build_dataset, check_points, embed


@pytest.mark.parametrize("name", sorted(NAMED_SETS))
def test_named_sets_are_valid(name):
    pts = build_dataset(name)
    assert pts.ndim == 2 and pts.shape[1] == 2 and np.isfinite(pts).all()


def test_thirteen_has_13_distinct_points():
    pts = build_dataset("thirteen")
    assert pts.shape == (13, 2) and len({tuple(p) for p in pts}) == 13


def test_points_and_files(tmp_path):
    pts = [[0, 1], [2, 3], [4.5, -1]]
    np.testing.assert_array_equal(build_dataset("points", points=pts), np.array(pts, dtype=float))
    np.save(tmp_path / "p.npy", np.array(pts, dtype=float))
    np.testing.assert_array_equal(build_dataset("file", file=str(tmp_path / "p.npy")), np.array(pts, dtype=float))
    (tmp_path / "p.csv").write_text("x,y\n0,1\n2,3\n4.5,-1\n")
    np.testing.assert_array_equal(build_dataset("file", file=str(tmp_path / "p.csv")), np.array(pts, dtype=float))


@pytest.mark.parametrize("points,match", [
    ([[0.0, np.nan], [1.0, 2.0]], "NaN or inf"),
    ([1.0, 2.0, 3.0], "2-D array"),
    ([[1.0], [2.0]], "at least 2 coordinates"),
    ([[1.0, 2.0], [3.0]], "rectangular numeric"),
    ([["a", "b"]], "must be numbers"),
])
def test_malformed_points_name_the_problem(points, match):
    with pytest.raises(DatasetError, match=match):
        check_points(points, "mine")


def test_file_errors(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        build_dataset("file", file=str(tmp_path / "missing.npy"))
    (tmp_path / "bad.csv").write_text("a,b\nc,d\n")
    with pytest.raises(DatasetError, match="not a numeric CSV"):
        build_dataset("file", file=str(tmp_path / "bad.csv"))
    with pytest.raises(DatasetError, match="unknown synthetic set"):
        build_dataset("pentagon")
    with pytest.raises(DatasetError, match="needs a `points:`"):
        build_dataset("points")


def test_embedding_is_an_isometry_and_seeded():
    pts = build_dataset("triangle")
    e = embed(pts, 16, seed=3)
    assert e.shape == (3, 16)
    d = lambda p: np.linalg.norm(p[:, None] - p[None], axis=2)  # noqa: E731
    np.testing.assert_allclose(d(e), d(pts), atol=1e-12)
    np.testing.assert_array_equal(e, embed(pts, 16, seed=3))
