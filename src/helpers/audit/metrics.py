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

import pandas as pd

from .. import paths
from ..datafile import (
    LINE,
    TEXT,
    choice_problems,
    entry_id,
    entry_problems,
    parsed_once,
    read_yaml,
    yaml_section,
    yaml_where,
)
from ..errors import DataError, Problem
from ..report.period import Period
from ..report.units import Unit
from ..tables.load import ID_PATTERN, load_catalog
from .formula import Formula, FormulaError

METRIC_COLUMNS = [
    "id",
    "label_zh",
    "label_en",
    "kind",
    "value",
    "unit",
    "formula",
    "substituted",
    "status",
    "inputs",
    "approx_input",
    "partial_period",
    "periods",
    "reconciles_with",
    "stated_value",
    "difference",
    "note",
]
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
    #: The base of a rate (``count / base``): across bureaus this metric is compared in place of the count
    #: when both reports state the base (:mod:`helpers.audit.compare`); None for a metric that is no such rate.
    per: str | None = None

    @property
    def count(self) -> str | None:
        """The figure a rate with a ``per`` base is the rate of (the other name of its formula)."""
        return next((n for n in self.formula.names if n != self.per), None) if self.per else None


METRIC_FIELDS = {
    "id": LINE,
    "label_zh": LINE,
    "label_en": LINE,
    "formula": TEXT,
    "unit": LINE,
    "kind": LINE,
}
METRIC_OPTIONAL = {"reconciles_with": TEXT, "note": TEXT, "per": TEXT}
GROWTH_FIELDS = {"rate": TEXT, "of": TEXT}


