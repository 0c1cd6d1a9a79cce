"""Render executed notebooks to self-contained HTML with the workbook's nbconvert template.

The ``amrbook`` template (``templates/amrbook``, extending ``lab``) loads nothing from the
network, sets ``<html lang="zh">`` (so browsers pick Simplified-Chinese glyph forms), lays the
page out for A4, adds a title block and a table of contents, and embeds a subset of the CJK
font holding just the characters the page uses, so it looks the same on a machine without
Chinese fonts. Images are inlined by nbconvert as data URIs.
"""
from __future__ import annotations

import base64
import hashlib
import html
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from fontTools import subset
from fontTools.ttLib import TTFont
from nbconvert import HTMLExporter
from nbconvert.filters.strings import add_anchor

from ..show.fonts import CJKFont
from ..show.style import style_css

TEMPLATES = Path(__file__).parent / "templates"
FONT_FAMILY = "AMR CJK Subset"
FONT_STACK = (f'"{FONT_FAMILY}", "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", '
              '"Microsoft YaHei", "Noto Sans SC", sans-serif')
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@dataclass
class Page:
    """What a rendered page needs besides the notebook."""

    title: str = ""
    subtitle: list[str] = field(default_factory=list)
    hide_code: bool = False
    toc: bool = True
    #: The build stamp (date, inputs hash, version) at the foot of the page.
    stamp: str = ""
    #: Links at the top of the page, ``(label, href)``: the index, the previous and next notebook.
    nav: list[tuple[str, str]] = field(default_factory=list)


def static_outputs(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop live widget views that carry a static HTML version (the page has no kernel)."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data and "text/html" in data:
                del data[WIDGET_VIEW]
    nb.metadata.pop("widgets", None)
    return nb


def table_of_contents(nb: nbformat.NotebookNode) -> list[dict]:
    """Return the ``##``/``###`` headings of markdown cells, numbered, with the anchors nbconvert gives them.

    A ``##`` heading is numbered 1, 2 …; each ``###`` under it n.1, n.2 … (4.1–4.6, never on
    from the count of ``##`` headings).
    """
    entries, section, sub = [], 0, 0
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for hashes, text in re.findall(r"^(#{2,3})\s+(.+?)\s*#*$", cell.source, re.M):
            if len(hashes) == 2:
                section, sub = section + 1, 0
                number = str(section)
            else:
                sub += 1
                number = f"{section}.{sub}"
            anchor = re.search(r'id="([^"]+)"', add_anchor(f"<h2>{html.escape(text)}</h2>")).group(1)
            entries.append({"level": len(hashes), "text": text, "anchor": anchor, "number": number})
    return entries


def _tagged(nb: nbformat.NotebookNode, tag: str) -> bool:
    return any(tag in cell.metadata.get("tags", []) for cell in nb.cells)


def font_subset_css(font: CJKFont, text: str, cache: Path | None = None) -> str:
    """Return an ``@font-face`` rule embedding the subset of ``font`` needed for ``text`` (WOFF).

    Parameters
    ----------
    font : CJKFont
    text : str
        Every character the pages can show.
    cache : Path, optional
        Folder where the rule is kept, keyed by font and characters (subsetting takes ~2 s).
    """
    chars = {ch for ch in text if ord(ch) > 0x20} | set("0123456789%.,:;()（）、，。；：「」—·")
    key = hashlib.sha256(f"{font.path}|{font.index}|{''.join(sorted(chars))}".encode()).hexdigest()[:24]
    cached = cache / f"font-{key}.css" if cache else None
    if cached and cached.exists():
        return cached.read_text(encoding="ascii")
    with TTFont(str(font.path), fontNumber=font.index, lazy=False) as face:
        options = subset.Options()
        options.flavor = "woff"
        options.layout_features = ["*"]
        options.name_IDs = ["*"]
        options.notdef_outline = True
        subsetter = subset.Subsetter(options)
        subsetter.populate(text="".join(sorted(chars)))
        subsetter.subset(face)
        buffer = io.BytesIO()
        face.flavor = "woff"
        face.save(buffer)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    css = (f'@font-face {{ font-family: "{FONT_FAMILY}"; font-weight: 100 900; font-display: block; '
           f'src: url(data:font/woff;base64,{data}) format("woff"); }}')
    if cached:
        for old in cache.glob("font-*.css"):
            old.unlink()
        cached.write_text(css, encoding="ascii")
    return css


def render_html(nb: nbformat.NotebookNode, page: Page, font_css: str, name: str) -> str:
    """Render an executed notebook to one self-contained HTML page.

    Parameters
    ----------
    nb : NotebookNode
        The executed notebook.
    page : Page
        Title block, whether to hide code (the briefing), whether to add a TOC, the build stamp.
    font_css : str
        The ``@font-face`` rule of the embedded font subset (:func:`font_subset_css`), made once
        for all pages of a build from the union of their text.
    name : str
        The page's ``<title>`` when the notebook has none.

    Returns
    -------
    str
        The HTML document.
    """
    nb = static_outputs(nb)
    exporter = HTMLExporter(template_name="amrbook", extra_template_basedirs=[str(TEMPLATES)],
                            exclude_input=page.hide_code, exclude_input_prompt=page.hide_code,
                            exclude_output_prompt=page.hide_code, embed_images=True)
    exporter.language_code = "zh"
    resources = {"metadata": {"name": name}, "amrbook": {
        "title": page.title, "subtitle": page.subtitle, "hide_code": page.hide_code, "stamp": page.stamp,
        "nav": page.nav,
        "toc": table_of_contents(nb) if page.toc else [],
        "toc_after_tag": _tagged(nb, "contents-after"), "font_stack": FONT_STACK,
        "font_face": font_css, "content_css": style_css(),
    }}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body
