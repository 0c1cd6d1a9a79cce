"""Loading the curated data: the indicator catalog and each year's indicator table.

:func:`load_indicators` validates a table in two passes and reports every problem at once,
each with its file, CSV line and column:

1. *schema* (pandera): columns, types, allowed values, ``(year, id)`` unique;
2. *provenance*: every row's span reads ``as_written`` in the raw report, parsing
   ``as_written`` gives ``value`` and ``unit``, the words around it give ``qualifier``,
   and the id is in the catalog with the same unit.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from .. import paths
from ..errors import DataError, Problem
from ..report.numbers import QUALIFIERS, implied_qualifier, parse_figure
from ..report.sources import raw_text, read_yaml

COLUMNS = ["year", "id", "value", "unit", "as_written", "start", "end", "qualifier", "period", "note"]
NUMERIC = {"year": "int64", "value": "float64", "start": "int64", "end": "int64"}
CATALOG_FIELDS = ["label_zh", "label_en", "unit", "section", "topic", "description"]
ID_PATTERN = r"^[a-z][a-z0-9_]*$"
#: ``2023`` (the full year), ``2023-11`` (cut-off at the end of November), ``2023-Q3``,
#: ``as_of_report`` (截至目前) or ``recent`` (近期).
PERIOD_PATTERN = r"^(\d{4}(-(0[1-9]|1[0-2]|Q[1-4]))?|as_of_report|recent)$"

SCHEMA = pa.DataFrameSchema(
    {
        "year": pa.Column("int64", pa.Check.in_range(1949, 2100, error="must be a report year")),
        "id": pa.Column(str, pa.Check.str_matches(ID_PATTERN, error="must be snake_case ASCII")),
        "value": pa.Column("float64", pa.Check.ge(0, error="must not be negative")),
        "unit": pa.Column(str, pa.Check.str_length(min_value=1, error="must not be empty")),
        "as_written": pa.Column(str, pa.Check.str_length(min_value=1, error="must not be empty")),
        "start": pa.Column("int64", pa.Check.ge(0, error="must not be negative")),
        "end": pa.Column("int64", pa.Check.ge(1, error="must be positive")),
        "qualifier": pa.Column(str, pa.Check.isin(QUALIFIERS, error=f"must be one of {', '.join(QUALIFIERS)}")),
        "period": pa.Column(str, pa.Check.str_matches(PERIOD_PATTERN,
                                                      error="must be YYYY, YYYY-MM, YYYY-Qn, as_of_report or recent")),
        "note": pa.Column(str, nullable=True),
    },
    checks=pa.Check(lambda df: df["end"] > df["start"], error="end must be greater than start"),
    strict=True,
    ordered=False,
    unique=["year", "id"],
    report_duplicates="all",
)


def load_catalog() -> pd.DataFrame:
    """Return the indicator catalog, one row per indicator id.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``id``, with columns ``label_zh, label_en, unit, section, topic, description``.

    Raises
    ------
    DataError
        If the YAML is malformed, an id is not snake_case or an entry lacks a field.
    """
    path = paths.catalog_file()
    doc = read_yaml(path)
    if not isinstance(doc, dict):
        raise DataError([Problem(path, "", "expected a mapping of indicator id to its definition")])
    problems = []
    for key, entry in doc.items():
        if not re.match(ID_PATTERN, str(key)):
            problems.append(Problem(path, f"indicator {key!r}", "id must be snake_case ASCII"))
        elif not isinstance(entry, dict):
            problems.append(Problem(path, f"indicator {key!r}", "expected a mapping of fields"))
        else:
            missing = [f for f in CATALOG_FIELDS if not entry.get(f)]
            if missing:
                problems.append(Problem(path, f"indicator {key!r}", f"missing {', '.join(missing)}"))
    if problems:
        raise DataError(problems)
    frame = pd.DataFrame.from_dict(doc, orient="index")[CATALOG_FIELDS]
    frame.index.name = "id"
    return frame


def load_indicators(year: int, path: Path | None = None) -> pd.DataFrame:
    """Load and validate one year's indicator table.

    Parameters
    ----------
    year : int
        The report year; the table is ``data/indicators/<year>.csv`` unless ``path`` is given.
    path : Path, optional
        Another table to validate against the year's raw report (e.g. a draft).

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
        path = paths.indicators_file(year)
        if not path.exists():
            have = sorted(p.stem for p in path.parent.glob("[0-9][0-9][0-9][0-9].csv"))
            raise DataError([Problem(path, "", f"no indicator table for {year} "
                                     f"(tables exist for: {', '.join(have) or 'no year'})")])
    path = Path(path)
    frame = _read_csv(path)
    cells = frame.copy()  # as written in the file, for messages
    problems = _coerce(frame, path)
    try:
        frame = SCHEMA.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        problems += _schema_problems(exc.failure_cases, cells, path, problems)
    if problems:
        raise DataError(sorted(problems, key=_row_order))
    problems = _provenance_problems(frame, year, path)
    if problems:
        raise DataError(problems)
    typed = frame[COLUMNS].astype({"year": "int64", "start": "int64", "end": "int64"})
    return typed.assign(note=typed["note"].fillna("")).reset_index(drop=True)


def _row_order(problem: Problem) -> tuple[int, str]:
    found = re.match(r"line (\d+)", problem.where)
    return (int(found.group(1)) if found else 0, problem.where)


