"""``briefing.docx``: the executed briefing notebook as a Word document, built with python-docx.

The document is made from the same executed notebook as ``briefing.html``, so it says the same
thing: markdown headings become real Word headings (``##`` → 标题 1, ``###`` → 标题 2, so the
navigation pane shows the outline), the HTML that :mod:`helpers.show.briefing` writes becomes
paragraphs, Word tables (numbers as the page writes them, through :mod:`helpers.show.format`),
charts as pictures carrying their Chinese alt text (``docPr/@descr``), and each 图/表 caption a
``Caption`` paragraph numbered by a ``SEQ`` field. The 原文出处 appendix becomes footnotes: the
first figure citing a sentence gets a footnote quoting it, later figures citing the same sentence
point to that footnote's number, so each sentence is quoted once.

Every style of the document names the report's CJK family (the one charts and pages use,
:func:`helpers.show.fonts.find_cjk_font`) for East Asian text (``w:eastAsia``) and for Latin text,
so Word and LibreOffice never fall back to a font without Chinese glyphs. A4, a running header
with the report's title, and a footer with the build stamp and 第 n 页 / 共 N 页.
"""

from __future__ import annotations

import base64
import io
import re
import struct
import unicodedata
from pathlib import Path

from . import import_jsonschema

import_jsonschema()  # before nbformat imports it (see helpers.publish)

import nbformat
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.image.exceptions import (
    InvalidImageStreamError,
    UnexpectedEndOfFileError,
    UnrecognizedImageError,
)
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import XmlPart
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt, RGBColor
from lxml import etree
from lxml import html as lxml_html

from ..show.format import UNBROKEN, WORD_JOINER, joined
from .render import markdown_html

#: Markdown heading depth (or HTML ``<hN>`` of an output) → Word heading level (``##`` is a section of the briefing).
HEADING_LEVELS = {2: 1, 3: 2, 4: 3}
TEXT_WIDTH_MM = 160  # A4 (210 mm) less 25 mm margins on each side
WIDEST = 70  # a column's natural width, in Latin character units
KEEP_TOGETHER = 15  # a table of at most this many rows is kept on one page
SOURCE_LINK = re.compile(r"#src-(\d+)$")
_CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
#: The language of a figure's run: line breaking by the rules of English text, which keep a number whole.
NO_CJK_BREAKS = f'<w:lang {nsdecls("w")} w:val="en-US" w:eastAsia="en-US"/>'
#: What reading image data raises when it is not an image python-docx reads (damaged, cut short, unknown, not base64).
IMAGE_ERRORS: tuple[type[Exception], ...] = (
    InvalidImageStreamError,
    UnexpectedEndOfFileError,
    UnrecognizedImageError,
    ValueError,
    struct.error,
    ZeroDivisionError,  # a resolution (pHYs) under half a dot per inch reads as 0 dpi
)
CJK_SPACE = re.compile(f"(?<=[{_CJK}]) | (?=[{_CJK}])")
#: The children of a paragraph (w:p) whose text is the paragraph's text (python-docx's ``paragraph.text``).
_TEXT_HOLDERS = {qn("w:r"), qn("w:hyperlink")}

_FOOTNOTES_XML = (
    f"<w:footnotes {nsdecls('w')}>"
    '<w:footnote w:type="separator" w:id="-1"><w:p><w:pPr><w:spacing w:after="0" w:line="240" '
    'w:lineRule="auto"/></w:pPr><w:r><w:separator/></w:r></w:p></w:footnote>'
    '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:pPr><w:spacing w:after="0" '
    'w:line="240" w:lineRule="auto"/></w:pPr><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>'
    "</w:footnotes>"
)


