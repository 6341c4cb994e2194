"""The command line of nst-edu: transfer, catalog and figures.

Bad input exits with status 2 and one line on stderr, never a traceback.
"""
from __future__ import annotations

import argparse
import math
import sys
import warnings
from typing import Sequence

from nst_edu.errors import NstEduError


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (exit 2) like every other error here."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m nst_edu", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("transfer", help="render a content image in the style of an artwork (eq. 7)")
    t.add_argument("--content", required=True, metavar="PHOTO", help="path or catalogue name of the photograph")
    t.add_argument("--style", required=True, action="append", metavar="ARTWORK",
                   help="path or catalogue name of the artwork; repeat it to blend several styles")
    t.add_argument("--style-weights", type=float, nargs="+", default=None, metavar="W",
                   help="blend weights, one per --style (e.g. 0.7 0.3; default equal): the styles' Gram "
                        "matrices are mixed per layer")
    t.add_argument("--ratio", type=float, default=1e-3, metavar="ALPHA/BETA",
                   help="alpha/beta of eq. (7) in nst-edu's units (default 1e-3, as in Fig. 2; smaller: more style)")
    t.add_argument("--size", type=int, default=256, metavar="PX", help="long side in pixels (default 256)")
    t.add_argument("--steps", type=int, default=300, metavar="N", help="loss evaluations (default 300)")
    t.add_argument("--init", choices=("noise", "content"), default="noise", help="start image (paper: noise)")
    t.add_argument("--pooling", choices=("avg", "max"), default="avg", help="paper: avg")
    t.add_argument("--optimizer", choices=("lbfgs", "adam"), default="lbfgs", help="paper: L-BFGS")
    t.add_argument("--seed", type=int, default=0, help="seed of the white-noise start")
    t.add_argument("--precision", choices=("auto", "float32", "bfloat16"), default="auto",
                   help="the network's number format (default auto: bfloat16 where the processor computes it "
                        "natively, AVX-512 BF16, AMX or a recent NVIDIA GPU: 1.6-1.8x faster with the same look, "
                        "benchmarks/README.md; else float32; the losses stay float32; not in the paper)")
    t.add_argument("--settle", type=float, default=None, metavar="LEVELS",
                   help="end early once the picture changes less than LEVELS grey levels (RMS, of 255) over 25 "
                        "steps, e.g. 6 (default: all --steps; not in the paper; benchmarks/README.md: at 256 px "
                        "a transfer still moves 4-6 levels per 25 steps at step 225-300)")
    t.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="image file to write: .png, .jpg/.jpeg, .webp or .tif/.tiff (the format follows the extension)")

    sub.add_parser("catalog", help="list the catalogue's images with their licences")

    f = sub.add_parser("figures", help="render the paper's figures to PNG files")
    f.add_argument("--figure", choices=("1", "2", "3", "all"), default="all",
                   help="one figure of the paper, or all three")
    f.add_argument("--size", type=int, default=None, metavar="PX",
                   help="long side in pixels (default: the walkthrough's, nst_edu.teaching.config)")
    f.add_argument("--steps", type=int, default=None, metavar="N",
                   help="loss evaluations per image (default: the walkthrough's, nst_edu.teaching.config)")
    f.add_argument("--out", default="figures", metavar="FOLDER", help="folder for the PNGs (default figures/)")
    return p


def _positive(name: str, value: float) -> None:
    if not (value > 0 and math.isfinite(value)):
        raise NstEduError(f"--{name} must be a positive, finite number, got {value}")


def _transfer(args: argparse.Namespace) -> int:
    from nst_edu.layers import CONTENT_LAYERS, STYLE_LAYERS
    from nst_edu.machinery.checks import check_image_sides
    from nst_edu.machinery.devices import default_device
    from nst_edu.machinery.estimate import check_memory
    from nst_edu.machinery.modes import quick_mode
    from nst_edu.machinery.precision import resolve as resolve_precision
    from nst_edu.synthesis import synthesize
    from nst_edu.teaching.images import check_output_path, load_image, match_pixel_count, save_image

    # Everything is checked before any work: a bad -o must not cost a whole synthesis.
    for name in ("ratio", "size", "steps", "settle"):
        if getattr(args, name) is not None:
            _positive(name, getattr(args, name))
    output = check_output_path(args.output)
    # A square of --size bounds every aspect ratio the photo can have.
    check_memory((args.size, args.size), CONTENT_LAYERS + STYLE_LAYERS, default_device(), option="--size",
                 what=f"--size {args.size}")
    if args.style_weights is not None:
        if len(args.style_weights) != len(args.style):
            raise NstEduError(f"{len(args.style_weights)} --style-weights for {len(args.style)} --style images: "
                              "give one weight per --style")
        if any(not w >= 0 for w in args.style_weights) or sum(args.style_weights) <= 0:
            raise NstEduError(f"--style-weights must be ≥ 0 and not all 0, got {args.style_weights}")
    content_image = load_image(args.content, size=args.size)
    # The artworks at about the photo's pixel count, so all have comparable M_l (eq. 4).
    styles = [match_pixel_count(load_image(s), content_image) for s in args.style]
    sides = {"the photo": tuple(content_image.shape[-2:])}
    sides.update({f"the artwork {s!r} (at the photo's pixel count)": tuple(im.shape[-2:])
                  for s, im in zip(args.style, styles)})
    check_image_sides(sides, CONTENT_LAYERS + STYLE_LAYERS, "use a larger --size, or a less elongated image")
    result = synthesize(
        content_image, styles[0] if len(styles) == 1 else styles, style_blend=args.style_weights,
        alpha=1.0, beta=1.0 / args.ratio, steps=args.steps,
        init=args.init, pooling=args.pooling, optimizer=args.optimizer, seed=args.seed, settle=args.settle,
        precision=args.precision,
    )
    path = save_image(result.best_image, output)
    state = "interrupted, kept the best image" if result.interrupted else result.stop_reason
    network = resolve_precision(args.precision, default_device(), quick_mode())
    print(f"wrote {path} ({result.steps} steps, {result.wall_time:.1f} s, {state}; network in {network})")
    return 0


def _figures(args: argparse.Namespace) -> int:
    from nst_edu.machinery.files import check_folder
    from nst_edu.teaching.figures import render_figures

    figures = ["1", "2", "3"] if args.figure == "all" else [args.figure]
    for name in ("size", "steps"):
        if getattr(args, name) is not None:
            _positive(name, getattr(args, name))
    out = check_folder(args.out, "--out")  # before the syntheses: a bad folder must not cost them
    paths = render_figures(figures, size=args.size, steps=args.steps, out_dir=out)
    for path in paths:
        print(f"wrote {path}")
    return 0


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    # A warning is for the user of a command, not a developer: one line, no source file or code line.
    print(f"warning: {' '.join(str(message).split())}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    with warnings.catch_warnings():  # restores the usual display when main returns (tests call it in-process)
        warnings.showwarning = _one_line_warning
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    try:
        if args.command == "transfer":
            return _transfer(args)
        if args.command == "catalog":
            from nst_edu.teaching.catalog import format_catalog

            print(format_catalog())
            return 0
        return _figures(args)
    except NstEduError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
