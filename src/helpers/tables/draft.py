"""Draft a new year's indicator table from a new report.

Each figure the extractor finds is matched to a catalog id by the words before it: its
clause and its sentence are compared (character-bigram Dice similarity) with how each
indicator was worded in the curated years of ``data/indicators/``, among indicators with the
same unit. Each id is used once, best matches first. The period is read from the words before
the figure (截至11月, 截至第三季度, 截至目前, 近期, 全年, a later 年度 for plans), looking back no
further than the last list marker (一是, (三), 2.) of its paragraph.

The draft goes to ``data/indicators/<bureau>/<year>.draft.csv``, never over a curated table; unmatched
figures stay in it with an empty id for review. It is written to a new file that then replaces
the draft's name (os.replace), so nothing is ever written through a link, and a draft path that
is a symbolic link or anything but a plain file is refused.

Drafting is linear in the number of figures: every look back (sentence, clause, paragraph,
list marker, period cue, heading) is found once per report (:class:`Layout`, one pass per
pattern) and looked up by bisection, and a wording compares at most :data:`SENTENCE_WINDOW`
characters of its sentence, with its bigrams made once. (Each figure used to search the text
from its start: ``检查企业5家，`` × 10000 took more than 300 s.)
"""
from __future__ import annotations

import os
import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from .. import paths
from ..errors import AmrbookError
from ..report.extract import extract
from ..report.encoding import read_report
from ..report.period import CUT_OFF_WORDS, FULL_YEAR_WORDS, Period
from .load import COLUMNS, load_catalog, load_indicators
from ..report.sources import SENTENCE_END, raw_text

THRESHOLD = 0.45
_LIST_MARKER = re.compile(r"[一二三四五六七八九十]+是|[(（][一二三四五六七八九十]+[)）]|(?m:^\d+[.、])")
_YEAR = re.compile(r"(\d{4})年")
_CLAUSE_END = re.compile(r"[；;。\n]")
_LINE_END = re.compile(r"\n")
#: The most characters of its sentence before a figure that a wording compares (the clause is
#: at most 30): bigrams of a longer sentence add nothing a reader would call the same wording.
SENTENCE_WINDOW = 200


def _bigrams(text: str) -> frozenset[str]:
    text = re.sub(r"[\d.,，%％\s]", "", text)
    return frozenset({text[i:i + 2] for i in range(len(text) - 1)} or {text})


def _dice(x: frozenset, y: frozenset) -> float:
    return 2 * len(x & y) / (len(x) + len(y)) if x and y else 0.0


def similarity(a: str, b: str) -> float:
    """Dice similarity of the character bigrams of two phrases (digits ignored), 0 to 1."""
    return _dice(_bigrams(a), _bigrams(b))


@dataclass(frozen=True)
class Wording:
    """How a figure is worded: its clause before the number and its sentence before the number."""

    clause: str
    sentence: str

    @cached_property
    def _grams(self) -> tuple[frozenset, frozenset]:
        return _bigrams(self.clause), _bigrams(self.sentence)

    def score(self, other: Wording) -> float:
        """Similarity of two wordings (clause weighs more than the rest of the sentence)."""
        (c1, s1), (c2, s2) = self._grams, other._grams
        return 0.6 * _dice(c1, c2) + 0.4 * _dice(s1, s2)


class _Marks:
    """The matches of a pattern in one text, found in one pass; the last one in a window by bisection."""

    def __init__(self, pattern: re.Pattern, text: str, keep=lambda m: True):
        self.matches = [m for m in pattern.finditer(text) if keep(m)]
        self.starts = [m.start() for m in self.matches]

    def last(self, lo: int, hi: int) -> re.Match | None:
        """The last match that starts at or after ``lo`` and ends by ``hi``."""
        i = bisect_left(self.starts, hi) - 1
        while i >= 0 and self.starts[i] >= lo:
            if self.matches[i].end() <= hi:
                return self.matches[i]
            i -= 1
        return None


class Layout:
    """Where a report's sentences, clauses, paragraphs, list markers, period cues and headings are:
    found once, so each figure's look back is a bisection, not a search from the text's start."""

    def __init__(self, text: str, year: int = 0):
        self.text, self.year = text, year
        self.sentences, self.clauses = _Marks(SENTENCE_END, text), _Marks(_CLAUSE_END, text)
        self.lines, self.markers = _Marks(_LINE_END, text), _Marks(_LIST_MARKER, text)
        self.cues, self.full_year = _Marks(CUT_OFF_WORDS, text), _Marks(FULL_YEAR_WORDS, text)
        self.later_years = _Marks(_YEAR, text, keep=lambda m: int(m.group(1)) > year)
        self.tops, self.subs = _Marks(_TOP_HEADING, text), _Marks(_SUB_HEADING, text)

    def _after_last(self, marks: _Marks, start: int) -> int:
        found = marks.last(0, start)
        return found.end() if found else 0

    def wording(self, start: int, clause: str) -> Wording:
        """The wording of the figure at ``start``."""
        left = max(self._after_last(self.sentences, start), start - SENTENCE_WINDOW)
        return Wording(clause, self.text[left:start])

    def period(self, start: int) -> Period:
        """Read a figure's period from the words before it (see the module docstring); the words
        (截至11月 …) are read by :meth:`helpers.report.period.Period.read`."""
        year, left = self.year, self._after_last(self.sentences, start)
        if self.full_year.last(self._after_last(self.clauses, start), start):
            return Period(year)
        later = self.later_years.last(left, start)
        if later:
            return Period(int(later.group(1)))  # a plan for a later year
        paragraph = self._after_last(self.lines, start)
        marker = self.markers.last(paragraph, start)
        cue = self.cues.last(marker.start() if marker else paragraph, start)
        return Period.read(cue.group(0), year) if cue else Period(year)

    def section(self, start: int, names: dict[str, str]) -> str:
        """The heading a figure stands under (see :func:`infer_section`)."""
        top = self.tops.last(0, start)
        sub = self.subs.last(top.end() if top else 0, start)
        if sub is None:
            return f"{top.group(1)}、" if top else "正文"
        number = f"{top.group(1) if top else ''}({sub.group(1)})"
        return names.get(number, f"{number} {sub.group(2).strip()}".strip())


