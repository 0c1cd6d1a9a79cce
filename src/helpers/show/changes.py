"""变更说明, written for readers like a statistical bulletin's note on revisions.

What changed since the previous published version of the same report: one line per figure with
its old and new value (and the reason, where the indicator table notes one), then each metric
and consistency check whose result changed. At most :data:`SHOWN` lines on the page; the rest are
counted (另有N项变化见数据表) and every line goes into the workbook's 变更说明 sheet
(:func:`change_table`). With nothing to report, one sentence. The comparison itself is
:func:`helpers.audit.diff.build_changes`; 同比 (against the previous year) is a section of its own.
"""
from __future__ import annotations

import html

import pandas as pd
from IPython.display import HTML

from ..audit.diff import build_changes
from ..audit.report import Report
from .format import SEVERITY_WORDS

#: Lines of the revisions note on the page (about half a page); the workbook holds them all.
SHOWN = 10
#: Kinds of change, in the order a reader wants them: figures first, then what they change.
ORDER = {"figure": 0, "metric": 1, "finding": 2}
TABLE_COLUMNS = ["项目", "原值", "现值", "说明", "原文"]


def status_words(kind: str, status: str) -> str:
    """Word a metric's or finding's status (``ok`` → 可计算, ``error`` → 错误); a figure is as written."""
    if kind == "finding":
        return SEVERITY_WORDS.get(status, status)
    if kind == "metric":
        return "可计算" if status == "ok" else "无法计算"
    return status


def _line(row: dict, notes: dict) -> tuple[str, str, str, str]:
    """One revision as (item, old, new, reason)."""
    kind, change = row["kind"], row["change"]
    before, after = status_words(kind, row["before"]), status_words(kind, row["after"])
    if kind == "figure":
        reason = {"added": "新增", "removed": "删除"}.get(change, "数值修订")
        note = notes.get(row["id"], "")
        return row["label"], before or "—", after or "—", reason + (f"（{note}）" if note else "")
    what = "衍生指标" if kind == "metric" else "一致性核对"
    return f"{what}：{row['label']}", before or "—", after or "—", "随上述数字变化"


def change_table(r: Report, changes: dict | None = None) -> pd.DataFrame:
    """Every revision since the previous published version, one row each (the workbook's 变更说明 sheet).

    Parameters
    ----------
    r : Report
    changes : dict, optional
        The build's change log (:func:`helpers.audit.diff.build_changes`); computed when not given.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TABLE_COLUMNS`: the item, its old and new value, the reason where known
        (the indicator table's note), and the source sentence of a figure.
    """
    part = (changes or build_changes(r))["previous_build"]
    notes = r.indicators["note"].to_dict()
    rows = sorted(part["rows"], key=lambda row: ORDER[row["kind"]])
    return pd.DataFrame([[*_line(row, notes), row["sentence"] or ""] for row in rows], columns=TABLE_COLUMNS)


def changes_html(r: Report, changes: dict | None = None) -> HTML:
    """Return the briefing's 变更说明: the revisions since the previous published version of the report.

    Parameters
    ----------
    r : Report
    changes : dict, optional
        The build's change log; computed when not given (call it before the build's outputs are
        replaced: the previous version is the one in ``outputs/``).

    Returns
    -------
    IPython.display.HTML
        One sentence when there is nothing to report; otherwise a line per revision (old → new,
        the reason), at most :data:`SHOWN`, and how many more the workbook lists (with the source
        sentence of each figure).
    """
    part = (changes or build_changes(r))["previous_build"]
    if part["note"] or not part["rows"]:
        said = "此前没有已发布的版本，本版无修订。" if part["note"] else "与上次发布的版本相比，数据没有修订。"
        return HTML(f'<p class="changes">{said}</p>')
    notes = r.indicators["note"].to_dict()
    rows = sorted(part["rows"], key=lambda row: ORDER[row["kind"]])
    items = []
    for row in rows[:SHOWN]:
        item, before, after, reason = _line(row, notes)
        items.append(f"<li>{html.escape(item)}：{html.escape(before)} → {html.escape(after)}"
                     f"（{html.escape(reason)}）</li>")
    more = len(rows) - SHOWN
    tail = f"<p>另有{more}项变化见数据表（xlsx）“变更说明”。</p>" if more > 0 else ""
    return HTML(f'<div class="changes"><p>与上次发布的版本相比，修订{len(rows)}项：</p>'
                f'<ul>{"".join(items)}</ul>{tail}</div>')
