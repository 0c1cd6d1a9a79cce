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
import platform
import re
import unicodedata
from importlib import metadata
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..audit.report import Report
from ..show.findings import worded_findings
from ..report.units import MONEY, PERCENT, POINTS, RANK, Unit
from ..show.format import period_words
from ..show.words import metric_words

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PACKAGES = ["amrbook", "pandas", "numpy", "matplotlib", "seaborn", "nbconvert", "nbclient", "ipykernel", "pandera",
            "pyyaml", "openpyxl", "fonttools", "jupyterlab"]


#: The most characters an Excel cell holds; longer text is cut, with a visible mark.
EXCEL_CELL_CHARS = 32_767
TRUNCATED = "…〔已截断〕"
#: Code points XML 1.0 cannot hold besides the C0 controls openpyxl refuses: a workbook holding
#: one is not well-formed (openpyxl writes it, and cannot reopen it).
NOT_IN_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")

#: Column -> Chinese header, in the order the sheets show them (columns a sheet lacks are left out).
HEADERS = {
    "id": "编号", "check": "规则编号", "label_zh": "名称", "description": "规则", "级别": "级别", "结果": "结果",
    "as_written": "原文写法", "value": "数值", "unit": "单位", "qualifier": "限定", "period": "口径",
    "section": "原文章节", "topic": "领域", "kind": "类型", "formula": "公式", "expression": "规则式",
    "substituted": "代入数值", "status": "状态", "stated_value": "原文数值", "difference": "差值",
    "note": "说明", "source_sentence": "原文句子", "inputs": "数据来源", "figures": "涉及数字",
    "start": "原文起始位置", "end": "原文结束位置", "label_en": "英文名称", "year": "年度",
}
#: Columns of long text: wrapped, and as wide as :data:`WRAPPED_WIDTH`.
WRAPPED = {"原文句子", "数据来源", "涉及数字", "说明", "规则", "公式", "规则式", "代入数值", "结果"}
WRAPPED_WIDTH, WIDEST = 60, 40
QUALIFIER_WORDS = {"exact": "精确", "approx": "约数", "lower_bound": "下限", "upper_bound": "上限"}
#: Excel number formats by unit; any other unit (counts, ratios) is a number with separators.
UNIT_FORMATS = {MONEY: "#,##0.00", PERCENT: '0.00"%"', POINTS: '0.00" 个百分点"', RANK: '"第"0'}
COUNT_FORMAT, RATIO_FORMAT = "#,##0", "#,##0.00"
#: Columns holding a quantity in the row's 单位 (ids, years and positions stay plain numbers).
QUANTITIES = {"数值", "原文数值", "差值"}
HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")


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
    value = NOT_IN_XML.sub("\ufffd", ILLEGAL_CHARACTERS_RE.sub(lambda m: chr(0x2400 + ord(m.group())), value))
    if value.startswith(FORMULA_START):
        value = "'" + value
    if len(value) > EXCEL_CELL_CHARS:
        value = value[:EXCEL_CELL_CHARS - len(TRUNCATED)] + TRUNCATED
    return value


def _inputs_text(records: list[dict]) -> str:
    return "；".join(f"{r['id']}={r['as_written']}「{r['source_sentence']}」" for r in records)


def number_format(value: float, unit: str) -> str:
    """Return the Excel number format of a value in ``unit``.

    Examples
    --------
    >>> number_format(4341200, "元"), number_format(71.59, "%"), number_format(439, "宗"), number_format(2.5, "件/家")
    ('#,##0.00', '0.00"%"', '#,##0', '#,##0.00')
    """
    if unit in UNIT_FORMATS:
        return UNIT_FORMATS[unit]
    return COUNT_FORMAT if float(value).is_integer() and not Unit(unit).is_ratio else RATIO_FORMAT


def _width(value) -> int:
    """Columns a value takes on screen: East Asian wide and full-width characters count two."""
    text = f"{value:,.2f}" if isinstance(value, float) else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _chinese(frame: pd.DataFrame) -> pd.DataFrame:
    """Keep the columns :data:`HEADERS` names, in its order, under their Chinese headers."""
    return frame[[c for c in HEADERS if c in frame.columns]].rename(columns=HEADERS)


def _sheet(book: Workbook, title: str, frame: pd.DataFrame) -> None:
    """Write ``frame`` as a sheet: bold header row frozen and filtered, quantities formatted by the
    row's 单位, columns fitted to their text, long text wrapped."""
    sheet = book.create_sheet(title)
    sheet.append([safe_cell(str(c)) for c in frame.columns])
    for row in frame.itertuples(index=False):
        sheet.append([safe_cell(v if not isinstance(v, (list, dict, tuple)) else json.dumps(v, ensure_ascii=False))
                      for v in row])
    for cell in sheet[1]:
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(max(1, len(frame.columns)))}{len(frame) + 1}"
    units = frame["单位"].tolist() if "单位" in frame.columns else [""] * len(frame)
    for i, column in enumerate(frame.columns, start=1):
        cells = sheet[get_column_letter(i)][1:]
        for cell, unit in zip(cells, units):
            if column in QUANTITIES and isinstance(cell.value, (int, float)):
                cell.number_format = number_format(cell.value, unit)
            elif column in WRAPPED:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        fitted = max([_width(column), *(_width(c.value) for c in cells if c.value is not None)]) + 2
        sheet.column_dimensions[get_column_letter(i)].width = WRAPPED_WIDTH if column in WRAPPED else min(fitted, WIDEST)


def write_xlsx(r: Report, path: Path, figures: list[tuple[str, str, pd.DataFrame]] = ()) -> None:
    """Write ``indicators.xlsx``: sheets 说明, 指标 (with source sentences), 衍生指标, 一致性核对,
    then one sheet per numbered figure or table.

    Parameters
    ----------
    r : Report
    path : Path
        Where to write the workbook.
    figures : list of (str, str, DataFrame)
        ``(number, title, numbers)`` of each numbered figure or table (``("图1", "…", frame)``),
        the same numbers as its 下载数据 link; each gets a sheet named by its number (a title
        rarely fits Excel's 31 characters) and a line in 说明 with its title.
    """
    src = r.source
    book = Workbook()
    book.remove(book.active)
    about = [("来源", f"{src.publisher}《{src.title}》"), ("原文文件", src.file.name), ("sha256", src.sha256),
             ("数值", "金额为元（万、亿已展开），百分比按原文，排名为名次；原文起始/结束位置为原文中的字符位置"),
             ("编号", "每个数字、指标和规则的编号与 data/ 中的文件一致，可用于检索和引用"),
             *((number, title) for number, title, _ in figures)]
    _sheet(book, "说明", pd.DataFrame(about, columns=["项目", "内容"]))
    indicators = r.indicators.reset_index().assign(qualifier=lambda f: f["qualifier"].map(QUALIFIER_WORDS),
                                                      period=lambda f: f["period"].map(period_words))
    _sheet(book, "指标", _chinese(indicators))
    metrics = r.metrics.reset_index().assign(inputs=lambda f: f["inputs"].map(_inputs_text),
                                             status=lambda f: f["status"].map(metric_words))
    _sheet(book, "衍生指标", _chinese(metrics))
    checks = worded_findings(r).assign(figures=lambda f: f["figures"].map(_inputs_text))
    _sheet(book, "一致性核对", _chinese(checks))
    for number, title, frame in figures:
        _sheet(book, number, frame.rename(columns=HEADERS))
    book.save(path)


def package_versions() -> dict[str, str]:
    """Return the installed versions of the packages a build depends on (``amrbook`` itself first)."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions
