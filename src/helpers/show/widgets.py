"""An indicator explorer for JupyterLab that degrades to static HTML when rendered.

Pick an indicator and see its value, unit, period, qualifier and note, with the figure
highlighted in its sentence of the report. The object also carries a static HTML version
(every indicator of the topic in a collapsible list), which nbconvert renders where no
live kernel exists; ``helpers.publish.build`` drops the live widget view from rendered pages.
"""

from __future__ import annotations

import html

from ..audit.report import Report
from .format import grouped, highlight, period_words
from .words import QUALIFIER_WORDS


def figure_card(r: Report, ident: str) -> str:
    """Return an HTML card for one indicator: value, unit, period and qualifier in words, and its
    marked source sentence (in Chinese only: the card is on the notebooks' pages)."""
    row = r.indicators.loc[ident]
    start, end, left = int(row["start"]), int(row["end"]), int(row["sentence_start"])
    sentence = highlight(row["source_sentence"], [(start - left, end - left)])
    note = f"<br>说明：{html.escape(row['note'])}" if row["note"] else ""
    return (
        f'<div class="figure-card"><b>{html.escape(row["label_zh"])}</b><br>'
        f"{html.escape(row['as_written'])} = {grouped(row['value'])} {html.escape(row['unit'])} · "
        f"口径 {html.escape(period_words(row['period']))} · "
        f"{html.escape(QUALIFIER_WORDS[row['qualifier']])} · "
        f"字符 {start}–{end}{note}<blockquote>「{sentence}」</blockquote></div>"
    )


class Explorer:
    """Pick an indicator, see it in its sentence (ipywidgets); static HTML when rendered.

    Parameters
    ----------
    r : Report
    topic : str, optional
        Limit the choice to one topic of the catalog.
    """

    def __init__(self, r: Report, topic: str | None = None):
        table = r.indicators
        if topic:
            table = table[table["topic"] == topic]
        self.report = r
        self.ids = list(table.index)
        self.options = [
            (f"{row.label_zh} · {row.as_written}", ident) for ident, row in table.iterrows()
        ]

    def widget(self):
        """Return the live widget (a dropdown above the card of the chosen indicator)."""
        import ipywidgets as w

        choice = w.Dropdown(options=self.options, description="指标", layout=w.Layout(width="60%"))
        card = w.HTML(figure_card(self.report, self.ids[0]))
        choice.observe(
            lambda change: setattr(card, "value", figure_card(self.report, change["new"])),
            names="value",
        )
        return w.VBox([choice, card])

    def static_html(self) -> str:
        """Every indicator's card in a collapsible list, for pages without a kernel."""
        cards = "".join(figure_card(self.report, ident) for ident in self.ids)
        return f'<details class="explorer"><summary>逐项查看指标原文（{len(self.ids)}项）</summary>{cards}</details>'

    def _repr_mimebundle_(self, include=None, exclude=None):
        if not self.ids:  # a report with no figure of the topic
            return {
                "text/html": '<p class="findings-none">本报告没有这一主题的数字。</p>',
                "text/plain": "本报告没有这一主题的数字。",
            }
        bundle = self.widget()._repr_mimebundle_(include=include, exclude=exclude) or {}
        return {**bundle, "text/html": self.static_html()}
