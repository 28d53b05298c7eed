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
    with pytest.raises(DatasetError, match="line 2: 'c' is not a number"):
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


@pytest.mark.parametrize("text, match", [
    ("1,2a\n3,4\n5,6\n", "line 1: '2a' is not a number"),  # a first line with a number is data, not a header
    ("x,y\n1,2\n3,4\n5,6,7\n", "line 4 has 3 values, line 2 has 2"),
    ("x,y\n1,2\n\n3,oops\n", "line 4: 'oops' is not a number"),  # blank lines keep the file's numbering
    ("", "holds no points"),
    ("x,y\n", "holds no points"),
])
def test_csv_errors_name_the_dataset_file_and_line(tmp_path, text, match):
    (tmp_path / "p.csv").write_text(text)
    with pytest.raises(DatasetError, match=match) as err:
        build_dataset("file", file=str(tmp_path / "p.csv"), name="mine")
    assert str(err.value).startswith("mine: points file")


def test_a_csv_header_is_dropped_only_when_it_has_no_number(tmp_path):
    (tmp_path / "h.csv").write_text("x,y\n1,2\n3,4\n")
    (tmp_path / "n.csv").write_text("1,2\n3,4\n")
    for name in ("h.csv", "n.csv"):
        assert build_dataset("file", file=str(tmp_path / name)).tolist() == [[1, 2], [3, 4]]


@pytest.mark.parametrize("kind", ["object", "not_npy", "directory"])
def test_npy_and_path_errors_name_the_dataset_and_never_suggest_pickle(tmp_path, kind):
    path = tmp_path / "p.npy"
    if kind == "object":
        np.save(path, np.array([[1, "a"], [2, None]], dtype=object), allow_pickle=True)
    elif kind == "not_npy":
        path.write_text("0,1\n2,3\n")
    else:
        path.mkdir()
    with pytest.raises(DatasetError) as err:
        build_dataset("file", file=str(path), name="mine")
    message = str(err.value)
    assert message.startswith(f"mine: points file '{path}'") and "pickle" not in message
    assert {"object": "dtype object", "not_npy": "not a .npy file", "directory": "is a directory"}[kind] in message
