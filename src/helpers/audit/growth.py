"""Year-on-year change between reports of one bureau, and growth a report states.

:func:`growth_table` compares each indicator present in consecutive years, :func:`metric_growth`
each derived metric of ``metrics.yml``. What a change is depends on the unit:

* counts and amounts (宗, 元, 家次 …): relative growth ``growth_pct`` = (value − previous) /
  previous × 100, with the absolute difference ``change`` beside it; status ``ok``;
* rates and shares (unit ``%``, and ``pp``): the difference in percentage points ``change_pp``
  (71.59% → 60.52% is −11.07 points, the report's 个百分点), never a relative %:
  ``growth_pct`` and ``change`` stay empty and the status is ``ok, in percentage points``;
* ranks (unit ``rank``): ``change`` in places, value − previous, so that a negative change is a
  move up (6th → 4th is −2: lower is better); status ``ok, in places``.

(:class:`helpers.report.units.Unit` says which a unit is.) Exactly one of
``growth_pct``/``change_pp``/``change`` carries the comparison, named by the status, a
:class:`helpers.audit.status.GrowthStatus`. Figures that cannot be compared keep their values,
get no change figure and a status that says why: ``period differs`` (截至11月 against a full
year), ``previous is zero``, ``previous is negative``, ``unit changed``, ``new`` (in the later
year only), ``not reported`` (in the earlier year only), ``no value`` / ``no previous value``
(a metric that could not be computed) or ``change too large to express``; never a silent
``inf`` or ``NaN``.

:func:`stated_growth` takes the growth rates a report states (``增长率40.4%``), derives the
previous-year value they imply, and reconciles it with the previous year's table when there
is one.
"""

from __future__ import annotations

import itertools
import math

import pandas as pd

from ..report.period import span_of
from ..report.units import Change, Unit
from .metrics import load_stated_growth
from .status import GrowthStatus, StatedCheck

GROWTH_COLUMNS = [
    "id",
    "label_zh",
    "year",
    "previous_year",
    "value",
    "previous_value",
    "unit",
    "change",
    "growth_pct",
    "change_pp",
    "status",
    "comparison",
    "period",
    "previous_period",
]
STATED_COLUMNS = [
    "rate",
    "of",
    "year",
    "stated_pct",
    "value",
    "implied_previous",
    "implied_range",
    "previous_value",
    "status",
    "check",
    "missing",
]


def growth_between(
    previous: pd.DataFrame, current: pd.DataFrame, prev_year: int, year: int
) -> pd.DataFrame:
    """Compare two tables of figures indexed by id (indicators or metrics of two report years).

    Parameters
    ----------
    previous, current : pandas.DataFrame
        Indexed by ``id`` with ``value``, ``unit``, ``period``, ``label_zh``. A ``period`` may
        list several periods (``"2023-11, as_of_report"``, the inputs of a metric).
    prev_year, year : int
        The report years of the two tables.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`GROWTH_COLUMNS`, one row per id of either table (current order first).
        See the module docstring for which of ``change``, ``growth_pct`` and ``change_pp``
        holds a number under which ``status``.
    """
    rows = []
    for ident in dict.fromkeys([*current.index, *previous.index]):
        cur = current.loc[ident] if ident in current.index else None
        prev = previous.loc[ident] if ident in previous.index else None
        status, figures = _compare(cur, prev, prev_year, year)
        some = cur if cur is not None else prev
        assert some is not None  # ident is in one of the two tables
        rows.append(
            {
                "id": ident,
                "label_zh": some["label_zh"],
                "year": year,
                "previous_year": prev_year,
                "value": float(cur["value"]) if cur is not None else math.nan,
                "previous_value": float(prev["value"]) if prev is not None else math.nan,
                "unit": some["unit"],
                **figures,
                "status": status,
                "comparison": status.comparison,
                "period": cur["period"] if cur is not None else "",
                "previous_period": prev["period"] if prev is not None else "",
            }
        )
    return pd.DataFrame(rows, columns=GROWTH_COLUMNS)


