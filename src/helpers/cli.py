"""The ``amrbook`` command.

Errors in the input end the command with a message naming the file, row and cause and exit
status 2; ``--debug`` shows the Python traceback instead.
"""
from __future__ import annotations

import argparse
import sys

import pandas as pd

from .errors import AmrbookError
from .tables import indicator_table

FORMATS = ("table", "csv", "json")


def _indicators(args: argparse.Namespace) -> None:
    frame = indicator_table(args.year)
    if args.format == "csv":
        frame.to_csv(sys.stdout, index=False, lineterminator="\n")
    elif args.format == "json":
        sys.stdout.write(frame.to_json(orient="records", force_ascii=False, indent=1) + "\n")
    else:
        shown = frame[["id", "label_zh", "as_written", "value", "unit", "qualifier", "period"]]
        with pd.option_context("display.unicode.east_asian_width", True, "display.max_rows", None,
                               "display.width", 200, "display.float_format", "{:,.10g}".format):
            print(shown.to_string(index=False))


def _summary(args: argparse.Namespace) -> None:
    frame = indicator_table(args.year)
    print(f"{args.year}: {len(frame)} figures, every span, value, unit and qualifier checked against the report")
    with pd.option_context("display.unicode.east_asian_width", True):
        for column in ("section", "period", "qualifier"):
            counts = frame[column].value_counts(sort=False).rename("figures")
            print(f"\nby {column}:\n{counts.to_string()}")


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``amrbook`` (one sub-command per job)."""
    parser = argparse.ArgumentParser(prog="amrbook", description="Analysis workbook for AMR annual reports.")
    parser.add_argument("--debug", action="store_true", help="show Python tracebacks on errors")
    commands = parser.add_subparsers(dest="command", required=True)

    ind = commands.add_parser("indicators", help="list every figure of a year's report with its span")
    ind.add_argument("--year", type=int, required=True)
    ind.add_argument("--format", choices=FORMATS, default="table")
    ind.set_defaults(run=_indicators)

    summary = commands.add_parser("summary", help="count a year's figures by section, period and qualifier")
    summary.add_argument("--year", type=int, required=True)
    summary.set_defaults(run=_summary)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``amrbook``; return the exit status.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        0 on success, 2 on bad input, 130 when interrupted.
    """
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except AmrbookError as exc:
        if args.debug:
            raise
        print(f"amrbook: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if args.debug:
            raise
        print("amrbook: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