def _where(index, column: str | None = None) -> str:
    line = f"line {int(index) + 2}"  # the header is line 1
    return f"{line}, column {column}" if column else line


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError([Problem(path, "", "file not found")]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError([Problem(path, f"byte {exc.start}",
                                 "not UTF-8 (Excel's \"CSV UTF-8\" format is; GBK/ANSI is not): "
                                 "re-save the file as UTF-8")]) from None
    if not text.strip():
        raise DataError([Problem(path, "", "the file is empty; expected a header line: " + ",".join(COLUMNS))])
    header = text.splitlines()[0]
    if "," not in header and any(sep in header for sep in ";\t|"):
        raise DataError([Problem(path, "line 1", "columns are not separated by commas; save as comma-separated CSV")])
    from io import StringIO
    return pd.read_csv(StringIO(text), dtype=str, keep_default_na=False)


def _coerce(frame: pd.DataFrame, path: Path) -> list[Problem]:
    """Convert numeric columns in place; return a problem for each cell that is not a number."""
    problems = []
    for column, dtype in NUMERIC.items():
        if column not in frame:
            continue
        cells = frame[column].str.strip()
        numbers = pd.to_numeric(cells.where(cells != ""), errors="coerce")
        for index in frame.index[numbers.isna()]:
            cell = cells[index]
            cause = "is empty" if cell == "" else f"{cell!r} is not a number"
            problems.append(Problem(path, _where(index, column), cause))
        if dtype == "int64":
            fractional = numbers.notna() & (numbers % 1 != 0)
            problems += [Problem(path, _where(i, column), f"{cells[i]!r} is not a whole number")
                         for i in frame.index[fractional]]
            numbers = numbers.where(~fractional)
        frame[column] = numbers.astype("Int64" if dtype == "int64" else "float64")
    for column in ("unit", "as_written", "qualifier", "period", "id"):
        if column in frame:
            frame[column] = frame[column].replace("", None)
    return problems


def _schema_problems(cases: pd.DataFrame, cells: pd.DataFrame, path: Path,
                     known: list[Problem]) -> list[Problem]:
    reported = {p.where for p in known}
    out, seen = [], set()
    for case in cases.itertuples(index=False):
        column = case.column if isinstance(case.column, str) else None
        if case.check == "column_in_schema":
            problem = Problem(path, "line 1", f"unknown column {case.failure_case!r} (expected {', '.join(COLUMNS)})")
        elif case.check == "column_in_dataframe":
            problem = Problem(path, "line 1", f"missing column {case.failure_case!r}")
        elif case.index is None or pd.isna(case.index):
            continue  # a whole-column failure already explained by a cell problem
        elif str(case.check).startswith(("dtype(", "coerce_dtype(")):
            continue
        elif case.check == "multiple_fields_uniqueness":
            if column != "id":
                continue
            row = cells.loc[case.index]
            problem = Problem(path, _where(case.index, "id"), f"duplicate (year, id) = ({row['year']}, {row['id']})")
        elif case.check == "not_nullable":
            problem = Problem(path, _where(case.index, column), "is empty")
        else:
            value = cells.loc[case.index, column] if column else None
            shown = f"{value!r} " if column else ""
            problem = Problem(path, _where(case.index, column), f"{shown}{case.check}".strip())
        if problem.where in reported and problem.cause == "is empty":
            continue
        if (problem.where, problem.cause) not in seen:
            seen.add((problem.where, problem.cause))
            out.append(problem)
    return out


def _provenance_problems(frame: pd.DataFrame, year: int, path: Path) -> list[Problem]:
    text = raw_text(year)
    catalog = load_catalog()
    problems = []
    for index, row in frame.iterrows():
        def bad(column: str, cause: str) -> None:
            problems.append(Problem(path, _where(index, column), cause))

        if row["year"] != year:
            bad("year", f"{row['year']} in the table of {year}")
        if row["id"] not in catalog.index:
            bad("id", f"{row['id']!r} is not in {paths.catalog_file().name}")
        elif catalog.at[row["id"], "unit"] != row["unit"]:
            bad("unit", f"{row['unit']!r} but the catalog gives {catalog.at[row['id'], 'unit']!r} for {row['id']}")
        start, end, written = int(row["start"]), int(row["end"]), row["as_written"]
        if end > len(text):
            bad("end", f"{end} is past the end of the report ({len(text)} characters)")
            continue
        if text[start:end] != written:
            found = text.find(written)
            hint = f"; {written!r} first occurs at {found}" if found >= 0 else f"; {written!r} is not in the report"
            bad("start", f"span {start}:{end} reads {text[start:end]!r}, not {written!r}{hint}")
            continue
        try:
            figure = parse_figure(written, before=text[max(0, start - 1):start])
        except ValueError as exc:
            bad("as_written", str(exc))
            continue
        try:
            stated = Decimal(str(row["value"]))
        except InvalidOperation:  # pragma: no cover - the schema has made it a float
            stated = None
        if stated is None or abs(figure.value - stated) > Decimal("1e-9") * max(1, abs(figure.value)):
            bad("value", f"{row['value']!r} but {written!r} means {_plain(figure.value)}")
        if figure.unit != row["unit"]:
            bad("unit", f"{row['unit']!r} but {written!r} has unit {figure.unit!r}")
        qualifier = implied_qualifier(text, start, end)
        if qualifier != row["qualifier"]:
            bad("qualifier", f"{row['qualifier']!r} but the text around {written!r} implies {qualifier!r}")
    return problems


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")