def write_docx(
    nb: nbformat.NotebookNode, path: Path, *, title: str, basis: str, stamp: str, family: str
) -> None:
    """Write the executed briefing ``nb`` as ``path`` (a .docx).

    Parameters
    ----------
    nb : NotebookNode
        The executed ``briefing.ipynb``.
    path : Path
        Where to write; written whole (a temporary file beside it, then renamed).
    title : str
        The report's title: the document's title and its running header.
    basis : str
        The line under the title naming the report it rests on (依据：《…》).
    stamp : str
        The build stamp, in the footer.
    family : str
        The CJK font family of every style (``Noto Sans CJK SC`` on Debian).
    """
    writer = _Writer(family, _appendix(nb))
    writer.start(title, basis, stamp)
    for cell in _content_cells(nb):
        if cell.cell_type == "markdown":
            writer.markdown(cell.source, cell.get("attachments"))
        else:
            for output in cell.get("outputs", []):
                if _html(output):
                    writer.html(_html(output))
    tmp = path.with_name(path.name + ".tmp")
    try:
        writer.doc.save(str(tmp))
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _appendix(nb: nbformat.NotebookNode) -> dict[int, lxml_html.HtmlElement]:
    """The 原文出处 entries of the executed briefing, by number (``<li id="src-N">``)."""
    entries = {}
    for cell in filter(_is_appendix, nb.cells):
        for output in cell.outputs:
            element = lxml_html.fragment_fromstring(_html(output), create_parent="div")
            for li in element.xpath('.//ol[contains(@class, "appendix")]/li'):
                entries[int(li.get("id").removeprefix("src-"))] = li
    return entries


def _html(output) -> str:
    """The HTML of a cell output ("" when it has none)."""
    text = output.get("data", {}).get("text/html", "")
    return "".join(text) if isinstance(text, list) else text


def _content_cells(nb: nbformat.NotebookNode) -> list:
    """The cells the document shows: all but the 原文出处 appendix (its sentences become footnotes)
    and the markdown cell introducing it."""
    cells = list(nb.cells)
    keep = []
    for i, cell in enumerate(cells):
        if _is_appendix(cell) or (
            cell.cell_type == "markdown" and i + 1 < len(cells) and _is_appendix(cells[i + 1])
        ):
            continue
        keep.append(cell)
    return keep


def _is_appendix(cell) -> bool:
    return any('class="sources appendix"' in _html(output) for output in cell.get("outputs", []))


