"""ridgeline: reach, align, slide around the ridge of the smoothed empirical distribution.

The library holds all the mathematics of the pipeline; it never imports Snakemake and never
sees the workflow config. See ``../shared/design/science.md`` for the specification.
"""

__version__ = "0.1.0"
