"""Consistency rules of ``data/checks.yml``, run over a year's indicators and metrics.

Each finding has a severity (``ok``, ``warn``, ``error``), the rule, the expression with the
numbers put in, and every figure involved with the sentence of the report it comes from.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from .. import paths
from ..errors import DataError, Problem
from .formula import Formula, FormulaError
from .metrics import (compute_metrics, format_number, indicator_values, input_record, load_metric_defs,
                      substitute)

SEVERITIES = ("warn", "error")


@dataclass(frozen=True)
class CheckDef:
    """One rule as declared in ``checks.yml``."""

    id: str
    description: str
    formula: Formula
    severity: str
    for_each: dict = field(default_factory=dict)
    note: str = ""


def checks_file():
    """Return the path of ``data/checks.yml``."""
    return paths.data_dir() / "checks.yml"


def load_check_defs() -> list[CheckDef]:
    """Read and check ``data/checks.yml``.

    Raises
    ------
    DataError
        For a missing field, a bad severity, an expression that does not parse or that
        uses an id that is neither an indicator nor a metric.
    """
    from ..tables.load import load_catalog
    from ..report.sources import read_yaml

    path = checks_file()
    known = set(load_catalog().index) | {d.id for d in load_metric_defs()}
    problems, defs = [], []
    for i, entry in enumerate((read_yaml(path) or {}).get("checks", []), start=1):
        key = entry.get("id", f"#{i}") if isinstance(entry, dict) else f"#{i}"
        where = f"check {key}"
        missing = [f for f in ("id", "description", "assert", "severity")
                   if not isinstance(entry, dict) or entry.get(f) in (None, "")]
        if missing:
            problems.append(Problem(path, where, f"missing {', '.join(missing)}"))
            continue
        if entry["severity"] not in SEVERITIES:
            problems.append(Problem(path, where, f"severity must be warn or error, not {entry['severity']!r}"))
        try:
            formula = Formula(str(entry["assert"]), float(entry.get("tolerance", 0)))
        except FormulaError as exc:
            problems.append(Problem(path, where, str(exc)))
            continue
        for_each = entry.get("for_each") or {}
        allowed = known | ({"value"} if for_each else set())
        problems += [Problem(path, where, f"uses {n!r}, which is neither an indicator nor a metric")
                     for n in formula.names if n not in allowed]
        problems += [Problem(path, where, f"for_each lists {n!r}, which is neither an indicator nor a metric")
                     for n in for_each.get("ids", []) if n not in known]
        defs.append(CheckDef(key, entry["description"], formula, entry["severity"], for_each,
                             str(entry.get("note", "") or "")))
    if problems:
        raise DataError(problems)
    return defs


def run_checks(year: int) -> pd.DataFrame:
    """Run every rule of ``checks.yml`` on one report year.

    Parameters
    ----------
    year : int

    Returns
    -------
    pandas.DataFrame
        One row per finding: ``check, severity`` (``ok``/``warn``/``error``), ``description,
        expression, substituted, subject`` (the figure a ``for_each`` rule was applied to),
        ``message, figures`` (list of dicts: id, value, unit, as_written, start, end,
        source_sentence), ``note`` (its ``{id}`` placeholders filled from data). Errors first,
        then warnings, then passes.
    """
    table = indicator_values(year)
    metrics = compute_metrics(year).set_index("id")
    values = {**table["value"].to_dict(), **metrics["value"].to_dict()}
    units = {**table["unit"].to_dict(), **metrics["unit"].to_dict()}
    findings = []
    for check in load_check_defs():
        for subject in _subjects(check, metrics):
            scope = dict(values, value=values.get(subject, math.nan)) if subject else values
            findings.append(_finding(check, subject, scope, table, metrics, units, year))
    order = {"error": 0, "warn": 1, "ok": 2}
    frame = pd.DataFrame(findings)
    return frame.sort_values("severity", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)


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


def _finding(check: CheckDef, subject, scope, table, metrics, units, year: int) -> dict:
    from ..show.narrative import fill

    names = [subject if n == "value" else n for n in check.formula.names]
    missing = [n for n in names if n not in scope or (isinstance(scope[n], float) and math.isnan(scope[n]))]
    if missing:
        severity, message = "warn", f"not checked: no value for {', '.join(missing)}"
    else:
        try:
            held = bool(check.formula.evaluate(scope))
            severity = "ok" if held else check.severity
            sides = "; ".join(" vs ".join(format_number(v) for v in c) for c in check.formula.sides(scope))
            message = "holds" if held else f"does not hold ({sides})"
        except FormulaError as exc:
            severity, message = check.severity, f"cannot evaluate: {exc}"
    label = f"{check.id}[{subject}]" if subject else check.id
    return {"check": label, "severity": severity, "description": check.description,
            "expression": check.formula.text, "substituted": substitute(check.formula, scope),
            "subject": subject or "", "units": ", ".join(dict.fromkeys(units.get(n, "") for n in names)),
            "message": message, "figures": _figures(names, table, metrics),
            "note": fill(year, check.note) if severity != "ok" else ""}
