"""Reports of two or more bureaus of one year, side by side: what they share, and how each compares.

Pure computation over :class:`~helpers.audit.report.Report` objects (no words; :mod:`helpers.show.compare`
writes them)::

    from helpers.audit.compare import compare_with_peers, year_table
    c = compare_with_peers(r)    # r against the (at most PEERS) bureaus of its year sharing the most concepts
    c.figures     # each concept (catalog id) two or more of them state, one row per report
    c.pairs       # the first report against each other one, concept by concept: the measure and its order
    c.only        # the concepts one of them states alone
    c.more        # the other bureaus of the year, not compared one by one
    year_table(r.year).measures   # every bureau's measures of the year, one pass over its reports

Cost as bureaus are added: the year's table (:func:`year_table`) loads each report of the year once and is
cached (per process, until a file under ``data/`` changes), so a build of every report of a year (``amrbook
build --all``, whose kernels run one report's notebooks after another's) loads N reports, not N × (N − 1);
each report is then compared with at most :data:`PEERS` others, read from that table, so the comparisons
grow with N, not N².

A concept is a catalog id: two reports share it when both state it. What is compared for a shared
concept is its *measure*: the figure itself, or, where ``data/metrics.yml`` declares a rate of it over a
base (``per:``) and both reports state that base, the rate (罚没金额 per 查办行政处罚案件, 达成调解协议 per
受理消费投诉), since bureaus differ in size. The order (:class:`~helpers.audit.status.Order`) of a measure
is ``higher``/``lower``, ``similar`` when the two differ by at most :data:`SIMILAR` of the larger, or
``none`` with why (:class:`~helpers.audit.status.NotCompared`): another period (截至11月 against 全年), a bound
(超98%) that leaves the order open, or ranks in different rankings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from .. import paths
from ..report.period import Period
from ..report.units import Unit
from .metrics import load_metric_defs
from .report import Report, ReportFigure, load_report
from .status import NotCompared, Order

#: Two values are similar (相当) when they differ by at most this share of the larger.
SIMILAR = 0.05
#: A report is compared one by one with at most this many other bureaus of its year (those sharing the most
#: concepts with it); the others are counted (:attr:`Comparison.more`).
PEERS = 3

FIGURE_COLUMNS = ["id", "label_zh", "bureau", "value", "unit", "as_written", "period", "qualifier"]
#: A measure of one report (:func:`_measure_rows`): the concept ``id``, what is compared (the concept or its rate
#: over a base), its value as an interval and the part of the year it covers.
MEASURE_COLUMNS = [
    "bureau",
    "id",
    "measure",
    "basis",
    "base",
    "label_zh",
    "value",
    "low",
    "high",
    "unit",
    "period",
    "coverage",
]
PAIR_COLUMNS = [
    "id",
    "measure",
    "basis",
    "base",
    "label_zh",
    "bureau",
    "other",
    "value",
    "other_value",
    "unit",
    "period",
    "other_period",
    "order",
    "why",
]


@dataclass(frozen=True, eq=False)
class Comparison:
    """Two or more reports of one year compared (:func:`compare_reports`); the first is the subject.

    Attributes
    ----------
    reports : tuple of Report
    figures : pandas.DataFrame
        Every concept two or more reports state, one row per report stating it, in the subject's order:
        ``id, label_zh, bureau`` (slug), ``value, unit, as_written`` (with the report's own counter word),
        ``period, qualifier``.
    pairs : pandas.DataFrame
        The subject against each other report stating the concept: ``id``, ``measure`` (the id compared:
        the concept, or its rate), ``basis`` (``count`` or ``rate``), ``base`` (the rate's base id),
        ``label_zh`` (of the measure), ``bureau``, ``other``, ``value``, ``other_value``, ``unit``,
        ``period``, ``other_period`` (of the measure: a metric's are its inputs'), ``order``, ``why``.
    only : pandas.DataFrame
        The concepts one report states alone: ``id, label_zh, bureau, value, unit, as_written, period,
        qualifier``.
    more : tuple of str
        The other bureaus with a report of the year not compared one by one (:data:`PEERS`), by slug.
    """

    reports: tuple[Report, ...]
    figures: pd.DataFrame
    pairs: pd.DataFrame
    only: pd.DataFrame
    more: tuple[str, ...] = ()

    @property
    def subject(self) -> Report:
        return self.reports[0]

    def report(self, slug: str) -> Report:
        """The compared report of bureau ``slug``."""
        return next(r for r in self.reports if r.bureau.slug == slug)


def peers(r: Report) -> list[str]:
    """The other bureaus with a curated report of ``r``'s year (``data/indicators/<bureau>/<year>.csv``)."""
    return [
        slug for slug, year in paths.curated_reports() if year == r.year and slug != r.bureau.slug
    ]


@dataclass(frozen=True, eq=False)
class YearTable:
    """Every bureau's measures of one year (:func:`year_table`).

    Attributes
    ----------
    year : int
    reports : tuple of Report
        The curated reports of the year, in order of their bureaus' slugs.
    measures : pandas.DataFrame
        One row per bureau, concept and measure (:data:`MEASURE_COLUMNS`): each figure the report states
        (``basis`` ``count``) and each rate of it over a base (``per:`` in metrics.yml) it can compute.
    """

    year: int
    reports: tuple[Report, ...]
    measures: pd.DataFrame

    @property
    def bureaus(self) -> list[str]:
        """The bureaus with a curated report of the year, by slug, in order."""
        return [r.bureau.slug for r in self.reports]

    def report(self, slug: str) -> Report:
        """The year's report of bureau ``slug``."""
        return self.reports[self.bureaus.index(slug)]

    def shared_with(self, slug: str) -> pd.Series:
        """How many concepts each other bureau of the year shares with ``slug``, most first (then in order)."""
        counts = self.measures[self.measures["basis"] == "count"]
        mine = counts.loc[counts["bureau"] == slug, "id"]
        others = counts[(counts["bureau"] != slug)]
        shared = others[others["id"].isin(mine)].groupby("bureau", sort=False).size()
        shared = shared.reindex([b for b in self.bureaus if b != slug], fill_value=0)
        return shared.sort_values(ascending=False, kind="stable")


def year_table(year: int) -> YearTable:
    """The reports and measures of every curated report of ``year``: each report loaded once, in one pass;
    cached until a file under ``data/`` changes (the reports held with it: memory grows with N, not N²)."""
    return _year_table(int(year), paths.data_version())


@lru_cache(maxsize=4)
def _year_table(year: int, version: tuple) -> YearTable:
    reports = tuple(load_report(slug, year) for slug, y in paths.curated_reports() if y == year)
    rows = pd.concat([_measure_rows(r) for r in reports], ignore_index=True)
    return YearTable(year, reports, rows)


def compare_with_peers(r: Report, most: int = PEERS) -> Comparison:
    """:func:`compare_reports` of ``r`` and the at most ``most`` other bureaus of its year sharing the most
    concepts with it, read from the year's table (:func:`year_table`); the others are in ``more``."""
    table = year_table(r.year)
    shared = table.shared_with(r.bureau.slug)
    named = list(shared.index[:most])
    reports = [r, *(table.report(slug) for slug in named)]
    rows = table.measures[table.measures["bureau"].isin([r.bureau.slug, *named])]
    return _compare(reports, rows, tuple(shared.index[most:]))


def compare_reports(reports: list[Report]) -> Comparison:
    """Compare reports of one year by different bureaus, the first against each of the others.

    Raises
    ------
    ValueError
        If the reports are of different years or two are of the same bureau.
    """
    return _compare(reports, pd.concat([_measure_rows(r) for r in reports], ignore_index=True))


def _compare(reports: list[Report], rows: pd.DataFrame, more: tuple[str, ...] = ()) -> Comparison:
    """The comparison of ``reports`` (the first the subject) from their measures ``rows``."""
    if len({r.year for r in reports}) > 1 or len({r.bureau.slug for r in reports}) < len(reports):
        raise ValueError(
            "compare_reports compares one year's reports of different bureaus, not "
            + ", ".join(f"{r.bureau.slug} {r.year}" for r in reports)
        )
    stated = {r.bureau.slug: r.indicators for r in reports}
    counts = pd.Series([i for table in stated.values() for i in table.index]).value_counts()
    order = list(dict.fromkeys(i for table in stated.values() for i in table.index))
    shared = [i for i in order if counts[i] > 1]
    figures = _figures(stated, shared)
    only = _figures(stated, [i for i in order if counts[i] == 1])
    return Comparison(tuple(reports), figures, _pairs(reports, rows), only, more)


def _measure_rows(r: Report) -> pd.DataFrame:
    """The measures of one report (:data:`MEASURE_COLUMNS`): each indicator it states, and each rate of one over
    a base (``per:``) it can compute, with the value as an interval and its coverage of the year."""
    stated = r.indicators.index  # a copy each time it is asked for: asked once
    rates: dict[str, list] = {}
    for d in load_metric_defs():
        if d.per and d.count is not None and d.count in stated and d.id in r:
            rates.setdefault(d.count, []).append(d)
    rows = []
    for ident in stated:
        for measure, base in [(ident, ""), *((d.id, d.per) for d in rates.get(ident, []))]:
            f = r.lookup(measure)
            point = _point(f, r.year)
            rows.append(
                (
                    r.bureau.slug,
                    ident,
                    measure,
                    "rate" if base else "count",
                    base,
                    f.label,
                    f.value,
                    point.low,
                    point.high,
                    f.unit,
                    f.period,
                    point.period,
                )
            )
    return pd.DataFrame(rows, columns=MEASURE_COLUMNS)


def _pairs(reports: list[Report], rows: pd.DataFrame) -> pd.DataFrame:
    """The subject's measures against each other report's: a rate where both compute it, else the count."""
    subject = reports[0].bureau.slug
    position = {r.bureau.slug: n for n, r in enumerate(reports)}
    mine = rows[rows["bureau"] == subject].assign(at=lambda t: range(len(t)))
    theirs = rows[rows["bureau"] != subject]
    both = mine.merge(theirs, on=["id", "measure"], suffixes=("", "_o"))
    keys = list(zip(both["id"], both["bureau_o"]))
    rated = {key for key, basis in zip(keys, both["basis"]) if basis == "rate"}
    keep = [basis == "rate" or key not in rated for key, basis in zip(keys, both["basis"])]
    both = both[pd.Series(keep, index=both.index, dtype=bool)]
    both = both.assign(
        by=both["bureau_o"].map(position), first=both.groupby("id")["at"].transform("min")
    )
    both = both.sort_values(["first", "by", "at"], kind="stable")
    found = [
        order(
            Point(p.value, p.low, p.high, p.coverage),
            Point(p.value_o, p.low_o, p.high_o, p.coverage_o),
            p.unit,
        )
        for p in both.itertuples()
    ]
    other = {"bureau_o": "other", "value_o": "other_value", "period_o": "other_period"}
    return (
        both.rename(columns=other)
        .assign(order=[o for o, _ in found], why=[w for _, w in found])[PAIR_COLUMNS]
        .reset_index(drop=True)
    )


def _figures(stated: dict[str, pd.DataFrame], ids: list[str]) -> pd.DataFrame:
    """The rows of ``ids`` of every report stating them, by id in ``ids``' order, then by report (one selection
    per report, not a lookup per row)."""
    position = {ident: i for i, ident in enumerate(ids)}
    parts = [
        table.loc[table.index.isin(position), [c for c in FIGURE_COLUMNS[1:] if c != "bureau"]]
        .rename_axis("id")
        .reset_index()
        .assign(bureau=slug, report=n)
        for n, (slug, table) in enumerate(stated.items())
    ]
    rows = pd.concat(parts) if parts else pd.DataFrame(columns=[*FIGURE_COLUMNS, "report"])
    rows = rows.assign(at=rows["id"].map(position)).sort_values(["at", "report"], kind="stable")
    return rows[FIGURE_COLUMNS].reset_index(drop=True)


@dataclass(frozen=True)
class Point:
    """A measure of one report as an interval (a bound is open on one side), with its period."""

    value: float
    low: float
    high: float
    period: str

    @property
    def exact(self) -> bool:
        """A point value (exact or approximate, 约/余), not a bound."""
        return self.low == self.high


def _point(figure: ReportFigure, year: int) -> Point:
    """A measure of the ``year`` report as an interval: a bound (超, 不足) open on its side; a rate with a
    bounded input open on both (its direction depends on which input is bounded)."""
    qualifiers = {record["qualifier"] for record in figure.inputs}
    v = figure.value
    if figure.kind == "metric":
        low, high = (v, v) if qualifiers <= {"exact", "approx"} else (-math.inf, math.inf)
    else:
        (qualifier,) = qualifiers
        low = v if qualifier != "upper_bound" else -math.inf
        high = v if qualifier != "lower_bound" else math.inf
    return Point(v, low, high, _coverage(figure.period, year))


def _coverage(periods: str, year: int) -> str:
    """The part of the year a figure covers, so that 截至12月底 and 全年 compare equal (a metric: its inputs')."""
    parsed = [Period.parse(p) for p in periods.split(", ")]
    return ", ".join(sorted({str(year) if p.is_year_end(year) else str(p) for p in parsed}))


def order(a: Point, b: Point, unit: str) -> tuple[Order, str]:
    """How ``a`` stands against ``b`` (same measure, two bureaus), and why there is no order (``""`` with one).

    Examples
    --------
    >>> order(Point(71.59, 71.59, 71.59, "2023"), Point(65.5, 65.5, 65.5, "2023"), "%")   # 6.09 > 0.05 × 71.59
    (<Order.HIGHER: 'higher'>, '')
    >>> order(Point(100, 100, 100, "2023"), Point(98, 98, 98, "2023"), "%")[0]           # 2 <= 0.05 × 100
    <Order.SIMILAR: 'similar'>
    >>> str(order(Point(98, 98, math.inf, "2023"), Point(99, 99, 99, "2023"), "%")[1])   # 超98% against 99%
    'bounds overlap'
    """
    if Unit(unit).is_rank:
        return Order.NONE, NotCompared.RANK
    if a.period != b.period:
        return Order.NONE, NotCompared.PERIOD_DIFFERS
    if a.exact and b.exact and abs(a.value - b.value) <= SIMILAR * max(abs(a.value), abs(b.value)):
        return Order.SIMILAR, ""
    if a.low > b.high:
        return Order.HIGHER, ""
    if a.high < b.low:
        return Order.LOWER, ""
    return Order.NONE, NotCompared.BOUNDS_OVERLAP


def claim(measure: str, other: str) -> str:
    """The claim record of a comparison sentence: ``compare:<measure>/<other bureau>``."""
    return f"compare:{measure}/{other}"
