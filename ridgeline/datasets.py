"""Training sets: named synthetic point sets and user point sets (config list, .npy or .csv).

Every set passes :func:`check_points` before use, so bad data fails early with a message that
names the fix.
"""

import logging
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

#: Coordinates of the named synthetic sets (2D).
NAMED_SETS = {
    "two_mode": [(-3.0, 0.0), (3.0, 0.0)],
    "triangle": [(0.0, 0.0), (5.0, 0.0), (0.0, 5.0)],
    "triangle_mid": [(0.0, 0.0), (5.0, 0.0), (0.0, 5.0), (2.5, 2.5)],
    "square": [(-2.5, -2.5), (2.5, -2.5), (-2.5, 2.5), (2.5, 2.5)],
    "grid3": [(x, y) for y in (-3.0, 0.0, 3.0) for x in (-3.0, 0.0, 3.0)],
    # 13 points with several ridge branches: a cross of uneven arms plus outliers in the quadrants
    "thirteen": [
        (0.0, 0.0), (2.5, 0.0), (5.0, 0.0), (-2.5, 0.0), (-5.0, 0.0), (0.0, 2.5), (0.0, 5.0),
        (0.0, -2.5), (-3.5, -3.5), (3.5, 3.5), (4.5, -3.0), (-4.0, 3.5), (2.0, -5.0),
    ],
}


class DatasetError(ValueError):
    """A training set is malformed; the message says what to fix."""


def check_points(points, name: str = "dataset", min_points: int = 1) -> np.ndarray:
    """Validate a training set: a finite (n, D) float array with n >= ``min_points``, D >= 2."""
    try:
        arr = np.asarray(points)
        arr = arr.astype(np.float64) if arr.dtype.kind in "biuf" else arr
    except (ValueError, TypeError) as err:
        raise DatasetError(f"{name}: points are not a rectangular numeric array ({err})") from None
    if arr.dtype.kind not in "biuf":
        raise DatasetError(f"{name}: points must be numbers, got {arr.dtype} values; fix the entries")
    if arr.ndim != 2:
        raise DatasetError(f"{name}: points must be a 2-D array (n_points, n_dims), got shape {arr.shape}; "
                           "give one row per point")
    if arr.shape[1] < 2:
        raise DatasetError(f"{name}: points need at least 2 coordinates each (a ridge needs D >= 2), "
                           f"got {arr.shape[1]}")
    if arr.shape[0] < min_points:
        raise DatasetError(f"{name}: need at least {min_points} points, got {arr.shape[0]}")
    bad = ~np.isfinite(arr).all(axis=1)
    if bad.any():
        raise DatasetError(f"{name}: {int(bad.sum())} point(s) contain NaN or inf (first at row "
                           f"{int(np.flatnonzero(bad)[0])}); remove or fix them")
    return arr.astype(np.float64)


def named_set(kind: str) -> np.ndarray:
    """One of :data:`NAMED_SETS` as an (n, 2) array."""
    if kind not in NAMED_SETS:
        raise DatasetError(f"unknown synthetic set '{kind}'; choose one of {sorted(NAMED_SETS)}, "
                           "or give `points:` or `file:`")
    return np.asarray(NAMED_SETS[kind], dtype=np.float64)


def load_points_file(path, name: str = "dataset") -> np.ndarray:
    """Read points from a .npy file or a .csv file (comma-separated, one point per line).

    A CSV's first line is a header only when none of its fields is a number; errors name the
    dataset, the file and the line.
    """
    return load_array_file(path, name, "points file")


def load_array_file(path, name: str, what: str = "file") -> np.ndarray:
    """Read a numeric array from a .npy file (any shape) or a .csv file (2-D), as :func:`load_points_file`."""
    path = Path(path)
    where = f"{name}: {what} '{path}'"
    if path.is_dir():
        raise DatasetError(f"{where} is a directory; give the .npy or .csv file inside it")
    if not path.is_file():
        raise DatasetError(f"{where} does not exist; check the `file:` entry of the dataset")
    if path.suffix == ".npy":
        return _load_npy(path, where)
    if path.suffix == ".csv":
        return _load_csv(path, where)
    raise DatasetError(f"{where} must end in .npy or .csv")


def _load_npy(path: Path, where: str) -> np.ndarray:
    with open(path, "rb") as handle:
        if handle.read(6) != b"\x93NUMPY":  # numpy would call any other file "pickled data"
            raise DatasetError(f"{where} is not a .npy file; write it with numpy.save, or give a .csv file")
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as err:
        if "allow_pickle" in str(err):
            raise DatasetError(f"{where} holds Python objects (dtype object), not numbers; save a float "
                               "array: numpy.save(path, np.asarray(points, dtype=float))") from None
        raise DatasetError(f"{where} is not a readable .npy array ({err}); write it with numpy.save") from None
    except (OSError, EOFError) as err:
        raise DatasetError(f"{where} is not a .npy file ({type(err).__name__}); write it with numpy.save, "
                           "or give a .csv file") from None


