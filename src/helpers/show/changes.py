"""变更说明: what changed since the previous build and the previous year, worded for the briefing."""
from __future__ import annotations

import html

from IPython.display import HTML

from ..audit.diff import build_changes
from ..audit.year import Year
from .format import highlight
from .words import SEVERITY_WORDS, metric_words

CHANGE_WORDS = {"value": "数值变化", "added": "新增", "removed": "删除", "status": "状态变化"}
KIND_WORDS = {"figure": "数字", "metric": "衍生指标", "finding": "一致性核对"}
HEAD = "<tr><th>变化</th><th>项目</th><th>原值 → 现值</th><th>原文</th></tr>"


def status_words(kind: str, status: str) -> str:
    """Word a metric's or finding's status (``ok`` → 可计算, ``error`` → 错误); a figure is as written."""
    if kind == "finding":
        return SEVERITY_WORDS.get(status, status)  # a manifest is read, not trusted: an unknown code shows as is
    if kind == "metric":
        return metric_words(status) if status else status
    return status


def _row_html(row: dict) -> str:
    before, after = (status_words(row["kind"], row[side]) or "—" for side in ("before", "after"))
    sentence = highlight(row["sentence"], [tuple(row["at"])]) if row["sentence"] else ""
    return (f"<tr><td>{KIND_WORDS[row['kind']]}{CHANGE_WORDS[row['change']]}</td>"
            f"<td>{html.escape(row['label'])}<br><code>{html.escape(row['id'])}</code></td>"
            f"<td>{html.escape(before)} → {html.escape(after)}</td><td>{sentence}</td></tr>")


def _part(title: str, part: dict) -> str:
    if part["note"]:
        return f"<p><b>{title}</b>：{html.escape(part['note'])}</p>"
    if not part["rows"]:
        return f"<p><b>{title}（{html.escape(part['against'])}）</b>：数据没有变化。</p>"
    rows = "".join(_row_html(row) for row in part["rows"])
    return (f"<p><b>{title}（{html.escape(part['against'])}）</b>：{len(part['rows'])} 处变化。</p>"
            f"<table class=\"changes\"><thead>{HEAD}</thead><tbody>{rows}</tbody></table>")


def changes_html(year: int | Year) -> HTML:
    """Return the briefing's 变更说明: the data now against the previous build of the year and the previous year.

    Call it in the briefing before the build's outputs are replaced (the briefing's kernel runs
    while ``outputs/<year>/`` still holds the previous build); the build records the same
    comparison in ``manifest.json`` (:func:`helpers.audit.diff.build_changes`).

    Parameters
    ----------
    year : int or Year

    Returns
    -------
    IPython.display.HTML
        A paragraph per comparison, each with a table of changes (figures with their source
        sentence, the figure marked) or the reason there is nothing to compare.
    """
    changes = build_changes(year)
    return HTML(f"<div class=\"changes\">{_part('与上次生成相比', changes['previous_build'])}"
                f"{_part('与上一年度相比', changes['previous_year'])}</div>")
