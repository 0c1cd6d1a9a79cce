"""Errors a user can act on: each names the file, the row or position, and the cause."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

#: A quoted value longer than this is shortened in a printed problem: a 100 000-character cell or
#: YAML value is named by its start and its length, never copied whole into the message.
QUOTED_CHARS = 200  # well above any message's own quoted words, far below a runaway value
_QUOTED = re.compile(rf"'([^'\n]{{{QUOTED_CHARS + 1},}})'|\"([^\"\n]{{{QUOTED_CHARS + 1},}})\"")


#: The most items of the data (bureaus, metrics, keys …) a message names; the others are counted. A data file of
#: a thousand metrics made a 60,000-character message of the known ones.
LISTED = 12


def listing(items: Iterable[str], none: str = "none") -> str:
    """``items`` named in a message: the first :data:`LISTED`, then how many more (``none`` for no item).

    >>> listing(["a", "b"])
    'a, b'
    >>> listing(f"m{i}" for i in range(20))
    'm0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11 and 8 more'
    >>> listing([], none="no year")
    'no year'
    """
    names = list(items)
    shown = ", ".join(names[:LISTED]) or none
    return f"{shown} and {len(names) - LISTED:,} more" if len(names) > LISTED else shown


def shortened(text: str) -> str:
    """``text`` with every quoted value over :data:`QUOTED_CHARS` characters cut to its start and length.

    >>> shortened(repr("7" * 1000) + " is not a whole number")
    "'7777777777777777777777777777777777777777…' (1,000 characters) is not a whole number"
    """

    def cut(m: re.Match) -> str:
        quote, value = ("'", m.group(1)) if m.group(1) is not None else ('"', m.group(2))
        return f"{quote}{value[:40]}…{quote} ({len(value):,} characters)"

    return _QUOTED.sub(cut, text)


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file.

    Parameters
    ----------
    file : Path
        The file the problem is in.
    where : str
        Any other place, as a reader would look for it (``"byte 12"``, ``"check x"``), after the
        line and column; empty when the line and column say it, or it concerns the whole file.
    cause : str
        What is wrong, in words.
    line : int, optional
        The line of the file (1 for the first).
    column : str, optional
        The column (of a table) the problem is in.

    Examples
    --------
    >>> str(Problem(Path("2023.csv"), "", "is empty", line=12, column="value"))
    '2023.csv: line 12, column value: is empty'
    """

    file: Path
    where: str
    cause: str
    line: int | None = None
    column: str | None = None

    @property
    def place(self) -> str:
        """Line, column and any other place, as printed (``"line 12, column value"``)."""
        return ", ".join(
            filter(
                None,
                [
                    f"line {self.line}" if self.line is not None else "",
                    f"column {self.column}" if self.column else "",
                    self.where,
                ],
            )
        )

    def __str__(self) -> str:
        cause = shortened(self.cause)
        return (
            f"{self.file}: {shortened(self.place)}: {cause}"
            if self.place
            else f"{self.file}: {cause}"
        )


class AmrbookError(Exception):
    """An error caused by the input or the environment, shown to the user without a traceback.

    Its message, however it was composed, quotes no value whole: every quoted value over
    :data:`QUOTED_CHARS` characters is :func:`shortened` (a notebook's field, a schema error).
    """

    def __str__(self) -> str:
        return shortened(super().__str__())


class DataError(AmrbookError):
    """One or more problems in the data files, reported together.

    Parameters
    ----------
    problems : list of Problem
        Every problem found, in file order.
    """

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the data:"
        super().__init__("\n".join([head, *(f"  - {p}" for p in self.problems)]))
