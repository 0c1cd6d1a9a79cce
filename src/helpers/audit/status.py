"""The statuses the audit gives: of a consistency finding, of a year-on-year comparison, of a
stated growth rate and of a missing figure.

Each is an enumeration whose values are the codes written in tables, CSV and JSON (an
:class:`enum.StrEnum` member equals its code, so ``frame["severity"] == "ok"`` still works); no
status carries a year or a number inside it, so nothing is ever read back from its text. Words
for readers live in one place, :mod:`helpers.show.words`.
"""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    """A finding's severity, most serious first: a rule that fails (``error``/``warn`` as the rule
    declares), a rule not checked because the year lacks a figure it needs, a rule that holds."""

    ERROR = "error"
    WARN = "warn"
    SKIPPED = "skipped"
    OK = "ok"

    @property
    def rank(self) -> int:
        """0 for the most serious; findings sort by it."""
        return list(Severity).index(self)

    @property
    def is_finding(self) -> bool:
        """True for what the report itself gets wrong (``error``, ``warn``), not a rule left unchecked."""
        return self in (Severity.ERROR, Severity.WARN)


class Result(StrEnum):
    """What happened to a rule: it holds, it fails (with the compared numbers), a figure it needs is
    missing (each named with a :class:`Missing` reason), or it is undefined (e.g. a division by 0)."""

    HOLDS = "holds"
    FAILS = "fails"
    MISSING = "missing"
    UNDEFINED = "undefined"


class Missing(StrEnum):
    """Why a rule lacks a figure: an indicator the year's table does not state, or a metric that
    has no value (one of its inputs is missing, or it divides by 0)."""

    NOT_IN_TABLE = "not in the year's table"
    NO_VALUE = "metric without a value"


class Comparison(StrEnum):
    """What a growth row's comparison amounts to, for readers of the table."""

    COMPARED = "compared"
    PERIOD_DIFFERS = "period differs"
    ONE_YEAR = "one year"
    NOT_COMPARED = "not compared"


class GrowthStatus(StrEnum):
    """The status of one id's year-on-year comparison: which change figure applies, or why none does.

    A row holds its ``year`` and ``previous_year`` beside the status, so the status names no year.
    """

    #: A count or amount: relative ``growth_pct`` with the difference ``change``.
    COMPARED = "ok"
    #: A rate or share: ``change_pp`` in percentage points.
    IN_POINTS = "ok, in percentage points"
    #: A rank: ``change`` in places, lower is better.
    IN_PLACES = "ok, in places"
    #: The two figures cover different parts of their years (截至11月 against 全年).
    PERIOD_DIFFERS = "period differs"
    #: The previous value is 0 or negative: the difference only, no relative growth.
    PREVIOUS_ZERO = "previous is zero"
    PREVIOUS_NEGATIVE = "previous is negative"
    UNIT_CHANGED = "unit changed"
    #: The id stands in the later year only, or in the earlier year only.
    ONLY_CURRENT = "new"
    ONLY_PREVIOUS = "not reported"
    #: A metric that could not be computed in the later year, or in the earlier year.
    NO_VALUE = "no value"
    NO_PREVIOUS_VALUE = "no previous value"
    #: The ratio overflows a float.
    TOO_LARGE = "change too large to express"

    @property
    def comparison(self) -> Comparison:
        """The :class:`Comparison` this status amounts to."""
        if self in (GrowthStatus.COMPARED, GrowthStatus.IN_POINTS, GrowthStatus.IN_PLACES):
            return Comparison.COMPARED
        if self is GrowthStatus.PERIOD_DIFFERS:
            return Comparison.PERIOD_DIFFERS
        if self in (GrowthStatus.ONLY_CURRENT, GrowthStatus.ONLY_PREVIOUS):
            return Comparison.ONE_YEAR
        return Comparison.NOT_COMPARED


class StatedCheck(StrEnum):
    """The check of a growth rate a report states: its implied previous value matches the previous
    year's figure or not, the periods differ, there is no previous figure, or a figure of the pair
    is missing."""

    CONSISTENT = "consistent"
    INCONSISTENT = "inconsistent"
    PERIOD_DIFFERS = "period differs"
    NO_PREVIOUS = "no previous"
    MISSING = "missing"


class Order(StrEnum):
    """How one report's figure stands against another bureau's of the same year
    (:mod:`helpers.audit.compare`): higher, lower, similar (within :data:`~helpers.audit.compare.SIMILAR`
    of the larger), or ``none`` when the two are not compared (:class:`NotCompared` says why)."""

    HIGHER = "higher"
    LOWER = "lower"
    SIMILAR = "similar"
    NONE = "none"


class NotCompared(StrEnum):
    """Why two bureaus' figures of one concept get no :class:`Order`."""

    #: The two cover different parts of the year (截至11月 against 全年).
    PERIOD_DIFFERS = "period differs"
    #: A bound (超98%, 不足10家) leaves their order open.
    BOUNDS_OVERLAP = "bounds overlap"
    #: Ranks within different rankings.
    RANK = "rank"
