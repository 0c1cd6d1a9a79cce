"""Reports of two or more bureaus of one year, side by side: what they share, and how each compares.

Pure computation over :class:`~helpers.audit.report.Report` objects (no words; :mod:`helpers.show.compare`
writes them)::

    from helpers.audit.compare import compare_reports, peers
    c = compare_reports([r, *(load_report(slug, r.year) for slug in peers(r))])
    c.figures     # each concept (catalog id) two or more of them state, one row per report
    c.pairs       # the first report against each other one, concept by concept: the measure and its order
    c.only        # the concepts one of them states alone

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

import pandas as pd

from .. import paths
from ..report.period import Period
from ..report.units import Unit
from .metrics import load_metric_defs
from .report import Report, ReportFigure, load_report
from .status import NotCompared, Order

#: Two values are similar (相当) when they differ by at most this share of the larger.
SIMILAR = 0.05

FIGURE_COLUMNS = ["id", "label_zh", "bureau", "value", "unit", "as_written", "period", "qualifier"]
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
    """

    reports: tuple[Report, ...]
    figures: pd.DataFrame
    pairs: pd.DataFrame
    only: pd.DataFrame

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


def compare_with_peers(r: Report) -> Comparison:
    """:func:`compare_reports` of ``r`` and every report of its year by another bureau (:func:`peers`)."""
    return compare_reports([r, *(load_report(slug, r.year) for slug in peers(r))])


def compare_reports(reports: list[Report]) -> Comparison:
    """Compare reports of one year by different bureaus, the first against each of the others.

    Raises
    ------
    ValueError
        If the reports are of different years or two are of the same bureau.
    """
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
    subject, others = reports[0], reports[1:]
    pairs = [
        _pair(subject, other, ident, measure)
        for ident in shared
        if ident in subject.indicators.index
        for other in others
        if ident in other.indicators.index
        for measure in _measures(subject, other, ident)
    ]
    return Comparison(
        tuple(reports),
        figures,
        pd.DataFrame(pairs, columns=PAIR_COLUMNS),
        only,
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


def _measures(a: Report, b: Report, ident: str) -> list[str]:
    """The rates of ``ident`` over a base (``per`` in metrics.yml) both reports can compute, else ``ident``."""
    rates = [
        d.id for d in load_metric_defs() if d.count == ident and a.has([d.id]) and b.has([d.id])
    ]
    return rates or [ident]


def _pair(a: Report, b: Report, ident: str, measure: str) -> dict:
    fa, fb = a.lookup(measure), b.lookup(measure)
    rate = measure != ident
    found, why = order(_point(fa, a.year), _point(fb, b.year), fa.unit)
    return {
        "id": ident,
        "measure": measure,
        "basis": "rate" if rate else "count",
        "base": next(d.per for d in load_metric_defs() if d.id == measure) if rate else "",
        "label_zh": fa.label,
        "bureau": a.bureau.slug,
        "other": b.bureau.slug,
        "value": fa.value,
        "other_value": fb.value,
        "unit": fa.unit,
        "period": fa.period,
        "other_period": fb.period,
        "order": found,
        "why": why,
    }


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
