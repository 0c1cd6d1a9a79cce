"""The ``amrbook`` command.

Errors in the input end the command with a message naming the file, row and cause and exit
status 2; ``--debug`` shows the Python traceback instead. Ctrl-C and SIGTERM stop a command
the same way (a build removes its temporary folder and leaves the outputs as they were); a
reader that stops reading (``| head``) ends it quietly.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import re
import signal
import sys
import threading
from pathlib import Path

from .errors import AmrbookError

# Commands import what they need when they run: `amrbook build` on an up-to-date tree must not
# pay for pandas and matplotlib.

FORMATS = ("table", "csv", "json")
BUREAU_HELP = "the bureau (its slug in data/raw/sources.yml); default: its default_bureau"
YEAR_HELP = "the report's year"
MAX_JOBS = 16  # kernels of ~150 MB each; more than the notebooks there are buys nothing
MAX_CELL_TIMEOUT = 86400  # a day: every wait is bounded


def _whole(value):
    """A float that is a whole number as an int: CSV reads ``123`` and ``456000``, never ``123.0``.

    >>> [_whole(v) for v in (123.0, 456000.0, 0.5, "12", float("nan"))][:4]
    [123, 456000, 0.5, '12']
    """
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _emit(frame, fmt: str, table_columns: list[str]) -> None:
    """Write a frame as csv or json (every column; lists as JSON) or as an aligned table."""
    import pandas as pd

    from .show.format import grouped

    if fmt == "json":
        sys.stdout.write(frame.to_json(orient="records", force_ascii=False, indent=1) + "\n")
        return
    if fmt == "csv":
        nested = {
            c: frame[c].map(lambda v: json.dumps(v, ensure_ascii=False))
            for c in frame.columns
            if frame[c].map(lambda v: isinstance(v, (list, dict, tuple))).any()
        }
        # object columns: a column's ints and floats stay each as it is (pandas' map would make them floats again)
        whole = {
            c: pd.Series([_whole(v) for v in frame[c]], index=frame.index, dtype=object)
            for c in frame.columns
            if frame[c].dtype.kind == "f" and c not in nested
        }
        frame.assign(**nested, **whole).to_csv(sys.stdout, index=False, lineterminator="\n")
        return
    shown = frame[table_columns].copy()
    if (
        shown.empty
    ):  # its header alone, as an empty table looks (pandas printed "Empty DataFrame / Index: []")
        print("  ".join(table_columns))
        return
    for column in shown.columns:
        if pd.api.types.is_float_dtype(shown[column]):
            shown[column] = shown[column].map(grouped)
    with pd.option_context(
        "display.unicode.east_asian_width",
        True,
        "display.max_rows",
        None,
        "display.max_colwidth",
        60,
        "display.width",
        250,
    ):
        print(shown.to_string(index=False))


def _report(args: argparse.Namespace):
    """The report the command is about: ``--bureau`` (or the default bureau) and ``--year``."""
    from .audit.report import load_report

    return load_report(args.bureau, args.year)


def _indicator_table(args: argparse.Namespace):
    """The validated indicator table of the report, without running metrics or checks."""
    from .report.sources import bureau
    from .tables.indicators import indicator_table

    return indicator_table(bureau(args.bureau).slug, args.year)


def _indicators(args: argparse.Namespace) -> None:
    _emit(
        _indicator_table(args).reset_index(),
        args.format,
        ["id", "label_zh", "as_written", "value", "unit", "qualifier", "period"],
    )


def _metrics(args: argparse.Namespace) -> None:
    from .audit.metrics import compute_metrics

    _emit(
        compute_metrics(_indicator_table(args), args.year).reset_index(),
        args.format,
        ["id", "label_zh", "value", "unit", "substituted", "status"],
    )


def _explain(args: argparse.Namespace) -> None:
    from .show.explain import explain

    print(explain(_report(args), args.metric))


def _check(args: argparse.Namespace) -> int:
    from .audit.status import Severity
    from .show.findings import worded_findings

    findings = worded_findings(_report(args))
    _emit(findings, args.format, ["severity", "check", "description", "substituted", "message"])
    if args.format == "table":
        for row in findings[findings["severity"] != Severity.OK].itertuples():
            print(f"\n[{row.severity}] {row.check}: {row.description}\n  {row.message}")
            if row.note:
                print(f"  {row.note}")
            for fig in row.figures:
                print(f"  {fig['id']} = {fig['as_written']}  「{fig['source_sentence']}」")
        counts = findings["severity"].value_counts()
        print(
            f"\n{len(findings)} checks: " + ", ".join(f"{counts.get(s, 0)} {s}" for s in Severity)
        )
    failing = (
        findings["severity"].map(lambda s: Severity(s).is_finding).any()
    )  # a skipped rule is not one
    return 1 if args.strict and failing else 0


def _growth(args: argparse.Namespace) -> None:
    from . import paths
    from .audit.growth import growth_table, metric_growth
    from .audit.report import load_report
    from .report.sources import bureau
    from .show.format import change_text

    slug = bureau(args.bureau).slug
    # the year asked for first: a year without a report is an error before any note on the others
    stated = load_report(slug, args.year).stated_growth if args.year else None
    reports = [load_report(slug, year) for year in paths.indicator_years(slug)]
    frame = (metric_growth if args.metrics else growth_table)(reports)
    if frame.empty:
        print(f"amrbook: {frame.attrs['reason']}", file=sys.stderr)
    elif args.year and not (frame["year"] == args.year).any():
        years = ", ".join(map(str, sorted({*frame["previous_year"], *frame["year"]})))
        print(
            f"amrbook: no year-on-year change into {args.year}: the years with indicator tables are {years}, "
            "and each is compared with the one before it",
            file=sys.stderr,
        )
    if args.year:
        frame = frame[frame["year"] == args.year]
    frame = frame.assign(reads=[change_text(row) for row in frame.to_dict("records")])
    if not frame.empty or args.format != "table":
        _emit(
            frame,
            args.format,
            [
                "id",
                "label_zh",
                "previous_year",
                "year",
                "previous_value",
                "value",
                "unit",
                "change",
                "growth_pct",
                "change_pp",
                "reads",
                "status",
            ],
        )
    if stated is not None and not stated.empty and args.format == "table":
        print("\ngrowth stated in the report:")
        _emit(
            stated,
            "table",
            ["rate", "stated_pct", "value", "implied_previous", "previous_value", "status"],
        )


def _extract(args: argparse.Namespace) -> None:
    from .report.encoding import read_report
    from .report.extract import extract_frame, iter_figures

    text, encoding = read_report(args.file)
    refused: list = []
    if args.format == "csv":  # streamed: a long report never becomes one big table in memory
        import csv
        from dataclasses import astuple, fields

        from .report.extract import Found

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([f.name for f in fields(Found)])
        for found in iter_figures(text, refused):
            writer.writerow([_whole(v) for v in astuple(found)])
    else:
        frame = extract_frame(text, refused)
        _emit(frame, args.format, ["start", "end", "text", "value", "unit", "qualifier", "context"])
        if args.format == "table":
            print(
                f"\n{len(frame)} figures in {args.file} (decoded as {encoding}; offsets are characters of the "
                "decoded text)"
            )
    for each in refused:  # what the extractor could not read whole, it did not read: say so
        print(
            f"amrbook: note: {args.file}: character {each.start}: {each.text!r} not read: {each.reason}",
            file=sys.stderr,
        )


def _draft(args: argparse.Namespace) -> None:
    from . import paths
    from .paths import sha256_of
    from .report.sources import bureau, load_sources
    from .tables.draft import write_draft

    slug = bureau(args.bureau).slug
    target, frame = write_draft(slug, args.year, args.file, force=args.force)
    unmatched = frame[frame["id"] == ""]
    print(
        f"wrote {target}: {len(frame)} figures, {len(frame) - len(unmatched)} matched to catalog ids, "
        f"{len(unmatched)} to review"
    )
    for row in unmatched.itertuples():
        print(f"  unmatched: {row.as_written} at {row.start}  ({row.note})")
    _not_read(frame)
    review = (
        f"review {target.name} and the proposals beside it (notebooks/review.ipynb), then\n"
        f"     amrbook accept --bureau {slug} --year {args.year} --all   # validated, never over a curated table"
    )
    sha = sha256_of(args.file)
    if any(
        s.bureau == slug and s.year == args.year and s.sha256 == sha for s in load_sources().reports
    ):
        print(f"next (the report is recorded in {paths.sources_file().name}):\n  {review}")
        return
    print(f"""next (`amrbook add` does step 1 for you):
  1. copy the report unchanged to {paths.raw_report(slug, args.year, args.file.suffix)} and add to `sources` in
     {paths.sources_file()}:
       - bureau: {slug}
         file: {paths.raw_report(slug, args.year, args.file.suffix).name}
         year: {args.year}
         publisher: …
         title: …
         encoding: (as detected by `amrbook extract`)
         sha256: {sha}
  2. {review}""")


def _not_read(frame) -> None:
    """Print the numbers a draft could not read whole (``attrs["refused"]``), for review: every
    command that drafts says what it left out."""
    for each in frame.attrs["refused"]:
        print(f"  not read: {each.text!r} at {each.start}: {each.reason}")


def _add(args: argparse.Namespace) -> None:
    from .tables.intake import add

    done = add(args.file, args.bureau, args.name, args.level, args.year, args.type)
    print(f"{'copied' if done.copied else 'already in place'}: {done.raw}")
    print(f"{'recorded in' if done.recorded else 'already recorded in'} data/raw/sources.yml")
    if done.frame is None:
        print(f"kept the draft under review: {done.draft} (delete it to draft again)")
        return
    matched = done.frame[done.frame["id"] != ""]
    print(
        f"wrote {done.draft}: {len(done.frame)} figures, {len(matched)} matched to catalog ids, "
        f"{len(done.frame) - len(matched)} with a proposed catalog entry ({done.draft.name.split('.')[0]}"
        ".proposals.yml)"
    )
    for row in matched.itertuples():
        print(
            f"  {row.as_written}  {row.id}  ({row.score}: {row.matched_by}; shared {row.shared or '-'})"
        )
    _not_read(done.frame)
    slug, year = done.raw.parent.name, done.draft.name.split(".")[0]
    print(
        f"next: review them (notebooks/review.ipynb), then amrbook accept --bureau {slug} --year {year} --all"
    )


def _accept(args: argparse.Namespace) -> None:
    from .audit.report import load_report
    from .tables.intake import accept

    if args.all == bool(args.ids):
        raise AmrbookError("give --all or the ids of the proposals to accept (not both)")
    target, added, left_out = accept(
        args.bureau, args.year, None if args.all else args.ids, load_report
    )
    print(
        f"wrote {target}: validated; {len(added)} new catalog entries ({', '.join(added) or 'none'})"
    )
    if left_out:
        print(f"left out the draft's rows without an id at lines {', '.join(map(str, left_out))}")


def _build(args: argparse.Namespace) -> None:
    from .paths import indicator_years
    from .publish.build import build_reports
    from .report.sources import load_sources

    reports = (
        [(slug, year) for slug in load_sources().bureaus for year in indicator_years(slug)]
        if args.all
        else [(args.bureau, args.year)]
    )
    for result in build_reports(
        reports, jobs=args.jobs, force=args.force, pdf=not args.no_pdf, timeout=args.cell_timeout
    ):
        _built(result)


def _built(result) -> None:
    from .publish.index import zip_path

    where = result.target
    for note in result.notes:
        print(f"amrbook: note: {note}", file=sys.stderr)
    if result.up_to_date:
        print(f"{where}: up to date ({result.timings['total']:.2f} s); --force rebuilds")
        return
    print(
        f"built {where} in {result.timings['total']:.1f} s "
        f"(executed {len(result.executed)} notebook(s), {len(result.cached)} from cache)"
    )
    for name in [
        "index.html",
        "briefing.html",
        "briefing.pdf",
        "briefing.docx",
        "indicators.xlsx",
        "manifest.json",
    ]:
        if (where / name).exists():
            print(f"  {where / name}  ({(where / name).stat().st_size / 1024:,.0f} KB)")
    print(
        f"  {where / 'notebooks'}/  ({len(list((where / 'notebooks').glob('*.html')))} notebooks)"
    )
    for name, why in result.skipped.items():
        print(f"  {name}: {why}")
    print(f"  {zip_path(where)}  (everything above in one zip; opens offline)")
    if result.pdf_note:
        print(f"amrbook: no PDF at {where / 'briefing.pdf'}: {result.pdf_note}", file=sys.stderr)
    if result.docx_note:
        print(
            f"amrbook: no Word document at {where / 'briefing.docx'}: {result.docx_note}",
            file=sys.stderr,
        )


def _share(args: argparse.Namespace) -> None:
    from .publish.build import target_dir
    from .publish.index import share, zip_path
    from .report.sources import bureau

    slug = bureau(args.bureau).slug
    folder = target_dir(slug, args.year)
    if not (folder / "index.html").is_file():
        raise AmrbookError(
            f"{folder}: no build with an index.html to share; "
            f"run: amrbook build --bureau {slug} --year {args.year}"
        )
    if args.out is not None:
        from .paths import named_output_problem

        problem = named_output_problem(args.out, zip_path(folder))
        if problem:
            raise AmrbookError(f"{args.out}: {problem}")
    print(share(folder, args.out))


def _diff(args: argparse.Namespace) -> None:
    import pandas as pd

    from .audit.diff import COLUMNS
    from .publish.changelog import changes_against
    from .publish.manifest import recorded_changes
    from .report.sources import bureau

    if args.against:
        frame = changes_against(_report(args), args.against)
        notes = []
    else:
        parts = recorded_changes(bureau(args.bureau).slug, args.year).values()
        frame = pd.DataFrame([row for part in parts for row in part["rows"]], columns=COLUMNS)
        notes = [part["note"] for part in parts if part["note"]]
    if args.format != "table":
        _emit(frame, args.format, COLUMNS)
        return
    for note in notes:
        print(note)
    if frame.empty:
        print(f"{args.year}: no changes")
        return
    _emit(frame, "table", ["against", "change", "kind", "id", "before", "after", "sentence"])


def _summary(args: argparse.Namespace) -> None:
    import pandas as pd

    frame = _indicator_table(args)
    print(
        f"{args.year}: {len(frame)} figures, every span, value, unit and qualifier checked against the report"
    )
    with pd.option_context("display.unicode.east_asian_width", True):
        for column in ("section", "period", "qualifier"):
            counts = frame[column].value_counts(sort=False).rename("figures")
            print(f"\nby {column}:\n{counts.to_string()}")


class _Jobs(argparse.Action):
    """``--jobs``: a whole number from 1 to :data:`MAX_JOBS`, refused otherwise (exit 2)."""

    low, high = 1, MAX_JOBS

    def __call__(self, parser, namespace, value, option_string=None):
        if not re.fullmatch(r"[0-9]+", value) or not self.low <= int(value) <= self.high:
            parser.error(
                f"{option_string} must be a whole number from {self.low} to {self.high}, not {value!r}"
            )
        setattr(namespace, self.dest, int(value))


class _Year(argparse.Action):
    """``--year``: a whole number (full-width digits too) that can be a report's year
    (:func:`helpers.report.period.year_problem`), refused otherwise (exit 2)."""

    def __call__(self, parser, namespace, value, option_string=None):
        from .report.period import year_problem

        try:
            year = int(value)
        except ValueError:
            parser.error(
                f"{option_string} must be a whole number, a year such as 2023, not {value!r}"
            )
        problem = year_problem(year)
        if problem:
            parser.error(f"{option_string}: {problem}")
        setattr(namespace, self.dest, year)


class _CellTimeout(_Jobs):
    """``--cell-timeout``: whole seconds from 1 to :data:`MAX_CELL_TIMEOUT`."""

    high = MAX_CELL_TIMEOUT


def _command(commands, name: str, help: str) -> argparse.ArgumentParser:
    """A sub-command whose help line, in ``amrbook --help``, also heads its own ``--help`` (where
    argparse does not read ``%%`` as ``%``)."""
    return commands.add_parser(name, help=help, description=help.replace("%%", "%"))


def _report_command(commands, name: str, help: str, run, *, fmt: bool = False, **bureau):
    """A sub-command about one report: ``--bureau`` and a required ``--year`` (and ``--format``)."""
    command = _command(commands, name, help)
    command.add_argument("--bureau", metavar="SLUG", **(bureau or {"help": BUREAU_HELP}))
    command.add_argument("--year", action=_Year, required=True, help=YEAR_HELP)
    if fmt:
        command.add_argument("--format", choices=FORMATS, default="table")
    command.set_defaults(run=run)
    return command


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``amrbook`` (one sub-command per job)."""
    from .publish.build import CELL_TIMEOUT

    parser = argparse.ArgumentParser(
        prog="amrbook", description="Analysis workbook for AMR annual reports."
    )
    parser.add_argument("--debug", action="store_true", help="show Python tracebacks on errors")
    commands = parser.add_subparsers(dest="command", required=True)

    _report_command(
        commands,
        "indicators",
        "list every figure of a year's report with its span",
        _indicators,
        fmt=True,
    )
    _report_command(
        commands, "metrics", "compute the derived metrics of data/metrics.yml", _metrics, fmt=True
    )
    _report_command(
        commands, "explain", "show a metric's formula, inputs and source sentences", _explain
    ).add_argument("metric", help="a metric id of data/metrics.yml")
    check = _report_command(
        commands, "check", "run the consistency rules of data/checks.yml", _check, fmt=True
    )
    check.add_argument("--strict", action="store_true", help="exit 1 when any rule warns or fails")

    growth = _command(
        commands,
        "growth",
        "year-on-year change across data/indicators/ and stated growth: "
        "counts in %% and difference, rates in percentage points, "
        "ranks in places",
    )
    growth.add_argument("--bureau", metavar="SLUG", help=BUREAU_HELP)
    growth.add_argument(
        "--year",
        action=_Year,
        help="only the change into this year, and reconcile the growth "
        "rates this year's report states",
    )
    growth.add_argument(
        "--metrics",
        action="store_true",
        help="the derived metrics of data/metrics.yml instead of the indicators",
    )
    growth.add_argument("--format", choices=FORMATS, default="table")
    growth.set_defaults(run=_growth)

    ext = _command(commands, "extract", "list every figure found in a report file")
    ext.add_argument("file", type=Path, help="a report as plain text (UTF-8, GB18030, UTF-16 …)")
    ext.add_argument("--format", choices=FORMATS, default="table")
    ext.set_defaults(run=_extract)

    drf = _report_command(
        commands,
        "draft",
        "draft data/indicators/<bureau>/<year>.draft.csv from a new report",
        _draft,
    )
    drf.add_argument("file", type=Path, help="the report as plain text")
    drf.add_argument("--force", action="store_true", help="replace an existing draft")

    add = _command(
        commands,
        "add",
        "take a new report in: copy it into data/raw/<bureau>/, record it in "
        "sources.yml, draft its table and propose catalog entries",
    )
    add.add_argument("file", type=Path)
    add.add_argument(
        "--bureau", metavar="SLUG", required=True, help="the bureau's slug (new or declared)"
    )
    add.add_argument("--name", help="the bureau's full name (a new bureau)")
    add.add_argument("--level", help="县, 区, 市 or 省 (read from the name when absent)")
    add.add_argument(
        "--year", action=_Year, help="the report year (read from its title when absent)"
    )
    add.add_argument(
        "--type", help="the report type, e.g. 工作总结 (read from its title when absent)"
    )
    add.set_defaults(run=_add)

    acc = _report_command(
        commands,
        "accept",
        "promote a reviewed draft and its accepted proposals into the "
        "catalog and the curated table, validated, atomically",
        _accept,
        required=True,
    )
    acc.add_argument("--all", action="store_true", help="accept every proposal")
    acc.add_argument("ids", nargs="*", help="the proposals to accept")

    build = _command(
        commands,
        "build",
        "execute the notebooks and render the briefing into outputs/<bureau>/<year>/",
    )
    build.add_argument("--bureau", metavar="SLUG", help=BUREAU_HELP)
    which = build.add_mutually_exclusive_group(required=True)
    which.add_argument("--year", action=_Year)
    which.add_argument(
        "--all",
        action="store_true",
        help="every report in data/ (each bureau's every year), on one pool of kernels",
    )
    build.add_argument(
        "--jobs",
        action=_Jobs,
        default=2,
        help=f"notebooks executed in parallel, 1 to {MAX_JOBS} (default 2)",
    )
    build.add_argument(
        "--force", action="store_true", help="ignore the cache and rebuild everything"
    )
    build.add_argument("--no-pdf", action="store_true", help="skip printing briefing.pdf")
    build.add_argument(
        "--cell-timeout",
        action=_CellTimeout,
        default=CELL_TIMEOUT,
        metavar="SECONDS",
        help="seconds one notebook cell may run before the build stops it and fails "
        f"(default {CELL_TIMEOUT})",
    )
    build.set_defaults(run=_build)

    _report_command(
        commands,
        "share",
        "zip a year's build (index.html, briefing, notebooks, downloads) "
        "into one file that opens offline",
        _share,
    ).add_argument(
        "--out", type=Path, help="where to write the zip (default: beside the build's folder)"
    )
    _report_command(
        commands,
        "diff",
        "what changed in a year's data: figures changed, added or removed "
        "(with their sentences), metrics and findings whose status changed",
        _diff,
        fmt=True,
    ).add_argument(
        "--against",
        metavar="PATH|YEAR",
        help="compare the data now with another year's data, or with the build whose manifest.json "
        "(or folder) is PATH; without it, what the last build of the year recorded against the "
        "build before it and the previous year",
    )
    _report_command(
        commands, "summary", "count a year's figures by section, period and qualifier", _summary
    )
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C's KeyboardInterrupt so that everything cleans up the same way."""


