"""The period a figure covers, read once: every rule about periods is a method of :class:`Period`.

A period is written in the ``period`` column of ``data/indicators/<year>.csv`` as ``2023`` (the
whole year, or a later year's plan in an earlier report), ``2023-11`` (截至11月), ``2023-Q3``
(截至第三季度), ``2023-12`` (截至12月底), ``as_of_report`` (截至目前) or ``recent`` (近期).
:meth:`Period.parse` reads that code, :meth:`Period.read` reads the words of a report
(截至11月, 截至第三季度, 截至目前, 近期, 全年) into the same type, and the methods answer what the
rest of the package asks: is it the full year, a part of it, a plan; which part of its report
year it covers (to compare two years); how it reads in Chinese.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: ``2023``, ``2023-11`` (a month cut-off), ``2023-Q3`` (a quarter cut-off), ``as_of_report`` or ``recent``.
PATTERN = r"^(\d{4}(-(0[1-9]|1[0-2]|Q[1-4]))?|as_of_report|recent)$"
#: The years a report may be of: a year outside them is a typing slip (``--year 20233``, ``-5``, ``0``).
FIRST_YEAR, LAST_YEAR = 1949, 2100


def year_problem(year: int) -> str | None:
    """Why ``year`` cannot be a report's year, or None: the one rule for a report year, given on
    the command line or in ``sources.yml``."""
    if FIRST_YEAR <= year <= LAST_YEAR:
        return None
    return f"{year} is not a year a report can be of (from {FIRST_YEAR} to {LAST_YEAR})"


#: The codes of periods that are not tied to a calendar year.
AS_OF_REPORT, RECENT = "as_of_report", "recent"
_CODE = re.compile(PATTERN)
#: Words of a report that cut a figure off before the end of its year (截至11月, 截至第三季度,
#: 截至目前, 目前, 近期), and words that say it covers the whole year.
CUT_OFF_WORDS = re.compile(r"截至(?:(\d{1,2})月底?|第([一二三四1-4])季度|目前)|(?<!截至)目前|近期")
FULL_YEAR_WORDS = re.compile(r"全年|本年度|今年|年度内")
_QUARTERS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


@dataclass(frozen=True)
class Period:
    """One period: a calendar ``year`` with an optional cut-off ``month`` or ``quarter``, or a
    period with no calendar year (``code`` ``as_of_report`` or ``recent``, ``year`` 0).

    Examples
    --------
    >>> Period.parse("2023-Q3"), str(Period.parse("2023-11"))
    (Period(year=2023, month=0, quarter=3, code=''), '2023-11')
    """

    year: int = 0
    month: int = 0
    quarter: int = 0
    code: str = ""

    @classmethod
    def parse(cls, text: str) -> Period:
        """Read a period code of the indicator table.

        Raises
        ------
        ValueError
            If ``text`` is not one of the forms of :data:`PATTERN`.
        """
        if not _CODE.match(str(text)):
            raise ValueError(
                f"{text!r} is not a period (YYYY, YYYY-MM, YYYY-Qn, as_of_report or recent)"
            )
        if text in (AS_OF_REPORT, RECENT):
            return cls(code=text)
        year, _, part = text.partition("-")
        if part.startswith("Q"):
            return cls(int(year), quarter=int(part[1:]))
        return cls(int(year), month=int(part) if part else 0)

    @classmethod
    def read(cls, cue: str, year: int) -> Period:
        """The period a report's words give a figure of the ``year`` report (:data:`CUT_OFF_WORDS`).

        Examples
        --------
        >>> [str(Period.read(w, 2023)) for w in ("截至11月底", "截至第三季度", "截至目前", "近期", "全年")]
        ['2023-11', '2023-Q3', 'as_of_report', 'recent', '2023']
        """
        found = CUT_OFF_WORDS.fullmatch(cue)
        if found is None:
            return cls(year)
        if found.group(0) == "近期":
            return cls(code=RECENT)
        if found.group(1):
            return cls(year, month=int(found.group(1)))
        if found.group(2):
            return cls(year, quarter=_QUARTERS[found.group(2)])
        return cls(code=AS_OF_REPORT)

    def __str__(self) -> str:
        if self.code:
            return self.code
        if self.quarter:
            return f"{self.year}-Q{self.quarter}"
        return f"{self.year}-{self.month:02d}" if self.month else str(self.year)

    @property
    def is_partial(self) -> bool:
        """True when it covers less than its whole year: a cut-off before December or the fourth
        quarter, or ``recent``.

        Examples
        --------
        >>> [Period.parse(p).is_partial for p in ("2023", "2023-11", "2023-12", "2023-Q3", "2023-Q4", "recent",
        ...                                       "as_of_report")]
        [False, True, False, True, False, True, False]
        """
        return self.code == RECENT or 0 < self.month < 12 or 0 < self.quarter < 4

    def is_full_year(self, report_year: int) -> bool:
        """True for the whole report year itself (``2023`` in the 2023 report)."""
        return not self.code and self.year == report_year and not self.month and not self.quarter

    def is_year_end(self, report_year: int) -> bool:
        """True for a cut-off at the end of the report year (截至12月底, 截至第四季度)."""
        return self.year == report_year and (self.month == 12 or self.quarter == 4)

    def is_plan(self, report_year: int) -> bool:
        """True for a year after the report year: a plan (``2024`` in the 2023 report)."""
        return not self.code and self.year > report_year

    @property
    def is_as_of_report(self) -> bool:
        """True for 截至目前: up to when the report was written, date unstated."""
        return self.code == AS_OF_REPORT

    def span(self, report_year: int) -> tuple[int, int, int, str]:
        """Which part of which year it covers, relative to its report year, so that the same part of
        two report years compares equal: ``2023-11`` of the 2023 report and ``2024-11`` of the 2024
        report are both ``(0, 11, 0, "")``; a plan for the next year is ``(1, 0, 0, "")``."""
        return (
            self.year - report_year if not self.code else 0,
            self.month,
            self.quarter,
            self.code,
        )

    def words(self) -> str:
        """The period in Chinese, as a reader of a page sees it.

        Examples
        --------
        >>> [Period.parse(p).words() for p in ("2023", "2023-11", "2023-Q3", "as_of_report", "recent")]
        ['2023年', '截至2023年11月', '截至2023年第3季度', '截至报告时', '近期']
        """
        if self.code:
            return {AS_OF_REPORT: "截至报告时", RECENT: "近期"}[self.code]
        if self.quarter:
            return f"截至{self.year}年第{self.quarter}季度"
        return f"截至{self.year}年{self.month}月" if self.month else f"{self.year}年"


def parse_periods(text: str) -> list[Period]:
    """Read a list of periods as a metric records those of its inputs (``"2023-11, as_of_report"``)."""
    return [Period.parse(p) for p in str(text).split(", ") if p]


def span_of(periods: str, report_year: int) -> tuple:
    """The set of spans (:meth:`Period.span`) a list of periods covers, in order: two figures (or
    metrics) of two report years are comparable when their spans are equal."""
    return tuple(sorted({p.span(report_year) for p in parse_periods(periods)}))
