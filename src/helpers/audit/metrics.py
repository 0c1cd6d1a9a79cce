"""Derived metrics declared in ``data/metrics.yml``, computed with their provenance.

Each metric is a formula over indicator ids or other metric ids. :func:`compute_metrics`
returns one row per metric with its value, its formula with the numbers put in, every
indicator it rests on (value, span, source sentence) and flags for approximate (2900余) and
partial-period (截至11月) inputs. :func:`explain` writes that out for one metric.
"""
from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from .. import paths
from ..errors import DataError, Problem
from .formula import Formula, FormulaError
from ..tables.load import load_catalog
from ..report.sources import read_yaml
from ..tables.indicators import indicator_table

KINDS = ("rate", "share", "ratio", "average", "total", "implied", "plan_vs_actual")
REQUIRED = ("id", "label_zh", "label_en", "formula", "unit", "kind")


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


def metrics_file():
    """Return the path of ``data/metrics.yml``."""
    return paths.data_dir() / "metrics.yml"


def _line_of(text: str, key: str) -> str:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip().lstrip("- ").startswith(f"id: {key}") and line.rstrip().endswith(key):
            return f"line {number}, metric {key}"
    return f"metric {key}"


def load_metric_defs() -> list[MetricDef]:
    """Read and check ``data/metrics.yml``.

    Returns
    -------
    list of MetricDef
        In file order.

    Raises
    ------
    DataError
        For a missing field, an unknown kind, a formula that does not parse, an id that is
        neither an indicator nor a metric, a duplicate id or a circular definition; each
        problem names the line and the metric.
    """
    path = metrics_file()
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    doc = read_yaml(path) or {}
    entries = doc.get("metrics", [])
    catalog = set(load_catalog().index)
    problems, defs = [], []
    for i, entry in enumerate(entries, start=1):
        key = str(entry.get("id", f"#{i}")) if isinstance(entry, dict) else f"#{i}"
        where = _line_of(text, key)
        missing = [f for f in REQUIRED if not isinstance(entry, dict) or entry.get(f) in (None, "")]
        if missing:
            problems.append(Problem(path, where, f"missing {', '.join(missing)}"))
            continue
        if entry["kind"] not in KINDS:
            problems.append(Problem(path, where, f"kind {entry['kind']!r} is not one of {', '.join(KINDS)}"))
        try:
            formula = Formula(str(entry["formula"]))
        except FormulaError as exc:
            problems.append(Problem(path, where, str(exc)))
            continue
        defs.append(MetricDef(key, entry["label_zh"], entry["label_en"], formula, str(entry["unit"]),
                              entry["kind"], entry.get("reconciles_with"), entry.get("note", "") or ""))
    ids = [d.id for d in defs]
    metric_ids = set(ids)
    for d in defs:
        where = _line_of(text, d.id)
        if ids.count(d.id) > 1:
            problems.append(Problem(path, where, "the id is declared more than once"))
        if d.id in catalog:
            problems.append(Problem(path, where, "the id is also an indicator id"))
        for name in d.formula.names:
            if name not in catalog and name not in metric_ids:
                problems.append(Problem(path, where, f"formula uses {name!r}, which is neither an indicator "
                                                     "in catalog.yml nor a metric"))
        if d.reconciles_with and d.reconciles_with not in catalog:
            problems.append(Problem(path, where, f"reconciles_with {d.reconciles_with!r} is not in catalog.yml"))
    problems += _read_stated_growth(doc, text, path)[1]
    problems += _cycles(defs, path, text)
    if problems:
        raise DataError(problems)
    return defs


# --- stated growth: the growth rates a report states, paired with what they are the growth of ---

@dataclass(frozen=True)
class StatedGrowth:
    """A growth rate the report states (``rate``, an indicator in %) and the indicator it is the growth of (``of``)."""

    rate: str
    of: str


def load_stated_growth() -> list[StatedGrowth]:
    """Read and check the ``stated_growth`` pairs of ``data/metrics.yml``.

    Returns
    -------
    list of StatedGrowth
        In file order; empty when the file declares none.

    Raises
    ------
    DataError
        For ``stated_growth`` that is not a list, an entry without ``rate`` and ``of``, an id
        that is not in ``catalog.yml`` or a ``rate`` whose catalog unit is not ``%``; each
        problem names the line and the entry.
    """
    path = paths.metrics_file()
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    pairs, problems = _read_stated_growth(read_yaml(path) or {}, text, path)
    if problems:
        raise DataError(problems)
    return pairs


