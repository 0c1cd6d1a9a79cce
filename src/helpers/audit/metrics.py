"""Derived metrics declared in ``data/metrics.yml``, computed with their provenance.

Each metric is a formula over indicator ids or other metric ids. :func:`compute_metrics`
returns one row per metric with its value, its formula with the numbers put in, every
indicator it rests on (value, span, source sentence) and flags for approximate (2900余) and
partial-period (截至11月) inputs; :func:`helpers.show.explain.explain` writes that out for one metric.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from .. import paths
from ..errors import DataError, Problem
from .formula import Formula, FormulaError
from ..tables.load import ID_PATTERN, load_catalog, partial_period
from ..datafile import TEXT, contents, entry_id, entry_problems, read_yaml, yaml_section, yaml_where
from ..tables.indicators import indicator_table

METRIC_COLUMNS = ["id", "label_zh", "label_en", "kind", "value", "unit", "formula", "substituted", "status", "inputs",
                  "approx_input", "partial_period", "periods", "reconciles_with", "stated_value", "difference", "note"]
KINDS = ("rate", "share", "ratio", "average", "total", "implied", "plan_vs_actual")


@dataclass(frozen=True)
class MetricDef:
    """One metric as declared in ``metrics.yml``."""

    id: str
    label_zh: str
    label_en: str
    formula: Formula
    unit: str
    kind: str
    reconciles_with: str | None = None
    note: str = ""


METRIC_FIELDS = {"id": TEXT, "label_zh": TEXT, "label_en": TEXT, "formula": TEXT, "unit": TEXT, "kind": TEXT}
METRIC_OPTIONAL = {"reconciles_with": TEXT, "note": TEXT}
GROWTH_FIELDS = {"rate": TEXT, "of": TEXT}


def load_metric_defs() -> list[MetricDef]:
    """Read and check ``data/metrics.yml``.

    Returns
    -------
    list of MetricDef
        In file order.

    Raises
    ------
    DataError
        For a file that is not a mapping of ``metrics`` and ``stated_growth`` lists, an entry
        that is not a mapping, a missing field or one of the wrong kind, an unknown kind, a
        formula that does not parse, an id that is neither an indicator nor a metric, a
        duplicate id or a circular definition; each problem names the line and the metric.
    """
    return _read_metrics_file()[0]


@dataclass(frozen=True)
class StatedGrowth:
    """A growth rate the report states (``rate``, an indicator in %) and the indicator it is the growth of (``of``)."""

    rate: str
    of: str


def load_stated_growth() -> list[StatedGrowth]:
    """Return the ``stated_growth`` pairs of ``data/metrics.yml``, in file order.

    Raises
    ------
    DataError
        As :func:`load_metric_defs`; also for a pair that is not a mapping of ``rate`` and
        ``of`` indicator ids, an id not in ``catalog.yml``, or a ``rate`` whose unit is not ``%``.
    """
    return _read_metrics_file()[1]


def _read_metrics_file() -> tuple[list[MetricDef], list[StatedGrowth]]:
    path = paths.metrics_file()
    defs, pairs = _metric_defs(path, contents(path, paths.catalog_file()))
    return list(defs), list(pairs)  # copies of the lists; their items are frozen


@lru_cache(maxsize=4)
def _metric_defs(path: Path, _content: tuple) -> tuple[list[MetricDef], list[StatedGrowth]]:
    """The checked definitions of ``path`` (metrics.yml), once per content of it and of the catalog."""
    doc = read_yaml(path)
    entries = yaml_section(path, doc, "metrics")
    growth = yaml_section(path, doc, "stated_growth")
    catalog = set(load_catalog().index)
    problems, defs, where = [], [], {}
    for i, entry in enumerate(entries):
        key = entry_id(entry, i)
        label = f"metric {key}"
        found = entry_problems(path, entries, i, label, METRIC_FIELDS, METRIC_OPTIONAL)
        if not found and not re.fullmatch(ID_PATTERN, key):
            found.append(Problem(path, yaml_where(entry, "id", label), "id must be snake_case ASCII"))
        problems += found
        if found:
            continue
        if key in where:  # named where the second declaration is, pointing at the first
            problems.append(Problem(path, yaml_where(entries, i, label),
                                    f"the id is declared more than once (first at {where[key]})"))
            continue
        where[key] = yaml_where(entries, i, label)
        if entry["kind"] not in KINDS:
            problems.append(Problem(path, yaml_where(entry, "kind", label),
                                    f"kind {entry['kind']!r} is not one of {', '.join(KINDS)}"))
        try:
            formula = Formula(entry["formula"])
        except FormulaError as exc:
            problems.append(Problem(path, yaml_where(entry, "formula", label), str(exc)))
            continue
        defs.append(MetricDef(key, entry["label_zh"], entry["label_en"], formula, entry["unit"], entry["kind"],
                              entry.get("reconciles_with"), entry.get("note") or ""))
    problems += _reference_problems(defs, catalog, path, where)
    pairs, found = _growth_pairs(growth, catalog, path)
    problems += found + _cycles(defs, path, where)
    if problems:
        raise DataError(problems)
    return defs, pairs


def known_ids() -> set[str]:
    """Return the ids a rule or a template may use: every indicator of the catalog and every metric."""
    return set(load_catalog().index) | {d.id for d in load_metric_defs()}


def _reference_problems(defs: list[MetricDef], catalog: set, path, where: dict) -> list[Problem]:
    metric_ids = {d.id for d in defs}
    problems = []
    for d in defs:
        if d.id in catalog:
            problems.append(Problem(path, where[d.id], "the id is also an indicator id"))
        for name in d.formula.names:
            if name not in catalog and name not in metric_ids:
                problems.append(Problem(path, where[d.id], f"formula uses {name!r}, which is neither an indicator "
                                                           "in catalog.yml nor a metric"))
        if d.reconciles_with and d.reconciles_with not in catalog:
            problems.append(Problem(path, where[d.id], f"reconciles_with {d.reconciles_with!r} is not in catalog.yml"))
    return problems


def _growth_pairs(growth: list, catalog: set, path) -> tuple[list[StatedGrowth], list[Problem]]:
    units = load_catalog()["unit"].to_dict()
    pairs, problems = [], []
    for i, pair in enumerate(growth):
        label = f"stated_growth {i + 1}"
        found = entry_problems(path, growth, i, label, GROWTH_FIELDS)
        found += [Problem(path, yaml_where(pair, role, label), f"{role} {pair[role]!r} is not in catalog.yml")
                  for role in GROWTH_FIELDS if not found and pair[role] not in catalog]
        if not found and units[pair["rate"]] != "%":
            found.append(Problem(path, yaml_where(pair, "rate", label), f"rate {pair['rate']!r} has unit "
                                 f"{units[pair['rate']]!r} in catalog.yml; a stated growth rate is in %"))
        problems += found
        if not found:
            pairs.append(StatedGrowth(pair["rate"], pair["of"]))
    return pairs, problems


def _cycles(defs: list[MetricDef], path, where: dict) -> list[Problem]:
    metric_ids = {d.id for d in defs}
    deps = {d.id: [n for n in d.formula.names if n in metric_ids] for d in defs}
    state: dict[str, int] = {}
    problems = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in deps.get(node, []):
            if state.get(nxt) == 1:
                loop = trail[trail.index(nxt):] + [nxt] if nxt in trail else [node, nxt]
                problems.append(Problem(path, where[nxt], "circular definition: " + " -> ".join(loop)))
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for d in defs:
        if d.id not in state:
            visit(d.id, [d.id])
    return problems


@lru_cache(maxsize=8)
def _indicators(year: int, _version: tuple) -> pd.DataFrame:
    return indicator_table(year).set_index("id")


def indicator_values(year: int) -> pd.DataFrame:
    """Return a year's indicator table indexed by id (cached until a data file changes)."""
    return _indicators(year, paths.data_version()).copy()


