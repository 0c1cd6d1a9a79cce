"""The landing page of a build (``index.html``), the links between rendered notebooks, and the zip to share.

``index.html`` leads to everything a build writes: the briefing as a web page, PDF and Word
document, every rendered notebook with a line saying what it shows (the first sentence of its
first markdown cell, under its ``#`` title, so the words live in the notebook, not here), the
xlsx and the numbers of each figure and table as CSV, and the build stamp. Every link is
relative and nothing is loaded from the network, so the folder, or the zip :func:`share` makes of
it, opens offline wherever it is unpacked.
"""

from __future__ import annotations

import html
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - share() runs after every build and must stay cheap to import
    import nbformat
    import pandas as pd

#: The folder of the figures' CSV files inside a build.
CSV_DIR = "csv"
NOTEBOOK_DIR = "notebooks"
#: The briefing's files as the index lists them.
BRIEFING_FILES = (
    ("briefing.html", "简报（网页）"),
    ("briefing.pdf", "简报（PDF，A4）"),
    ("briefing.docx", "简报（Word）"),
)
#: What the index says of a briefing file the build tried and failed to make. The cause (the browser's or the
#: library's words, in English) goes to the build's stderr and to manifest.json, not onto a Chinese page.
FAILED = "生成时出错，原因见生成命令的提示"
#: Files the zip stores without deflating them again: compressed already (a .docx or .xlsx is a zip itself),
#: deflate saves 1-3 % of them for as much CPU as on any other byte.
COMPRESSED = {".docx", ".xlsx", ".png", ".jpg", ".jpeg", ".woff", ".woff2", ".zip", ".gz"}
#: zlib's level for the rest (the pages, mostly base64): level 1 takes two thirds of the CPU of the default (6)
#: for a zip 4 % larger (measured on 从化's 2023 build: 6.42 MB against 6.16 MB); the files unpacked are the same.
ZIP_LEVEL = 1
WORKBOOK = (
    "indicators.xlsx",
    "indicators.xlsx　全部数字（附原文句子）、衍生指标、一致性核对及各图表的数据（Excel）",
)


@dataclass(frozen=True)
class NotebookEntry:
    """A rendered notebook as the index lists it."""

    name: str
    title: str
    summary: str

    @property
    def href(self) -> str:
        return f"{NOTEBOOK_DIR}/{self.name}.html"


def notebook_entry(name: str, nb: nbformat.NotebookNode) -> NotebookEntry:
    """The title and one-line summary of a notebook, from its first markdown cell.

    The title is that cell's first ``#`` heading (the notebook's name without one); the summary is
    the first sentence (up to 。) of the text after it; both as the page shows them (markdown rendered).

    >>> import nbformat
    >>> cell = nbformat.v4.new_markdown_cell("# 行政执法\\n\\n报告中的`执法`数字。其余。")
    >>> nb = nbformat.v4.new_notebook(cells=[cell])
    >>> notebook_entry("01_enforcement", nb)
    NotebookEntry(name='01_enforcement', title='行政执法', summary='报告中的执法数字。')
    """
    # nbconvert's markdown renderer, loaded when an entry is made
    from .render import heading_text, markdown_text

    cell = next((cell for cell in nb.cells if cell.cell_type == "markdown"), None)
    first, attachments = (cell.source, cell.get("attachments")) if cell else ("", None)
    heading = re.search(r"^#{1,6}\s+(.+?)\s*#*$", first, re.M)
    body = re.sub(r"^#{1,6}\s.*$", "", first, flags=re.M)
    # matches every text, if only emptily
    first_sentence = re.match(r"[^。！？]*[。！？]?", markdown_text(body, attachments))
    sentence = first_sentence.group(0) if first_sentence else ""
    title = heading_text(heading.group(1), attachments) if heading else name
    return NotebookEntry(name, title, sentence)


def pager(entries: list[NotebookEntry], name: str) -> list[tuple[str, str]]:
    """The links of a notebook page: back to the index, and to the previous and next notebook.

    >>> entries = [NotebookEntry("a", "甲", ""), NotebookEntry("b", "乙", ""), NotebookEntry("c", "丙", "")]
    >>> pager(entries, "a")
    [('返回首页', '../index.html'), ('下一篇：乙', 'b.html')]
    >>> pager(entries, "b")
    [('上一篇：甲', 'a.html'), ('返回首页', '../index.html'), ('下一篇：丙', 'c.html')]
    """
    names = [e.name for e in entries]
    i = names.index(name)
    links = [(f"上一篇：{entries[i - 1].title}", f"{entries[i - 1].name}.html")] if i > 0 else []
    links.append(("返回首页", "../index.html"))
    if i + 1 < len(entries):
        links.append((f"下一篇：{entries[i + 1].title}", f"{entries[i + 1].name}.html"))
    return links


def write_csvs(
    folder: Path, figures: list[tuple[str, str, pd.DataFrame | None]]
) -> list[tuple[str, str]]:
    """Write each figure's numbers as ``csv/<number>.csv`` (UTF-8 with a byte-order mark, for Excel),
    the same numbers as its 下载数据 link and its sheet of the xlsx; return ``(href, label)`` of each.

    A figure without numbers (None) has its file in ``folder`` already, taken over from the previous build.
    """
    (folder / CSV_DIR).mkdir(exist_ok=True)
    links = []
    for number, title, frame in figures:
        if frame is not None:
            frame.to_csv(
                folder / CSV_DIR / f"{number}.csv",
                index=False,
                encoding="utf-8-sig",
                lineterminator="\r\n",
            )
        links.append((f"{CSV_DIR}/{number}.csv", f"{number}　{title}"))
    return links


