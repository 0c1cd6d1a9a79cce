"""变更说明 in words: what changed since the previous build and the previous year, for the briefing and the CLI.

The comparison is :mod:`helpers.audit.diff`; the build puts the change log together once
(:func:`helpers.publish.changelog.change_log`) and hands it to the briefing as a JSON file, which
:func:`changes_html` words.
"""
from __future__ import annotations

import html
import json
from pathlib import Path

from IPython.display import HTML

from ..errors import Problem
from .format import highlight
from .words import SEVERITY_WORDS, metric_words

CHANGE_WORDS = {"value": "数值变化", "added": "新增", "removed": "删除", "status": "状态变化"}
KIND_WORDS = {"figure": "数字", "metric": "衍生指标", "finding": "一致性核对"}
HEAD = "<tr><th>变化</th><th>项目</th><th>原值 → 现值</th><th>原文</th></tr>"


def build_words(stamp: dict) -> str:
    """Name a build by its stamp: ``2026-11-25 09:30 生成，输入 1a2b3c4d5e6f``."""
    return f"{stamp.get('built_at', '时间不详')} 生成，输入 {stamp.get('inputs', '不详')}"


def year_words(year: int) -> str:
    """Name a previous year's data: ``2022年``."""
    return f"{year}年"


def first_build_note() -> str:
    """Why a first build compares with no previous build."""
    return "这是该年度的首次生成，没有可比较的上次生成。"


def unreadable_note(problem: Problem) -> str:
    """Why a build whose previous manifest cannot be read compares with no previous build."""
    return f"上次生成的记录无法读取：{problem}"


def no_previous_year_note(year: int) -> str:
    """Why a report compares with no previous year."""
    return f"data/ 中没有{year}年的数据，无法与上一年度比较。"


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


def changes_html(change_log: dict | str | Path | None) -> HTML:
    """Return the briefing's 变更说明: the data against the previous build and the same bureau's previous year.

    Parameters
    ----------
    change_log : dict, path or None
        The build's change log (:func:`helpers.publish.changelog.change_log`), or the JSON file the
        build wrote it to (the briefing's ``change_log`` parameter); None outside a build.

    Returns
    -------
    IPython.display.HTML
        A paragraph per comparison, each with a table of changes (figures with their source
        sentence, the figure marked) or the reason there is nothing to compare.
    """
    if change_log is None:
        return HTML('<p class="changes">变更说明由 amrbook build 生成：运行 <code>amrbook build</code> 后见简报。</p>')
    if not isinstance(change_log, dict):
        change_log = json.loads(Path(change_log).read_text(encoding="utf-8"))
    return HTML(f"<div class=\"changes\">{_part('与上次生成相比', change_log['previous_build'])}"
                f"{_part('与上一年度相比', change_log['previous_year'])}</div>")
