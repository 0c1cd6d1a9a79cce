"""Draft a new report's indicator table, and propose catalog entries for what the catalog lacks.

Each figure the extractor finds is matched to a catalog id by what it is, not only by its words:

* its *body* (局, 消委会, 12315中心, 全系统 …: the body whose word stands last in its sentence before
  it, :func:`helpers.tables.catalog.body_of`) must be the body of the id (catalog ``body:``), so a
  bureau-wide 挽回经济损失 never takes the 区消委会's id;
* its counter must be the id's unit or one of the same meaning (件 for 宗, 户 for 家:
  ``counters`` of ``data/matching.yml``); the draft records the catalog's unit, the value unchanged;
* its counting basis must agree (列入 is not 移出; a 其中 subset is not its total: ``basis``);
* then its clause and sentence are compared (character-bigram Dice similarity) with how every
  curated report of every bureau worded the id, and its clause with the id's ``label_zh`` and
  ``aliases``. The best score wins; each id is used once, best matches first.

Each row carries its ``score``, what it was ``matched_by`` (a label, an alias or a curated
wording) and the ``shared`` words it rests on. A figure without a match (score below
:data:`THRESHOLD`) gets a proposed catalog entry (``proposal``; :func:`label_of`,
:func:`proposal_id`): an id
``<topic>_<6 hex digits of the hash of its label and unit>``, ``label_zh`` from its clause, its
unit, a topic from keyword rules (``topics`` of ``data/matching.yml``) over its words and section
heading, its body and a description from its sentence. The period is read from the words before
the figure (截至11月, 截至第三季度, 截至目前, 近期, 全年, a later 年度 for plans), looking back no
further than the last list marker (一是, (三), 2.) of its paragraph.

The draft goes to ``data/indicators/<bureau>/<year>.draft.csv`` and the proposals beside it
(``<year>.proposals.yml``), never over a curated table. Each is written to a new file that then
replaces its name (os.replace), so nothing is ever written through a link, and a path that is a
symbolic link or anything but a plain file is refused.

Drafting is linear in the number of figures: every look back (sentence, clause, paragraph,
list marker, period cue, heading) is found once per report (:class:`Layout`, one pass per
pattern) and looked up by bisection, and a wording compares at most :data:`SENTENCE_WINDOW`
characters of its sentence, with its bigrams made once. (Each figure used to search the text
from its start: ``检查企业5家，`` × 10000 took more than 300 s.)
"""

from __future__ import annotations

import hashlib
import os
import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd
import yaml

from .. import paths
from ..errors import AmrbookError
from ..report.encoding import read_report
from ..report.extract import Refused, context_before, extract
from ..report.period import CUT_OFF_WORDS, FULL_YEAR_WORDS, Period
from ..report.sources import SENTENCE_END, raw_text
from .catalog import (
    BUREAU,
    Matching,
    basis_conflict,
    body_of,
    is_total,
    matching,
    named,
    same_counter,
    topic_of,
)
from .load import COLUMNS, catalog_terms, load_indicators

THRESHOLD = 0.45
#: What the draft adds to the columns of a curated table, for review (``amrbook accept`` drops them).
REVIEW_COLUMNS = ["score", "matched_by", "shared", "body", "proposal"]

#: How the note of every drafted row begins (in Chinese: it is read as is); accept clears such notes.
DRAFT_NOTE = "草稿："
_LIST_MARKER = re.compile(
    r"[一二三四五六七八九十]+是|[(（][一二三四五六七八九十]+[)）]|(?m:^\d+[.、])"
)
_YEAR = re.compile(r"(\d{4})年")
_CLAUSE_END = re.compile(r"[；;。\n]")
_STOP = re.compile(r"[，,；;。：:]")
_LINE_END = re.compile(r"\n")
_TOP_HEADING = re.compile(r"^([一二三四五六七八九十]+)、", re.M)
_SUB_HEADING = re.compile(r"^[(（]([一二三四五六七八九十]+)[)）]([^。；;，,\n]*)", re.M)
#: The most characters of its sentence before a figure that a wording compares (the clause is
#: at most 30): bigrams of a longer sentence add nothing a reader would call the same wording.
SENTENCE_WINDOW = 200
#: Words around a clause that are not part of what is counted (我局作出行政处罚 -> 作出行政处罚).
_LABEL_HEAD = re.compile(
    r"^(?:\d{4}年度?|我局|本局|全局|我区|全区|全市|全省|共计|共(?!有)|累计"
    r"|全年|合计|此外|同时|并)+"
)
#: An earlier figure of a list in the same clause (中心组学习7次和支部学习 -> 支部学习).
_EARLIER_FIGURE = re.compile(r"^.*\d[^\d和及与]*[和及与]")
_LABEL_TAIL = re.compile(r"(?:共计|合计|累计|共|计|达到|达|为|了|约|近|超过|超|逾|分别)+$")


