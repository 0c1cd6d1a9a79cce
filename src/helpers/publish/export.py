"""Exports for colleagues without Python: an Excel workbook and the build manifest.

Every text cell that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``,
``@``, tab or carriage return) is written as text with a leading apostrophe, so a report or a
note can never inject a formula. Control characters, which an xlsx file cannot hold, are
written as their visible Unicode pictures (U+0001 as ␁), so no text can break the workbook.
"""
from __future__ import annotations

import json
import platform
from importlib import metadata
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from ..audit.metrics import compute_metrics
from ..report.sources import source_for
from ..show.findings import worded_findings
from ..tables.indicators import indicator_table

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PACKAGES = ["pandas", "numpy", "matplotlib", "seaborn", "nbconvert", "nbclient", "ipykernel", "pandera",
            "pyyaml", "openpyxl", "fonttools", "jupyterlab"]


#: The most characters an Excel cell holds; longer text is cut, with a visible mark.
EXCEL_CELL_CHARS = 32_767
TRUNCATED = "…〔已截断〕"


def safe_cell(value):
    """Return a value safe to put in a spreadsheet cell.

    Formula-like text gets a leading apostrophe; each character openpyxl refuses (C0 controls
    other than tab, line feed, carriage return) becomes its Unicode control picture (U+2400 +
    code), and text longer than an Excel cell holds is cut with a visible mark.

    Examples
    --------
    >>> safe_cell("=1+1"), safe_cell("a\x01b"), safe_cell(3)
    ("'=1+1", 'a␁b', 3)
    """
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub(lambda m: chr(0x2400 + ord(m.group())), value)
    if value.startswith(FORMULA_START):
        value = "'" + value
    if len(value) > EXCEL_CELL_CHARS:
        value = value[:EXCEL_CELL_CHARS - len(TRUNCATED)] + TRUNCATED
    return value


def _inputs_text(records: list[dict]) -> str:
    return "；".join(f"{r['id']}={r['as_written']}「{r['source_sentence']}」" for r in records)


def _sheet(book: Workbook, title: str, frame: pd.DataFrame, widths: dict[str, int]) -> None:
    sheet = book.create_sheet(title)
    sheet.append([safe_cell(str(c)) for c in frame.columns])
    for row in frame.itertuples(index=False):
        sheet.append([safe_cell(v if not isinstance(v, (list, dict, tuple)) else json.dumps(v, ensure_ascii=False))
                      for v in row])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for i, column in enumerate(frame.columns, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = widths.get(column, 14)
        if widths.get(column, 14) > 40:
            for cell in sheet[get_column_letter(i)][1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")


def write_xlsx(year: int, path: Path) -> None:
    """Write ``indicators.xlsx``: sheets 说明, 指标 (with source sentences), 衍生指标, 一致性核对.

    Parameters
    ----------
    year : int
    path : Path
        Where to write the workbook.
    """
    src = source_for(year)
    book = Workbook()
    about = book.active
    about.title = "说明"
    for line in [("来源", f"{src.publisher}《{src.title}》"), ("原文文件", src.file.name), ("sha256", src.sha256),
                 ("数值", "金额为元（万、亿已展开），百分比按原文，排名为名次；start/end 为原文中的字符位置"),
                 ("口径", "period: 2023=全年, 2023-11=截至11月, 2023-Q3=截至第三季度, as_of_report=截至报告时")]:
        about.append([safe_cell(v) for v in line])
    about.column_dimensions["A"].width, about.column_dimensions["B"].width = 12, 100

    indicators = indicator_table(year)
    _sheet(book, "指标", indicators, {"label_zh": 24, "label_en": 36, "source_sentence": 80, "note": 40,
                                     "section": 22, "id": 32})
    metrics = compute_metrics(year).assign(inputs=lambda f: f["inputs"].map(_inputs_text))
    _sheet(book, "衍生指标", metrics, {"id": 36, "label_zh": 28, "formula": 50, "substituted": 30, "inputs": 90,
                                      "note": 50})
    checks = worded_findings(year).drop(columns=["sides", "missing", "error", "message"]).assign(
        figures=lambda f: f["figures"].map(_inputs_text))
    _sheet(book, "一致性核对", checks, {"check": 44, "description": 40, "expression": 50, "substituted": 36,
                                       "结果": 30, "figures": 90, "note": 60})
    book.save(path)


def package_versions() -> dict[str, str]:
    """Return the installed versions of the packages a build depends on."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions
