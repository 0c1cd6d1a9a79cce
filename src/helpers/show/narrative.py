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
from dataclasses import dataclass

from .. import paths
from ..audit.metrics import known_ids
from ..audit.report import Report
from ..audit.status import Missing
from ..audit.template import TemplateError, check_spec, parse_template
from ..datafile import TEXT, TEXTS, entry_problems, field_problems, parsed_once, read_yaml, yaml_section, yaml_where
from ..errors import AmrbookError, DataError, Problem
from .format import by_sentence, figure_text, formula_words, highlight, metric_text, missing_marker
from .sources import Appendix, Citations, checked, hover
from .words import missing_words


@dataclass(frozen=True)
class Quote:
    """One figure as shown in text, with where it comes from."""

    text: str
    sentences: dict[str, list[tuple[int, int]]]  # source sentence -> the figures' spans in it
    formula: str = ""
    gap: str = ""  # why there is no figure (the report lacks it); text is then a visible marker


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
        why = missing_words(Missing.NOT_IN_TABLE if figure.kind == "indicator" else Missing.NO_VALUE, r.year)
        return Quote(missing_marker(ident), {}, gap=f"{figure.label}：{why}")
    sentences = by_sentence(list(figure.inputs))
    if figure.kind == "indicator":
        shown = f"{format(figure.value, spec)}{figure.unit}" if spec else figure_text(figure.as_written, figure.unit)
        return Quote(shown, sentences)
    return Quote(metric_text(figure.value, figure.unit, spec), sentences, formula_words(figure.substituted))


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


def say(r: Report, template: str, cite: Citations | None = None) -> Narrative:
    """Fill a template's ``{id}`` / ``{id:spec}`` placeholders from a report, each figure cited.

    Parameters
    ----------
    r : Report
    template : str
        Prose with placeholders; everything else is shown as text (HTML is escaped).
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


def inline(r: Report, template: str, appendix: Appendix) -> str:
    """Fill a template as inline HTML (no paragraph), each figure linked to its entry in ``appendix``.

    For text inside a list item or a caption, which has nowhere to put footnotes.

    Raises
    ------
    AmrbookError
        If ``appendix`` is not an :class:`~helpers.show.sources.Appendix` (e.g. a notebook's footnotes).
    """
    if not isinstance(appendix, Appendix):
        raise AmrbookError("inline text cites into an appendix, which has somewhere to put its sources: pass "
                           "`b.sources` of `b = hb.briefing.start(r)`, or use hb.say for a paragraph with footnotes")
    return _filled(r, template, appendix)[1]


def _filled(r: Report, template: str, cite: Citations) -> tuple[str, str, list[str]]:
    """The plain text, the inline HTML and the footnotes (none when citing into an appendix) of a template."""
    plain, parts, notes = [], [], []
    for literal, field, spec in _parsed(template):
        plain.append(literal)
        parts.append(html.escape(literal))
        if field is None:
            continue
        q = quote(r, field, spec)
        plain.append(q.text)
        parts.append(figure_span(q, _source_link(q, notes, cite)))
    return "".join(plain), "".join(parts), notes


def figure_span(q: Quote, link: str) -> str:
    """A figure as HTML: its text, its source sentences on hover, then ``link`` (a superscript)."""
    title = html.escape(q.gap, quote=True) if q.gap else hover(q.sentences)
    return f'<span class="fig{" missing" if q.gap else ""}" title="{title}">{html.escape(q.text)}{link}</span>'


def _source_link(q: Quote, notes: list[str], cite: Citations) -> str:
    """Link a figure to its entry in an appendix, or number its footnote and add it to ``notes``."""
    if isinstance(cite, Appendix):
        return cite.cite(q.sentences)
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
    return f"{calc}原文：{quoted}"


@parsed_once(paths.narrative_file, paths.metrics_file, paths.catalog_file)
def load_narrative() -> dict:
    """Read and check ``data/narrative.yml`` (parsed once per version of the definitions): ``summary``, ``takeaways`` (topic → template), the
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


def takeaways(r: Report, topic: str, cite: Citations | None = None) -> Narrative:
    """Return the takeaway paragraph of a topic (``data/narrative.yml``), filled from data.

    Raises
    ------
    AmrbookError
        If ``narrative.yml`` has no takeaway for ``topic``, or is not valid (:func:`load_narrative`).
    """
    texts = load_narrative()["takeaways"]
    if topic not in texts:
        raise AmrbookError(f"{paths.narrative_file()}: no takeaway for {topic!r} (have: {', '.join(texts)})")
    return say(r, texts[topic], cite)


def summary(r: Report, cite: Citations | None = None) -> Narrative:
    """Return the briefing's opening paragraph (``summary`` in ``data/narrative.yml``), filled from the report."""
    return say(r, load_narrative()["summary"], cite)


def fill(r: Report, template: str) -> str:
    """Fill a template's placeholders as plain text, without footnotes (for notes and tables)."""
    return "".join(literal + (quote(r, field, spec).text if field is not None else "")
                   for literal, field, spec in _parsed(template))
