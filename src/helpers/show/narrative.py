"""Narration with figures filled in from data, each carrying its provenance.

Notebooks never type a figure. They write templates such as
``"区消委会受理投诉{council_complaints_received}，完成率{council_completion_rate}。"``
and :func:`say` fills each ``{id}`` from ``data/``: an indicator as the report wrote it
(``2247宗``), a metric formatted in the Chinese way (``91.19%``). In HTML every figure shows
its source sentence on hover and gets a numbered footnote quoting the report, so a reader can
trace every number; footnote numbers run on through a notebook (:func:`reset_footnotes`).
"""
from __future__ import annotations

import html
import itertools
import re
import string
from dataclasses import dataclass

from ..errors import AmrbookError
from ..audit.metrics import compute_metrics, indicator_values, input_record
from .format import by_sentence, figure_text, formula_words, highlight, metric_text

_counter = itertools.count(1)


def reset_footnotes() -> None:
    """Start footnote numbering again at 1 (at the top of each notebook)."""
    global _counter
    _counter = itertools.count(1)


@dataclass(frozen=True)
class Quote:
    """One figure as shown in text, with where it comes from."""

    text: str
    sentences: dict[str, list[tuple[int, int]]]  # source sentence -> the figures' spans in it
    formula: str = ""


def quote(year: int, ident: str, spec: str = "") -> Quote:
    """Return how a figure reads in text and its provenance.

    Parameters
    ----------
    year : int
    ident : str
        An indicator id (shown as the report wrote it) or a metric id (formatted).
    spec : str, optional
        A Python format spec for the number (``".1f"``); the unit is appended.

    Raises
    ------
    AmrbookError
        If ``ident`` is neither an indicator of ``year`` nor a metric.
    """
    table = indicator_values(year)
    if ident in table.index:
        row = table.loc[ident]
        shown = f"{format(row['value'], spec)}{row['unit']}" if spec else figure_text(row["as_written"], row["unit"])
        return Quote(shown, by_sentence([input_record(table, ident)]))
    metrics = compute_metrics(year).set_index("id")
    if ident not in metrics.index:
        raise AmrbookError(f"{{{ident}}}: not an indicator of {year} nor a metric")
    m = metrics.loc[ident]
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
    """
    plain, parts, notes = [], [], []
    for literal, field, spec, _conv in string.Formatter().parse(template):
        plain.append(literal)
        parts.append(html.escape(literal))
        if field is None:
            continue
        q = quote(year, field.strip(), spec or "")
        number = next(_counter)
        plain.append(q.text)
        hover = html.escape(" / ".join(q.sentences), quote=True)
        parts.append(f'<span class="fig" title="{hover}">{html.escape(q.text)}'
                     f'<sup><a href="#src-{number}">{number}</a></sup></span>')
        calc = f"计算：{html.escape(q.formula)}；" if q.formula else ""
        quoted = "；".join(f"「{highlight(s, w)}」" for s, w in q.sentences.items())
        notes.append(f'<li id="src-{number}" value="{number}">{calc}原文：{quoted}</li>')
    body = f'<p class="narrative">{"".join(parts)}</p>'
    foot = f'<ol class="sources">{"".join(notes)}</ol>' if notes else ""
    return Narrative("".join(plain), body + foot)


def narrative_file():
    """Return the path of ``data/narrative.yml``."""
    from .. import paths

    return paths.data_dir() / "narrative.yml"


def takeaways(year: int, topic: str) -> Narrative:
    """Return the takeaway paragraph of a topic (``data/narrative.yml``), filled from data.

    Raises
    ------
    AmrbookError
        If ``narrative.yml`` has no takeaway for ``topic``.
    """
    from ..report.sources import read_yaml

    texts = (read_yaml(narrative_file()) or {}).get("takeaways", {})
    if topic not in texts:
        raise AmrbookError(f"{narrative_file()}: no takeaway for {topic!r} (have: {', '.join(texts)})")
    return say(year, texts[topic])


def summary(year: int) -> Narrative:
    """Return the briefing's opening paragraph (``summary`` in ``data/narrative.yml``), filled from data."""
    from ..report.sources import read_yaml

    return say(year, (read_yaml(narrative_file()) or {}).get("summary", ""))


def fill(year: int, template: str) -> str:
    """Fill a template's placeholders as plain text, without footnotes (for notes and tables)."""
    return "".join(literal + (quote(year, field.strip(), spec or "").text if field is not None else "")
                   for literal, field, spec, _conv in string.Formatter().parse(template))


def figures_in(template: str) -> list[str]:
    """Return the ids a template refers to (to check templates without rendering them)."""
    return [m.group(1) for m in re.finditer(r"\{([a-z0-9_]+)(?::[^}]*)?\}", template)]
