"""Narration with figures filled in from data, each carrying its provenance.

Notebooks never type a figure. They write templates such as
``"区消委会受理投诉{council_complaints_received}，完成率{council_completion_rate}。"``
and :func:`say` fills each ``{id}`` from ``data/``: an indicator as the report wrote it
(``2247宗``), a metric formatted in the Chinese way (``91.19%``). In HTML every figure shows
its source sentence on hover and gets a numbered footnote quoting the report, so a reader can
trace every number; footnote numbers run on through a notebook (:func:`reset_footnotes`). A
publication quotes each sentence once instead: after :func:`helpers.show.sources.collect` a figure
links to its sentence's entry in one appendix (:mod:`helpers.show.sources`).
"""
from __future__ import annotations

import html
import itertools
import math
from dataclasses import dataclass

from .. import paths
from ..errors import AmrbookError, DataError, Problem
from ..tables.load import load_catalog
from ..audit.metrics import compute_metrics, indicator_values, input_record, known_ids
from ..datafile import TEXT, TEXTS, entry_problems, field_problems, read_yaml, yaml_section, yaml_where
from ..audit.status import Missing
from ..audit.template import TemplateError, check_spec, parse_template
from . import sources
from .format import by_sentence, figure_text, formula_words, highlight, metric_text, missing_marker
from .words import missing_words

_counter = itertools.count(1)


def reset_footnotes() -> None:
    """Start footnote numbering again at 1, one footnote per figure (at the top of each notebook)."""
    global _counter
    _counter = itertools.count(1)
    sources.stop()


@dataclass(frozen=True)
class Quote:
    """One figure as shown in text, with where it comes from."""

    text: str
    sentences: dict[str, list[tuple[int, int]]]  # source sentence -> the figures' spans in it
    formula: str = ""
    gap: str = ""  # why there is no figure (the year lacks it); text is then a visible marker


def quote(year: int, ident: str, spec: str = "") -> Quote:
    """Return how a figure reads in text and its provenance.

    Parameters
    ----------
    year : int
    ident : str
        An indicator id (shown as the report wrote it) or a metric id (formatted).
    spec : str, optional
        A number format of :data:`SPEC` (``".1f"``); the unit is appended.

    Returns
    -------
    Quote
        For an indicator of the catalog that the year's table lacks, or a metric without a
        value (an input is missing, or a division by zero), the text is
        :func:`missing_marker` and ``gap`` says why: a new year or district may not state
        every figure, and the rest of the text is still worth reading.

    Raises
    ------
    AmrbookError
        If ``ident`` is neither an indicator of the catalog nor a metric, or ``spec`` is refused.
    """
    check_spec(ident, spec)
    table = indicator_values(year)
    if ident in table.index:
        row = table.loc[ident]
        shown = f"{format(row['value'], spec)}{row['unit']}" if spec else figure_text(row["as_written"], row["unit"])
        return Quote(shown, by_sentence([input_record(table, ident)]))
    metrics = compute_metrics(year).set_index("id")
    catalog = load_catalog()
    if ident in catalog.index:
        why = missing_words(Missing.NOT_IN_TABLE, year)
        return Quote(missing_marker(ident), {}, gap=f"{catalog.at[ident, 'label_zh']}：{why}")
    if ident not in metrics.index:
        raise AmrbookError(f"{{{ident}}}: neither an indicator of the catalog nor a metric")
    m = metrics.loc[ident]
    if math.isnan(m["value"]):
        return Quote(missing_marker(ident), {}, gap=f"{m['label_zh']}：{missing_words(Missing.NO_VALUE, year)}")
    return Quote(metric_text(m["value"], m["unit"], spec), by_sentence(m["inputs"]), formula_words(m["substituted"]))


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


def say(year: int, template: str) -> Narrative:
    """Fill a template's ``{id}`` / ``{id:spec}`` placeholders from data, with footnotes.

    Parameters
    ----------
    year : int
    template : str
        Prose with placeholders; everything else is shown as text (HTML is escaped).

    Returns
    -------
    Narrative
        Displays in Jupyter as a paragraph whose figures show their source sentence on
        hover, followed by numbered footnotes quoting the report.

    Raises
    ------
    AmrbookError
        If a placeholder is malformed or names neither an indicator nor a metric.
    """
    plain, parts, notes = _filled(year, template)
    foot = f'<ol class="sources">{"".join(notes)}</ol>' if notes else ""
    return Narrative(plain, f'<p class="narrative">{parts}</p>{foot}')


