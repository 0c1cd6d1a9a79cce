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
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import paths
from ..errors import AmrbookError
from ..report.extract import extract
from ..report.encoding import read_report
from ..report.period import CUT_OFF_WORDS, FULL_YEAR_WORDS, Period
from .load import COLUMNS, load_catalog, load_indicators
from ..report.sources import raw_text, sentence_span

THRESHOLD = 0.45
_LIST_MARKER = re.compile(r"[一二三四五六七八九十]+是|[(（][一二三四五六七八九十]+[)）]|(?m:^\d+[.、])")
_YEAR = re.compile(r"(\d{4})年")


def _bigrams(text: str) -> set[str]:
    text = re.sub(r"[\d.,，%％\s]", "", text)
    return {text[i:i + 2] for i in range(len(text) - 1)} or {text}


def similarity(a: str, b: str) -> float:
    """Dice similarity of the character bigrams of two phrases (digits ignored), 0 to 1."""
    x, y = _bigrams(a), _bigrams(b)
    return 2 * len(x & y) / (len(x) + len(y)) if x and y else 0.0


@dataclass(frozen=True)
class Wording:
    """How a figure is worded: its clause before the number and its sentence before the number."""

    clause: str
    sentence: str

    def score(self, other: Wording) -> float:
        """Similarity of two wordings (clause weighs more than the rest of the sentence)."""
        return 0.6 * similarity(self.clause, other.clause) + 0.4 * similarity(self.sentence, other.sentence)


def wording(text: str, start: int, clause: str) -> Wording:
    """Return the wording of the figure at ``start``."""
    left, _ = sentence_span(text, start, start)
    return Wording(clause, text[left:start])


def references() -> dict[str, list[Wording]]:
    """Wordings of every indicator in the curated reports of every bureau (the catalog is shared)."""
    from ..report.extract import context_before

    out: dict[str, list[Wording]] = {}
    for bureau, year in paths.curated_reports():
        text = raw_text(bureau, year)
        for row in load_indicators(bureau, year).itertuples():
            out.setdefault(row.id, []).append(wording(text, row.start, context_before(text, row.start)))
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
    tops = list(_TOP_HEADING.finditer(text, 0, start))
    subs = [m for m in _SUB_HEADING.finditer(text, tops[-1].end() if tops else 0, start)]
    if not subs:
        return f"{tops[-1].group(1)}、" if tops else "正文"
    number = f"{tops[-1].group(1) if tops else ''}({subs[-1].group(1)})"
    return names.get(number, f"{number} {subs[-1].group(2).strip()}".strip())


def infer_period(text: str, start: int, year: int) -> Period:
    """Read a figure's period from the words before it (see the module docstring); the words
    (截至11月 …) are read by :meth:`helpers.report.period.Period.read`."""
    left, _ = sentence_span(text, start, start)
    clause_start = max(text.rfind(ch, 0, start) for ch in "；;。\n") + 1
    if FULL_YEAR_WORDS.search(text, clause_start, start):
        return Period(year)
    later = [int(y) for y in _YEAR.findall(text, left, start) if int(y) > year]
    if later:
        return Period(later[-1])  # a plan for a later year
    paragraph = text.rfind("\n", 0, start) + 1
    markers = list(_LIST_MARKER.finditer(text, paragraph, start))
    window_start = markers[-1].start() if markers else paragraph
    cues = list(CUT_OFF_WORDS.finditer(text, window_start, start))
    return Period.read(cues[-1].group(0), year) if cues else Period(year)


def draft(year: int, report: Path) -> pd.DataFrame:
    """Draft the indicator table of ``year`` from a report file.

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`helpers.tables.load.COLUMNS`; ``id`` is empty for figures that matched no
        indicator, and ``note`` says what each row was matched by.
    """
    text, _ = read_report(report)
    catalog_units = load_catalog()["unit"].to_dict()
    refs = references()
    found = extract(text)
    words = [wording(text, f.start, f.context) for f in found]
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
                     "period": str(infer_period(text, f.start, year)), "section": infer_section(text, f.start, names),
                     "note": note})
    return pd.DataFrame(rows, columns=COLUMNS)


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