def _terminate(signum, frame):
    raise Terminated


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """Turn SIGTERM into :class:`Terminated` while a command runs (signals reach only the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    """Run ``amrbook``; return the exit status.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        0 on success, 1 when ``check --strict`` finds a problem in the report, 2 on bad
        input, 130 when interrupted (Ctrl-C), 143 when terminated (SIGTERM), 141 when the
        reader of the output went away (as for a Unix tool killed by SIGPIPE).
    """
    for stream in (
        sys.stdout,
        sys.stderr,
    ):  # every character survives any output encoding (ascii, latin-1)
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    args = build_parser().parse_args(argv)
    try:
        with _sigterm_as_interrupt():
            status = args.run(args) or 0
    except (
        BrokenPipeError
    ):  # `amrbook … | head -1`: the reader has all it wants; stop without a word
        os.dup2(
            os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno()
        )  # Python's last flush of stdout goes nowhere
        return 141
    except AmrbookError as exc:
        if args.debug:
            raise
        print(f"amrbook: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # read-only folder, full disk, missing file: say which file and why
        if args.debug:
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"amrbook: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        if args.debug:
            raise
        how, status = ("terminated", 143) if isinstance(exc, Terminated) else ("interrupted", 130)
        print(f"amrbook: {how}; outputs left as they were", file=sys.stderr)
        gc.freeze()  # end now: the interpreter's last collection of all a build loaded takes seconds
        return status
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