def _compare(
    cur: pd.Series | None, prev: pd.Series | None, prev_year: int, year: int
) -> tuple[GrowthStatus, dict]:
    """Return the status and the change figures of one id (see the module docstring).

    Periods compare by :func:`helpers.report.period.span_of`: the same part of each report year
    (``2023-11`` of 2023 and ``2024-11`` of 2024), a plan for the next year never the full year.
    """
    none = {"change": math.nan, "growth_pct": math.nan, "change_pp": math.nan}
    if prev is None:
        return GrowthStatus.ONLY_CURRENT, none
    if cur is None:
        return GrowthStatus.ONLY_PREVIOUS, none
    if cur["unit"] != prev["unit"]:
        return GrowthStatus.UNIT_CHANGED, none
    value, before = float(cur["value"]), float(prev["value"])
    if math.isnan(value) or math.isnan(before):
        return (
            GrowthStatus.NO_VALUE if math.isnan(value) else GrowthStatus.NO_PREVIOUS_VALUE
        ), none
    if span_of(cur["period"], year) != span_of(prev["period"], prev_year):
        return GrowthStatus.PERIOD_DIFFERS, none
    difference = value - before
    change = Unit(cur["unit"]).change
    if change is Change.POINTS:
        status, figures = GrowthStatus.IN_POINTS, {**none, "change_pp": difference}
    elif change is Change.PLACES:
        status, figures = GrowthStatus.IN_PLACES, {**none, "change": difference}
    elif before <= 0:
        status = GrowthStatus.PREVIOUS_ZERO if before == 0 else GrowthStatus.PREVIOUS_NEGATIVE
        figures = {**none, "change": difference}
    else:
        status = GrowthStatus.COMPARED
        figures = {**none, "change": difference, "growth_pct": difference / before * 100}
    if not all(math.isfinite(v) for v in figures.values() if not math.isnan(v)):
        return GrowthStatus.TOO_LARGE, none
    return status, figures


def growth_table(reports: list) -> pd.DataFrame:
    """Year-on-year change of every indicator between consecutive reports of one bureau.

    Parameters
    ----------
    reports : list of Report
        Reports of one bureau (:func:`helpers.audit.report.load_report`), in any order.

    Returns
    -------
    pandas.DataFrame
        :func:`growth_between` for each pair of consecutive years, stacked. With fewer than two
        years it is empty (same columns) and ``frame.attrs["reason"]`` says why.
    """
    return _stacked(reports, lambda r: r.indicators)


def metric_growth(reports: list) -> pd.DataFrame:
    """Year-on-year change of every derived metric (``metrics.yml``) between consecutive reports of one bureau.

    Same rules as :func:`growth_table`: a metric in ``%`` changes in percentage points. A
    metric's ``period`` is the list of its inputs' periods, so a metric resting on a 截至11月
    figure in one year and a full-year figure in the other is ``period differs``; a metric that
    could not be computed in one year is ``no value`` (the later year) or ``no previous value``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`GROWTH_COLUMNS`; empty with ``attrs["reason"]`` for fewer than two years.
    """
    return _stacked(reports, lambda r: metric_values(r.metrics))


def metric_values(metrics: pd.DataFrame) -> pd.DataFrame:
    """Metrics as :func:`growth_between` compares them (``periods`` as ``period``)."""
    return metrics.rename(columns={"periods": "period"})


def no_growth(reason: str) -> pd.DataFrame:
    """An empty growth table whose ``attrs["reason"]`` says why there is nothing to compare."""
    frame = pd.DataFrame(columns=GROWTH_COLUMNS)
    frame.attrs["reason"] = reason
    return frame


