"""One look for every figure: sizes and fonts legible at a 7-inch text width, a colour-blind-safe
palette (Okabe and Ito), and output in the formats asked for (png, pdf, svg)."""

import textwrap
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


def fit_width(fig: plt.Figure, width: float) -> None:
    """Scale ``fig`` to ``width`` inches (aspect ratio kept; fonts keep their size in points), break
    titles that would be wider than their axes, and lay it out again."""
    w, h = fig.get_size_inches()
    fig.set_size_inches(width, h * width / w)
    _wrap_titles(fig, width)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # axes that tight_layout cannot fit keep their place
        fig.tight_layout()


def _wrap_titles(fig: plt.Figure, width: float) -> None:
    """Break the figure title and the axes titles into lines that fit (math spans stay whole)."""
    texts = [(fig._suptitle, width)] if fig._suptitle is not None else []
    for ax in fig.axes:
        spec = ax.get_subplotspec()
        n_cols = spec.get_gridspec().ncols if spec is not None else 1
        texts.append((ax.title, width / n_cols))
    for text, span in texts:
        chars = max(12, int(span * 72 / (0.55 * text.get_fontsize())))  # a glyph is about 0.55 em wide
        raw = text.get_text()
        if max((len(line) for line in raw.split("\n")), default=0) > chars:
            text.set_text(_fill(raw.replace("\n", " "), chars))


def _fill(raw: str, chars: int) -> str:
    """textwrap.fill that never breaks inside $...$ (the spaces of a math span are not break points)."""
    parts = raw.split("$")
    protected = "$".join(p if i % 2 == 0 else p.replace(" ", "\0") for i, p in enumerate(parts))
    return textwrap.fill(protected, chars).replace("\0", " ")


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
        fit_width(fig, width)
    suffix = path.suffix.lstrip(".") or "png"
    written = [path.with_suffix(f".{fmt}") for fmt in dict.fromkeys([suffix, *formats])]
    for target in written:
        fig.savefig(target, dpi=dpi)
    plt.close(fig)
    return written