def _bigrams(text: str) -> frozenset[str]:
    text = re.sub(r"[\d.,，%％\s]", "", text)
    return frozenset({text[i : i + 2] for i in range(len(text) - 1)} or {text})


def _dice(x: frozenset, y: frozenset) -> float:
    return 2 * len(x & y) / (len(x) + len(y)) if x and y else 0.0


def similarity(a: str, b: str) -> float:
    """Dice similarity of the character bigrams of two phrases (digits ignored), 0 to 1."""
    return _dice(_bigrams(a), _bigrams(b))


def shared_words(clause: str, other: str) -> str:
    """The runs of ``clause`` made of bigrams ``other`` also has (``作出行政处罚`` against
    ``查办行政处罚案件`` -> ``行政处罚``), joined by ``/``: the words a match rests on."""
    theirs = _bigrams(other)
    covered = [False] * len(clause)
    for i in range(len(clause) - 1):
        if clause[i : i + 2] in theirs:
            covered[i] = covered[i + 1] = True
    runs = re.findall(r"1+", "".join("1" if c else "0" for c in covered))
    out, at = [], 0
    for run in runs:
        at = "".join("1" if c else "0" for c in covered).index(run, at)
        out.append(clause[at : at + len(run)])
        at += len(run)
    return "/".join(out)


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

    def label_score(self, label: str) -> float:
        """Similarity of the clause with a catalog label or alias."""
        return _dice(self._grams[0], _bigrams(label))


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

    def sentence(self, start: int, end: int) -> str:
        """The whole sentence around ``text[start:end]`` (at most :data:`SENTENCE_WINDOW` characters each side)."""
        left = max(self._after_last(self.sentences, start), start - SENTENCE_WINDOW)
        i = bisect_left(self.sentences.starts, end)
        right = (
            self.sentences.matches[i].end() if i < len(self.sentences.starts) else len(self.text)
        )
        return self.text[left : min(right, end + SENTENCE_WINDOW)].strip()

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

    def heading(self, start: int) -> str:
        """The words of the heading a figure stands under (empty when none)."""
        top = self.tops.last(0, start)
        sub = self.subs.last(top.end() if top else 0, start)
        if sub is not None:
            return sub.group(2)
        if top is None:
            return ""
        line_end = self.text.find("\n", top.end())
        return self.text[top.end() : line_end if line_end >= 0 else len(self.text)]

    def section(self, start: int, names: dict[str, str]) -> str:
        """The heading a figure stands under (see :func:`infer_section`)."""
        top = self.tops.last(0, start)
        sub = self.subs.last(top.end() if top else 0, start)
        if sub is None:  # 一、 and its words to the first stop: 一、本机关行政执法工作基本情况
            return (
                f"{top.group(1)}、{_STOP.split(self.heading(start), 1)[0].strip()}"
                if top
                else "正文"
            )
        number = f"{top.group(1) if top else ''}({sub.group(1)})"
        return names.get(number, f"{number} {sub.group(2).strip()}".strip())


@dataclass(frozen=True)
class Reference:
    """One way an indicator has been worded: a curated report's wording, its label or an alias."""

    kind: str  # "conghua 2023", "label", "alias"
    wording: Wording
    total: bool = False  # a curated figure followed by a subset of itself (其中)