@lru_cache(maxsize=8)
def _metrics(year: int, _version: tuple) -> pd.DataFrame:
    return _compute_metrics(year)


def compute_metrics(year: int) -> pd.DataFrame:
    """Compute every metric of ``metrics.yml`` for one report year.

    Parameters
    ----------
    year : int

    Returns
    -------
    pandas.DataFrame
        One row per metric: ``id, label_zh, label_en, kind, value, unit, formula,
        substituted`` (the formula with numbers), ``status`` (``ok``, or why there is no
        value), ``inputs`` (list of dicts: id, value, unit, as_written, start, end, period,
        qualifier, source_sentence), ``approx_input``, ``partial_period``, ``periods``,
        ``reconciles_with``, ``stated_value``, ``difference`` (value − stated), ``note``.
        Cached until a data file changes.
    """
    return _metrics(year, paths.data_version()).copy()


def _compute_metrics(year: int) -> pd.DataFrame:
    table = indicator_values(year)
    values = table["value"].to_dict()
    rows = []
    defs = load_metric_defs()
    by_id = {d.id: d for d in defs}
    for d in _in_dependency_order(defs):
        leaves = _leaf_inputs(d, by_id)
        inputs = [input_record(table, i) for i in leaves if i in table.index]
        missing = [i for i in leaves if i not in table.index]
        try:
            value = float(d.formula.evaluate(values)) if not missing else math.nan
            status = "ok" if not missing else f"no value: {', '.join(missing)} not in {year}"
        except FormulaError as exc:
            value, status = math.nan, f"undefined: {exc}"
        values[d.id] = value
        stated = table.at[d.reconciles_with, "value"] if d.reconciles_with in table.index else math.nan
        periods = sorted({r["period"] for r in inputs})
        rows.append({
            "id": d.id, "label_zh": d.label_zh, "label_en": d.label_en, "kind": d.kind, "value": value,
            "unit": d.unit, "formula": d.formula.text, "substituted": d.formula.substitute(values),
            "status": status, "inputs": inputs,
            "approx_input": any(r["qualifier"] != "exact" for r in inputs),
            "partial_period": any(partial_period(p) for p in periods), "periods": ", ".join(periods),
            "reconciles_with": d.reconciles_with or "", "stated_value": stated,
            "difference": value - stated if d.reconciles_with else math.nan, "note": d.note,
        })
    order = {d.id: i for i, d in enumerate(defs)}
    frame = pd.DataFrame(rows, columns=METRIC_COLUMNS)  # the columns even when metrics.yml declares none
    return frame.sort_values("id", key=lambda s: s.map(order)).reset_index(drop=True)


def _in_dependency_order(defs: list[MetricDef]) -> list[MetricDef]:
    by_id, done, out = {d.id: d for d in defs}, set(), []

    def add(d: MetricDef) -> None:
        for name in d.formula.names:
            if name in by_id and name not in done:
                add(by_id[name])
        if d.id not in done:
            done.add(d.id)
            out.append(d)

    for d in defs:
        add(d)
    return out


def _leaf_inputs(d: MetricDef, by_id: dict[str, MetricDef]) -> list[str]:
    out: list[str] = []
    for name in d.formula.names:
        for leaf in (_leaf_inputs(by_id[name], by_id) if name in by_id else [name]):
            if leaf not in out:
                out.append(leaf)
    return out


def input_record(table: pd.DataFrame, ident: str) -> dict:
    """Return one indicator as a metric or check input: value, unit, span, period, sentence."""
    row = table.loc[ident]
    return {"id": ident, "label_zh": row["label_zh"], "value": float(row["value"]), "unit": row["unit"],
            "as_written": row["as_written"], "start": int(row["start"]), "end": int(row["end"]),
            "period": row["period"], "qualifier": row["qualifier"], "source_sentence": row["source_sentence"],
            "sentence_start": int(row["sentence_start"])}
