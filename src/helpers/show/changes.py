"""变更说明, written for readers like a statistical bulletin's note on revisions; the words of the change log.

What changed since the previous published version of the same report: one line per figure with
its old and new value (and the reason, where the indicator table notes one), then each metric
and consistency check whose result changed. At most :data:`SHOWN` lines on the page; the rest are
counted (另有N项变化见数据表) and every line goes into the workbook's 变更说明 sheet
(:func:`change_table`). With nothing to report, one sentence. The comparison is
:mod:`helpers.audit.diff`; the build puts the change log together once
(:func:`helpers.publish.changelog.change_log`) and hands it to the briefing as a JSON file, which
:func:`changes_html` words; 同比 (against the previous year) is a section of its own.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
from IPython.display import HTML

from ..audit.report import Report
from ..datafile import read_json
from ..errors import DataError, Problem
from .words import SEVERITY_WORDS, metric_words

#: Lines of the revisions note on the page (about half a page); the workbook holds them all.
SHOWN = 10
#: Kinds of change, in the order a reader wants them: figures first, then what they change.
ORDER = {"figure": 0, "metric": 1, "finding": 2}
TABLE_COLUMNS = ["项目", "原值", "现值", "说明", "原文"]


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
        return SEVERITY_WORDS.get(
            status, status
        )  # a manifest is read, not trusted: an unknown code shows as is
    if kind == "metric":
        return metric_words(status) if status else status
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


def _revisions(r: Report, change_log: dict) -> list[tuple[tuple[str, str, str, str], str]]:
    """The revisions since the previous build, figures first: ((item, old, new, reason), source sentence)."""
    notes = r.indicators["note"].to_dict()
    rows = sorted(change_log["previous_build"]["rows"], key=lambda row: ORDER[row["kind"]])
    return [(_line(row, notes), row["sentence"] or "") for row in rows]


def change_table(r: Report, change_log: dict) -> pd.DataFrame:
    """Every revision since the previous published version, one row each (the workbook's 变更说明 sheet).

    Parameters
    ----------
    r : Report
    change_log : dict
        The build's change log (:func:`helpers.publish.changelog.change_log`).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TABLE_COLUMNS`: the item, its old and new value, the reason where known
        (the indicator table's note), and the source sentence of a figure.
    """
    return pd.DataFrame(
        [[*line, sentence] for line, sentence in _revisions(r, change_log)], columns=TABLE_COLUMNS
    )


def _read_change_log(file: Path) -> dict:
    """The change log the build wrote to ``file``, read as every JSON file the workbook wrote is
    (:func:`helpers.datafile.read_json`: bounded, a regular file, strict UTF-8 JSON)."""
    log = read_json(file)
    if not isinstance(log, dict) or not isinstance(log.get("previous_build"), dict):
        raise DataError(
            [Problem(file, "", "not a change log of amrbook build: run the build again")]
        )
    return log


def changes_html(r: Report, change_log: dict | str | Path | None) -> HTML:
    """Return the briefing's 变更说明: the revisions since the previous published version of the report.

    Parameters
    ----------
    r : Report
    change_log : dict, path or None
        The build's change log (:func:`helpers.publish.changelog.change_log`), or the JSON file the
        build wrote it to (the briefing's ``change_log`` parameter); None outside a build.

    Returns
    -------
    IPython.display.HTML
        One sentence when there is nothing to report; otherwise a line per revision (old → new,
        the reason), at most :data:`SHOWN`, and how many more the workbook lists (with the source
        sentence of each figure).
    """
    if change_log is None:
        return HTML(
            '<p class="changes">变更说明由 amrbook build 生成：运行 <code>amrbook build</code> 后见简报。</p>'
        )
    log: dict = change_log if isinstance(change_log, dict) else _read_change_log(Path(change_log))
    part = log["previous_build"]
    if part["note"] or not part["rows"]:
        said = (
            "此前没有已发布的版本，本版无修订。"
            if part["note"]
            else "与上次发布的版本相比，数据没有修订。"
        )
        return HTML(f'<p class="changes">{said}</p>')
    revisions = _revisions(r, log)
    items = [
        f"<li>{html.escape(item)}：{html.escape(before)} → {html.escape(after)}（{html.escape(reason)}）</li>"
        for (item, before, after, reason), _ in revisions[:SHOWN]
    ]
    more = len(revisions) - SHOWN
    tail = f"<p>另有{more}项变化见数据表（xlsx）“变更说明”。</p>" if more > 0 else ""
    return HTML(
        f'<div class="changes"><p>与上次发布的版本相比，修订{len(revisions)}项：</p>'
        f"<ul>{''.join(items)}</ul>{tail}</div>"
    )