def _load_csv(path: Path, where: str) -> np.ndarray:
    lines = [(i + 1, line) for i, line in enumerate(path.read_text().splitlines()) if line.strip()]
    if lines and not any(_is_number(field) for field in lines[0][1].split(",")):
        lines = lines[1:]  # a header: no field of the first line is a number
    if not lines:
        raise DatasetError(f"{where} holds no points; write one point per line, coordinates separated by commas")
    try:
        return np.loadtxt([line for _, line in lines], delimiter=",", ndmin=2)
    except ValueError:
        raise DatasetError(f"{where}: {_first_bad_line(lines)}; write one point per line, coordinates "
                           "separated by commas") from None


def _first_bad_line(lines: list) -> str:
    width = len(lines[0][1].split(","))
    for number, line in lines:
        fields = line.split(",")
        bad = [f.strip() for f in fields if not _is_number(f)]
        if bad:
            return f"line {number}: {bad[0]!r} is not a number"
        if len(fields) != width:
            return f"line {number} has {len(fields)} values, line {lines[0][0]} has {width}"
    return "it cannot be read as numbers"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def random_modes(n_modes: int, dim: int, seed: int = 0, spacing: float = 4.0) -> np.ndarray:
    """n_modes points in R^dim drawn N(0, s^2 I) with s = spacing / sqrt(2 dim), so that the typical
    distance between two modes is ``spacing`` whatever the dimension; shape (n_modes, dim)."""
    if n_modes < 1 or dim < 2:
        raise DatasetError(f"random modes need n_modes >= 1 and dim >= 2, got {n_modes} and {dim}")
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n_modes, dim)) * spacing / np.sqrt(2 * dim)


def embed(points: np.ndarray, dim: int, seed: int) -> np.ndarray:
    """Embed (n, d) points in R^dim by a fixed random orthonormal map (seeded); shape (n, dim)."""
    if dim < points.shape[1]:
        raise DatasetError(f"cannot embed {points.shape[1]}-D points in {dim} dimensions")
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((dim, points.shape[1])))
    return points @ q.T


def is_collinear(data, rtol: float = 1e-10) -> bool:
    """True when the centred training points (n, D) span one dimension, as the controls' closed forms need."""
    s = np.linalg.svd(np.asarray(data, dtype=np.float64) - np.mean(data, axis=0), compute_uv=False)
    return s.size > 1 and s[0] > 0 and bool(np.all(s[1:] <= rtol * s[0]))


def build_dataset(kind: str, *, points=None, file=None, embed_dim=None, embed_seed=0, name="dataset",
                  n_modes=None, dim=None, spacing=4.0, mode_seed=0):
    """Resolve a dataset entry to a validated (n, D) array.

    Parameters
    ----------
    kind : a name of :data:`NAMED_SETS`, ``points`` (use ``points``), ``file`` (read ``file``) or
        ``random_modes`` (``n_modes`` points in ``dim`` dimensions, see :func:`random_modes`).
    embed_dim : optional D to embed the set into by a fixed random orthonormal map.
    """
    if kind == "points":
        if points is None:
            raise DatasetError(f"{name}: kind 'points' needs a `points:` list of coordinates")
        arr = check_points(points, name)
    elif kind == "file":
        if file is None:
            raise DatasetError(f"{name}: kind 'file' needs a `file:` path (.npy or .csv)")
        arr = check_points(load_points_file(file, name), name)
    elif kind == "random_modes":
        if n_modes is None or dim is None:
            raise DatasetError(f"{name}: kind 'random_modes' needs `n_modes:` and `dim:`")
        arr = random_modes(int(n_modes), int(dim), int(mode_seed), float(spacing))
    else:
        arr = named_set(kind)
    if embed_dim:
        arr = embed(arr, int(embed_dim), int(embed_seed))
    return check_points(arr, name)


def dataset_store(**entry):
    """The dataset entry ``entry`` (the keyword arguments of :func:`build_dataset`) as the
    prepare_dataset store: ``points`` (train, coord), validated and finite.

    xarray is imported here, not at the top, because the workflow's parse-time checks import
    this module and need only numpy.
    """
    import xarray as xr

    from . import dims
    from .io import variable

    points = build_dataset(**entry)
    log.info("dataset %s: %d points in %d dimensions", entry.get("name", entry.get("kind")), *points.shape)
    return xr.Dataset({"points": variable(points, (dims.TRAIN, dims.COORD), "training points x_i", "length")})
