"""Loading the curated data: the indicator catalog and each report's indicator table.

:func:`load_indicators` validates a table in two passes and reports every problem at once,
each with its file, CSV line and column:

1. *cells* (vectorised pandas): columns, types, allowed values, ``(year, id)`` unique;
2. *provenance*: every row's span reads ``as_written`` in the raw report, parsing
   ``as_written`` gives ``value`` and ``unit``, the words around it give ``qualifier``,
   and the id is in the catalog with the same unit.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections import Counter
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pandas as pd

from .. import paths
from ..datafile import (
    LINE,
    MAX_TABLE_BYTES,
    TEXT,
    TEXTS,
    a_mapping,
    entry_problems,
    parsed_once,
    read_limited,
    read_yaml,
    yaml_where,
)
from ..errors import DataError, Problem, listing
from ..report.numbers import QUALIFIERS, cut_number, implied_qualifier, parse_figure
from ..report.period import FIRST_YEAR, LAST_YEAR
from ..report.period import PATTERN as PERIOD_PATTERN
from ..report.sources import raw_text
from .catalog import BUREAU, matching, same_counter

COLUMNS = [
    "year",
    "id",
    "value",
    "unit",
    "as_written",
    "start",
    "end",
    "qualifier",
    "period",
    "section",
    "note",
]
NUMERIC = {"year": "int64", "value": "float64", "start": "int64", "end": "int64"}
CATALOG_FIELDS = ["label_zh", "label_en", "unit", "topic", "description"]
#: Optional fields of a catalog entry: ``part_of``, the indicator this one is a subset of (其中), so a
#: chart or table can put a part right after its whole; other wordings of its label (``aliases``);
#: and the body that reports it (one of ``bodies`` of ``data/matching.yml``; the bureau itself when absent).
CATALOG_OPTIONAL = {"part_of": TEXT, "aliases": TEXTS, "body": TEXT}
ID_PATTERN = r"^[a-z][a-z0-9_]*$"

END_AFTER_START = "must be greater than start"


#: The checks of a non-empty cell, column by column: what a valid cell satisfies (a number of a
#: numeric column, as a float; a text otherwise), and the cause given for each cell that does not.
#: An empty cell is ``is empty`` (but in ``note``).
CELL_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "year": (lambda n: FIRST_YEAR <= n <= LAST_YEAR, "must be a report year"),
    "id": (lambda text: re.match(ID_PATTERN, text) is not None, "must be snake_case ASCII"),
    "value": (lambda n: n >= 0, "must not be negative"),
    "start": (lambda n: n >= 0, "must not be negative"),
    "end": (lambda n: n >= 1, "must be positive"),
    "qualifier": (lambda text: text in QUALIFIERS, f"must be one of {', '.join(QUALIFIERS)}"),
    "period": (
        lambda text: re.match(PERIOD_PATTERN, text) is not None,
        "must be YYYY, YYYY-MM, YYYY-Qn, as_of_report or recent",
    ),
}


def load_catalog() -> pd.DataFrame:
    """Return the indicator catalog, one row per indicator id (a copy; parsed once per version of the file).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``id``, with columns ``label_zh, label_en, unit, topic, description, part_of``
        (the id this indicator is a subset of, or "").

    Raises
    ------
    DataError
        If the YAML is malformed, an id is not snake_case or an entry lacks a field.
    """
    return _catalog()[[*CATALOG_FIELDS, "part_of"]].copy()


def catalog_terms() -> pd.DataFrame:
    """Return the catalog with its matching terms: ``body`` (``局`` when absent) and ``aliases`` (a tuple)."""
    return _catalog().copy()


def _part_of_circles(path, doc: dict) -> list[Problem]:
    """One problem per circle of ``part_of`` (a part of b, b part of a: each would be a subset of
    the other), at the ``part_of`` line of the first indicator of the circle in the file. Each
    indicator is visited once: a chain is followed until it ends, meets an indicator already
    settled, or comes back to itself."""
    whole_of = {key: entry.get("part_of") for key, entry in doc.items()}
    position = {key: number for number, key in enumerate(doc)}
    settled: set = set()
    problems = []
    for key in doc:
        chain: list = []
        on_chain: set = set()  # beside the list: a chain of n looked up n times stays linear
        at = key
        while at is not None and at not in settled and at not in on_chain:
            chain.append(at)
            on_chain.add(at)
            at = whole_of.get(at)
        if at is not None and at in on_chain:
            circle = chain[chain.index(at) :]
            first = min(circle, key=position.__getitem__)
            shown = " -> ".join(
                [*circle[circle.index(first) :], *circle[: circle.index(first)], first]
            )
            problems.append(
                Problem(
                    path,
                    yaml_where(doc[first], "part_of", f"indicator {first!r}"),
                    f"part_of goes round in a circle: {shown}; a part (其中) is part of a whole "
                    "that is not a part of it",
                )
            )
        settled.update(chain)
    return problems


@parsed_once(paths.catalog_file, paths.matching_file)
def _catalog() -> pd.DataFrame:
    path = paths.catalog_file()
    doc = a_mapping(path, read_yaml(path), "of indicator id to its definition")
    problems = []
    for key in doc:
        label = f"indicator {key!r}"
        if not isinstance(key, str) or not re.match(ID_PATTERN, key):
            problems.append(
                Problem(path, yaml_where(doc, key, label), "id must be snake_case ASCII")
            )
        else:
            found = entry_problems(
                path,
                doc,
                key,
                label,
                {**dict.fromkeys(CATALOG_FIELDS, LINE), "description": TEXT},
                CATALOG_OPTIONAL,
            )
            whole = doc[key].get("part_of") if not found else None
            if whole is not None and (whole not in doc or whole == key):
                found.append(
                    Problem(
                        path,
                        yaml_where(doc[key], "part_of", label),
                        f"part_of {whole!r} is not another indicator of the catalog",
                    )
                )
            body = doc[key].get("body") if isinstance(doc[key], dict) else None
            if not found and body is not None and body not in matching().bodies:
                found.append(
                    Problem(
                        path,
                        yaml_where(doc[key], "body", label),
                        f"body {body!r} is not one of the bodies of {paths.matching_file().name} "
                        f"({listing(matching().bodies)})",
                    )
                )
            problems += found
    if problems:
        raise DataError(problems)
    problems = _part_of_circles(path, doc)
    if problems:
        raise DataError(problems)
    frame = pd.DataFrame.from_dict(doc, orient="index").reindex(
        columns=[*CATALOG_FIELDS, *CATALOG_OPTIONAL]
    )
    frame["part_of"] = frame["part_of"].fillna("")
    frame["body"] = frame["body"].fillna(BUREAU)
    frame["aliases"] = [tuple(a) if isinstance(a, list) else () for a in frame["aliases"]]
    frame.index.name = "id"
    return frame


def load_indicators(bureau: str, year: int, path: Path | None = None) -> pd.DataFrame:
    """Load and validate one report's indicator table.

    Parameters
    ----------
    bureau : str
        The bureau's slug (``data/raw/sources.yml``).
    year : int
        The report year; the table is ``data/indicators/<bureau>/<year>.csv`` unless ``path`` is given.
    path : Path, optional
        Another table to validate against the report's raw text (e.g. a draft).

    Returns
    -------
    pandas.DataFrame
        One row per figure, columns as in :data:`COLUMNS`, typed (``value`` float64,
        ``start``/``end`` int64), ``note`` empty string where absent.

    Raises
    ------
    DataError
        Listing every problem found, each with file, CSV line, column and cause.
    """
    if path is None:
        path = paths.indicators_file(bureau, year)
        if not path.exists():
            have = [str(y) for y in paths.indicator_years(bureau)]
            raise DataError(
                [
                    Problem(
                        path,
                        "",
                        f"no indicator table for {bureau} {year} "
                        f"(tables exist for: {listing(have, none='no year')})",
                    )
                ]
            )
    path = Path(path)
    frame, problems = _read_csv(path)
    cells = frame.copy()  # as written in the file, for messages
    problems += _coerce(frame, path)
    problems += _cell_problems(frame, cells, path, problems)
    if problems:
        raise DataError(sorted(problems, key=lambda p: (p.line or 0, p.column or "")))
    problems = _provenance_problems(frame, raw_text(bureau, year), year, path)
    if problems:
        raise DataError(problems)
    typed = frame[COLUMNS].astype({"year": "int64", "start": "int64", "end": "int64"})
    return typed.assign(note=typed["note"].fillna("")).reset_index(drop=True)


def _at(path: Path, line, column: str | None, cause: str) -> Problem:
    """A problem in a cell (or a record, without ``column``); the frame's index is the file line each
    record starts on."""
    return Problem(path, "", cause, line=int(line), column=column)


def _read_csv(path: Path) -> tuple[pd.DataFrame, list[Problem]]:
    """Read a table as text cells, indexed by the line of the file each record starts on.

    Records with the wrong number of fields or a control character are left out and
    returned as problems; a file that cannot be read as CSV at all raises.
    """
    records = _records(path, _csv_text(path))
    (header_line, header), body = records[0], records[1:]
    _check_header(path, header_line, header)
    problems, rows, lines = [], [], []
    for line, fields in body:
        found = _record_problems(path, line, fields, header)
        problems += found
        if not found:
            rows.append(fields)
            lines.append(line)
    return pd.DataFrame(
        rows, columns=header, index=pd.Index(lines, dtype="int64"), dtype=object
    ), problems


def _csv_text(path: Path) -> str:
    try:
        raw = read_limited(path, MAX_TABLE_BYTES, "MAX_TABLE_BYTES", "a CSV")
    except FileNotFoundError:
        raise DataError([Problem(path, "", "file not found")]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            [
                Problem(
                    path,
                    f"byte {exc.start}",
                    'not UTF-8 (Excel\'s "CSV UTF-8" format is; GBK/ANSI is not): '
                    "re-save the file as UTF-8",
                )
            ]
        ) from None
    if not text.strip():
        raise DataError(
            [Problem(path, "", "the file is empty; expected a header line: " + ",".join(COLUMNS))]
        )
    header = text.split("\n", 1)[0]
    if "," not in header and any(sep in header for sep in ";\t|"):
        raise DataError(
            [
                Problem(
                    path,
                    "",
                    "columns are not separated by commas; save as comma-separated CSV",
                    line=1,
                )
            ]
        )
    return text


def _records(path: Path, text: str) -> list[tuple[int, list[str]]]:
    """Split CSV text into records, each with the file line it starts on (a quoted note may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records, line = [], 1
    try:
        for fields in reader:
            if fields:  # blank lines are skipped, as spreadsheets do
                records.append((line, fields))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise DataError(
            [_at(path, line, None, _csv_cause(str(exc), line, reader.line_num))]
        ) from None
    return records


def _csv_cause(error: str, line: int, error_line: int) -> str:
    """Say what a :mod:`csv` error means, for a record starting at ``line`` and failing at ``error_line``."""
    if "unexpected end of data" in error:
        return 'a " opened in this record is never closed'
    if "expected after" in error and error_line > line:
        return f'a " opened in this record is closed only on line {error_line}, with text after it: is a " missing?'
    if "expected after" in error:
        return 'text after the closing " of a quoted field; write a " inside a quoted field as ""'
    if "field limit" in error:
        return f'a field is longer than {csv.field_size_limit():,} characters: is a " never closed?'
    return f"not valid CSV: {error}"


def _check_header(path: Path, line: int, header: list[str]) -> None:
    """Refuse a header line that is not :data:`COLUMNS`: each column at fault once; a first line that
    names no column at all (the header dropped, a data row first) is one problem, not one a field."""
    counts = Counter(header)
    if not set(header) & set(COLUMNS):
        raise DataError(
            [
                _at(
                    path,
                    line,
                    None,
                    f"not a header line: it names none of the columns {','.join(COLUMNS)} "
                    f"(it starts {','.join(header[:3])!r}); is the header line missing?",
                )
            ]
        )
    problems = [
        _at(path, line, None, f"column {name!r} appears {n} times")
        for name, n in counts.items()
        if n > 1
    ]
    problems += [
        _at(path, line, None, f"unknown column {name!r} (expected {', '.join(COLUMNS)})")
        for name in counts
        if name not in COLUMNS
    ]
    problems += [
        _at(path, line, None, f"missing column {name!r}") for name in COLUMNS if name not in header
    ]
    if problems:
        raise DataError(problems)


#: Characters refused in any cell: C0 and C1 controls and DEL, and the code points XML cannot
#: hold at all (U+FFFE, U+FFFF, lone surrogates). Tab, line feed and carriage return are allowed
#: (a note may span lines); anything else is invisible, is never typed on purpose, and may not
#: appear in an xlsx cell.
CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _record_problems(path: Path, line: int, fields: list[str], header: list[str]) -> list[Problem]:
    if len(fields) != len(header):
        hint = (
            ": is there a comma inside an unquoted field? Put such a field in double quotes"
            if len(fields) > len(header)
            else ""
        )
        return [
            _at(path, line, None, f"{len(fields)} fields where the header has {len(header)}{hint}")
        ]
    problems = []
    for name, cell in zip(header, fields):
        found = CONTROL_CHARACTER.search(cell)
        if found:
            code = ord(found.group())
            what = "control character" if code < 0xA0 else "the code point"
            problems.append(
                _at(
                    path,
                    line,
                    name,
                    f"contains {what} U+{code:04X}"
                    + ("" if code < 0xA0 else ", which XML (and so the xlsx) cannot hold"),
                )
            )
    return problems


#: Whole-number columns hold at most 15 digits, so that their values are exact as floats too.
MAX_WHOLE = 10**15


def _coerce(frame: pd.DataFrame, path: Path) -> list[Problem]:
    """Convert numeric columns in place; return a problem for each cell that is not a number."""
    problems = []
    lines = frame.index.tolist()
    for column, dtype in NUMERIC.items():
        cells = [cell.strip() for cell in frame[column].tolist()]
        numbers = pd.to_numeric(
            pd.Series([cell or math.nan for cell in cells], dtype=object), errors="coerce"
        ).to_numpy(dtype="float64")
        kept = []
        for line, cell, number in zip(lines, cells, numbers.tolist()):
            if not math.isfinite(number):
                cause = "is empty" if cell == "" else f"{cell!r} is not a number"
            elif dtype == "int64" and abs(number) >= MAX_WHOLE:
                cause = f"{cell!r} is too large (at most 15 digits)"
            elif dtype == "int64" and number % 1 != 0:
                cause = f"{cell!r} is not a whole number"
            else:
                cause = None
            if cause:
                problems.append(_at(path, line, column, cause))
            kept.append(None if cause and dtype == "int64" else number)
        frame[column] = pd.array(kept, dtype="Int64") if dtype == "int64" else numbers
    for column in ("unit", "as_written", "qualifier", "period", "section", "id"):
        frame[column] = frame[column].replace("", None)
    return problems


def _cell_problems(
    frame: pd.DataFrame, cells: pd.DataFrame, path: Path, known: list[Problem]
) -> list[Problem]:
    """The problems of a typed table (after :func:`_coerce`) beyond its numbers: ``(year, id)`` twice,
    ``end`` not after ``start``, an empty cell and a cell that fails :data:`CELL_CHECKS`, each once,
    in the order: record, then cell (the caller sorts by line and column). A cell already in ``known``
    (not a number) is not said to be empty too. ``cells`` are the cells as written, for messages.

    One pass over each column's values (a table of a few rows costs well under a millisecond)."""
    reported = {(p.line, p.column) for p in known}
    lines = frame.index.tolist()
    columns: dict[str, list[Any]] = {
        c: [None if _missing(v) else v for v in frame[c].tolist()] for c in COLUMNS
    }
    keys = list(zip(columns["year"], columns["id"]))
    count = Counter(keys)
    problems = [
        _at(
            path,
            line,
            "id",
            f"duplicate (year, id) = ({cells.at[line, 'year']}, {cells.at[line, 'id']})",
        )
        for line, key in zip(lines, keys)
        if count[key] > 1 and key[1] is not None
    ]
    starts, ends = columns["start"], columns["end"]
    # compared only once every start and end is a number (_coerce has reported the others)
    if None not in starts and None not in ends:
        problems += [
            _at(
                path,
                line,
                "end",
                f"{cells.at[line, 'end']!r} {END_AFTER_START} {cells.at[line, 'start']!r}",
            )
            for line, start, end in zip(lines, starts, ends)
            if not end > start
        ]
    for column in COLUMNS:
        test, cause = CELL_CHECKS.get(column, (None, ""))
        for line, value in zip(lines, columns[column]):
            if value is None:
                if column != "note" and (line, column) not in reported:
                    problems.append(_at(path, line, column, "is empty"))
            elif test is not None and not test(value):
                problems.append(_at(path, line, column, f"{cells.at[line, column]!r} {cause}"))
    return problems


def _missing(value: Any) -> bool:
    """Whether a typed cell is missing: ``None`` (text), ``pd.NA`` (whole numbers) or NaN (``value``)."""
    return value is None or value is pd.NA or value != value


def _provenance_problems(frame: pd.DataFrame, text: str, year: int, path: Path) -> list[Problem]:
    """Each record against the catalog and the report's text. Records are read as plain dicts and the
    catalog's units as one: a row of a frame (``iterrows``, ``.at``) cost a hundred times as much, and
    property tests and builds load tables by the thousand."""
    units = _catalog()["unit"].to_dict()
    rules = matching()
    problems = []
    for index, row in zip(frame.index.tolist(), frame.to_dict("records")):

        def bad(column: str, cause: str) -> None:
            problems.append(_at(path, index, column, cause))  # noqa: B023 - called only in this iteration

        if row["year"] != year:
            bad("year", f"{row['year']} in the table of {year}")
        if row["id"] not in units:
            bad("id", f"{row['id']!r} is not in {paths.catalog_file().name}")
        elif units[row["id"]] != row["unit"]:
            bad(
                "unit",
                f"{row['unit']!r} but the catalog gives {units[row['id']]!r} for {row['id']}",
            )
        start, end, written = int(row["start"]), int(row["end"]), row["as_written"]
        if end > len(text):
            bad("end", f"{end} is past the end of the report ({len(text)} characters)")
            continue
        if text[start:end] != written:
            found = text.find(written)
            hint = (
                f"; {written!r} first occurs at {found}"
                if found >= 0
                else f"; {written!r} is not in the report"
            )
            read = (
                text[start:end] if end - start <= 40 else text[start : start + 37] + "…"
            )  # a span, not the report
            bad("start", f"span {start}:{end} reads {read!r}, not {written!r}{hint}")
            continue
        cut = cut_number(text, start, end)
        if cut:
            bad("start", f"span {start}:{end} ({written!r}) {cut}")
            continue
        try:
            figure = parse_figure(written, before=text[max(0, start - 1) : start])
        except ValueError as exc:
            bad("as_written", str(exc))
            continue
        try:
            stated = Decimal(str(row["value"]))
        except InvalidOperation:  # pragma: no cover - the schema has made it a float
            stated = None
        if stated is None or abs(figure.value - stated) > Decimal("1e-9") * max(
            Decimal(1), abs(figure.value)
        ):
            shown = (
                _plain(stated) if stated is not None and stated.is_finite() else repr(row["value"])
            )
            bad("value", f"{shown} but {written!r} means {_plain(figure.value)}")
        if not same_counter(
            figure.unit, row["unit"], rules
        ):  # 件 recorded as 宗: counters of data/matching.yml
            bad("unit", f"{row['unit']!r} but {written!r} has unit {figure.unit!r}")
        qualifier = implied_qualifier(text, start, end)
        if qualifier != row["qualifier"]:
            bad(
                "qualifier",
                f"{row['qualifier']!r} but the text around {written!r} implies {qualifier!r}",
            )
    return problems


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")
