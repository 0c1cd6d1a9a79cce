"""Year-on-year change across every year in ``data/indicators/``, and growth the report states.

:func:`growth_table` compares each indicator present in consecutive years, :func:`metric_growth`
each derived metric of ``metrics.yml``. What a change is depends on the unit:

* counts and amounts (宗, 元, 家次 …): relative growth ``growth_pct`` = (value − previous) /
  previous × 100, with the absolute difference ``change`` beside it; status ``ok``;
* rates and shares (unit ``%``, and ``pp``): the difference in percentage points ``change_pp``
  (71.59% → 60.52% is −11.07 points, the report's 个百分点), never a relative %:
  ``growth_pct`` and ``change`` stay empty and the status is ``ok, in percentage points``;
* ranks (unit ``rank``): ``change`` in places, value − previous, so that a negative change is a
  move up (6th → 4th is −2: lower is better); status ``ok, in places``.

Exactly one of ``growth_pct``/``change_pp``/``change`` carries the comparison, named by the
status. Figures that cannot be compared keep their values, get no change figure and a status
that says why: ``period differs`` (截至11月 against a full year), ``previous is zero``,
``previous is negative``, ``unit changed``, ``new in <year>``, ``not reported in <year>``,
``no value in <year>`` (a metric that could not be computed) or ``change too large to
express``; never a silent ``inf`` or ``NaN``.

:func:`stated_growth` takes the growth rates a report states (``增长率40.4%``), derives the
previous-year value they imply, and reconciles it with the previous year's table when there
is one.
"""
from __future__ import annotations

import math
import re

import pandas as pd

from .. import paths
from .metrics import compute_metrics, indicator_values, load_stated_growth

GROWTH_COLUMNS = ["id", "label_zh", "year", "previous_year", "value", "previous_value", "unit", "change",
                  "growth_pct", "change_pp", "status", "comparison", "period", "previous_period"]
#: Units whose change is a difference in percentage points, not a relative growth.
PERCENT_UNITS = ("%", "pp")
RANK_UNIT = "rank"
OK, OK_PP, OK_PLACES = "ok", "ok, in percentage points", "ok, in places"
PERIOD_DIFFERS = "period differs"
#: What a row's ``comparison`` says, for readers of the table: the change applies (``compared``),
#: the periods differ, the figure stands in one of the two years only, or nothing can be compared.
COMPARED, ONE_YEAR, NOT_COMPARED = "compared", "one year", "not compared"
#: The ``check`` of a stated growth rate: its implied previous value matches the previous year's
#: figure or not, the periods differ, there is no previous figure, or a figure of the pair is missing.
CONSISTENT, INCONSISTENT, NO_PREVIOUS, MISSING = "consistent", "inconsistent", "no previous", "missing"
STATED_COLUMNS = ["rate", "of", "year", "stated_pct", "value", "implied_previous", "implied_range", "previous_value",
                  "status", "check", "missing"]


def growth_between(previous: pd.DataFrame, current: pd.DataFrame, prev_year: int, year: int) -> pd.DataFrame:
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
        rows.append({"id": ident, "label_zh": some["label_zh"], "year": year, "previous_year": prev_year,
                     "value": float(cur["value"]) if cur is not None else math.nan,
                     "previous_value": float(prev["value"]) if prev is not None else math.nan,
                     "unit": some["unit"], **figures, "status": status, "comparison": _comparison(status),
                     "period": cur["period"] if cur is not None else "",
                     "previous_period": prev["period"] if prev is not None else ""})
    return pd.DataFrame(rows, columns=GROWTH_COLUMNS)


def _comparison(status: str) -> str:
    """The ``comparison`` code of a status."""
    if status in (OK, OK_PP, OK_PLACES):
        return COMPARED
    if status == PERIOD_DIFFERS:
        return PERIOD_DIFFERS
    if status.startswith(("new in ", "not reported in ")):
        return ONE_YEAR
    return NOT_COMPARED


def _compare(cur: pd.Series | None, prev: pd.Series | None, prev_year: int, year: int) -> tuple[str, dict]:
    """Return the status and the change figures of one id (see the module docstring)."""
    none = {"change": math.nan, "growth_pct": math.nan, "change_pp": math.nan}
    if prev is None:
        return f"new in {year}", none
    if cur is None:
        return f"not reported in {year}", none
    if cur["unit"] != prev["unit"]:
        return "unit changed", none
    value, before = float(cur["value"]), float(prev["value"])
    if math.isnan(value) or math.isnan(before):
        return f"no value in {year if math.isnan(value) else prev_year}", none
    if _span(cur["period"], year) != _span(prev["period"], prev_year):
        return PERIOD_DIFFERS, none
    difference = value - before
    if cur["unit"] in PERCENT_UNITS:
        status, figures = OK_PP, {**none, "change_pp": difference}
    elif cur["unit"] == RANK_UNIT:
        status, figures = OK_PLACES, {**none, "change": difference}
    elif before <= 0:
        status = "previous is zero" if before == 0 else "previous is negative"
        figures = {**none, "change": difference}
    else:
        status, figures = OK, {**none, "change": difference, "growth_pct": difference / before * 100}
    if not all(math.isfinite(v) for v in figures.values() if not math.isnan(v)):
        return "change too large to express", none
    return status, figures


