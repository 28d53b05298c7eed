"""ridgeline: reach, align, slide around the ridge of the smoothed empirical distribution.

The library holds all the mathematics of the pipeline; it never imports Snakemake and never
sees the workflow config. The mathematics it implements is specified in ``docs/science.md``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ridgeline")
except PackageNotFoundError:  # a source tree on the path, not installed
    __version__ = "0.2.0"

#: The public API, imported on first use (the workflow's parse-time checks need no torch).
_EXPORTS = {
    "analyze_samples": "analysis",
    "analyze_score": "analysis",
    "DEFAULT_SETTINGS": "analysis",
    "ForwardProcess": "processes",
    "ConvertedScore": "processes",
}

__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name):
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'ridgeline' has no attribute {name!r}")