def references() -> dict[str, list[Reference]]:
    """Every wording of every indicator: the curated reports of every bureau (the catalog is shared),
    and each catalog entry's ``label_zh`` and ``aliases``."""
    out: dict[str, list[Reference]] = {}
    for ident, entry in catalog_terms().iterrows():
        out[ident] = [Reference("label", Wording(entry["label_zh"], entry["label_zh"]))]
        out[ident] += [Reference("alias", Wording(alias, alias)) for alias in entry["aliases"]]
    for bureau, year in paths.curated_reports():
        text = raw_text(bureau, year)
        layout = Layout(text)
        for row in load_indicators(bureau, year).itertuples():
            out.setdefault(row.id, []).append(
                Reference(
                    f"{bureau} {year}",
                    layout.wording(row.start, context_before(text, row.start)),
                    is_total(text, row.end),
                )
            )
    return out


def section_names(bureau: str | None) -> dict[str, str]:
    """The section names curators gave in the curated reports of ``bureau``, by their number.

    For example ``一(三)`` -> ``一(三) 规范行政执法`` for 从化. Only the bureau's own: another
    bureau's 一(三) is another section (绍兴's 法治队伍建设 is not 从化's 规范行政执法).
    """
    names: dict[str, str] = {}
    for each, year in paths.curated_reports():
        if each != bureau:
            continue
        for section in load_indicators(each, year)["section"]:
            names.setdefault(section.split(" ", 1)[0], section)
    return names


def infer_section(text: str, start: int, names: dict[str, str]) -> str:
    """The heading a figure stands under: ``一(三)`` from the last headings before it, named as the
    curated years named that section, or by the heading's own first words."""
    return Layout(text).section(start, names)


def infer_period(text: str, start: int, year: int) -> Period:
    """Read a figure's period from the words before it (see the module docstring)."""
    return Layout(text, year).period(start)


@dataclass(frozen=True)
class Match:
    """The best wording of one id for one figure."""

    score: float
    ident: str
    by: str
    shared: str


def best_match(
    words: Wording, refs: list[Reference], ident: str, rules: Matching | None = None
) -> Match | None:
    """The best-scoring wording of ``ident`` for a figure worded ``words``, skipping every wording
    that counts on another basis (:func:`helpers.tables.catalog.basis_conflict`).

    An alias is another wording of the label's concept, so it counts on the label's basis too:
    ``作出行政处罚`` never takes ``查办行政处罚案件`` through its alias ``行政处罚案件``.
    """
    best, rules = None, rules or matching()
    label = next((ref.wording.clause for ref in refs if ref.kind == "label"), "")
    for ref in refs:
        if basis_conflict(words.clause, ref.wording.clause, ref.total, rules) or (
            ref.kind == "alias" and basis_conflict(words.clause, label, rules=rules)
        ):
            continue
        score = (
            words.label_score(ref.wording.clause)
            if ref.kind in ("label", "alias")
            else words.score(ref.wording)
        )
        if best is None or score > best.score:
            best = Match(
                score,
                ident,
                f"{ref.kind} «{ref.wording.clause}»",
                shared_words(words.clause, ref.wording.clause),
            )
    return best


def label_of(clause: str, sentence: str, after: str = "", previous: str = "") -> str:
    """A proposed ``label_zh``: the figure's clause without the words that are not what is counted
    (我局, 共, 全年 before; 达, 为, 共计 after; an earlier figure of a list), or the end of its
    sentence when nothing is left.

    Two ways of writing name what is counted elsewhere:

    * the words ``after`` the figure (to its clause's end), when the clause before it ends in
      等 or 的 or is empty (``等13个重点课题调研``, ``完成涉及的122项营商环境测评任务``);
    * the ``previous`` figure's label of the same sentence, when the clause is only a basis word
      of a group of ``basis`` (``企业变更11589件,注销3912件``: ``企业注销``), or a change stated
      同比 (``共有各类市场主体325020户,同比增长3.52%``: ``共有各类市场主体同比增长``).

    >>> label_of("全年共有各类市场主体", ""), label_of("中心组学习7次和支部学习", ""), label_of("我局作出行政处罚", "")
    ('共有各类市场主体', '支部学习', '作出行政处罚')
    >>> label_of("等", "", "重点课题调研"), label_of("注销", "", "", "办理企业变更")
    ('重点课题调研', '办理企业注销')
    >>> label_of("同比增长", "", "", "共有各类市场主体")
    '共有各类市场主体同比增长'
    """
    label = _LABEL_TAIL.sub("", _LABEL_HEAD.sub("", _EARLIER_FIGURE.sub("", clause.strip())))
    after = re.sub(r"[^\u4e00-\u9fff].*", "", after, flags=re.S)  # Chinese to its clause's end
    if (len(label) < 2 or label.endswith(("等", "的"))) and len(after) >= 2:
        return after
    if label.startswith("同比") and previous:
        return f"{previous}{label}"
    for group in matching().basis:
        if label in group:
            before = next((w for w in group if w in previous), None)
            if before is not None:
                return previous.replace(before, label)
    return label if len(label) >= 2 else _LABEL_TAIL.sub("", sentence.strip())[-12:] or "未命名指标"


def proposal_id(topic: str, label: str, unit: str, taken: set[str]) -> str:
    """``<topic>_<6 hex digits of sha1(label|unit)>``, with ``_2``, ``_3`` … when taken: deterministic,
    ASCII, and the same for the same wording in any report."""
    base = f"{topic}_{hashlib.sha1(f'{label}|{unit}'.encode()).hexdigest()[:6]}"
    ident, n = base, 1
    while ident in taken:
        n += 1
        ident = f"{base}_{n}"
    return ident


def draft(year: int, report: Path, bureau: str | None = None) -> pd.DataFrame:
    """Draft the indicator table of ``year`` from a report file (of ``bureau``: its curated years
    name the sections).

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`helpers.tables.load.COLUMNS` and :data:`REVIEW_COLUMNS`; ``id`` is empty
        for figures that matched no indicator, and ``proposal`` then names the catalog entry
        proposed for it. ``attrs["proposals"]`` holds the proposed entries (:func:`write_draft`
        writes them to ``<year>.proposals.yml``); ``attrs["refused"]`` lists the numbers the
        extractor refused (:func:`helpers.report.extract.refusal`) and the figures inside a name
        (``names`` of ``data/matching.yml``: 三类 of 三类医疗器械), for review.
    """
    text, _ = read_report(report)
    catalog = catalog_terms()
    refs = references()
    refused: list = []
    found = []
    every = extract(text, refused)
    for f, name in zip(every, named(text, [(f.start, f.end) for f in every]), strict=True):
        if name is None:
            found.append(f)
        else:  # 三类 of 三类医疗器械, 一本 of 一本账: part of a name (`names` of matching.yml)
            refused.append(
                Refused(f.start, f.end, f.text, f"is part of the name {name!r}, not a quantity")
            )
    refused.sort(key=lambda each: each.start)
    layout = Layout(text, year)
    words = [layout.wording(f.start, f.context) for f in found]
    bodies = [body_of(w.sentence) for w in words]
    pairs = []
    units, id_bodies = catalog["unit"].to_dict(), catalog["body"].to_dict()
    # looked up once: each look checks data/matching.yml is unchanged (a stat), figures x ids times
    rules = matching()
    for i, w in enumerate(words):
        for ident, id_refs in refs.items():
            if id_bodies.get(ident) != bodies[i] or not same_counter(
                found[i].unit, units.get(ident, ""), rules
            ):
                continue
            match = best_match(w, id_refs, ident, rules)
            if match is not None and match.score >= THRESHOLD:
                pairs.append((match.score, i, ident, match))
    pairs.sort(key=lambda p: (p[0], -p[1]), reverse=True)
    chosen: dict[int, Match] = {}
    used: set[str] = set()
    for _, i, ident, match in pairs:
        if i not in chosen and ident not in used:
            chosen[i] = match
            used.add(ident)
    rows, names, proposed, taken = [], section_names(bureau), [], set(catalog.index)
    previous = ("", "")  # the sentence and label of the last figure proposed
    for i, f in enumerate(found):
        match = chosen.get(i)
        # the note is read on pages and in the workbook when the draft becomes the table: Chinese
        row = {
            "year": year,
            "id": "",
            "value": format(f.value, ".10g"),
            "unit": f.unit,
            "as_written": f.text,
            "start": f.start,
            "end": f.end,
            "qualifier": f.qualifier,
            "period": str(layout.period(f.start)),
            "section": layout.section(f.start, names),
            "body": bodies[i],
        }
        if match is not None:
            row.update(
                id=match.ident,
                unit=units[match.ident],
                score=round(match.score, 2),
                matched_by=match.by,
                shared=match.shared,
                proposal="",
                note=f"{DRAFT_NOTE}按「{f.context}」匹配（相似度{match.score:.2f}）",
            )
        else:
            sentence = layout.sentence(f.start, f.end)
            label = label_of(
                f.context,
                words[i].sentence,
                text[f.end : f.end + 30],
                previous[1] if previous[0] == sentence else "",
            )
            previous = (sentence, label)
            topic = topic_of(words[i].sentence, layout.heading(f.start))
            ident = proposal_id(topic, label, f.unit, taken)
            taken.add(ident)
            entry = {
                "id": ident,
                "label_zh": label,
                "label_en": label,
                "unit": f.unit,
                "topic": topic,
                "description": f"据报告原文：{sentence}",
            }
            if bodies[i] != BUREAU:
                entry["body"] = bodies[i]
            proposed.append({**entry, "as_written": f.text, "start": f.start})
            row.update(
                score=0.0,
                matched_by="",
                shared="",
                proposal=ident,
                note=f"{DRAFT_NOTE}没有指标与「{f.context}」匹配；已提议新指标 {ident}（接受、修改或删除）",
            )
        rows.append(row)
    frame = pd.DataFrame(rows, columns=COLUMNS + REVIEW_COLUMNS)
    frame.attrs["proposals"] = proposed
    frame.attrs["refused"] = refused  # numbers not read because they cannot be read whole
    return frame


