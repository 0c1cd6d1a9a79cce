"""Consistency rules of ``data/checks.yml``, run over a year's indicators and metrics.

Each finding has a severity (``ok``, ``warn``, ``error``, or ``skipped`` when the year lacks a
figure the rule needs), the rule, the expression with the numbers put in, and every figure
involved with the sentence of the report it comes from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from .. import paths
from ..datafile import (
    MAPPING,
    NUMBER,
    TEXT,
    TEXTS,
    entry_id,
    entry_problems,
    parsed_once,
    read_yaml,
    yaml_section,
    yaml_where,
)
from ..errors import DataError, Problem, listing
from .formula import Formula, FormulaError
from .metrics import KINDS, input_record, known_ids, known_units
from .status import Missing, Result, Severity
from .template import TemplateError, figures_in

#: The severities a rule of checks.yml may declare for when it fails.
SEVERITIES = (Severity.WARN, Severity.ERROR)
FINDING_COLUMNS = [
    "check",
    "severity",
    "result",
    "description",
    "expression",
    "substituted",
    "subject",
    "units",
    "sides",
    "missing",
    "error",
    "figures",
    "note",
]


@dataclass(frozen=True)
class CheckDef:
    """One rule as declared in ``checks.yml``."""

    id: str
    description: str
    formula: Formula
    severity: str
    for_each: dict = field(default_factory=dict)
    note: str = ""


CHECK_FIELDS = {"id": TEXT, "description": TEXT, "assert": TEXT, "severity": TEXT}
CHECK_OPTIONAL = {"tolerance": NUMBER, "for_each": MAPPING, "note": TEXT}
FOR_EACH_FIELDS = {"kind": TEXTS, "ids": TEXTS}


@parsed_once(paths.checks_file, paths.metrics_file, paths.catalog_file)
def load_check_defs() -> tuple[CheckDef, ...]:
    """Read and check ``data/checks.yml`` (parsed once per version of the definitions).

    Raises
    ------
    DataError
        For a file that is not a mapping with a ``checks`` list, an entry that is not a
        mapping, a missing field or one of the wrong kind (a ``tolerance`` that is not a
        number, a ``for_each`` that is not a mapping of ``kind`` and/or ``ids`` lists), a bad
        severity, an expression that does not parse or uses an id that is neither an
        indicator nor a metric, or a note whose placeholders are not ids or use a refused
        format; each problem names the line and the check.
    """
    path = paths.checks_file()
    known = known_ids()
    entries = yaml_section(path, read_yaml(path), "checks")
    problems, defs = [], []
    for i, entry in enumerate(entries):
        key = entry_id(entry, i)
        label = f"check {key}"
        found = entry_problems(path, entries, i, label, CHECK_FIELDS, CHECK_OPTIONAL)
        if found:
            problems += found
            continue
        try:
            formula = Formula(entry["assert"], entry.get("tolerance") or 0).as_assertion()
        except FormulaError as exc:
            problems.append(Problem(path, yaml_where(entry, "assert", label), str(exc)))
            continue
        found = _entry_problems(path, entry, label, formula, known)
        problems += found
        if not found:
            defs.append(
                CheckDef(
                    key,
                    entry["description"],
                    formula,
                    entry["severity"],
                    entry.get("for_each") or {},
                    entry.get("note") or "",
                )
            )
    if problems:
        raise DataError(problems)
    return tuple(defs)


def _entry_problems(path, entry: dict, label: str, formula: Formula, known: set) -> list[Problem]:
    """What is wrong in a check whose fields are all of the right kind."""

    def at(field: str) -> str:
        return yaml_where(entry, field, label)

    problems = []
    if entry["severity"] not in SEVERITIES:
        problems.append(
            Problem(
                path, at("severity"), f"severity must be warn or error, not {entry['severity']!r}"
            )
        )
    if (entry.get("tolerance") or 0) < 0:
        problems.append(
            Problem(
                path, at("tolerance"), f"tolerance must not be negative, not {entry['tolerance']!r}"
            )
        )
    for_each = entry.get("for_each") or {}
    if for_each:
        problems += _for_each_problems(path, entry, label, known)
    allowed = known | ({"value"} if for_each else set())
    problems += [
        Problem(path, at("assert"), f"uses {n!r}, which is neither an indicator nor a metric")
        for n in formula.names
        if n not in allowed
    ]
    clash = None if problems else formula.unit_clash(known_units())
    if clash:
        problems.append(Problem(path, at("assert"), f"{formula.shown}: {clash}"))
    try:
        problems += [
            Problem(
                path, at("note"), f"note uses {{{n}}}, which is neither an indicator nor a metric"
            )
            for n in figures_in(entry.get("note") or "")
            if n not in known
        ]
    except TemplateError as exc:
        problems.append(Problem(path, at("note"), f"note: {exc}"))
    return problems


def _for_each_problems(path, entry: dict, label: str, known: set) -> list[Problem]:
    for_each = entry["for_each"]
    where = yaml_where(entry, "for_each", label)
    unknown = [k for k in for_each if k not in FOR_EACH_FIELDS]
    if unknown:
        return [
            Problem(
                path, where, f"for_each takes kind and/or ids, not {listing(map(repr, unknown))}"
            )
        ]
    problems = entry_problems(path, entry, "for_each", label, {}, FOR_EACH_FIELDS)
    if problems:
        return problems
    refused = {
        "kind": (KINDS, "for_each kind {!r} is not one of " + ", ".join(KINDS)),
        "ids": (known, "for_each lists {!r}, which is neither an indicator nor a metric"),
    }
    return [
        Problem(path, yaml_where(for_each, name, label), message.format(value))
        for name, (allowed, message) in refused.items()
        for value in for_each.get(name, [])
        if value not in allowed
    ]


def run_checks(table: pd.DataFrame, metrics: pd.DataFrame) -> pd.DataFrame:
    """Run every rule of ``checks.yml`` on one report's indicators and metrics.

    Parameters
    ----------
    table : pandas.DataFrame
        The report's indicators indexed by id (:func:`helpers.tables.indicators.indicator_table`).
    metrics : pandas.DataFrame
        Its metrics indexed by id (:func:`helpers.audit.metrics.compute_metrics`).

    Returns
    -------
    pandas.DataFrame
        One row per finding (columns :data:`FINDING_COLUMNS`): ``check, severity`` (a
        :class:`~helpers.audit.status.Severity`; ``skipped`` when a figure the rule needs is not in
        the year's table or a metric it uses has no value), ``result`` (a
        :class:`~helpers.audit.status.Result`),
        ``description, expression, substituted, subject`` (the figure a ``for_each`` rule was
        applied to), ``sides`` (the numbers each comparison compared), ``missing`` (id -> why,
        a :class:`~helpers.audit.status.Missing`, for skipped rules), ``error`` (why an
        expression is undefined), ``figures`` (list of
        dicts: id, value, unit, as_written, start, end, source_sentence), ``note`` (for
        warnings and errors, the rule's note as a template with ``{id}`` placeholders, which
        the presentation layer fills from data). Errors first, then warnings, skipped rules
        and passes.
    """
    values = {**table["value"].to_dict(), **metrics["value"].to_dict()}
    units = {**table["unit"].to_dict(), **metrics["unit"].to_dict()}
    findings = []
    for check in load_check_defs():
        for subject in _subjects(check, metrics):
            scope = dict(values, value=values.get(subject, math.nan)) if subject else values
            findings.append(_finding(check, subject, scope, table, metrics, units))
    frame = pd.DataFrame(findings, columns=FINDING_COLUMNS)
    return frame.sort_values(
        "severity", key=lambda s: s.map(lambda v: Severity(v).rank), kind="stable"
    ).reset_index(drop=True)


def _subjects(check: CheckDef, metrics: pd.DataFrame) -> list[str | None]:
    if not check.for_each:
        return [None]
    kinds = check.for_each.get("kind", [])
    return [*metrics.index[metrics["kind"].isin(kinds)], *check.for_each.get("ids", [])]


def _figures(names, table: pd.DataFrame, metrics: pd.DataFrame) -> list[dict]:
    out, seen = [], set()
    for name in names:
        if name in metrics.index:
            out += [r for r in metrics.at[name, "inputs"] if r["id"] not in seen]
            seen |= {r["id"] for r in metrics.at[name, "inputs"]}
        elif name in table.index and name not in seen:
            out.append(input_record(table, name))
            seen.add(name)
    return out


def _finding(check: CheckDef, subject, scope, table, metrics, units) -> dict:
    names = [subject if n == "value" else n for n in check.formula.names]
    gaps = [
        n for n in names if n not in scope or (isinstance(scope[n], float) and math.isnan(scope[n]))
    ]
    missing = {n: Missing.NO_VALUE if n in metrics.index else Missing.NOT_IN_TABLE for n in gaps}
    sides, error = [], ""
    if missing:
        severity, result = Severity.SKIPPED, Result.MISSING
    else:
        try:
            held = bool(check.formula.evaluate(scope))
            severity, result = (
                (Severity.OK, Result.HOLDS) if held else (Severity(check.severity), Result.FAILS)
            )
            sides = check.formula.sides(scope)
        except FormulaError as exc:
            severity, result, error = Severity(check.severity), Result.UNDEFINED, str(exc)
    label = f"{check.id}[{subject}]" if subject else check.id
    return {
        "check": label,
        "severity": severity,
        "result": result,
        "description": check.description,
        "expression": check.formula.text,
        "substituted": check.formula.substitute(scope),
        "subject": subject or "",
        "units": ", ".join(dict.fromkeys(units.get(n, "") for n in names)),
        "sides": sides,
        "missing": missing,
        "error": error,
        "figures": _figures(names, table, metrics),
        "note": check.note if severity in SEVERITIES else "",
    }