def _stacked(reports: list, table_of) -> pd.DataFrame:
    reports = sorted(reports, key=lambda r: r.year)
    # 同比 compares a year with the year before only: across a gap (2021 -> 2023) is no comparison
    parts = [
        growth_between(table_of(a), table_of(b), a.year, b.year)
        for a, b in itertools.pairwise(reports)
        if b.year == a.year + 1
    ]
    if parts:
        return pd.concat(parts, ignore_index=True)
    if len(reports) < 2:
        have = f"only {reports[0].year} has" if reports else "no year has"
        return no_growth(f"{have} an indicator table; year-on-year change needs two years")
    return no_growth(
        f"the years with an indicator table are {', '.join(str(r.year) for r in reports)}, and none "
        "has the year before it; year-on-year change compares a year with the year before it only, "
        "never across a gap"
    )


def stated_growth(table: pd.DataFrame, previous: pd.DataFrame | None, year: int) -> pd.DataFrame:
    """Reconcile the growth rates a report states with the same bureau's previous-year figures.

    Parameters
    ----------
    table : pandas.DataFrame
        The report's indicators, indexed by id.
    previous : pandas.DataFrame or None
        The same bureau's indicators of ``year - 1``, or None when there is no such table.
    year : int

    The pairs come from ``stated_growth`` in ``data/metrics.yml``, read by
    :func:`helpers.audit.metrics.load_stated_growth` (``rate``: the stated growth indicator,
    ``of``: the indicator it is the growth of).

    Returns
    -------
    pandas.DataFrame
        One row per pair stated in that year: ``rate, of, year, stated_pct, value,
        implied_previous`` (value / (1 + rate/100)), ``implied_range`` (the previous values the
        rate allows given its rounding), ``previous_value`` (from ``<year-1>.csv`` if present),
        ``status``: ``consistent``, ``inconsistent``, ``period differs`` (the previous figure
        covers another part of its year, so it cannot be the base) or ``no <year-1> figure to
        reconcile with``.
        A pair the year's table lacks a figure of is listed as ``not checked: no value for <id>
        in <year>``, with the numbers left empty.
    """
    previous_year = year - 1
    rows = []
    for pair in load_stated_growth():
        missing = [i for i in (pair.rate, pair.of) if i not in table.index]
        if missing:
            rows.append(
                {
                    "rate": pair.rate,
                    "of": pair.of,
                    "year": year,
                    "status": f"not checked: no value for {', '.join(missing)} in {year}",
                    "check": StatedCheck.MISSING,
                    "missing": ", ".join(missing),
                }
            )
            continue
        rate, value = float(table.at[pair.rate, "value"]), float(table.at[pair.of, "value"])
        half_step = 0.5 * 10 ** -_decimals(table.at[pair.rate, "as_written"])
        low, high = value / (1 + (rate + half_step) / 100), value / (1 + (rate - half_step) / 100)
        known = previous is not None and pair.of in previous.index
        prev = float(previous.at[pair.of, "value"]) if previous is not None and known else math.nan
        if previous is None or not known:
            check, status = StatedCheck.NO_PREVIOUS, f"no {previous_year} figure to reconcile with"
        elif span_of(previous.at[pair.of, "period"], previous_year) != span_of(
            table.at[pair.of, "period"], year
        ):
            check = status = StatedCheck.PERIOD_DIFFERS
        else:
            check = status = (
                StatedCheck.CONSISTENT if low <= prev <= high else StatedCheck.INCONSISTENT
            )
        rows.append(
            {
                "rate": pair.rate,
                "of": pair.of,
                "year": year,
                "stated_pct": rate,
                "value": value,
                "implied_previous": value / (1 + rate / 100),
                "implied_range": (low, high),
                "previous_value": prev,
                "status": status,
                "check": check,
                "missing": "",
            }
        )
    return pd.DataFrame(rows, columns=STATED_COLUMNS)


def _decimals(as_written: str) -> int:
    number = as_written.rstrip("%").rstrip("％")
    return len(number.split(".")[1]) if "." in number else 0
