"""The review of a new report's draft (``notebooks/review.ipynb``): each figure with its sentence,
the figure marked, what it matched (id, score, the words it rests on) or the catalog entry
proposed for it."""

from __future__ import annotations

import html
from dataclasses import dataclass

from ..report.sources import raw_text, sentence_span
from ..tables.intake import under_review
from .format import highlight

#: The review table's Chinese headers.
HEADERS = [
    "行",
    "原文（数字已标出）",
    "数字",
    "指标编号",
    "得分",
    "依据的字词",
    "建议新指标",
    "建议名称",
    "主题",
]


@dataclass(frozen=True, repr=False)
class Review:
    """A review table: shows as HTML in a notebook; ``rows`` figures."""

    html: str
    rows: int

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return f"<{self.rows} figures under review>"


def review_html(bureau: str, year: int, only_proposals: bool = False) -> Review:
    """Return the review table of a report's draft (``only_proposals``: the proposed entries only).

    Each row is a figure of the draft (its CSV line in 行), its sentence with the figure marked,
    the id it matched with its score and shared words, or the proposed entry's id, label and topic.
    """
    frame = under_review(bureau, year)
    text = raw_text(bureau, year)
    rows = []
    for line, r in zip(frame.index + 2, frame.itertuples()):
        if only_proposals and not r.proposal:
            continue
        left, right = sentence_span(text, r.start, r.end)
        cells = [
            str(line),
            highlight(text[left:right], [(r.start - left, r.end - left)]),
            r.as_written,
            r.id,
            r.score if r.id else "",
            r.shared,
            r.proposal,
            r.label_zh,
            r.topic,
        ]
        rows.append(
            "<tr>"
            + "".join(
                f"<td>{c if i == 1 else html.escape(str(c))}</td>" for i, c in enumerate(cells)
            )
            + "</tr>"
        )
    head = "".join(f"<th>{h}</th>" for h in HEADERS)
    return Review(
        f'<table class="amr-review"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>',
        len(rows),
    )
