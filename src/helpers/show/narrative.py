"""Narration with figures filled in from data, each carrying its provenance.

Notebooks never type a figure. They write templates such as
``"区消委会受理投诉{council_complaints_received}，完成率{council_completion_rate}。"``
and :func:`say` fills each ``{id}`` from a :class:`~helpers.audit.report.Report`: an indicator
as the report wrote it (``2247宗``), a metric formatted in the Chinese way (``91.19%``). In HTML
every figure shows its source sentence on hover and cites it: with the notebook's
:class:`~helpers.show.sources.Footnotes` (from :func:`helpers.show.notebook.setup`) a numbered
footnote quoting the report, the numbers running on through the notebook; with the briefing's
:class:`~helpers.show.sources.Appendix` a link to its sentence's entry in one appendix.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, replace

from .. import errors, paths
from ..audit.checks import load_check_defs
from ..audit.metrics import known_ids
from ..audit.report import Report
from ..audit.status import Comparison, Result
from ..audit.template import TemplateError, check_spec, figures_in, parse_template
from ..datafile import (
    TEXT,
    TEXTS,
    Kind,
    entry_problems,
    field_problems,
    parsed_once,
    read_yaml,
    yaml_section,
    yaml_where,
)
from ..errors import AmrbookError, DataError, Problem
from ..report.period import Period
from .format import (
    by_sentence,
    estimate_text,
    figure_text,
    formula_words,
    highlight,
    metric_text,
    missing_marker,
    period_words,
)
from .sources import Appendix, Citations, checked, hover
from .words import missing_words

#: What a claim of each kind can find, the keys a conditional template's variants may use:
#: a rule of checks.yml (``check:<id>``) holds, fails, lacks a figure (missing) or cannot be
#: evaluated (undefined); a figure's 同比 (``growth:<id>``) went up, down, stayed the same, or was
#: not compared (none: no previous year, another period, one year only); a rank among a count
#: (``position:<rank id>/<count id>``) is in the top, middle or bottom third (:func:`third`), or
#: none when a figure is missing; a metric (``metric:<id>``) could be computed (ok) or not (missing).
CLAIM_STATUSES = {
    "check": tuple(Result),
    "growth": ("up", "down", "same", "none"),
    "position": ("top", "middle", "bottom", "none"),
    "metric": ("ok", "missing"),
}
#: Words that compare or judge. Any sentence of a page that holds one must carry a claim record
#: (``data-claim``), so that it was chosen by a computed result; the claim audit
#: (tests/test_claims.py) checks every page for them. Regular expressions (一致性 is a noun).
JUDGEMENT_WORDS = (
    "高于",
    "低于",
    "多于",
    "少于",
    "一致(?!性)",
    "中游",
    "前列",
    "后列",
    "无法算出",
    "无法由",
    "疑为",
    "疑似",
    "原文错误",
    "笔误",
    "核实",
    "矛盾",
    "不成立",
    "上升",
    "下降",
    "提高",
    "减少",
    "持平",
    "为主",
    "远高于",
    "仅为",
    "对不上",
)


@dataclass(frozen=True)
class Quote:
    """One figure as shown in text, with where it comes from."""

    text: str
    sentences: dict[str, list[tuple[int, int]]]  # source sentence -> the figures' spans in it
    ident: str = ""
    formula: str = ""
    gap: str = ""  # why there is no figure (the report lacks it); text is then a visible marker
    period: str = (
        ""  # the period of a figure that covers less than its year (2023-11), stated after it
    )
    source: str = ""  # the report stating it, when not the page's own (another bureau's): its quotations name it

    @property
    def period_note(self) -> str:
        """``（截至2023年11月）`` for a figure of part of a year, empty for a full year."""
        return f"（{period_words(self.period)}）" if self.period else ""


def quote(r: Report, ident: str, spec: str = "") -> Quote:
    """Return how a figure reads in text and its provenance.

    Parameters
    ----------
    r : Report
    ident : str
        An indicator id (shown as the report wrote it) or a metric id (formatted).
    spec : str, optional
        A number format of :data:`SPEC` (``".1f"``); the unit is appended.

    Returns
    -------
    Quote
        For an indicator of the catalog that the report lacks, or a metric without a value (an
        input is missing, or a division by zero), the text is :func:`missing_marker` and ``gap``
        says why: a new year or bureau may not state every figure, and the rest of the text is
        still worth reading.

    Raises
    ------
    AmrbookError
        If ``ident`` is neither an indicator of the catalog nor a metric, or ``spec`` is refused.
    """
    check_spec(ident, spec)
    figure = r.lookup(ident)
    if figure.missing:  # the gap in words: the figure's label and why, in Chinese
        why = missing_words(figure.missing, r.year)
        return Quote(missing_marker(figure.label), {}, ident, gap=f"{figure.label}：{why}")
    sentences = by_sentence(list(figure.inputs))
    if figure.kind == "indicator":
        shown = (
            f"{format(figure.value, spec)}{figure.unit}"
            if spec
            else figure_text(figure.as_written, figure.unit)
        )
        return Quote(
            shown,
            sentences,
            ident,
            period=figure.period if Period.parse(figure.period).is_partial else "",
        )
    estimated = (
        not spec and r.metrics["kind"].get(ident) == "implied"
    )  # an estimate: 约166件, never 165.9544
    return Quote(
        estimate_text(figure.value, figure.unit)
        if estimated
        else metric_text(figure.value, figure.unit, spec),
        sentences,
        ident,
        formula_words(figure.substituted),
    )


@dataclass(frozen=True, repr=False)
class Narrative:
    """Text with figures filled in; displays as HTML with footnotes, or as plain text."""

    plain: str
    html: str

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.plain

    __repr__ = __str__


def say(r: Report, template, cite: Citations | None = None) -> Narrative:
    """Fill a template's ``{id}`` / ``{id:spec}`` placeholders from a report, each figure cited.

    Parameters
    ----------
    r : Report
    template : str, dict or list
        Prose with placeholders; everything else is shown as text (HTML is escaped). A
        conditional template (a mapping ``{"when": "check:<id>", "fails": "…", "holds": "…"}``,
        or a list of such mappings and plain templates) says what the computed result of its
        claim selects (:func:`select`).
    cite : Footnotes or Appendix
        The page's citations: the notebook's :func:`helpers.show.notebook.setup` result, or the
        briefing's ``b.sources``.

    Returns
    -------
    Narrative
        Displays in Jupyter as a paragraph whose figures show their source sentence on
        hover, followed by numbered footnotes quoting the report (or linked to the appendix).

    Raises
    ------
    AmrbookError
        If a placeholder is malformed or names neither an indicator nor a metric, or ``cite`` is
        not a page's citations.
    """
    plain, parts, notes = _filled(r, template, checked(cite, "say"))
    foot = f'<ol class="sources">{"".join(notes)}</ol>' if notes else ""
    return Narrative(plain, f'<p class="narrative">{parts}</p>{foot}')


def inline(r: Report, template, appendix: Appendix) -> str:
    """Fill a template as inline HTML (no paragraph), each figure linked to its entry in ``appendix``.

    For text inside a list item or a caption, which has nowhere to put footnotes.

    Raises
    ------
    AmrbookError
        If ``appendix`` is not an :class:`~helpers.show.sources.Appendix` (e.g. a notebook's footnotes).
    """
    if not isinstance(appendix, Appendix):
        raise AmrbookError(
            "inline text cites into an appendix, which has somewhere to put its sources: pass "
            "`b.sources` of `b = hb.briefing.start(r)`, or use hb.say for a paragraph with footnotes"
        )
    return _filled(r, template, appendix)[1]


def _filled(r: Report, template, cite: Citations | None) -> tuple[str, str, list[str]]:
    """The plain text, the inline HTML and the footnotes (none when citing into an appendix) of a
    template, plain or conditional; each selected variant wrapped in its claim record."""
    plain, parts = [], []
    notes: list[str] = []
    for claim, status, text in select(r, template):
        p, h = _filled_text(r, text, cite, notes)
        plain.append(p)
        parts.append(claim_span(claim, status, h) if claim else h)
    return "".join(plain), "".join(parts), notes


def _filled_text(
    r: Report, template: str, cite: Citations | None, notes: list[str]
) -> tuple[str, str]:
    plain, parts, stated = [], [], set()
    for literal, field, spec in _parsed(template):
        plain.append(literal)
        parts.append(html.escape(literal))
        if field is None:
            continue
        q = quote(r, field, spec)
        if q.period in stated:  # a period is stated after the first figure of it in a sentence
            q = replace(q, period="")
        stated.add(q.period)
        plain.append(q.text + q.period_note)
        parts.append(figure_span(q, source_link(q, notes, cite) if cite is not None else ""))
    return "".join(plain), "".join(parts)


def claim_span(claim: str, status: str, inner_html: str) -> str:
    """Wrap HTML in the record of what it asserts: ``<span data-claim="check:x" data-status="fails">``."""
    return (
        f'<span class="claim" data-claim="{html.escape(claim, quote=True)}" '
        f'data-status="{html.escape(status, quote=True)}">{inner_html}</span>'
    )


def figure_span(q: Quote, link: str) -> str:
    """A figure as HTML: its text, its source sentences on hover, then ``link`` (a superscript); a figure of
    part of a year is followed by its period (``（截至2023年11月）``), recorded as a ``period`` claim."""
    title = html.escape(q.gap, quote=True) if q.gap else hover(q.sentences)
    period = (
        claim_span(f"period:{q.ident}", q.period, html.escape(q.period_note)) if q.period else ""
    )
    return (
        f'<span class="fig{" missing" if q.gap else ""}" title="{title}">{html.escape(q.text)}{link}</span>'
        f"{period}"
    )


def claim_status(r: Report, claim: str) -> str:
    """The computed result a claim (``kind:id``) asserts, one of :data:`CLAIM_STATUSES` of its kind.

    The one place where a result chooses wording: conditional templates, main points, titles
    and the claim records of the pages all call it.

    Raises
    ------
    AmrbookError
        For a claim whose kind is not one of :data:`CLAIM_STATUSES`, or a check the report did not run.
    """
    kind, _, ident = claim.partition(":")
    unknown = [i for i in ident.split("/") if i not in known_ids()]
    if kind in ("growth", "position", "metric") and unknown:
        raise AmrbookError(f"claim {claim!r}: {unknown[0]!r} is neither an indicator nor a metric")
    if kind == "check":
        found = r.findings.set_index("check")["result"]
        if ident not in found.index:
            raise AmrbookError(f"claim {claim!r}: no rule {ident!r} in checks.yml")
        return str(found[ident])
    if kind == "growth":
        return growth_direction(r, ident)
    if kind == "position":
        rank, _, count = ident.partition("/")
        return third(r.lookup(rank).value, r.lookup(count).value)
    if kind == "metric":
        return "missing" if math.isnan(r.lookup(ident).value) else "ok"
    raise AmrbookError(f"claim {claim!r}: the kind must be one of {', '.join(CLAIM_STATUSES)}")


def growth_direction(r: Report, ident: str) -> str:
    """``up``, ``down``, ``same`` or ``none`` (not compared) for the 同比 of an indicator or metric.

    A rank is ``up`` when its number falls (6th → 4th): the reader's direction, not the number's.
    """
    for table in (r.growth, r.metric_growth):
        rows = table[table["id"] == ident] if len(table) else table
        if len(rows):
            row = rows.iloc[0]
            if row["comparison"] != Comparison.COMPARED:
                return "none"
            move = next(
                v for v in (row["change_pp"], row["growth_pct"], row["change"]) if not math.isnan(v)
            )
            move = -move if row["unit"] == "rank" else move
            return "same" if move == 0 else ("up" if move > 0 else "down")
    return "none"


def third(rank: float, count: float) -> str:
    """The third of a ranking a rank falls in: ``top`` (rank ≤ count/3), ``bottom`` (rank > 2·count/3),
    else ``middle`` (中游); ``none`` when a figure is missing.

    Examples
    --------
    >>> third(6, 11), third(3, 11), third(8, 11), third(float("nan"), 11)
    ('middle', 'top', 'bottom', 'none')
    """
    if math.isnan(rank) or math.isnan(count) or count <= 0:
        return "none"
    if rank * 3 <= count:
        return "top"
    return "bottom" if rank * 3 > count * 2 else "middle"


def select(r: Report, template) -> list[tuple[str, str, str]]:
    """The parts of a template as ``(claim, status, text)``: a plain template is one part without claim;
    each conditional part contributes the variant its claim's computed status selects (nothing when
    it has none for that status)."""
    parts = template if isinstance(template, list) else [template]
    chosen = []
    for part in parts:
        if isinstance(part, str):
            chosen.append(("", "", part))
            continue
        _check_variants(part)
        status = claim_status(r, part["when"])
        if part.get(status):
            chosen.append((part["when"], status, part[status]))
    return chosen


def _check_variants(part) -> None:
    """Refuse a conditional part (typed in a notebook) that is not ``{"when": "kind:id", status: text …}``."""
    if not isinstance(part, dict) or not isinstance(part.get("when"), str):
        raise TemplateError(
            f"a conditional template is a mapping with 'when': 'kind:id', not {part!r}"
        )
    kind = part["when"].partition(":")[0]
    unknown = [k for k in part if k != "when" and k not in CLAIM_STATUSES.get(kind, ())]
    if kind not in CLAIM_STATUSES or unknown:
        raise TemplateError(
            f"conditional template {part['when']!r}: "
            + (
                f"unknown status {', '.join(map(repr, unknown))} (a {kind} claim has "
                f"{', '.join(CLAIM_STATUSES[kind])})"
                if kind in CLAIM_STATUSES
                else f"the kind must be one of {', '.join(CLAIM_STATUSES)}"
            )
        )


def source_link(q: Quote, notes: list[str], cite: Citations) -> str:
    """Link a figure to its entry in an appendix, or number its footnote and add it to ``notes``."""
    if isinstance(cite, Appendix):
        return cite.cite(q.sentences, q.source)
    number = cite.number()
    notes.append(f'<li id="src-{number}" value="{number}">{_footnote(q)}</li>')
    return f'<sup><a href="#src-{number}">{number}</a></sup>'


def _parsed(template: str) -> list[tuple[str, str | None, str]]:
    """:func:`parse_template`, with the template quoted in the error (for templates typed in a notebook)."""
    try:
        return parse_template(template)
    except TemplateError as exc:
        shown = template if len(template) <= 60 else template[:57] + "..."
        raise TemplateError(f"template {shown!r}: {exc}") from None


def _footnote(q: Quote) -> str:
    if q.gap:
        return f"无数据：{html.escape(q.gap)}"
    calc = f"计算：{html.escape(q.formula)}；" if q.formula else ""
    quoted = "；".join(f"「{highlight(s, w)}」" for s, w in q.sentences.items())
    return f"{calc}{html.escape(q.source)}原文：{quoted}"


#: A field holding a template: text, a conditional part or a list of both (:func:`template_problems`).
TEMPLATE = Kind(
    "a template (text, a mapping with when, or a list of them)",
    lambda v: (isinstance(v, (list, dict)) and len(v) > 0) or TEXT.accepts(v),
)


@parsed_once(paths.narrative_file, paths.metrics_file, paths.catalog_file, paths.checks_file)
def load_narrative() -> dict:
    """Read and check ``data/narrative.yml`` (parsed once per version of the definitions).

    Its parts: ``summary``, ``takeaways`` (topic → template), the briefing's ``main_points``
    (``text``, ``section``, optional ``see``) and ``headline`` ids.

    Returns
    -------
    dict
        ``{"summary": str, "takeaways": {topic: str}, "main_points": [dict], "headline": [str]}``.

    Raises
    ------
    DataError
        Naming the line of an entry that is not text (or not a mapping of its fields), and of a
        template with a malformed placeholder, a refused format or an id that is neither an
        indicator nor a metric.
    """
    path = paths.narrative_file()
    doc = read_yaml(path)
    texts = yaml_section(path, doc, "takeaways", dict)
    points = yaml_section(path, doc, "main_points", list)
    problems = field_problems(path, doc, "", {"summary": TEXT, "headline": TEXTS}) + field_problems(
        path, texts, "takeaways", dict.fromkeys(texts, TEMPLATE)
    )
    problems += [
        p
        for i in range(len(points))
        for p in entry_problems(
            path, points, i, f"main point {i + 1}", {"text": TEXT, "section": TEXT}, {"see": TEXT}
        )
    ]
    if not problems:
        known = known_ids()
        problems += template_problems(path, doc, "summary", "summary", known)
        problems += [
            p
            for topic in texts
            for p in template_problems(path, texts, topic, f"takeaway {topic}", known)
        ]
        problems += [
            p
            for i, point in enumerate(points)
            for p in template_problems(path, point, "text", f"main point {i + 1}", known)
        ]
        problems += [
            Problem(
                path,
                yaml_where(doc, "headline", "headline"),
                f"{i!r} is neither an indicator nor a metric",
            )
            for i in doc.get("headline") or []
            if i not in known
        ]
    if problems:
        raise DataError(problems)
    return {
        "summary": doc.get("summary") or "",
        "takeaways": dict(texts),
        "main_points": list(points),
        "headline": list(doc.get("headline") or []),
    }


def template_problems(path, parent, key, label: str, known: set) -> list[Problem]:
    """Check the template ``parent[key]`` of a data file: well-formed, and every id an indicator or a metric.

    A template is text, a conditional part (a mapping ``when: kind:id`` with a variant per status
    of :data:`CLAIM_STATUSES`) or a list of both: the claim must name a rule of checks.yml (check),
    an indicator or metric (growth, metric) or two of them (position: ``rank/count``), and every
    variant key must be a status of its kind; each problem names its line.
    """
    template = parent[key] if key in parent or isinstance(parent, list) else ""
    if isinstance(template, list):
        return [
            p
            for i in range(len(template))
            for p in template_problems(path, template, i, f"{label}, part {i + 1}", known)
        ]
    if isinstance(template, dict):
        return _conditional_problems(path, template, label, known)
    where = yaml_where(parent, key, label)
    if not isinstance(template, str):
        return [
            Problem(
                path,
                where,
                f"a template is text, a mapping with 'when' or a list of them, not {template!r}",
            )
        ]
    try:
        ids = [field for _, field, _ in parse_template(template) if field]
    except TemplateError as exc:
        return [Problem(path, where, str(exc))]
    return [
        Problem(path, where, f"{{{i}}} is neither an indicator nor a metric")
        for i in ids
        if i not in known
    ]


def _conditional_problems(path, part: dict, label: str, known: set) -> list[Problem]:
    claim = part.get("when")
    if not isinstance(claim, str) or ":" not in claim:
        return [
            Problem(
                path,
                yaml_where(part, "when" if "when" in part else None, label),
                "a conditional template needs when: kind:id (kinds: "
                + ", ".join(CLAIM_STATUSES)
                + ")",
            )
        ]
    kind, _, ident = claim.partition(":")
    at = yaml_where(part, "when", label)
    if kind not in CLAIM_STATUSES:
        return [
            Problem(
                path, at, f"when: {claim!r}: the kind must be one of {', '.join(CLAIM_STATUSES)}"
            )
        ]
    subjects = {"check": lambda: {c.id for c in load_check_defs()}}.get(kind, lambda: known)()
    names = ident.split("/") if kind == "position" else [ident]
    problems = [
        Problem(
            path,
            at,
            f"when: {claim!r}: {n!r} is not "
            + ("a rule of checks.yml" if kind == "check" else "an indicator nor a metric"),
        )
        for n in names
        if n not in subjects
    ]
    if kind == "position" and len(names) != 2:
        problems.append(
            Problem(
                path, at, f"when: {claim!r}: a position names a rank and a count, rank_id/count_id"
            )
        )
    for status in part:
        if status == "when":
            continue
        if status not in CLAIM_STATUSES[kind]:
            problems.append(
                Problem(
                    path,
                    yaml_where(part, status, label),
                    f"{status!r} is not a status of a {kind} "
                    f"claim (have: {', '.join(CLAIM_STATUSES[kind])})",
                )
            )
        else:
            problems += template_problems(path, part, status, f"{label}, {status}", known)
    return problems


def takeaways(r: Report, topic: str, cite: Citations | None = None) -> Narrative:
    """Return the takeaway paragraph of a topic (``data/narrative.yml``), filled from data.

    The curated paragraph is used only when the report has every figure it names (``r.has``);
    otherwise the paragraph lists the figures the report states on the topic (:func:`listing`).

    Raises
    ------
    AmrbookError
        If ``narrative.yml`` has no takeaway for ``topic`` and the report has no figure of it, or
        ``narrative.yml`` is not valid (:func:`load_narrative`).
    """
    texts = load_narrative()["takeaways"]
    if topic in texts and r.has(figures_in(texts[topic])):
        return say(r, texts[topic], cite)
    if topic not in texts and topic not in r.topics():
        raise AmrbookError(
            f"{paths.narrative_file()}: no takeaway for {topic!r} (have: {errors.listing(texts)})"
        )
    table = r.indicators
    return say(r, listing(r, list(table.index[table["topic"] == topic])), cite)


def listing(r: Report, ids: list[str]) -> str:
    """A template naming figures of the report with their labels.

    For example ``报告列出：查办行政处罚案件{admin_penalty_cases}、…。`` ("" for none): the words
    of a page where a curated paragraph lacks some of its figures."""
    listed = "、".join(f"{r[ident].label}{{{ident}}}" for ident in ids)
    return f"报告列出：{listed}。" if listed else ""


def summary(r: Report, cite: Citations | None = None) -> Narrative:
    """Return the briefing's opening paragraph (``summary`` in ``data/narrative.yml``), filled from the report;
    where the report lacks one of its figures, the first figure the report states of each topic."""
    text = load_narrative()["summary"]
    if not r.has(figures_in(text)):
        text = listing(r, list(r.indicators.drop_duplicates("topic").index))
    return say(r, text, cite)


def fill(r: Report, template) -> str:
    """Fill a template's placeholders as plain text, without footnotes (for notes, tables and chart titles);
    a conditional template gives the variants its claims' results select (:func:`select`)."""
    return _filled(r, template, None)[0]


def fill_html(r: Report, template) -> str:
    """:func:`fill` as inline HTML (for captions): figures with their sentences on hover, no links, each
    selected variant in its claim record."""
    return _filled(r, template, None)[1]
