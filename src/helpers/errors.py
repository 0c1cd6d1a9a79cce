"""Errors a user can act on: each names the file, the row or position, and the cause."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file.

    Parameters
    ----------
    file : Path
        The file the problem is in.
    where : str
        Row, line, column or character position, as a reader would look for it
        (e.g. ``"row 12, column value"``); empty when it concerns the whole file.
    cause : str
        What is wrong, in words.
    """

    file: Path
    where: str
    cause: str

    def __str__(self) -> str:
        place = f"{self.file}: {self.where}" if self.where else str(self.file)
        return f"{place}: {self.cause}"


class AmrbookError(Exception):
    """An error caused by the input or the environment, shown to the user without a traceback."""


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
