"""ridgeline: reach, align, slide around the ridge of the smoothed empirical distribution.

The library holds all the mathematics of the pipeline; it never imports Snakemake and never
sees the workflow config. The mathematics it implements is specified in ``docs/science.md``.
"""

__version__ = "0.1.0"