def inline(year: int, template: str) -> str:
    """Fill a template as inline HTML (no paragraph), each figure linked to the appendix being collected.

    For text inside a list item or a caption: :func:`helpers.show.sources.collect` must be
    active, since an inline text has nowhere to put footnotes.

    Raises
    ------
    RuntimeError
        If no appendix is being collected.
    """
    if sources.current() is None:
        raise RuntimeError("inline text cites into an appendix: call helpers.show.sources.collect() first")
    return _filled(year, template)[1]


def _filled(year: int, template: str) -> tuple[str, str, list[str]]:
    """The plain text, the inline HTML and the footnotes (none when collecting an appendix) of a template."""
    plain, parts, notes = [], [], []
    for literal, field, spec in _parsed(template):
        plain.append(literal)
        parts.append(html.escape(literal))
        if field is None:
            continue
        q = quote(year, field, spec)
        plain.append(q.text)
        parts.append(figure_span(q, _source_link(q, notes)))
    return "".join(plain), "".join(parts), notes


def figure_span(q: Quote, link: str) -> str:
    """A figure as HTML: its text, its source sentences on hover, then ``link`` (a superscript)."""
    hover = html.escape(q.gap, quote=True) if q.gap else sources.hover(q.sentences)
    return f'<span class="fig{" missing" if q.gap else ""}" title="{hover}">{html.escape(q.text)}{link}</span>'


def _source_link(q: Quote, notes: list[str]) -> str:
    """Link a figure to the appendix being collected, or add its footnote to ``notes``."""
    appendix = sources.current()
    if appendix is not None:
        return appendix.cite(q.sentences)
    number = next(_counter)
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
    return f"{calc}原文：{quoted}"


def load_narrative() -> dict:
    """Read and check ``data/narrative.yml``: ``summary``, ``takeaways`` (topic → template), the
    briefing's ``main_points`` (``text``, ``section``, optional ``see``) and ``headline`` ids.

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
    doc = read_yaml(path) or {}
    texts = yaml_section(path, doc, "takeaways", dict)
    points = yaml_section(path, doc, "main_points", list)
    problems = field_problems(path, doc, "", {"summary": TEXT, "headline": TEXTS}) + field_problems(
        path, texts, "takeaways", dict.fromkeys(texts, TEXT))
    problems += [p for i in range(len(points)) for p in entry_problems(
        path, points, i, f"main point {i + 1}", {"text": TEXT, "section": TEXT}, {"see": TEXT})]
    if not problems:
        known = known_ids()
        problems += template_problems(path, doc, "summary", "summary", known)
        problems += [p for topic in texts for p in template_problems(path, texts, topic, f"takeaway {topic}", known)]
        problems += [p for i, point in enumerate(points)
                     for p in template_problems(path, point, "text", f"main point {i + 1}", known)]
        problems += [Problem(path, yaml_where(doc, "headline", "headline"), f"{i!r} is neither an indicator nor a metric")
                     for i in doc.get("headline") or [] if i not in known]
    if problems:
        raise DataError(problems)
    return {"summary": doc.get("summary") or "", "takeaways": dict(texts), "main_points": list(points),
            "headline": list(doc.get("headline") or [])}


def template_problems(path, parent: dict, key: str, label: str, known: set) -> list[Problem]:
    """Check the template ``parent[key]`` of a data file: well-formed, and every id an indicator or a metric."""
    template = parent.get(key) or ""
    where = yaml_where(parent, key, label)
    try:
        ids = [field for _, field, _ in parse_template(template) if field]
    except TemplateError as exc:
        return [Problem(path, where, str(exc))]
    return [Problem(path, where, f"{{{i}}} is neither an indicator nor a metric") for i in ids if i not in known]


def takeaways(year: int, topic: str) -> Narrative:
    """Return the takeaway paragraph of a topic (``data/narrative.yml``), filled from data.

    Raises
    ------
    AmrbookError
        If ``narrative.yml`` has no takeaway for ``topic``, or is not valid (:func:`load_narrative`).
    """
    texts = load_narrative()["takeaways"]
    if topic not in texts:
        raise AmrbookError(f"{paths.narrative_file()}: no takeaway for {topic!r} (have: {', '.join(texts)})")
    return say(year, texts[topic])


def summary(year: int) -> Narrative:
    """Return the briefing's opening paragraph (``summary`` in ``data/narrative.yml``), filled from data."""
    return say(year, load_narrative()["summary"])


def fill(year: int, template: str) -> str:
    """Fill a template's placeholders as plain text, without footnotes (for notes and tables)."""
    return "".join(literal + (quote(year, field, spec).text if field is not None else "")
                   for literal, field, spec in _parsed(template))
