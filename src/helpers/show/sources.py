"""How a page cites the report: a footnote per figure, or each sentence once in an appendix.

A notebook's :func:`helpers.show.notebook.setup` returns :class:`Footnotes`: each figure of
:func:`helpers.show.narrative.say` gets its own numbered footnote quoting its sentence, the
numbers running on through the notebook. A publication quotes each sentence once:
:func:`helpers.show.briefing.start` creates an :class:`Appendix`, every figure still shows its
sentence on hover but links to the appendix entry of that sentence, and :meth:`Appendix.html`
lists each cited sentence once, numbered in order of first citation, with every figure cited
from it marked. The citation state lives in these objects, never in the module.
"""

from __future__ import annotations

import html

from ..errors import AmrbookError
from .format import highlight


class Footnotes:
    """A footnote per figure, numbered from 1 on through one notebook."""

    def __init__(self) -> None:
        self._last = 0

    def number(self) -> int:
        """The number of the next footnote."""
        self._last += 1
        return self._last


class Appendix:
    """The source sentences cited so far, each with its number and the spans of its figures."""

    def __init__(self) -> None:
        self.spans: dict[
            str, set[tuple[int, int]]
        ] = {}  # sentence -> figure spans; dicts keep citation order
        self.numbers: dict[str, int] = {}
        self.sources: dict[
            str, str
        ] = {}  # sentence -> the report stating it, when not the page's own

    def cite(self, sentences: dict[str, list[tuple[int, int]]], source: str = "") -> str:
        """Record sentences with their figures' spans; return superscript links to their entries.

        ``source`` names the report of the sentences when it is not the page's own (another bureau's,
        in a comparison): its entries are headed by that name."""
        links = []
        for sentence, spans in sentences.items():
            number = self.numbers.setdefault(sentence, len(self.numbers) + 1)
            if source:
                self.sources[sentence] = source
            self.spans.setdefault(sentence, set()).update(spans)
            links.append(f'<a href="#src-{number}">{number}</a>')
        return f"<sup>{','.join(links)}</sup>" if links else ""

    def html(self) -> str:
        """The appendix: one ``<li id="src-N">`` per sentence, its figures in ``<mark>``."""
        items = [
            f'<li id="src-{self.numbers[s]}" value="{self.numbers[s]}">{_source_words(self.sources.get(s, ""))}'
            f"「{highlight(s, sorted(spans))}」</li>"
            for s, spans in self.spans.items()
        ]
        return f'<ol class="sources appendix">{"".join(items)}</ol>'


def _source_words(source: str) -> str:
    return f"{html.escape(source)}：" if source else ""


Citations = Footnotes | Appendix


def checked(cite, what: str) -> Citations:
    """Return ``cite`` if it is a :class:`Footnotes` or an :class:`Appendix`.

    Raises
    ------
    AmrbookError
        Saying where a page's citations come from, when ``cite`` is anything else.
    """
    if isinstance(cite, (Footnotes, Appendix)):
        return cite
    raise AmrbookError(
        f"{what} needs the page's citations, not {cite!r}: in a notebook `notes = hb.setup()` at the "
        f"top, then pass `notes`; in the briefing pass `b.sources` of `b = hb.briefing.start(r)`"
    )


def hover(sentences: dict[str, list[tuple[int, int]]]) -> str:
    """The ``title`` attribute text of a figure: its source sentences, escaped for an attribute."""
    return html.escape(" / ".join(sentences), quote=True)
