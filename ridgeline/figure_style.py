"""One look for every figure: sizes and fonts legible at a 7-inch text width, a colour-blind-safe
palette (Okabe and Ito), and output in the formats asked for (png, pdf, svg)."""

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

#: Okabe-Ito colours, distinguishable with the common colour-vision deficiencies.
PALETTE = {"black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73", "yellow": "#F0E442",
           "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7", "grey": "#999999"}

#: Final-sample classes: near a training point, between modes on the ridge, off the ridge.
CLASS_COLOURS = {"near_point": PALETTE["vermillion"], "inter_mode": PALETTE["blue"], "off_ridge": PALETTE["grey"]}

#: Width of a figure spanning a 7-inch text column, in inches.
TEXT_WIDTH = 7.0

#: Figure formats that can be asked for.
FORMATS = ("png", "pdf", "svg")

STYLE = {
    "font.size": 8, "axes.titlesize": 9, "axes.labelsize": 8, "xtick.labelsize": 7, "ytick.labelsize": 7,
    "legend.fontsize": 7, "figure.titlesize": 10, "savefig.dpi": 200, "savefig.bbox": "tight",
    "axes.prop_cycle": matplotlib.cycler(color=[PALETTE[c] for c in ("blue", "orange", "green", "vermillion",
                                                                     "purple", "sky", "yellow", "black")]),
}


def apply_style() -> None:
    """Set the shared rcParams (called by every plotting module on import)."""
    plt.rcParams.update(STYLE)


def save_figure(fig: plt.Figure, path, formats=("png",), width: float | None = TEXT_WIDTH, dpi=None) -> list:
    """Save ``fig`` at ``path`` and beside it in every other format of ``formats``; returns the paths.

    The file ``path`` itself is always written (the pipeline's declared output); ``formats`` adds
    siblings with the same stem (``x.png`` -> ``x.pdf``, ``x.svg``). ``width`` (inches) rescales the
    figure to that width, keeping its aspect ratio, so that fonts set in points stay legible when the
    figure spans a text column; None keeps the figure's own size.
    """
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ValueError(f"unknown figure format(s) {unknown}; choose among {list(FORMATS)}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if width:
        w, h = fig.get_size_inches()
        fig.set_size_inches(width, h * width / w)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # axes that tight_layout cannot fit keep their place
            fig.tight_layout()
    suffix = path.suffix.lstrip(".") or "png"
    written = [path.with_suffix(f".{fmt}") for fmt in dict.fromkeys([suffix, *formats])]
    for target in written:
        fig.savefig(target, dpi=dpi)
    plt.close(fig)
    return written