class _Writer:
    """The document being written and the footnotes made so far."""

    def __init__(self, family: str, sources: dict[int, lxml_html.HtmlElement]) -> None:
        self.doc = Document()
        self.sources = sources  # the 原文出处 entries, by their number in the HTML briefing
        self.footnote_of: dict[int, int] = {}  # appendix number -> footnote number
        # (style name, type) -> its id (_style_id)
        self._style_ids: dict[tuple[str, WD_STYLE_TYPE], str | None] = {}
        self._read_up_to: dict = {}  # paragraph (w:p) -> its last child read by _at_start
        self._with_text: set = set()  # paragraphs (w:p) _at_start found text in
        self._footnotes = self._footnotes_part()
        _set_fonts(self.doc, family)
        _declare_font(self.doc, family)
        for rel_id, rel in list(
            self.doc.part.rels.items()
        ):  # Word 2010's copy of the styles, without the fonts
            if rel.reltype.endswith("/stylesWithEffects"):
                self.doc.part.drop_rel(rel_id)

    def _paragraph(self, text: str = "", style: str | None = None):
        """A new paragraph at the end of the document holding ``text``, in the paragraph style named ``style``
        (as ``doc.add_paragraph(text, style)``, without searching the styles each time: see :meth:`_style_id`)."""
        paragraph = self.doc.add_paragraph(text)
        if style is not None:
            paragraph._p.style = self._style_id(style, WD_STYLE_TYPE.PARAGRAPH)
        return paragraph

    def _style_id(self, name: str, kind: WD_STYLE_TYPE) -> str | None:
        """The id of the style named ``name`` (None for the default style, as python-docx writes it), looked up
        once per document: python-docx searches the whole styles part at each lookup by name."""
        if (name, kind) not in self._style_ids:
            self._style_ids[name, kind] = self.doc.part.get_style_id(name, kind)
        return self._style_ids[name, kind]

    def _at_start(self, paragraph) -> bool:
        """Whether ``paragraph`` shows no text yet (``not paragraph.text``), each of its runs read once however
        often this is asked: runs are only ever appended, and a paragraph with text keeps it."""
        p = paragraph._p
        if p in self._with_text:
            return False
        last = self._read_up_to.get(p)
        child = last.getnext() if last is not None else (p[0] if len(p) else None)
        while child is not None:
            # a run's or a hyperlink's text, as paragraph.text reads it
            if child.tag in _TEXT_HOLDERS and child.text:
                self._with_text.add(p)
                return False
            last, child = child, child.getnext()
        self._read_up_to[p] = last
        return True

    # -- the page --------------------------------------------------------------------------
    def start(self, title: str, basis: str, stamp: str) -> None:
        section = self.doc.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin = section.right_margin = Mm(25)
        section.top_margin = section.bottom_margin = Mm(22)
        header = section.header.paragraphs[0]
        _unbroken(header, title)
        header.alignment = WD_ALIGN_PARAGRAPH.CENTER
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        footer.add_run(f"{stamp}　　第 ")
        _field(footer, "PAGE", "1")
        footer.add_run(" 页 / 共 ")
        _field(footer, "NUMPAGES", "1")
        footer.add_run(" 页")
        self.doc.core_properties.title = title
        self.doc.core_properties.language = "zh-CN"
        self._paragraph(title, style="Title")
        self._paragraph(basis, style="Subtitle")

    def _footnotes_part(self) -> XmlPart:
        document = self.doc.part
        part = XmlPart(
            PackURI("/word/footnotes.xml"),
            CT.WML_FOOTNOTES,
            parse_xml(_FOOTNOTES_XML),
            document.package,
        )
        document.relate_to(part, RT.FOOTNOTES)
        settings = (
            self.doc.settings.element
        )  # Word wants the schema's order: footnotePr comes before compat
        _insert_before(
            settings,
            parse_xml(
                f'<w:footnotePr {nsdecls("w")}><w:footnote w:id="-1"/>'
                '<w:footnote w:id="0"/></w:footnotePr>'
            ),
            ("w:endnotePr", "w:compat", "w:docVars", "w:rsids", "m:mathPr", "w:themeFontLang"),
        )
        for language in settings.iterfind(qn("w:themeFontLang")):
            language.set(qn("w:eastAsia"), "zh-CN")
        return part

    # -- markdown cells ----------------------------------------------------------------------
    def markdown(self, source: str, attachments: dict | None = None) -> None:
        """Write a markdown cell as the page shows it: rendered by nbconvert's markdown renderer (headings, lists,
        emphasis, links, code, quotes and character references as on the page; an image pasted into the cell from
        its ``attachments``), then written as its HTML, without the headings' ¶ links."""
        root = lxml_html.fragment_fromstring(
            markdown_html(source, attachments), create_parent="div"
        )
        for link in root.xpath('.//a[contains(concat(" ", @class, " "), " anchor-link ")]'):
            link.drop_tree()
        self._blocks(root)

    # -- HTML outputs ------------------------------------------------------------------------
    def html(self, text: str) -> None:
        root = lxml_html.fragment_fromstring(text, create_parent="div")
        self._blocks(root)

    def _blocks(self, element) -> None:
        """Write the block children of ``element``; loose inline content becomes a paragraph."""
        loose = []
        for child in [element.text or "", *element]:
            # a comment: shown by no page
            if not isinstance(child, str) and not isinstance(child.tag, str):
                loose.append(child.tail or "")
                continue
            if isinstance(child, str) or not _is_block(child):
                loose.append(child)
                continue
            self._flush(loose)
            self._block(child)
            if child.tail and child.tail.strip():
                loose.append(child.tail)
        self._flush(loose)

    def _flush(self, loose: list) -> None:
        if any((x.strip() if isinstance(x, str) else True) for x in loose):
            paragraph = self._paragraph()
            for item in loose:
                if isinstance(item, str):
                    self._text(paragraph, item)
                else:
                    self._inline(paragraph, item, {})
                    self._text(paragraph, item.tail)
        loose.clear()

    def _block(self, el) -> None:
        if not isinstance(el.tag, str):  # a comment: shown by no page
            return
        tag, classes = el.tag, set((el.get("class") or "").split())
        if tag in ("style", "script"):
            return
        if tag == "figure":
            self._figure(el)
        elif "tiles" in classes:
            self._tiles(el)
        elif tag == "table":
            self._table(el)
        elif tag in ("ol", "ul"):
            self._list(el, numbered=tag == "ol")
        elif tag == "hr":  # a rule between parts: Word's paragraphs part them
            return
        elif tag == "pre":
            self._pre(el)
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            # an HTML heading of a code cell's output sits where the same markdown heading would
            # (各领域要点's <h3> topics under its ##): the same depth → level as markdown
            _unbroken(
                self._paragraph(style=f"Heading {HEADING_LEVELS.get(int(tag[1]), 3)}"),
                el.text_content().strip(),
            )
        elif tag == "nav":
            self._nav(el)
        elif tag == "p" or not any(_is_block(c) for c in el):
            paragraph = self._paragraph()
            self._inline_children(paragraph, el, {})
        else:
            self._blocks(el)

    def _list(self, el, numbered: bool) -> None:
        for i, li in enumerate(el.findall("li"), start=1):
            paragraph = self._paragraph(style="List Paragraph")
            paragraph.paragraph_format.left_indent = Mm(7)
            paragraph.paragraph_format.first_line_indent = Mm(-7)
            paragraph.add_run(f"{i}．" if numbered else "・")
            self._inline_children(paragraph, li, {})

    def _nav(self, el) -> None:
        """The 图表目录: its title, then one line per figure or table."""
        bold = el.find("b")
        _unbroken(
            self._paragraph(style="TOC Heading"),
            bold.text_content() if bold is not None else "",
        )
        for li in el.iter("li"):
            _unbroken(self._paragraph(style="List Paragraph"), li.text_content().strip())

    def _tiles(self, el) -> None:
        """Headline figures as a table: 指标, 数值, 口径 and, where a previous year exists, 同比."""
        tiles = el.xpath('./div[contains(@class, "tile")]')
        parts = ["tile-label", "tile-value", "tile-period", "tile-change"]
        headers = ["指标", "数值", "口径", "同比"]
        if not any(t.xpath('./div[@class="tile-change"]') for t in tiles):
            parts, headers = parts[:3], headers[:3]
        table = self._new_table(len(tiles) + 1, len(parts))
        cells = _cells(table)
        for j, header in enumerate(headers):
            self._header_cell(cells[0][j], header)
        for i, tile in enumerate(tiles, start=1):
            for j, part in enumerate(parts):
                found = tile.xpath(f'./div[@class="{part}"]')
                if found:
                    self._inline_children(cells[i][j].paragraphs[0], found[0], {})
        _fit_columns(table, cells)

    def _table(self, el) -> None:
        head = el.xpath("./thead/tr/th") or el.xpath("./tr[1]/th")
        rows = el.xpath("./tbody/tr") or [r for r in el.xpath("./tr") if not r.xpath("./th")]
        width = max([len(head)] + [len(r.xpath("./td")) for r in rows])
        table = self._new_table(len(rows) + (1 if head else 0), width)
        cells = _cells(table)
        for j, th in enumerate(head):
            self._header_cell(cells[0][j], th.text_content().strip())
        for i, row in enumerate(rows, start=1 if head else 0):
            for j, td in enumerate(row.xpath("./td")):
                paragraph = cells[i][j].paragraphs[0]
                self._inline_children(paragraph, td, {})
                if _numeric(td.text_content()):
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _fit_columns(table, cells)

    def _new_table(self, rows: int, cols: int):
        table = self.doc.add_table(rows=rows, cols=cols)
        table._tbl.tblStyle_val = self._style_id("Table Grid", WD_STYLE_TYPE.TABLE)
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for row in table.rows:  # a row never splits across pages
            row._tr.get_or_add_trPr().append(parse_xml(f"<w:cantSplit {nsdecls('w')}/>"))
        if rows:  # the header row repeats on every page the table spans
            table.rows[0]._tr.get_or_add_trPr().append(parse_xml(f"<w:tblHeader {nsdecls('w')}/>"))
        return table

    @staticmethod
    def _header_cell(cell, text: str) -> None:
        for run in _unbroken(cell.paragraphs[0], text):
            run.bold = True
        shading = parse_xml(f'<w:shd {nsdecls("w")} w:val="clear" w:color="auto" w:fill="E8EEF4"/>')
        cell._tc.get_or_add_tcPr().append(shading)

    def _figure(self, el) -> None:
        """A numbered chart (picture, then its caption) or table (caption, then the table), then its source."""
        caption = el.find("figcaption")
        label = caption.findtext("b") or ""
        kind, number = label[:1], label[1:]
        title = (caption.text_content()[len(label) :]).strip()
        img = el.find(".//img")
        if img is not None:
            self._picture(img)
            self._caption(kind, number, title)
        else:
            self._caption(kind, number, title)
            for child in el:
                if child.tag not in ("figcaption", "p"):
                    self._block(child)
        source = el.xpath('./p[contains(@class, "figure-source")]')
        if source:
            words = source[0].text_content().split(" · ")[0].strip()
            paragraph = self._paragraph()
            for run in _unbroken(paragraph, f"{words}；数据见 indicators.xlsx 工作表“{label}”。"):
                run.font.size = Pt(9)
                run.font.color.rgb = RGBColor(0x55, 0x55, 0x55)

    def _caption(self, kind: str, number: str, title: str) -> None:
        paragraph = self._paragraph(style="Caption")
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.keep_with_next = (
            True  # with its table, or with its chart's source line
        )
        paragraph.add_run(kind + WORD_JOINER)  # 图 and its number on one line
        _field(paragraph, f"SEQ {kind} \\* ARABIC", number)
        _unbroken(paragraph, f"　{title}")

    def _picture(self, img) -> None:
        src = img.get("src", "")
        if not src.startswith("data:image/png;base64,"):
            return
        data = base64.b64decode(src.split(",", 1)[1])
        paragraph = self._paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.keep_with_next = True
        width = min(
            Mm(TEXT_WIDTH_MM), Mm(_png_width_px(data) / 150 * 25.4)
        )  # charts are saved at 150 dpi
        paragraph.add_run().add_picture(io.BytesIO(data), width=width)
        _describe(paragraph._p, img.get("alt", ""))

    def _pre(self, el) -> None:
        """A block of code: its lines as they are written, one line break between each."""
        paragraph = self._paragraph()
        for i, line in enumerate(el.text_content().rstrip("\n").split("\n")):
            if i:
                paragraph.add_run().add_break(WD_BREAK.LINE)
            paragraph.add_run(line)

    def _inline_picture(self, paragraph, img) -> None:
        """An image within text (a markdown cell's ``![…](…)``): the picture when the page holds its data, at most
        the text's width; else its alt text, as a browser shows an image it cannot load."""
        src = img.get("src", "")
        found = re.match(r"data:image/(?:png|jpeg|gif);base64,(.*)", src, re.S)
        if not found:
            self._text(paragraph, img.get("alt", ""))
            return
        run = paragraph.add_run()
        # data python-docx cannot read (damaged, cut short, an unknown kind): its alt text instead
        try:
            shape = run.add_picture(io.BytesIO(base64.b64decode(found.group(1))))
        except IMAGE_ERRORS:
            paragraph._p.remove(run._r)
            self._text(paragraph, img.get("alt", ""))
            return
        if shape.width > Mm(TEXT_WIDTH_MM):
            shape.height, shape.width = (
                int(shape.height * Mm(TEXT_WIDTH_MM) / shape.width),
                Mm(TEXT_WIDTH_MM),
            )
        _describe(run._r, img.get("alt", ""))
        self._with_text.add(paragraph._p)  # a picture is content: the space after it is kept

    # -- inline content ----------------------------------------------------------------------
    def _inline_children(self, paragraph, el, style: dict) -> None:
        self._text(paragraph, el.text, style)
        for child in el:
            if isinstance(child.tag, str):  # not a comment
                self._inline(paragraph, child, style)
            self._text(paragraph, child.tail, style)

    def _inline(self, paragraph, el, style: dict) -> None:
        tag = el.tag
        if tag in ("style", "script"):
            return
        if tag == "br":
            paragraph.add_run().add_break(WD_BREAK.LINE)
            return
        if tag == "img":
            self._inline_picture(paragraph, el)
            return
        if tag == "sup" and el.xpath('.//a[starts-with(@href, "#src-")]'):
            self._citations(paragraph, el)
            return
        if tag == "a" and "section-link" in (el.get("class") or ""):
            style = {**style, "small": True}
        inner = {
            **style,
            "bold": style.get("bold") or tag in ("b", "strong"),
            "small": style.get("small") or tag == "small",
            "mark": style.get("mark") or tag == "mark",
            "code": style.get("code") or tag == "code",
        }
        self._inline_children(paragraph, el, inner)

    def _text(self, paragraph, text: str | None, style: dict | None = None) -> None:
        if not text:
            return
        text = _collapse(text, self._at_start(paragraph), code=bool(style and style.get("code")))
        if not text:
            return
        style = style or {}
        for run in _unbroken(paragraph, text):
            if style.get("bold") or style.get("mark"):
                run.bold = True
            if style.get("small"):
                run.font.size = Pt(9)

    def _citations(self, paragraph, sup) -> None:
        """A figure's sources: a footnote for a sentence cited here first, else the number of its footnote."""
        links = [
            int(m.group(1)) for a in sup.iter("a") if (m := SOURCE_LINK.search(a.get("href", "")))
        ]
        for k, number in enumerate(links):
            if k:
                _superscript(paragraph, ",")
            if number in self.footnote_of:
                _superscript(paragraph, str(self.footnote_of[number]))
            else:
                self.footnote_of[number] = self._footnote(paragraph, self.sources.get(number))

    def _footnote(self, paragraph, entry) -> int:
        """Add a footnote quoting the appendix ``entry`` (its figures in bold) and reference it here."""
        ident = len(self.footnote_of) + 1
        run = _superscript(paragraph, "")
        run._r.append(parse_xml(f'<w:footnoteReference {nsdecls("w")} w:id="{ident}"/>'))
        note = parse_xml(
            f'<w:footnote {nsdecls("w")} w:id="{ident}"><w:p><w:pPr><w:pStyle w:val="FootnoteText"/>'
            '</w:pPr><w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:footnoteRef/></w:r>'
            '<w:r><w:t xml:space="preserve"> </w:t></w:r></w:p></w:footnote>'
        )
        p = note[0]
        for text, bold in _marked(entry):
            for piece, figure in _pieces(text):
                r = parse_xml(
                    f"<w:r {nsdecls('w')}><w:rPr>{'<w:b/>' if bold else ''}{NO_CJK_BREAKS if figure else ''}"
                    f'</w:rPr><w:t xml:space="preserve"></w:t></w:r>'
                )
                r[-1].text = piece
                p.append(r)
        self._footnotes.element.append(note)
        return ident


