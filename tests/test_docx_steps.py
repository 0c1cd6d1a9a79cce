"""briefing.docx written in steps linear in the briefing: each style looked up once per document, each run's text
read once, each table's cells made once (counted, never timed). The document itself is unchanged by this: the
slow tests of test_docx_index.py check the session's build's document."""
from __future__ import annotations

import zipfile

import nbformat
import pytest
from docx.oxml.text.run import CT_R
from docx.parts.document import DocumentPart
from docx.table import _Cell
from lxml import etree

from helpers.publish import docx

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
ITEMS, BOLD, ROWS, COLUMNS = 12, 60, 20, 3


def _briefing() -> nbformat.NotebookNode:
    """A briefing of two ## sections (Heading 1), a list of ITEMS items (List Paragraph each), a paragraph of BOLD
    bold figures (BOLD runs of figures and BOLD - 1 runs between them, in one paragraph) and a table of ROWS
    rows of COLUMNS cells (Table Grid), with a header row."""
    figures = "、".join(f"<b>{n}宗</b>" for n in range(BOLD))
    rows = "".join(f"<tr>{''.join(f'<td>第{i}行{j}列</td>' for j in range(COLUMNS))}</tr>" for i in range(ROWS))
    head = "".join(f"<th>列{j}</th>" for j in range(COLUMNS))
    html = (f"<ol>{''.join(f'<li>第{i}条</li>' for i in range(ITEMS))}</ol><p>查办案件{figures}。</p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    output = nbformat.v4.new_output("display_data", data={"text/html": html})
    return nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("## 要点"),
        nbformat.v4.new_code_cell("", outputs=[output]),
        nbformat.v4.new_markdown_cell("## 数据说明\n\n正文。"),
    ])


@pytest.fixture
def counted(monkeypatch):
    """Count style lookups by name (and type), reads of a run's text and table cells made while a docx is written."""
    counts = {"styles": {}, "run_text": 0, "cells": 0}
    lookup = DocumentPart.get_style_id

    def get_style_id(self, style_or_name, style_type):
        if style_or_name is not None:   # None (no style: doc.add_table's default) searches nothing
            key = (style_or_name, style_type)
            counts["styles"][key] = counts["styles"].get(key, 0) + 1
        return lookup(self, style_or_name, style_type)

    text = CT_R.text

    def read(self):
        counts["run_text"] += 1
        return text.fget(self)

    cell = _Cell.__init__

    def made(self, *args):
        counts["cells"] += 1
        cell(self, *args)

    monkeypatch.setattr(DocumentPart, "get_style_id", get_style_id)
    monkeypatch.setattr(CT_R, "text", property(read, text.fset))
    monkeypatch.setattr(_Cell, "__init__", made)
    return counts


def test_each_style_is_looked_up_once_per_document(counted, tmp_path):
    docx.write_docx(_briefing(), tmp_path / "b.docx", title="标题", basis="依据", stamp="生成于", family="Noto Sans CJK SC")
    # Title, Subtitle, 2 × Heading 1, ITEMS × List Paragraph and one Table Grid are asked for: each name once
    names = {name for name, _type in counted["styles"]}
    assert names == {"Title", "Subtitle", "Heading 1", "List Paragraph", "Table Grid"}
    assert set(counted["styles"].values()) == {1}
    with zipfile.ZipFile(tmp_path / "b.docx") as archive:
        body = etree.fromstring(archive.read("word/document.xml"))
    styles = [s.get(f"{W}val") for s in body.iter(f"{W}pStyle")]
    assert styles.count("ListParagraph") == ITEMS and styles.count("Heading1") == 2   # the styles are applied


def test_each_run_is_read_once_and_each_cell_made_once(counted, tmp_path):
    docx.write_docx(_briefing(), tmp_path / "b.docx", title="标题", basis="依据", stamp="生成于", family="Noto Sans CJK SC")
    with zipfile.ZipFile(tmp_path / "b.docx") as archive:
        body = etree.fromstring(archive.read("word/document.xml"))
    runs = sum(1 for _ in body.iter(f"{W}r"))
    # the paragraph of figures alone has 2 × BOLD runs ("查办案件", then each figure and the 、 or 。 after it):
    # asking `not paragraph.text` before each piece, as before, read 1 + 2 + … + 2 × BOLD = 7260 run texts for it
    # (BOLD = 60); each run read at most once is at most the document's runs (every paragraph and cell together)
    assert runs >= 2 * BOLD
    assert counted["run_text"] <= runs
    # (ROWS + 1) × COLUMNS = 63 cells, each made once; table.cell(i, j) made all 63 for each of the 63 cells, and
    # column.cells all 63 again for each column
    assert counted["cells"] == (ROWS + 1) * COLUMNS
    table = body.find(f".//{W}tbl")
    assert len(table.findall(f"{W}tr")) == ROWS + 1 and len(table.findall(f"{W}tr/{W}tc")) == (ROWS + 1) * COLUMNS