def _read_stated_growth(doc: dict, text: str, path) -> tuple[list[StatedGrowth], list[Problem]]:
    """The ``stated_growth`` pairs of a parsed ``metrics.yml`` and the problems with them."""
    if not isinstance(doc, dict):
        return [], [Problem(path, "", "expected a mapping with metrics: and stated_growth: lists")]
    entries = doc.get("stated_growth") or []
    if not isinstance(entries, list):
        return [], [Problem(path, "stated_growth", "must be a list of pairs (- rate: <id>, of: <id>)")]
    units = load_catalog()["unit"].to_dict()
    lines = _entry_lines(text, "stated_growth")
    pairs, problems = [], []
    for number, entry in enumerate(entries, start=1):
        where = (f"line {lines[number - 1]}, " if number <= len(lines) else "") + f"stated_growth entry {number}"
        if not isinstance(entry, dict) or not entry.get("rate") or not entry.get("of"):
            problems.append(Problem(path, where, "needs rate and of (indicator ids), e.g. "
                                                 "{rate: invention_patents_growth, of: invention_patents_granted}"))
            continue
        pair = StatedGrowth(str(entry["rate"]), str(entry["of"]))
        unknown = [(role, ident) for role, ident in (("rate", pair.rate), ("of", pair.of)) if ident not in units]
        problems += [Problem(path, where, f"{role} {ident!r} is not in catalog.yml") for role, ident in unknown]
        if pair.rate in units and units[pair.rate] != "%":
            problems.append(Problem(path, where, f"rate {pair.rate!r} has unit {units[pair.rate]!r} in "
                                                 "catalog.yml; a stated growth rate is in %"))
        elif not unknown:
            pairs.append(pair)
    return pairs, problems


def _entry_lines(text: str, key: str) -> list[int]:
    """Line numbers of the list items (``- ...``) directly under a top-level ``key:`` of a YAML text."""
    out, inside, indent = [], False, None
    for number, line in enumerate(text.splitlines(), start=1):
        if line and not line[0].isspace() and not line.startswith(("#", "-")):
            inside = line.startswith(f"{key}:")
            continue
        stripped = line.lstrip()
        item = stripped == "-" or stripped.startswith("- ")
        if inside and item and indent in (None, len(line) - len(stripped)):
            indent = len(line) - len(stripped)
            out.append(number)
    return out


def _cycles(defs: list[MetricDef], path, text: str) -> list[Problem]:
    deps = {d.id: [n for n in d.formula.names if n in {x.id for x in defs}] for d in defs}
    state: dict[str, int] = {}
    problems = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in deps.get(node, []):
            if state.get(nxt) == 1:
                loop = trail[trail.index(nxt):] + [nxt] if nxt in trail else [node, nxt]
                problems.append(Problem(path, _line_of(text, nxt), "circular definition: " + " -> ".join(loop)))
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for d in defs:
        if d.id not in state:
            visit(d.id, [d.id])
    return problems


def _partial(period: str) -> bool:
    """True for cut-offs before the end of the year (2023-11, 2023-Q3) and 'recent'."""
    if period == "recent":
        return True
    if "-Q" in period:
        return not period.endswith("Q4")
    return "-" in period and not period.endswith("-12")


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
            "unit": d.unit, "formula": d.formula.text, "substituted": substitute(d.formula, values),
            "status": status, "inputs": inputs,
            "approx_input": any(r["qualifier"] != "exact" for r in inputs),
            "partial_period": any(_partial(p) for p in periods), "periods": ", ".join(periods),
            "reconciles_with": d.reconciles_with or "", "stated_value": stated,
            "difference": value - stated if d.reconciles_with else math.nan, "note": d.note,
        })
    order = {d.id: i for i, d in enumerate(defs)}
    return pd.DataFrame(rows).sort_values("id", key=lambda s: s.map(order)).reset_index(drop=True)


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


def format_number(value: float) -> str:
    """Format a value for reading: whole numbers with separators, others to 4 significant decimals."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.4f}".rstrip("0").rstrip(".")


def substitute(formula: Formula, values: dict[str, float]) -> str:
    """Return the formula with each id replaced by its value (``509 / 2247 * 100``)."""
    class Put(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            value = values.get(node.id, math.nan)
            return ast.Name(id=format_number(value).replace(",", ""), ctx=ast.Load())

    return ast.unparse(Put().visit(ast.parse(formula.text, mode="eval")))


def explain(metric_id: str, year: int) -> str:
    """Explain one metric: its formula, the numbers that go in, and the sentences they come from.

    Parameters
    ----------
    metric_id : str
    year : int

    Returns
    -------
    str
        Several lines of plain text.

    Raises
    ------
    DataError
        If ``metric_id`` is not declared in ``metrics.yml``.
    """
    frame = compute_metrics(year).set_index("id")
    if metric_id not in frame.index:
        raise DataError([Problem(metrics_file(), "", f"no metric {metric_id!r} (known: {', '.join(frame.index)})")])
    m = frame.loc[metric_id]
    lines = [f"{metric_id}  {m['label_zh']} / {m['label_en']}",
             f"  = {format_number(m['value'])} {m['unit']}" + ("" if m["status"] == "ok" else f"  ({m['status']})"),
             f"  formula: {m['formula']}", f"         = {m['substituted']}"]
    if m["reconciles_with"]:
        lines.append(f"  the report states {m['reconciles_with']} = {format_number(m['stated_value'])}; "
                     f"difference {format_number(m['difference'])}")
    flags = [f for f, on in (("approximate input", m["approx_input"]), ("partial-period input", m["partial_period"]))
             if on]
    if flags:
        lines.append(f"  flags: {', '.join(flags)} (periods: {m['periods']})")
    lines.append("  inputs:")
    for r in m["inputs"]:
        lines.append(f"    {r['id']} = {format_number(r['value'])} {r['unit']}  ({r['as_written']}, characters "
                     f"{r['start']}-{r['end']}, period {r['period']}, {r['qualifier']})")
        lines.append(f"      「{r['source_sentence']}」")
    if m["note"]:
        lines.append(f"  note: {m['note']}")
    return "\n".join(lines)