def _span(period: str, year: int) -> tuple:
    """What part of which year a period covers, relative to its report year.

    ``2023-11`` in the 2023 report and ``2024-11`` in the 2024 report are both ``(0, "-11")``;
    a plan for the next year (``2024`` in the 2023 report) is ``(1, "")``, not the full report
    year; ``as_of_report`` and ``recent`` stand for themselves. A metric's comma-separated list
    of periods gives the set of its parts.
    """
    parts = []
    for part in str(period).split(", "):
        match = re.fullmatch(r"(\d{4})(.*)", part)
        parts.append((int(match.group(1)) - year, match.group(2)) if match else (0, part))
    return tuple(sorted(set(parts)))


def growth_table(years: list[int] | None = None) -> pd.DataFrame:
    """Year-on-year change of every indicator between consecutive years.

    Parameters
    ----------
    years : list of int, optional
        Years to use; every year of ``data/indicators/`` by default.

    Returns
    -------
    pandas.DataFrame
        :func:`growth_between` for each pair of consecutive years, stacked. With fewer than two
        years it is empty (same columns) and ``frame.attrs["reason"]`` says why.
    """
    return _stacked(years, indicator_values)


def metric_growth(years: list[int] | None = None) -> pd.DataFrame:
    """Year-on-year change of every derived metric (``metrics.yml``) between consecutive years.

    Same rules as :func:`growth_table`: a metric in ``%`` changes in percentage points. A
    metric's ``period`` is the list of its inputs' periods, so a metric resting on a 截至11月
    figure in one year and a full-year figure in the other is ``period differs``; a metric that
    could not be computed in one year is ``no value in <year>``.

    Parameters
    ----------
    years : list of int, optional
        Years to use; every year of ``data/indicators/`` by default.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`GROWTH_COLUMNS`; empty with ``attrs["reason"]`` for fewer than two years.
    """
    return _stacked(years, _metric_values)


def _metric_values(year: int) -> pd.DataFrame:
    return compute_metrics(year).set_index("id").rename(columns={"periods": "period"})


def change_into(year: int, metrics: bool = False) -> pd.DataFrame:
    """同比: the change of every indicator (or metric) from ``year - 1`` to ``year``.

    The year before must have its own table; a year further back is not "the same period last
    year", so with no ``<year-1>.csv`` the result is empty with ``attrs["reason"]``.

    Parameters
    ----------
    year : int
    metrics : bool
        Compare the derived metrics of ``metrics.yml`` instead of the indicators.

    Returns
    -------
    pandas.DataFrame
        As :func:`growth_table` (:func:`metric_growth`), for that one pair of years.
    """
    years = [each for each in (year - 1, year) if each in paths.indicator_years()]
    return (metric_growth if metrics else growth_table)(years)


def _stacked(years: list[int] | None, table_of) -> pd.DataFrame:
    years = sorted(years or paths.indicator_years())
    # 同比 compares a year with the year before only: across a gap (2021 -> 2023) is no comparison
    parts = [growth_between(table_of(a), table_of(b), a, b) for a, b in zip(years, years[1:]) if b == a + 1]
    if parts:
        return pd.concat(parts, ignore_index=True)
    frame = pd.DataFrame(columns=GROWTH_COLUMNS)
    have = f"only {years[0]} has" if len(years) == 1 else "no year has"
    frame.attrs["reason"] = (f"{have} an indicator table in {paths.indicators_dir()}; year-on-year change "
                             "needs two years" if len(years) < 2 else
                             f"the years with an indicator table in {paths.indicators_dir()} are "
                             f"{', '.join(map(str, years))}, and none has the year before it; year-on-year change "
                             "compares a year with the year before it only, never across a gap")
    return frame


def stated_growth(year: int) -> pd.DataFrame:
    """Reconcile the growth rates a year's report states with the previous year's figures.

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
    table = indicator_values(year)
    previous_year = year - 1
    previous = indicator_values(previous_year) if previous_year in paths.indicator_years() else None
    rows = []
    for pair in load_stated_growth():
        missing = [i for i in (pair.rate, pair.of) if i not in table.index]
        if missing:
            rows.append({"rate": pair.rate, "of": pair.of, "year": year, "status": f"not checked: no value for "
                                                                                 f"{', '.join(missing)} in {year}",
                         "check": MISSING, "missing": ", ".join(missing)})
            continue
        rate, value = float(table.at[pair.rate, "value"]), float(table.at[pair.of, "value"])
        half_step = 0.5 * 10 ** -_decimals(table.at[pair.rate, "as_written"])
        low, high = value / (1 + (rate + half_step) / 100), value / (1 + (rate - half_step) / 100)
        known = previous is not None and pair.of in previous.index
        prev = float(previous.at[pair.of, "value"]) if known else math.nan
        if not known:
            check, status = NO_PREVIOUS, f"no {previous_year} figure to reconcile with"
        elif _span(previous.at[pair.of, "period"], previous_year) != _span(table.at[pair.of, "period"], year):
            check = status = PERIOD_DIFFERS
        else:
            check = status = CONSISTENT if low <= prev <= high else INCONSISTENT
        rows.append({"rate": pair.rate, "of": pair.of, "year": year, "stated_pct": rate, "value": value,
                     "implied_previous": value / (1 + rate / 100), "implied_range": (low, high),
                     "previous_value": prev, "status": status, "check": check, "missing": ""})
    return pd.DataFrame(rows, columns=STATED_COLUMNS)


def _decimals(as_written: str) -> int:
    number = as_written.rstrip("%").rstrip("％")
    return len(number.split(".")[1]) if "." in number else 0
