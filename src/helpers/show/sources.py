"""Sources cited once: one numbered 原文出处 appendix instead of a footnote per figure.

In a notebook each figure of :func:`helpers.show.narrative.say` gets its own footnote quoting
its sentence. A publication quotes each sentence once: after :func:`collect`, every figure
still shows its sentence on hover but links to the appendix entry of that sentence, and
:func:`appendix` lists each cited sentence once, numbered in order of first citation, with
every figure cited from it marked.
"""
from __future__ import annotations

import html

from .format import highlight

_current: "SourceList | None" = None


class SourceList:
    """The source sentences cited so far, each with its number and the spans of its figures."""

    def __init__(self) -> None:
        self.spans: dict[str, set[tuple[int, int]]] = {}  # sentence -> figure spans; dicts keep citation order
        self.numbers: dict[str, int] = {}

    def cite(self, sentences: dict[str, list[tuple[int, int]]]) -> str:
        """Record sentences with their figures' spans; return superscript links to their entries."""
        links = []
        for sentence, spans in sentences.items():
            number = self.numbers.setdefault(sentence, len(self.numbers) + 1)
            self.spans.setdefault(sentence, set()).update(spans)
            links.append(f'<a href="#src-{number}">{number}</a>')
        return f'<sup>{",".join(links)}</sup>' if links else ""

    def html(self) -> str:
        """The appendix: one ``<li id="src-N">`` per sentence, its figures in ``<mark>``."""
        items = [f'<li id="src-{self.numbers[s]}" value="{self.numbers[s]}">「{highlight(s, sorted(spans))}」</li>'
                 for s, spans in self.spans.items()]
        return f'<ol class="sources appendix">{"".join(items)}</ol>'


def collect() -> SourceList:
    """Start citing into one appendix: from now on figures link to it instead of footnotes."""
    global _current
    _current = SourceList()
    return _current


def stop() -> None:
    """Go back to a footnote per figure (what :func:`helpers.show.notebook.setup` starts with)."""
    global _current
    _current = None


def current() -> SourceList | None:
    """The appendix being collected, or None when figures get footnotes."""
    return _current


def cite(sentences: dict[str, list[tuple[int, int]]]) -> str:
    """Superscript links to the appendix entries of ``sentences`` (:func:`collect` first).

    Raises
    ------
    RuntimeError
        If no appendix is being collected.
    """
    if _current is None:
        raise RuntimeError("no appendix is being collected: call helpers.show.sources.collect() first")
    return _current.cite(sentences)


def hover(sentences: dict[str, list[tuple[int, int]]]) -> str:
    """The ``title`` attribute text of a figure: its source sentences, escaped for an attribute."""
    return html.escape(" / ".join(sentences), quote=True)