def _marked(entry) -> list[tuple[str, bool]]:
    """The text of an appendix entry as (text, is a cited figure) pieces."""
    if entry is None:
        return [("原文句子缺失", False)]
    pieces = [(entry.text or "", False)]
    for child in entry:
        pieces.append((child.text_content(), child.tag == "mark"))
        pieces.append((child.tail or "", False))
    return [(t, b) for t, b in pieces if t]


def _describe(element, alt: str) -> None:
    """Give each picture within ``element`` the page's alt text: its description, and its first sentence as title."""
    for doc_pr in element.xpath(".//wp:docPr"):
        doc_pr.set("descr", alt)
        doc_pr.set("title", alt.split("。")[0])


def _collapse(text: str, at_start: bool, code: bool = False) -> str:
    """HTML whitespace as a page shows it in Chinese: runs of it as one space, none next to a Chinese
    character or punctuation mark (but in code, whose spaces are its own), none at the start of a paragraph."""
    text = re.sub(r"\s+", " ", text)
    text = text if code else CJK_SPACE.sub("", text)
    return text.lstrip() if at_start else text


def _pieces(text: str) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, is an :data:`~helpers.show.format.UNBROKEN` run) pieces, runs joined by word
    joiners."""
    pieces, at = [], 0
    for m in UNBROKEN.finditer(text):
        pieces += [(text[at : m.start()], False), (joined(m.group(0)), True)]
        at = m.end()
    return [(t, figure) for t, figure in [*pieces, (text[at:], False)] if t]


def _unbroken(paragraph, text: str) -> list:
    """Add ``text`` to ``paragraph`` so that no line breaks inside a figure with its unit; return its runs.

    Each :data:`~helpers.show.format.UNBROKEN` run is a run of its own, joined by word joiners and
    marked as English (:data:`NO_CJK_BREAKS`): LibreOffice's Chinese line breaker ignores word joiners
    and broke ``14434宗`` as ``144`` / ``34宗``.
    """
    runs = []
    for piece, figure in _pieces(text):
        run = _run(paragraph, piece)
        if figure:
            run._r.get_or_add_rPr().append(parse_xml(NO_CJK_BREAKS))
        runs.append(run)
    return runs


def _run(paragraph, text: str):
    """``paragraph.add_run(text)`` for a ``text`` without tabs or line breaks: one ``w:t``, as python-docx writes it,
    without its search for content to clear in the new run and its walk through ``text`` one character at a time."""
    if not text or any(c in text for c in "\t\r\n"):
        return paragraph.add_run(text)
    run = paragraph.add_run()
    run._r.add_t(text)
    return run


def _superscript(paragraph, text: str):
    """A run in the footnote reference style (superscript), joined to the word before it by a word joiner
    in a run marked English (:data:`NO_CJK_BREAKS`, which LibreOffice's Chinese line breaker would ignore):
    a footnote mark never begins a line alone (it did after 每宗约1275.48元)."""
    run = paragraph.add_run(WORD_JOINER + text)
    r_pr = run._r.get_or_add_rPr()
    r_pr.insert(0, parse_xml(f'<w:rStyle {nsdecls("w")} w:val="FootnoteReference"/>'))
    r_pr.append(parse_xml(NO_CJK_BREAKS))
    return run


def _field(paragraph, instruction: str, shown: str) -> None:
    """A simple field (PAGE, NUMPAGES, SEQ 图) showing ``shown`` until the reader's program updates it."""
    field = parse_xml(
        f'<w:fldSimple {nsdecls("w")} w:instr=" {instruction} "><w:r><w:t></w:t></w:r></w:fldSimple>'
    )
    field[0][0].text = shown
    paragraph._p.append(field)


def _cells(table) -> list[tuple]:
    """The cells of a table (made by :meth:`_Writer._new_table`: no merged cells), row by row, in one pass
    (``table.cell(i, j)`` and ``column.cells`` build the whole grid at each call)."""
    return [row.cells for row in table.rows]


def _fit_columns(table, cells: list[tuple]) -> None:
    """Size the columns for their text and keep a short table on one page.

    Each column gets its natural width (its longest line, a Chinese character counting as two
    Latin ones, at most :data:`WIDEST` units); when they do not fit the text width, each keeps at
    least room for four Chinese characters and the rest is shared by how much more each wants.
    """
    columns = list(zip(*cells))
    natural = [_mm(max(_units(cell.text) for cell in column)) for column in columns]
    least = [min(n, _mm(8)) for n in natural]
    spare = Mm(TEXT_WIDTH_MM) - sum(least)
    wanted = sum(natural) - sum(least)
    widths = (
        natural
        if sum(natural) <= Mm(TEXT_WIDTH_MM)
        else [lo + (n - lo) * spare // max(wanted, 1) for n, lo in zip(natural, least)]
    )
    for column, width, cells_of_column in zip(table.columns, widths, columns):
        column.width = width
        for cell in cells_of_column:
            cell.width = width
    if len(cells) <= KEEP_TOGETHER:  # Word's way: every row but the last keeps with the next
        for row in cells[:-1]:
            for cell in row:
                for paragraph in cell.paragraphs:
                    paragraph.paragraph_format.keep_with_next = True


def _units(text: str) -> int:
    """Width of text in Latin character units: East Asian wide and full-width characters count two, word
    joiners nothing."""
    return min(
        WIDEST,
        sum(
            2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text if ch != WORD_JOINER
        ),
    )


def _mm(units: int) -> int:
    """The width (EMU) of a column holding ``units`` at 10.5 pt, with the cell's margins."""
    return Mm(units * 2.1 + 5)


def _is_block(el) -> bool:
    return el.tag in {
        "p",
        "div",
        "figure",
        "table",
        "ol",
        "ul",
        "nav",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "pre",
        "blockquote",
        "hr",
        "style",
        "script",
    }


def _numeric(text: str) -> bool:
    """A table cell holding one number (right-aligned): 96, 233件, 40.4%, 约166, 4,341,200元."""
    return bool(re.fullmatch(r"\s*[约第+\-−]?[\d,，.]+\s*\S{0,3}\s*", text))


def _png_width_px(data: bytes) -> int:
    return int.from_bytes(data[16:20], "big")


def _set_fonts(doc, family: str) -> None:
    """Name ``family`` for East Asian and Latin text in the defaults and in every style, drop theme fonts
    (which name fonts without Chinese glyphs), mark the language zh-CN, and add the footnote styles."""
    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _fonts_of(defaults, family)
    language = defaults.find(qn("w:lang"))
    if language is None:
        language = parse_xml(f"<w:lang {nsdecls('w')}/>")
        defaults.append(language)
    language.set(qn("w:val"), "zh-CN")
    language.set(qn("w:eastAsia"), "zh-CN")
    _add_footnote_styles(doc)
    for style in styles.findall(qn("w:style")):
        r_pr = style.find(qn("w:rPr"))
        if r_pr is None:  # in the schema's order: after pPr, before a table style's properties
            r_pr = _insert_before(
                style,
                parse_xml(f"<w:rPr {nsdecls('w')}/>"),
                ("w:tblPr", "w:trPr", "w:tcPr", "w:tblStylePr"),
            )
        _fonts_of(r_pr, family)
    for heading in ("Heading 1", "Heading 2", "Heading 3", "Title"):
        doc.styles[heading].font.color.rgb = RGBColor(0x1F, 0x4E, 0x79)
    doc.styles["Normal"].font.size = Pt(10.5)


def _declare_font(doc, family: str) -> None:
    """List ``family`` in the font table as a Chinese (GB2312 charset) sans-serif, with Microsoft YaHei as the
    font Word uses where it is not installed (Windows ships YaHei, not Noto)."""
    part = doc.part.part_related_by(RT.FONT_TABLE)
    fonts = etree.fromstring(part.blob)
    fonts.append(
        parse_xml(
            f'<w:font {nsdecls("w")} w:name="{family}"><w:altName w:val="Microsoft YaHei"/>'
            '<w:charset w:val="86"/><w:family w:val="swiss"/><w:pitch w:val="variable"/></w:font>'
        )
    )
    part._blob = etree.tostring(fonts, xml_declaration=True, encoding="UTF-8", standalone=True)


def _insert_before(parent, child, successors: tuple[str, ...]):
    """Put ``child`` into ``parent`` before the first of ``successors`` it has (OOXML elements are
    ordered by the schema, and Word repairs a file whose order is wrong); return ``child``."""
    for name in successors:
        found = parent.find(qn(name))
        if found is not None:
            found.addprevious(child)
            return child
    parent.append(child)
    return child


def _fonts_of(r_pr, family: str) -> None:
    old = r_pr.find(qn("w:rFonts"))
    if old is not None:
        r_pr.remove(old)
    fonts = parse_xml(
        f'<w:rFonts {nsdecls("w")} w:ascii="{family}" w:hAnsi="{family}" w:eastAsia="{family}" '
        f'w:cs="{family}"/>'
    )
    r_pr.insert(0, fonts)


def _add_footnote_styles(doc) -> None:
    styles = doc.styles.element
    styles.append(
        parse_xml(
            f'<w:style {nsdecls("w")} w:type="paragraph" w:styleId="FootnoteText"><w:name w:val="footnote text"/>'
            '<w:basedOn w:val="Normal"/><w:uiPriority w:val="99"/><w:unhideWhenUsed/>'
            '<w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr>'
            '<w:rPr><w:sz w:val="17"/><w:szCs w:val="17"/></w:rPr></w:style>'
        )
    )
    styles.append(
        parse_xml(
            f'<w:style {nsdecls("w")} w:type="character" w:styleId="FootnoteReference">'
            '<w:name w:val="footnote reference"/><w:basedOn w:val="DefaultParagraphFont"/><w:uiPriority w:val="99"/>'
            '<w:unhideWhenUsed/><w:rPr><w:vertAlign w:val="superscript"/></w:rPr></w:style>'
        )
    )