def write_index(
    folder: Path,
    *,
    title: str,
    basis: str,
    stamp: str,
    font_css: str,
    notebooks: list[NotebookEntry],
    figures: list[tuple[str, str, pd.DataFrame | None]],
    notes: dict[str, str],
    skipped: dict[str, str] | None = None,
) -> None:
    """Write ``index.html`` and the figures' CSV files into a build folder that holds everything else.

    ``notes`` says why a briefing file is missing (``{"briefing.pdf": "no Chromium …"}``); the index
    lists a missing file without a link, saying in Chinese that making it failed (:data:`FAILED`) when it
    has a note. ``skipped`` names the notebooks the build left
    out (``BuildResult.skipped``), each listed without a link, with why.
    """
    briefing = [
        (name if (folder / name).exists() else "", label, notes.get(name, ""))
        for name, label in BRIEFING_FILES
    ]
    page = index_html(
        title=title,
        basis=basis,
        stamp=stamp,
        font_css=font_css,
        briefing=briefing,
        notebooks=notebooks,
        downloads=[WORKBOOK, *write_csvs(folder, figures)],
        skipped=skipped,
    )
    (folder / "index.html").write_text(page, encoding="utf-8")


def index_html(
    *,
    title: str,
    basis: str,
    stamp: str,
    font_css: str,
    briefing: list[tuple[str, str, str]],
    notebooks: list[NotebookEntry],
    downloads: list[tuple[str, str]],
    skipped: dict[str, str] | None = None,
) -> str:
    """The landing page.

    Parameters
    ----------
    title, basis, stamp : str
        The report's title, the line naming the report it rests on, the build stamp.
    font_css : str
        The ``@font-face`` rule of the build's font subset (:func:`helpers.publish.render.font_subset_css`).
    briefing : list of (href, label, note)
        The briefing's files; a file that was not made has ``href`` "" and ``note`` saying why.
    notebooks : list of NotebookEntry
    downloads : list of (href, label)
    skipped : dict of name to why, optional
        Notebooks not built for this report (no figure of their topic), listed without a link.
    """
    # lines never break inside a figure (2023年), as on every page
    from ..show.format import unbroken_html

    def link(href: str, label: str) -> str:
        return f'<a href="{html.escape(href, quote=True)}">{html.escape(label)}</a>'

    briefs = "".join(
        f"<li>{link(href, label)}</li>"
        if href
        else (
            f'<li>{html.escape(label)}<span class="note">'
            f"（未生成：{FAILED if note else '本次生成未包括'}）</span></li>"
        )
        for href, label, note in briefing
    )
    books = "".join(
        f'<li>{link(e.href, e.title)}<div class="summary">{html.escape(e.summary)}</div></li>'
        for e in notebooks
    ) + "".join(
        f'<li>{html.escape(name)}<span class="note">（{html.escape(why)}）</span></li>'
        for name, why in (skipped or {}).items()
    )
    files = "".join(f"<li>{link(href, label)}</li>" for href, label in downloads)
    return unbroken_html(f"""<!DOCTYPE html>
<html lang="zh">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="amrbook">
<title>{html.escape(title)}</title>
<style>
{font_css}
body {{ font-family: "AMR CJK Subset", "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei",
       sans-serif; max-width: 860px; margin: 0 auto; padding: 1em 1.2em 3em; color: #222; line-height: 1.7; }}
header {{ border-bottom: 3px solid #1f4e79; margin: 1em 0 1.2em; padding-bottom: 0.5em; }}
h1 {{ color: #1f4e79; font-size: 1.6em; margin: 0 0 0.2em; text-wrap: balance; }}
.nb {{ white-space: nowrap; }}
h2 {{ color: #1f4e79; font-size: 1.15em; margin: 1.4em 0 0.4em; }}
header p {{ margin: 0; color: #555; }}
ul, ol {{ padding-left: 1.4em; }}
li {{ margin: 0.35em 0; }}
a {{ color: #1f4e79; }}
.summary, .note {{ color: #555; font-size: 0.92em; }}
footer {{ border-top: 1px solid #d8e1ec; margin-top: 2em; padding-top: 0.5em; color: #777; font-size: 0.85em; }}
</style>
</head>
<body>
<header><h1>{html.escape(title)}</h1><p>{html.escape(basis)}</p></header>
<h2>简报</h2>
<ul class="briefing">{briefs}</ul>
<h2>分析笔记本</h2>
<p class="summary">每个笔记本连同代码和结果，无需安装Python即可阅读。</p>
<ol class="notebooks">{books}</ol>
<h2>数据下载</h2>
<ul class="downloads">{files}</ul>
<footer>{html.escape(stamp)}</footer>
</body>
</html>
""")


def zip_path(folder: Path) -> Path:
    """Where the zip of a build folder goes by default: beside it, ``outputs/conghua/2023.zip``."""
    return folder.with_name(f"{folder.name}.zip")


def share(folder: Path, out: Path | None = None) -> Path:
    """Zip a build folder into one file that opens offline (``<folder>.zip`` beside it by default).

    The zip holds one folder named like the build's, so unpacking it gives ``<year>/index.html``
    and every file it links to; the zip is written whole, then renamed into place. Files compressed
    already (:data:`COMPRESSED`) are stored as they are, the rest deflated at :data:`ZIP_LEVEL`.

    Raises
    ------
    OSError
        If the zip cannot be written (a full disk, a read-only folder); no partial zip is left.
    """
    out = out or zip_path(folder)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w") as archive:
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                stored = path.suffix.lower() in COMPRESSED
                archive.write(
                    path,
                    Path(folder.name) / path.relative_to(folder),
                    compress_type=zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED,
                    compresslevel=None if stored else ZIP_LEVEL,
                )
        os.replace(tmp, out)
    finally:  # a full disk leaves no partial zip behind
        tmp.unlink(missing_ok=True)
    return out