PROPOSALS_HEADER = """\
# Proposed catalog entries for the figures of this report that match no indicator, written by
# `amrbook draft`/`amrbook add` beside the draft. Review them (notebooks/review.ipynb shows each
# with its sentence): edit a field here, reject one by deleting it (and its row of the draft, or
# give that row another id), then `amrbook accept --bureau SLUG --year YEAR --all` (or list the
# ids to accept). label_en repeats label_zh until someone translates it. `as_written` and `start`
# say which figure of the draft an entry is for; they do not go into the catalog.
"""


def _write_new(target: Path, write) -> None:
    """Write ``target`` through a new file that then replaces its name (never through a link)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(
            staged, "x", encoding="utf-8", newline=""
        ) as f:  # "x": never through a link planted here either
            write(f)
        os.replace(staged, target)  # replaces the name, never a file it may be linked to
    finally:
        staged.unlink(missing_ok=True)


def _refuse_odd(target: Path) -> None:
    if target.is_symlink():
        raise AmrbookError(
            f"{target}: is a symbolic link (to {os.readlink(target)}); a draft is never written "
            "through a link, which could lead to a curated table: remove the link and run again"
        )
    if target.exists() and not target.is_file():
        raise AmrbookError(f"{target}: exists and is not a plain file; remove it and run again")


def write_draft(
    bureau: str, year: int, report: Path, force: bool = False
) -> tuple[Path, pd.DataFrame]:
    """Write ``data/indicators/<bureau>/<year>.draft.csv`` and ``<year>.proposals.yml``; return the
    draft's path and the draft.

    Raises
    ------
    AmrbookError
        If a draft path is a symbolic link or not a plain file, or the draft exists and
        ``force`` is not set. The curated ``<year>.csv`` is never written.
    """
    target, beside = paths.draft_file(bureau, year), paths.proposals_file(bureau, year)
    for each in (target, beside):
        _refuse_odd(each)
    if target.exists() and not force:
        raise AmrbookError(
            f"{target} exists; --force replaces the draft (the curated {year}.csv is never touched)"
        )
    frame = draft(year, report, bureau)
    _write_new(target, lambda f: frame.to_csv(f, index=False, lineterminator="\n"))
    proposed = frame.attrs["proposals"]
    _write_new(
        beside,
        lambda f: f.write(
            PROPOSALS_HEADER
            + yaml.safe_dump(
                {"proposals": proposed}, allow_unicode=True, sort_keys=False, width=100
            )
        ),
    )
    return target, frame
