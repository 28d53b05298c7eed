"""Command line: ``ridgeline analyze`` measures your own model's samples against the ridge.

It reads training points and samples (.npy, .csv or a zarr store with ``states``), calls
:func:`ridgeline.analysis.analyze_samples`, writes the metrics store and the figure, and prints
the checks. ``ridgeline analyze --help`` lists every option.
"""

import argparse
import logging
import sys
from pathlib import Path

import numpy as np

DESCRIPTION = """\
Measure a diffusion model's samples against the ridge of the smoothed empirical distribution of
its training points: distance to the ridge, residuals and eigengap per time and sample, final
classes (near a training point / between modes on the ridge / off the ridge), the reach check
against the exact score and, with trajectories, its timing. Writes a zarr store (open it with
xarray.open_zarr) and a figure, and prints the checks.

examples:
  ridgeline analyze --train train.npy --samples samples.npy --out mine.zarr
  ridgeline analyze --train train.npy --samples traj.npy --times times.npy \\
      --process vp_linear:0.1,20 --out mine.zarr --figure mine --format png pdf

Samples are (n_samples, D) final samples (measured at the OU time 1e-3) or (S, n_samples, D)
snapshots of trajectories with their S times (--times). Times and states of a VP or VE model are
mapped onto ridgeline's Ornstein-Uhlenbeck process by --process (docs/method.md).
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ridgeline", description="ridgeline: diffusion samples against the ridge")
    commands = parser.add_subparsers(dest="command", required=True)
    a = commands.add_parser("analyze", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter,
                            help="measure your own model's samples against the ridge")
    a.add_argument("--train", required=True, type=Path,
                   help="training points: .npy or .csv (one point per line), shape (n, D)")
    a.add_argument("--samples", required=True, type=Path,
                   help="samples: .npy of shape (n_samples, D) or (S, n_samples, D), or a zarr store with "
                        "states(time, sample, coord) and its time coordinate")
    a.add_argument("--times", type=Path,
                   help="times of the S snapshots (.npy or .csv), in the convention of --process; "
                        "not needed for final samples or a zarr store")
    a.add_argument("--process", default="ou",
                   help="the model's forward process: ou (ridgeline's, default), vp_linear[:beta_min,beta_max] "
                        "(DDPM / VP SDE, default 0.1,20), ve[:sigma_min,sigma_max] (default 0.01,50)")
    a.add_argument("--ridge-dim", type=int, default=1, help="ridge dimension d, 1 <= d < D (default 1)")
    a.add_argument("--reference-samples", type=int, default=500,
                   help="samples of the exact score on the same snapshots for the reach check (0: none; default 500)")
    a.add_argument("--seed", type=int, default=0, help="seed of the exact reference run (default 0)")
    a.add_argument("--settings", type=Path,
                   help="YAML file of overrides of ridgeline.DEFAULT_SETTINGS (scms, near_radius, classify, checks)")
    a.add_argument("--out", required=True, type=Path, help="zarr store to write (replaced if it exists)")
    a.add_argument("--figure", type=Path, help="figure path without suffix (default: next to --out)")
    a.add_argument("--format", nargs="+", default=["png"], choices=["png", "pdf", "svg"],
                   help="figure format(s) (default png)")
    a.add_argument("--device", default="cpu", help="torch device (default cpu)")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return analyze_command(args)
    except (ValueError, FileNotFoundError, RuntimeError) as err:
        sys.stderr.write(f"ridgeline analyze: error: {err}\n")
        return 2


def analyze_command(args) -> int:
    """Read the inputs, analyse, write the store and the figure, print the checks."""
    import yaml

    from .analysis import analyze_samples
    from .analysis_plots import analysis_figure
    from .datasets import DatasetError, load_points_file
    from .figure_style import save_figure
    from .processes import ForwardProcess

    try:
        train = load_points_file(args.train, "--train")
    except DatasetError as err:
        raise ValueError(str(err)) from None
    samples, times = read_samples(args.samples, args.times)
    settings = yaml.safe_load(args.settings.read_text()) if args.settings else None
    ds = analyze_samples(train, samples, times, process=ForwardProcess.named(args.process), ridge_dim=args.ridge_dim,
                         settings=settings, reference_samples=args.reference_samples, seed=args.seed,
                         out=args.out, device=args.device)
    final = np.asarray(samples)[-1] if np.ndim(samples) == 3 else samples
    figure = args.figure or args.out.with_suffix("")
    fig = analysis_figure(ds, np.asarray(train, dtype=float), final=final, title=f"{args.samples.name} against the "
                          f"ridge of {args.train.name}")
    paths = save_figure(fig, figure, args.format)
    sys.stdout.write(summary(ds, args.out, paths) + "\n")  # the command's output, not a log record
    return 0


def read_samples(path: Path, times_path: Path | None):
    """(samples, times) from a .npy/.csv array (times from ``times_path``) or a zarr store."""
    from .datasets import DatasetError, load_array_file
    from .io import read_store

    if path.suffix == ".zarr" or (path / "zarr.json").is_file():
        run = read_store(path)
        if "states" not in run:
            raise ValueError(f"store '{path}' has no variable 'states' (time, sample, coord)")
        return run["states"].values, run["time"].values
    try:
        samples = load_array_file(path, "--samples", "samples file")
        times = None if times_path is None else load_array_file(times_path, "--times", "times file").reshape(-1)
    except DatasetError as err:
        raise ValueError(str(err)) from None
    return samples, times


def summary(ds, out: Path, figures: list) -> str:
    """What the user reads first: the checks, the final classes and where the outputs are."""
    lines = [f"{'check':<8}{'statistic':>12}{'threshold':>12}  verdict"]
    for check in ds["check"].values:
        row = ds.sel(check=check)
        lines.append(f"{check:<8}{float(row['check_statistic']):>12.4g}{float(row['check_threshold']):>12.4g}  "
                     f"{row['check_verdict'].item()}")
    classes = ", ".join(f"{c}: {int(n)}" for c, n in zip(ds["class"].values, ds["class_count"].values))
    lines += [f"final samples: {classes}", f"store: {out}", "figure: " + ", ".join(map(str, figures))]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