def load_metric_defs() -> tuple[MetricDef, ...]:
    """Read and check ``data/metrics.yml``.

    Returns
    -------
    tuple of MetricDef
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


def load_stated_growth() -> tuple[StatedGrowth, ...]:
    """Return the ``stated_growth`` pairs of ``data/metrics.yml``, in file order.

    Raises
    ------
    DataError
        As :func:`load_metric_defs`; also for a pair that is not a mapping of ``rate`` and
        ``of`` indicator ids, an id not in ``catalog.yml``, or a ``rate`` whose unit is not ``%``.
    """
    return _read_metrics_file()[1]


@parsed_once(paths.metrics_file, paths.catalog_file)
def _read_metrics_file() -> tuple[tuple[MetricDef, ...], tuple[StatedGrowth, ...]]:
    path = paths.metrics_file()
    doc = read_yaml(path)
    entries = yaml_section(path, doc, "metrics")
    growth = yaml_section(path, doc, "stated_growth")
    catalog = set(load_catalog().index)
    problems, defs = [], []
    where: dict = {}
    for i, entry in enumerate(entries):
        key = entry_id(entry, i)
        label = f"metric {key}"
        found = entry_problems(path, entries, i, label, METRIC_FIELDS, METRIC_OPTIONAL)
        if not found and not re.fullmatch(ID_PATTERN, key):
            found.append(
                Problem(path, yaml_where(entry, "id", label), "id must be snake_case ASCII")
            )
        problems += found
        if found:
            continue
        if key in where:  # named where the second declaration is, pointing at the first
            problems.append(
                Problem(
                    path,
                    yaml_where(entries, i, label),
                    f"the id is declared more than once (first at {where[key]})",
                )
            )
            continue
        where[key] = yaml_where(entries, i, label)
        problems += choice_problems(path, entry, "kind", label, KINDS, f"one of {', '.join(KINDS)}")
        try:
            formula = Formula(entry["formula"]).as_number()
        except FormulaError as exc:
            problems.append(Problem(path, yaml_where(entry, "formula", label), str(exc)))
            continue
        defs.append(
            MetricDef(
                key,
                entry["label_zh"],
                entry["label_en"],
                formula,
                entry["unit"],
                entry["kind"],
                entry.get("reconciles_with"),
                entry.get("note") or "",
                entry.get("per"),
            )
        )
    problems += _reference_problems(defs, catalog, path, where)
    pairs, found = _growth_pairs(growth, catalog, path)
    problems += found + _cycles(defs, path, where)
    if problems:
        raise DataError(problems)
    return tuple(defs), tuple(pairs)


def known_ids() -> set[str]:
    """Return the ids a rule or a template may use: every indicator of the catalog and every metric."""
    return set(load_catalog().index) | {d.id for d in load_metric_defs()}


def known_units() -> dict[str, str]:
    """Return the unit of every id a rule may use: each indicator's in the catalog, each metric's."""
    return {**load_catalog()["unit"].to_dict(), **{d.id: d.unit for d in load_metric_defs()}}


def _reference_problems(defs: list[MetricDef], catalog: set, path, where: dict) -> list[Problem]:
    metric_ids = {d.id for d in defs}
    units = load_catalog()["unit"].to_dict()
    problems = []
    for d in defs:
        if d.id in catalog:
            problems.append(Problem(path, where[d.id], "the id is also an indicator id"))
        for name in d.formula.names:
            if name not in catalog and name not in metric_ids:
                problems.append(
                    Problem(
                        path,
                        where[d.id],
                        f"formula uses {name!r}, which is neither an indicator "
                        "in catalog.yml nor a metric",
                    )
                )
        if d.reconciles_with and d.reconciles_with not in catalog:
            problems.append(
                Problem(
                    path,
                    where[d.id],
                    f"reconciles_with {d.reconciles_with!r} is not in catalog.yml",
                )
            )
        elif d.reconciles_with and units[d.reconciles_with] != d.unit:
            problems.append(
                Problem(
                    path,
                    where[d.id],
                    f"reconciles_with {d.reconciles_with!r}, counted in {units[d.reconciles_with]!r} "
                    f"in catalog.yml, but the metric is in {d.unit!r}: a metric reconciles with the "
                    "same quantity the report states, in the same unit",
                )
            )
        if d.per and (
            d.per not in d.formula.names or len(set(d.formula.names)) != 2 or d.count not in catalog
        ):
            problems.append(
                Problem(
                    path,
                    where[d.id],
                    f"per {d.per!r}: a rate compared across bureaus is a count over its base, so the "
                    f"formula names two ids, the base and an indicator of catalog.yml "
                    f"(formula: {d.formula.text})",
                )
            )
    return problems


def _growth_pairs(growth: list, catalog: set, path) -> tuple[list[StatedGrowth], list[Problem]]:
    units = load_catalog()["unit"].to_dict()
    pairs, problems = [], []
    for i, pair in enumerate(growth):
        label = f"stated_growth {i + 1}"
        found = entry_problems(path, growth, i, label, GROWTH_FIELDS)
        found += [
            Problem(
                path, yaml_where(pair, role, label), f"{role} {pair[role]!r} is not in catalog.yml"
            )
            for role in GROWTH_FIELDS
            if not found and pair[role] not in catalog
        ]
        if not found and not Unit(units[pair["rate"]]).is_percent:
            found.append(
                Problem(
                    path,
                    yaml_where(pair, "rate", label),
                    f"rate {pair['rate']!r} has unit "
                    f"{units[pair['rate']]!r} in catalog.yml; a stated growth rate is in %",
                )
            )
        problems += found
        if not found:
            pairs.append(StatedGrowth(pair["rate"], pair["of"]))
    return pairs, problems


def _cycles(defs: list[MetricDef], path, where: dict) -> list[Problem]:
    return [
        Problem(path, where[loop[0]], "circular definition: " + " -> ".join(loop))
        for loop in _walk(defs)[1]
    ]


def _walk(defs: list[MetricDef]) -> tuple[list[MetricDef], list[list[str]]]:
    """The metrics in dependency order (each after the metrics its formula uses) and every cycle.

    One iterative depth-first walk: each metric and each reference is visited once, however the
    metrics share inputs and however long a chain of them is (no recursion, no stack limit).
    A cycle is given from the metric it returns to: ``[a, b, a]``.
    """
    by_id = {d.id: d for d in defs}
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    order, cycles = [], []
    for root in defs:
        if root.id in state:
            continue
        state[root.id] = 1
        path = [root.id]
        stack = [iter([n for n in root.formula.names if n in by_id])]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                done = path.pop()
                state[done] = 2
                order.append(by_id[done])
                stack.pop()
            elif state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter([n for n in by_id[nxt].formula.names if n in by_id]))
    return order, cycles


def compute_metrics(table: pd.DataFrame, year: int) -> pd.DataFrame:
    """Compute every metric of ``metrics.yml`` from one report's indicators.

    Parameters
    ----------
    table : pandas.DataFrame
        The report's indicators indexed by id (:func:`helpers.tables.indicators.indicator_table`).
    year : int
        The report year, for the status of a metric an indicator is missing for.

    Returns
    -------
    pandas.DataFrame
        Indexed by metric ``id``, one row per metric: ``label_zh, label_en, kind, value, unit, formula,
        substituted`` (the formula with numbers), ``status`` (``ok``, or why there is no
        value), ``inputs`` (list of dicts: id, value, unit, as_written, start, end, period,
        qualifier, source_sentence), ``approx_input``, ``partial_period``, ``periods``,
        ``reconciles_with``, ``stated_value``, ``difference`` (value − stated), ``note``.
    """
    values = table["value"].to_dict()
    # each indicator's row read once: frame.loc[id] costs as much as a hundred dict reads
    records = table.to_dict("index")
    rows = []
    defs = load_metric_defs()
    order = _in_dependency_order(list(defs))
    every_leaf = _leaf_inputs(order)
    for d in order:
        leaves = every_leaf[d.id]
        inputs = [row_record(i, records[i]) for i in leaves if i in records]
        missing = [i for i in leaves if i not in table.index]
        try:
            value = float(d.formula.evaluate(values)) if not missing else math.nan
            status = "ok" if not missing else f"no value: {', '.join(missing)} not in {year}"
        except FormulaError as exc:
            value, status = math.nan, f"undefined: {exc}"
        values[d.id] = value
        stated = (
            table.at[d.reconciles_with, "value"] if d.reconciles_with in table.index else math.nan
        )
        periods = sorted({r["period"] for r in inputs})
        rows.append(
            {
                "id": d.id,
                "label_zh": d.label_zh,
                "label_en": d.label_en,
                "kind": d.kind,
                "value": value,
                "unit": d.unit,
                "formula": d.formula.text,
                "substituted": d.formula.substitute(values),
                "status": status,
                "inputs": inputs,
                "approx_input": any(r["qualifier"] != "exact" for r in inputs),
                "partial_period": any(Period.parse(p).is_partial for p in periods),
                "periods": ", ".join(periods),
                "reconciles_with": d.reconciles_with or "",
                "stated_value": stated,
                "difference": value - stated if d.reconciles_with else math.nan,
                "note": d.note,
            }
        )
    position = {d.id: i for i, d in enumerate(defs)}
    frame = pd.DataFrame(
        rows, columns=METRIC_COLUMNS
    )  # the columns even when metrics.yml declares none
    return frame.sort_values("id", key=lambda s: s.map(position)).set_index("id")


def _in_dependency_order(defs: list[MetricDef]) -> list[MetricDef]:
    return _walk(defs)[0]


def _leaf_inputs(order: list[MetricDef]) -> dict[str, list[str]]:
    """The indicators each metric rests on, in order of first use, for metrics in dependency order.

    Memoised: a metric's leaves are made once from its formula's names and the leaves already
    made for the metrics it uses (40 metrics ``fib_i = fib_{i-1} + fib_{i-2}`` take 40 steps, not
    2**40).
    """
    leaves: dict[str, list[str]] = {}
    for d in order:
        found: dict[str, None] = {}
        for name in d.formula.names:
            found.update(dict.fromkeys(leaves.get(name, [name])))
        leaves[d.id] = list(found)
    return leaves


def input_record(table: pd.DataFrame, ident: str) -> dict:
    """Return one indicator as a metric or check input: value, unit, span, period, sentence."""
    return row_record(ident, table.loc[ident])


def row_record(ident: str, row) -> dict:
    """:func:`input_record` of the indicator ``ident`` from its row of the table (a Series, or the row as a dict)."""
    return {
        "id": ident,
        "label_zh": row["label_zh"],
        "value": float(row["value"]),
        "unit": row["unit"],
        "as_written": row["as_written"],
        "start": int(row["start"]),
        "end": int(row["end"]),
        "period": row["period"],
        "qualifier": row["qualifier"],
        "source_sentence": row["source_sentence"],
        "sentence_start": int(row["sentence_start"]),
    }
