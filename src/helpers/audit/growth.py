"""Year-on-year growth across every year in ``data/indicators/``, and growth the report states.

:func:`growth_table` compares each indicator present in consecutive years. A previous value
of zero, a missing year or a change of unit gets an explicit ``status`` and no growth figure:
never a silent ``inf`` or ``NaN``. :func:`stated_growth` takes the growth rates a report
states (``增长率40.4%``), derives the previous-year value they imply, and reconciles it with
the previous year's table when there is one.
"""
from __future__ import annotations

import math
import re

import pandas as pd

from .. import paths
from .metrics import indicator_values, load_stated_growth

GROWTH_COLUMNS = ["id", "label_zh", "year", "previous_year", "value", "previous_value", "unit", "change",
                  "growth_pct", "status", "period", "previous_period"]
STATED_COLUMNS = ["rate", "of", "year", "stated_pct", "value", "implied_previous", "implied_range", "previous_value",
                  "status"]


def growth_between(previous: pd.DataFrame, current: pd.DataFrame, prev_year: int, year: int) -> pd.DataFrame:
    """Compare two indicator tables indexed by id.

    Parameters
    ----------
    previous, current : pandas.DataFrame
        Indicator tables indexed by ``id`` with ``value``, ``unit``, ``period``, ``label_zh``.
    prev_year, year : int

    Returns
    -------
    pandas.DataFrame
        Columns :data:`GROWTH_COLUMNS`. ``status`` is ``ok``, ``previous is zero``,
        ``new in <year>``, ``not reported in <year>``, ``unit changed`` or ``growth too large
        to express`` (a previous value so small that the ratio overflows); ``growth_pct`` is
        a number only when ``status`` is ``ok``. ``period differs`` is added to ``ok`` when
        the two figures cover different periods (e.g. 截至11月 against a full year).
    """
    rows = []
    for ident in list(dict.fromkeys([*current.index, *previous.index])):
        cur = current.loc[ident] if ident in current.index else None
        prev = previous.loc[ident] if ident in previous.index else None
        value = float(cur["value"]) if cur is not None else math.nan
        before = float(prev["value"]) if prev is not None else math.nan
        change = growth = math.nan
        if prev is None:
            status = f"new in {year}"
        elif cur is None:
            status = f"not reported in {year}"
        elif cur["unit"] != prev["unit"]:
            status = "unit changed"
        elif before == 0:
            status, change = "previous is zero", value
        else:
            change, growth = value - before, (value - before) / before * 100
            status = "ok" if _same_span(cur["period"], prev["period"]) else "ok, period differs"
            if not math.isfinite(growth):
                status, growth = "growth too large to express", math.nan
        some = cur if cur is not None else prev
        rows.append({"id": ident, "label_zh": some["label_zh"], "year": year, "previous_year": prev_year,
                     "value": value, "previous_value": before, "unit": some["unit"], "change": change,
                     "growth_pct": growth, "status": status,
                     "period": cur["period"] if cur is not None else "",
                     "previous_period": prev["period"] if prev is not None else ""})
    return pd.DataFrame(rows, columns=GROWTH_COLUMNS)


def growth_table(years: list[int] | None = None) -> pd.DataFrame:
    """Year-on-year growth of every indicator between consecutive available years.

    Parameters
    ----------
    years : list of int, optional
        Years to use; all years in ``data/indicators/`` by default.

    Returns
    -------
    pandas.DataFrame
        :func:`growth_between` for each pair of consecutive years, stacked (empty, with the
        same columns, when fewer than two years exist).
    """
    years = sorted(years or paths.indicator_years())
    parts = [growth_between(indicator_values(a), indicator_values(b), a, b) for a, b in zip(years, years[1:])]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=GROWTH_COLUMNS)


def stated_growth(year: int) -> pd.DataFrame:
    """Reconcile the growth rates a year's report states with the previous year's figures.

    The pairs come from ``stated_growth`` in ``data/metrics.yml`` (``rate``: the stated
    growth indicator, ``of``: the indicator it is the growth of).

    Returns
    -------
    pandas.DataFrame
        One row per pair: ``rate, of, stated_pct, value, implied_previous`` (value / (1 +
        rate/100)), ``implied_range`` (the previous values the rate allows given its rounding),
        ``previous_value`` (from ``<year-1>.csv`` if present), ``status`` (``consistent``,
        ``inconsistent``, ``no <year-1> figure to reconcile with``, or ``not checked: no value
        for <id>`` when the year's table lacks one of the pair, with the numbers left empty).
    """
    table = indicator_values(year)
    previous_year = year - 1
    previous = indicator_values(previous_year) if previous_year in paths.indicator_years() else None
    rows = []
    for rate_id, of_id in load_stated_growth():
        missing = [i for i in (rate_id, of_id) if i not in table.index]
        if missing:
            rows.append({"rate": rate_id, "of": of_id, "year": year, "status": f"not checked: no value for "
                                                                             f"{', '.join(missing)} in {year}"})
            continue
        rate, value = float(table.at[rate_id, "value"]), float(table.at[of_id, "value"])
        half_step = 0.5 * 10 ** -_decimals(table.at[rate_id, "as_written"])
        low, high = value / (1 + (rate + half_step) / 100), value / (1 + (rate - half_step) / 100)
        prev = float(previous.at[of_id, "value"]) if previous is not None and of_id in previous.index else math.nan
        if math.isnan(prev):
            status = f"no {previous_year} figure to reconcile with"
        else:
            status = "consistent" if low <= prev <= high else "inconsistent"
        rows.append({"rate": rate_id, "of": of_id, "year": year, "stated_pct": rate, "value": value,
                     "implied_previous": value / (1 + rate / 100), "implied_range": (low, high),
                     "previous_value": prev, "status": status})
    return pd.DataFrame(rows, columns=STATED_COLUMNS)


def _same_span(period: str, previous: str) -> bool:
    """True when two periods cover the same part of their years (2023-11 and 2022-11)."""
    return re.sub(r"^\d{4}", "", period) == re.sub(r"^\d{4}", "", previous)


def _decimals(as_written: str) -> int:
    number = as_written.rstrip("%").rstrip("％")
    return len(number.split(".")[1]) if "." in number else 0
