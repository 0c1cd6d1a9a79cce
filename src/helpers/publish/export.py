"""Exports for colleagues without Python: an Excel workbook and the build manifest.

The workbook is meant to be used as is: Chinese column headers (the ids kept in their own
column), a filter and a frozen header row on every sheet, numbers formatted by their unit (元
with thousands separators, % with two decimals), columns fitted to their text and source
sentences wrapped.

Every text cell that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``,
``@``, tab or carriage return) is written as text with a leading apostrophe, so a report or a
note can never inject a formula. Control characters, which an xlsx file cannot hold, are
written as their visible Unicode pictures (U+0001 as ␁), so no text can break the workbook.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..audit.compare import compare_with_peers, peers
from ..audit.report import Report
from ..report.units import MONEY, PERCENT, POINTS, RANK, Unit
from ..show.changes import change_table
from ..show.compare import compare_view
from ..show.findings import worded_findings
from ..show.format import estimate, spelled
from ..show.readable import chinese
from ..show.words import HEADERS, KIND_WORDS

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


#: The most characters an Excel cell holds; longer text is cut, with a visible mark.
EXCEL_CELL_CHARS = 32_767
TRUNCATED = "…〔已截断〕"
#: Code points XML 1.0 cannot hold besides the C0 controls openpyxl refuses: a workbook holding
#: one is not well-formed (openpyxl writes it, and cannot reopen it).
NOT_IN_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")

#: Columns of long text: wrapped, and as wide as :data:`WRAPPED_WIDTH`.
WRAPPED = {
    "原文句子",
    "数据来源",
    "涉及数字",
    "说明",
    "规则",
    "公式",
    "规则式",
    "代入数值",
    "核对",
    "结果",
}
WRAPPED_WIDTH, WIDEST = 60, 40
#: Excel number formats by unit; any other unit (counts, ratios) is a number with separators.
UNIT_FORMATS = {MONEY: "#,##0.00", PERCENT: '0.00"%"', POINTS: '0.00" 个百分点"', RANK: '"第"0'}
COUNT_FORMAT, RATIO_FORMAT = "#,##0", "#,##0.00"
#: Columns holding a quantity in the row's 单位: values, and the years of a comparison (上年, 2023年 …).
QUANTITIES = {"数值", "原文数值", "本年", "上年", "推算上年", "上年实际"}
#: Columns holding a difference in the row's 单位: of two rates (单位 %) it is in 个百分点, never %.
DIFFERENCES = {"差值"}
#: Columns whose header names their own unit: a growth rate in %, a change in 个百分点.
HEADER_UNITS = {"%": "%", "个百分点": "pp"}
#: Columns of ids, years and positions: plain numbers (2023, 1230), without separators or decimals.
PLAIN = {"编号", "规则编号", "年度", "原文起始位置", "原文结束位置"}
PLAIN_FORMAT = "0"
HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
#: The alignment of a cell of long text (:data:`WRAPPED`), one object for every such cell.
WRAP = Alignment(wrap_text=True, vertical="top")


def safe_cell(value):
    """Return a value safe to put in a spreadsheet cell.

    Formula-like text gets a leading apostrophe; each character openpyxl refuses (C0 controls
    other than tab, line feed, carriage return) becomes its Unicode control picture (U+2400 +
    code), every other code point XML cannot hold (U+FFFE, U+FFFF, lone surrogates) becomes
    U+FFFD (the replacement character), and text longer than an Excel cell holds is cut with a visible mark.

    Examples
    --------
    >>> safe_cell("=1+1"), safe_cell("a\x01b"), safe_cell(3)
    ("'=1+1", 'a␁b', 3)
    """
    if not isinstance(value, str):
        return value
    value = NOT_IN_XML.sub(
        "\ufffd", ILLEGAL_CHARACTERS_RE.sub(lambda m: chr(0x2400 + ord(m.group())), value)
    )
    if value.startswith(FORMULA_START):
        value = "'" + value
    if len(value) > EXCEL_CELL_CHARS:
        value = value[: EXCEL_CELL_CHARS - len(TRUNCATED)] + TRUNCATED
    return value


def _inputs_text(records: list[dict], labels: dict[str, str]) -> str:
    """The figures a metric or rule rests on, by name (ids stay in the 编号 columns): 名称 原文写法「原句」."""
    return "；".join(
        f"{labels.get(r['id'], r['id'])} {r['as_written']}「{r['source_sentence']}」"
        for r in records
    )


def number_format(value: float, unit: str, estimated: bool = False) -> str:
    """Return the Excel number format of a value in ``unit``; an ``estimated`` count shows in whole things,
    as :func:`helpers.show.format.estimate` writes it (the cell keeps the computed value).

    Examples
    --------
    >>> number_format(4341200, "元"), number_format(71.59, "%"), number_format(439, "宗"), number_format(2.5, "件/家")
    ('#,##0.00', '0.00"%"', '#,##0', '#,##0.00')
    >>> number_format(165.954415954416, "件"), number_format(165.954415954416, "件", estimated=True)
    ('#,##0.00', '#,##0')
    """
    if unit in UNIT_FORMATS:
        return UNIT_FORMATS[unit]
    shown = (
        estimate(value, unit) if estimated else value
    )  # an estimate shows as format.estimate says: 166
    return COUNT_FORMAT if float(shown).is_integer() and not Unit(unit).is_ratio else RATIO_FORMAT


def _width(value) -> int:
    """Columns a value takes on screen: East Asian wide and full-width characters count two."""
    text = f"{value:,.2f}" if isinstance(value, float) else str(value)
    if text.isascii():  # no ASCII character is wide: most cells (numbers, ids) are counted at once
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _chinese(frame: pd.DataFrame) -> pd.DataFrame:
    """Keep the columns :data:`helpers.show.words.HEADERS` names, in its order, codes in words, Chinese headers."""
    return chinese(frame[[c for c in HEADERS if c in frame.columns]])


def column_unit(column: str, unit: str) -> str | None:
    """The unit a number of ``column`` is formatted in, given its row's 单位 (None: by its value alone).

    Examples
    --------
    >>> column_unit("本年", "元"), column_unit("2023年", "宗"), column_unit("差值", "%"), column_unit("差值", "宗")
    ('元', '宗', 'pp', '宗')
    >>> (column_unit("增长率（%）", "宗"), column_unit("变化（个百分点）", "%"),
    ...  column_unit("编号", "元"), column_unit("数量", ""))
    ('%', 'pp', None, '')
    """
    if column in PLAIN:
        return None
    for word, own in HEADER_UNITS.items():
        if word in column:
            return own
    if column in DIFFERENCES:
        return "pp" if unit == "%" else unit
    if column in QUANTITIES or re.fullmatch(r"\d{4}年", column):
        return unit
    return ""


def _sheet(book: Workbook, title: str, frame: pd.DataFrame) -> None:
    """Write ``frame`` as a sheet: bold header row frozen and filtered, every number formatted
    (:func:`column_unit`: by the row's 单位, by its header, or with separators), columns fitted to
    their text, long text wrapped."""
    sheet = book.create_sheet(title)
    sheet.append([safe_cell(str(c)) for c in frame.columns])
    for row in frame.itertuples(index=False):
        sheet.append(
            [
                safe_cell(
                    v
                    if not isinstance(v, (list, dict, tuple))
                    else json.dumps(v, ensure_ascii=False)
                )
                for v in row
            ]
        )
    for cell in sheet[1]:
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(max(1, len(frame.columns)))}{len(frame) + 1}"
    units = frame["单位"].tolist() if "单位" in frame.columns else [""] * len(frame)
    kind = HEADERS["kind"]
    estimated = (
        (frame[kind] == KIND_WORDS["implied"]).tolist()
        if kind in frame.columns
        else [False] * len(frame)
    )
    for i, column in enumerate(frame.columns, start=1):
        cells = sheet[get_column_letter(i)][1:]
        shown_in = {unit: column_unit(str(column), unit) for unit in set(units)}
        for cell, unit, guess in zip(cells, units, estimated):
            shown = shown_in[unit]
            if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                cell.number_format = (
                    PLAIN_FORMAT if shown is None else number_format(cell.value, shown, guess)
                )
            elif column in WRAPPED:
                cell.alignment = WRAP
        fitted = max([_width(column), *(_width(c.value) for c in cells if c.value is not None)]) + 2
        width = WRAPPED_WIDTH if column in WRAPPED else min(fitted, WIDEST)
        sheet.column_dimensions[get_column_letter(i)].width = width


def write_xlsx(
    r: Report,
    path: Path,
    figures: Sequence[tuple[str, str, pd.DataFrame]] = (),
    changes: dict | None = None,
) -> None:
    """Write ``indicators.xlsx``: sheets 说明, 指标 (with source sentences), 衍生指标, 一致性核对,
    then one sheet per numbered figure or table, then 变更说明 (every revision) when ``changes`` is given, then
    比较 (the shared concepts beside the other bureaus' of the year, :func:`helpers.show.compare.compare_view`)
    when another bureau has a report of the year.

    Parameters
    ----------
    r : Report
    path : Path
        Where to write the workbook.
    figures : list of (str, str, DataFrame)
        ``(number, title, numbers)`` of each numbered figure or table (``("图1", "…", frame)``),
        the same numbers as its 下载数据 link; each gets a sheet named by its number (a title
        rarely fits Excel's 31 characters) and a line in 说明 with its title.
    changes : dict, optional
        The build's change log (:func:`helpers.publish.changelog.change_log`): its revisions since the
        previous published version, all of them (the briefing shows the first few).
    """
    src = r.source
    book = Workbook()
    book.remove(book.active)
    about = [
        ("来源", f"{src.publisher}《{src.title}》"),
        ("原文文件", src.file.name),
        ("sha256", src.sha256),
        (
            "数值",
            "金额为元（万、亿已展开），百分比按原文，排名为名次；原文起始/结束位置为原文中的字符位置",
        ),
        ("编号", "每个数字、指标和规则的编号与 data/ 中的文件一致，可用于检索和引用"),
        *((number, title) for number, title, _ in figures),
    ]
    _sheet(book, "说明", pd.DataFrame(about, columns=["项目", "内容"]))
    labels = {**r.indicators["label_zh"].to_dict(), **r.metrics["label_zh"].to_dict()}
    _sheet(book, "指标", _chinese(r.indicators.reset_index()))
    metrics = r.metrics.reset_index().assign(
        inputs=lambda f: f["inputs"].map(lambda i: _inputs_text(i, labels)),
        formula=lambda f: f["formula"].map(lambda e: spelled(e, labels)),
    )
    _sheet(book, "衍生指标", _chinese(metrics))
    checks = worded_findings(r)
    checks = checks.assign(
        figures=checks["figures"].map(lambda i: _inputs_text(i, labels)),
        expression=[
            spelled(e, {**labels, "value": labels.get(s, s)})
            for e, s in zip(checks["expression"], checks["subject"])
        ],
    )
    _sheet(book, "一致性核对", _chinese(checks))
    for number, _title, frame in figures:
        _sheet(book, number, frame.rename(columns=HEADERS))
    if changes is not None:
        _sheet(book, "变更说明", change_table(r, changes))
    if peers(r):
        _sheet(book, "比较", compare_view(compare_with_peers(r)).reset_index())
    book.save(path)