def references() -> dict[str, list[Wording]]:
    """Wordings of every indicator in the curated reports of every bureau (the catalog is shared)."""
    from ..report.extract import context_before

    out: dict[str, list[Wording]] = {}
    for bureau, year in paths.curated_reports():
        text = raw_text(bureau, year)
        layout = Layout(text)
        for row in load_indicators(bureau, year).itertuples():
            out.setdefault(row.id, []).append(layout.wording(row.start, context_before(text, row.start)))
    return out


_TOP_HEADING = re.compile(r"^([一二三四五六七八九十]+)、", re.M)
_SUB_HEADING = re.compile(r"^[(（]([一二三四五六七八九十]+)[)）]([^。；;，,\n]*)", re.M)


def section_names() -> dict[str, str]:
    """The section names curators gave in the curated reports, by their number (``一(三)`` -> ``一(三) 规范行政执法``)."""
    names: dict[str, str] = {}
    for bureau, year in paths.curated_reports():
        for section in load_indicators(bureau, year)["section"]:
            names.setdefault(section.split(" ", 1)[0], section)
    return names


def infer_section(text: str, start: int, names: dict[str, str]) -> str:
    """The heading a figure stands under: ``一(三)`` from the last headings before it, named as the
    curated years named that section, or by the heading's own first words."""
    return Layout(text).section(start, names)


def infer_period(text: str, start: int, year: int) -> Period:
    """Read a figure's period from the words before it (see the module docstring)."""
    return Layout(text, year).period(start)


def draft(year: int, report: Path) -> pd.DataFrame:
    """Draft the indicator table of ``year`` from a report file.

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`helpers.tables.load.COLUMNS`; ``id`` is empty for figures that matched no
        indicator, and ``note`` says what each row was matched by. ``attrs["refused"]`` lists the
        numbers the extractor refused (:func:`helpers.report.extract.refusal`), for review.
    """
    text, _ = read_report(report)
    catalog_units = load_catalog()["unit"].to_dict()
    refs = references()
    refused: list = []
    found = extract(text, refused)
    layout = Layout(text, year)
    words = [layout.wording(f.start, f.context) for f in found]
    pairs = sorted(((max(w.score(r) for r in refs[ident]), i, ident)
                    for i, w in enumerate(words) for ident in refs
                    if catalog_units.get(ident) == found[i].unit), reverse=True)
    chosen: dict[int, tuple[str, float]] = {}
    used: set[str] = set()
    for score, i, ident in pairs:
        if score < THRESHOLD:
            break
        if i not in chosen and ident not in used:
            chosen[i] = (ident, score)
            used.add(ident)
    rows, names = [], section_names()
    for i, f in enumerate(found):
        ident, score = chosen.get(i, ("", 0.0))
        note = (f"draft: matched by «{f.context}» ({score:.2f})" if ident
                else f"draft: no indicator matches «{f.context}»; choose an id or delete the row")
        rows.append({"year": year, "id": ident, "value": format(f.value, ".10g"), "unit": f.unit,
                     "as_written": f.text, "start": f.start, "end": f.end, "qualifier": f.qualifier,
                     "period": str(layout.period(f.start)), "section": layout.section(f.start, names),
                     "note": note})
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame.attrs["refused"] = refused  # numbers not read because they cannot be read whole
    return frame


def write_draft(bureau: str, year: int, report: Path, force: bool = False) -> tuple[Path, pd.DataFrame]:
    """Write ``data/indicators/<bureau>/<year>.draft.csv``; return its path and the draft.

    Raises
    ------
    AmrbookError
        If the draft path is a symbolic link or not a plain file, or the draft exists and
        ``force`` is not set. The curated ``<year>.csv`` is never written.
    """
    target = paths.draft_file(bureau, year)
    if target.is_symlink():
        raise AmrbookError(f"{target}: is a symbolic link (to {os.readlink(target)}); a draft is never written "
                           "through a link, which could lead to a curated table: remove the link and run again")
    if target.exists() and not target.is_file():
        raise AmrbookError(f"{target}: exists and is not a plain file; remove it and run again")
    if target.exists() and not force:
        raise AmrbookError(f"{target} exists; --force replaces the draft (the curated {year}.csv is never touched)")
    frame = draft(year, report)
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(staged, "x", encoding="utf-8", newline="") as f:  # "x": never through a link planted here either
            frame.to_csv(f, index=False, lineterminator="\n")
        os.replace(staged, target)  # replaces the name, never a file it may be linked to
    finally:
        staged.unlink(missing_ok=True)
    return target, frame
