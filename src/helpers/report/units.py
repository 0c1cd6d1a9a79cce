"""What a figure's unit is, read once: a percentage, percentage points, a rank, money or a counter.

The ``unit`` column of ``data/indicators/<year>.csv`` (and a metric's ``unit``) holds ``%``, ``pp``
(percentage points), ``rank``, ``元`` or the counter as written (宗, 家次, 人次 …); a derived
ratio's unit names both counters (``件/家``). :class:`Unit` says which, how year-on-year change
compares it (:class:`Change`) and what a page writes after its number; every module asks it
instead of testing the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

PERCENT, POINTS, RANK, MONEY = "%", "pp", "rank", "元"


class Change(StrEnum):
    """How a change between two years is measured for a unit."""

    #: A relative change in % of the previous value, with the difference beside it (counts, amounts).
    RELATIVE = "relative"
    #: A difference in percentage points (个百分点): rates and shares.
    POINTS = "points"
    #: A difference in places, lower is better: ranks.
    PLACES = "places"


@dataclass(frozen=True)
class Unit:
    """A unit as written in the data.

    Examples
    --------
    >>> Unit("%").is_percentage, Unit("pp").change, Unit("rank").change, Unit("宗").change
    (True, <Change.POINTS: 'points'>, <Change.PLACES: 'places'>, <Change.RELATIVE: 'relative'>)
    """

    code: str

    @property
    def is_percentage(self) -> bool:
        """A rate or share in % (``%``), or a difference of them in percentage points (``pp``)."""
        return self.code in (PERCENT, POINTS)

    @property
    def is_percent(self) -> bool:
        """Written as a percentage after its number (``71.59%``)."""
        return self.code == PERCENT

    @property
    def is_rank(self) -> bool:
        """A rank (排名第六 → 6): lower is better."""
        return self.code == RANK

    @property
    def is_money(self) -> bool:
        """An amount of money in 元 (written in 万/亿 from 1万)."""
        return self.code == MONEY

    @property
    def is_ratio(self) -> bool:
        """A derived ratio of two counters (``件/家``): its label, not the number, says what it counts."""
        return "/" in self.code

    @property
    def is_counter(self) -> bool:
        """A counter as written (宗, 家次, 人次 …)."""
        return not (self.is_percentage or self.is_rank or self.is_money or self.is_ratio)

    @property
    def measure(self) -> str:
        """What the unit measures, for what may be added to or compared with what: ``percentage``
        (% and pp), ``money``, ``ratio``, or ``count`` (counters of any word, and ranks, which
        compare with a count of places: 排名第3 ≤ 11个区)."""
        if self.is_percentage:
            return "percentage"
        if self.is_money:
            return "money"
        return "ratio" if self.is_ratio else "count"

    @property
    def change(self) -> Change:
        """How a change of this unit between two years is measured."""
        if self.is_percentage:
            return Change.POINTS
        return Change.PLACES if self.is_rank else Change.RELATIVE

    @property
    def direction(self) -> int:
        """+1 when a larger value is a rise, −1 for a rank (a smaller rank is a move up)."""
        return -1 if self.is_rank else 1

    @property
    def after_number(self) -> str:
        """What a page writes after a derived value: a simple unit (``宗``, ``%``, ``元``), nothing for a
        ratio, whose label already says what it counts.

        Examples
        --------
        >>> Unit("宗").after_number, Unit("件/家").after_number
        ('宗', '')
        """
        return "" if self.is_ratio else self.code
