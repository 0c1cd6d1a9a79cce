"""Render executed notebooks to self-contained HTML with the workbook's nbconvert template.

The ``amrbook`` template (``templates/amrbook``, extending ``lab``) loads nothing from the
network, sets ``<html lang="zh">`` (so browsers pick Simplified-Chinese glyph forms), lays the
page out for A4, adds a title block and a table of contents, and embeds a subset of the CJK
font holding just the characters the page uses, so it looks the same on a machine without
Chinese fonts. Images are inlined by nbconvert as data URIs.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import html
import io
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from . import import_jsonschema

import_jsonschema()  # before nbformat imports it (see helpers.publish)

import nbformat
from fontTools.ttLib import TTFont
from lxml import html as lxml_html
from markupsafe import Markup
from nbconvert import HTMLExporter
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

from ..errors import AmrbookError
from ..show.fonts import CJKFont
from ..show.format import outside_raw_text, unbroken_html
from ..show.style import style_css

TEMPLATES = Path(__file__).parent / "templates"
FONT_FAMILY = "AMR CJK Subset"
FONT_STACK = (
    f'"{FONT_FAMILY}", "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", '
    '"Microsoft YaHei", "Noto Sans SC", sans-serif'
)
#: Characters a page shows that no input holds: figures and punctuation, and the ¶ of nbconvert's heading anchors.
RENDERER_CHARS = "0123456789%.,:;()（）、，。；：「」—·¶"
#: The web-font wrapping of the embedded subset. WOFF (zlib) rather than WOFF2: for the 从化 pages' 988
#: characters WOFF2 (brotli at fontTools' quality 11) is 305 KB against 343 KB, 11 % smaller, but takes
#: 1.7 s of CPU against 0.04 s, 8 % of a cold build's CPU on a 2-core machine, on every new set of characters.
FONT_FLAVOR = "woff"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
#: Rendered in place of the build stamp in a kept page (:func:`kept_page`), then replaced by the build's.
STAMP_SLOT = "amrbook-stamp-slot-9c41e7"


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


def parameters_as_run(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The page shows one parameters cell, with the values the notebook ran with.

    The build injects a cell tagged ``injected-parameters`` (``# Injected parameters``, the
    papermill convention) after the ``parameters`` cell; a reader needs neither the comment nor
    two cells setting ``year``: the injected values are written into the ``parameters`` cell
    (``year = 2024`` where it said ``year = 2023``) and the injected cell is left out.
    """
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    if not injected:
        return nb
    values = dict(re.findall(r"^(\w+) = (.+)$", injected[0].source, re.M))
    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    for cell in nb.cells:
        if "parameters" in cell.metadata.get("tags", []):
            cell.source = re.sub(
                r"^(\w+)(\s*=\s*).*$",
                lambda m: (
                    f"{m.group(1)}{m.group(2)}{values[m.group(1)]}"
                    if m.group(1) in values
                    else m.group(0)
                ),
                cell.source,
                flags=re.M,
            )
    return nb


def table_of_contents(nb: nbformat.NotebookNode) -> list[dict]:
    """Return the ``##``/``###`` headings of markdown cells, numbered, with the anchors nbconvert gives them.

    A ``##`` heading is numbered 1, 2 …; each ``###`` under it n.1, n.2 … (4.1–4.6, never on
    from the count of ``##`` headings).
    """
    entries, section, sub = [], 0, 0
    for hashes, text, anchor in _headings(nb):
        if len(hashes) == 2:
            section, sub = section + 1, 0
            number = str(section)
        else:
            sub += 1
            number = f"{section}.{sub}"
        entries.append({"level": len(hashes), "text": text, "anchor": anchor, "number": number})
    return entries


#: A line that may start or underline a heading of level 2 or 3 (``## …``, or ``---`` under a line): only the markdown
#: cells with one are rendered to find their headings.
_HEADING_LINE = re.compile(r"^ {0,3}(?:#{2,3}[ \t]|-+[ \t]*$)", re.M)
#: A heading of level 2 or 3 as the page's markdown renderer writes it: level, id, and what it shows (its ¶ link
#: after). A heading written in raw HTML has no ¶ link: it is no heading of the contents, as it was not before.
_RENDERED_HEADING = re.compile(
    r'<h([23]) id="([^"]+)">((?:(?!</h[1-6]>).)*?)<a class="anchor-link" href="[^"]*">[^<]*</a></h\1>',
    re.S,
)


def markdown_html(source: str, attachments: dict | None = None) -> str:
    """A markdown cell as the page renders it (nbconvert's renderer, as its HTML exporter calls it): headings with
    their id and ¶ link, and an image pasted into the cell (``attachment:``) from the cell's ``attachments``."""
    renderer = IPythonRenderer(escape=False, attachments=attachments or {})
    return MarkdownWithMath(renderer=renderer).render(source)


def _headings(nb: nbformat.NotebookNode):
    """``(hashes, text, anchor)`` of each heading in order: those of markdown cells, and the headings a code cell
    writes from its data: the briefing's ``<h3 class="topic-heading" id="…">`` topics and an
    ``<h2 class="section-heading" id="…">`` section present only for some reports (与其他机构比较).

    A markdown heading is read as the page renders it (nbconvert's markdown renderer): its text as shown, with its
    markup (``**粗体**``, `` `代码` ``, links) and character references (``&#150;``) rendered, and the id the page
    gives it, so that its entry in the contents reads and links as the heading itself. Text and anchor are plain
    text, escaped where they are written.
    """
    for cell in nb.cells:
        if cell.cell_type == "markdown" and _HEADING_LINE.search(cell.source):
            rendered = markdown_html(cell.source, cell.get("attachments"))
            for level, anchor, shown in _RENDERED_HEADING.findall(rendered):
                yield "#" * int(level), _text(shown), html.unescape(anchor)
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            shown = output.get("data", {}).get("text/html", "")
            for level, anchor, text in re.findall(
                r'<h([23]) class="(?:topic|section)-heading" id="([^"]+)">([^<]+)</h\1>', shown
            ):
                yield "#" * int(level), html.unescape(text), html.unescape(anchor)


def heading_text(written: str, attachments: dict | None = None) -> str:
    """The text a markdown heading written ``written`` (after its ``#``) shows on the page: its markup and character
    references rendered as nbconvert's markdown renderer renders them.

    >>> heading_text("**粗体**与`代码` &#150; [链接](https://example.org) &amp; 完")
    '粗体与代码 – 链接 & 完'
    """
    found = _RENDERED_HEADING.search(markdown_html(f"## {written}", attachments))
    return _text(found.group(3)) if found else written


def markdown_text(source: str, attachments: dict | None = None) -> str:
    """The text markdown ``source`` (of a cell with ``attachments``) shows on the page, on one line.

    >>> markdown_text("报告中的`执法`数字：[详见](https://example.org) **两处** &#150; 完。\\n其余。")
    '报告中的执法数字：详见 两处 – 完。 其余。'
    >>> markdown_text("<!-- 备注：a -> b 勿公开 -->\\n\\n<style>p {}</style>\\n\\n正文。")  # what no page shows
    '正文。'
    """
    return " ".join(_text(markdown_html(source, attachments)).split())


def _text(shown: str) -> str:
    """The text rendered HTML shows: references decoded; no tag, comment, style or script."""
    if not shown.strip():
        return ""
    root = lxml_html.fragment_fromstring(shown, create_parent="div")
    for hidden in root.xpath("//comment() | //style | //script"):
        hidden.drop_tree()
    return root.text_content().strip()


def _tagged(nb: nbformat.NotebookNode, tag: str) -> bool:
    return any(tag in cell.metadata.get("tags", []) for cell in nb.cells)


def font_subset_css(font: CJKFont, text: str, cache: Path | None = None) -> str:
    """Return an ``@font-face`` rule embedding the subset of ``font`` needed for ``text`` (WOFF).

    The subset is cut by HarfBuzz's subsetter (every layout feature and name kept, the .notdef
    outline kept, the glyphs the features reach from these characters kept); fontTools only
    wraps it as :data:`FONT_FLAVOR`.

    Parameters
    ----------
    font : CJKFont
    text : str
        Every character the pages can show.
    cache : Path, optional
        Folder where the rule is kept, keyed by font, characters and format.
    """
    chars = {ch for ch in set(text) if ord(ch) > 0x20} | set(
        RENDERER_CHARS
    )  # set(text) first: C speed
    key = hashlib.sha256(
        f"hb-{FONT_FLAVOR}|{font.path}|{font.index}|{''.join(sorted(chars))}".encode()
    ).hexdigest()[:24]
    cached = cache / f"font-{key}.css" if cache else None
    if cached and cached.exists():
        return cached.read_text(encoding="ascii")
    flavor = FONT_FLAVOR
    encoded = base64.b64encode(_wrap(_subset(font, chars), flavor)).decode("ascii")
    css = (
        f'@font-face {{ font-family: "{FONT_FAMILY}"; font-weight: 100 900; font-display: block; '
        f'src: url(data:font/{flavor};base64,{encoded}) format("{flavor}"); }}'
    )
    if cache and cached:
        for old in cache.glob("font-*.css"):
            old.unlink()
        cached.write_text(css, encoding="ascii")
    return css


def _subset(font: CJKFont, chars: set[str]) -> bytes:
    """The OpenType subset of ``font`` covering ``chars``, cut by HarfBuzz."""
    import uharfbuzz as hb

    face = hb.Face(hb.Blob.from_file_path(str(font.path)), font.index)
    wanted = hb.SubsetInput()
    wanted.unicode_set.update(ord(ch) for ch in chars)
    for kept in (
        hb.SubsetInputSets.LAYOUT_FEATURE_TAG,
        hb.SubsetInputSets.NAME_ID,
    ):  # every feature, every name
        wanted.sets(
            kept
        ).clear()  # (the sets start with HarfBuzz's defaults: inverted as they are, they drop them)
        wanted.sets(kept).invert()
    wanted.flags = hb.SubsetFlags.NOTDEF_OUTLINE
    subset = hb.subset(face, wanted)
    if subset is None:
        raise AmrbookError(f"{font.path}: HarfBuzz could not subset face {font.index} of this font")
    return subset.blob.data


def _wrap(sfnt: bytes, flavor: str) -> bytes:
    """``sfnt`` wrapped as a web font of ``flavor`` (woff or woff2) by fontTools."""
    with TTFont(io.BytesIO(sfnt), recalcTimestamp=False) as face:  # the same bytes at any time
        face.flavor = flavor
        buffer = io.BytesIO()
        face.save(buffer)
    return buffer.getvalue()


#: The alt text of a notebook's image that has none (a plot a cell drew): nbconvert's placeholder, in Chinese, as the
#: page is (was "No description has been provided for this image", read aloud by a screen reader).
IMAGE_ALT = "图表（说明见其前后的文字）"


#: Highlighted code cells kept per exporter: a notebook's cells are the same for every report it runs for.
HIGHLIGHTED = 2048
_DIV = re.compile(r"<div\b[^>]*>")
_IMG = re.compile(r"<img\b[^>]*>")
_CLASSES = re.compile(r'\sclass="([^"]*)"')


def focusable(written: str, area: str) -> Markup:
    """``written`` (what the template wrote for a cell's input or an output) with ``tabindex="0"`` on its wrapper: the
    first of its first three ``div`` tags whose class is ``area``, written by the template before the cell's content.
    An output the template writes nothing for is returned as it is.

    >>> focusable('<div class="jp-RenderedText jp-OutputArea-output"><pre>1</pre></div>', "jp-OutputArea-output")
    Markup('<div class="jp-RenderedText jp-OutputArea-output" tabindex="0"><pre>1</pre></div>')
    >>> focusable("", "jp-OutputArea-output")
    Markup('')
    """
    for k, tag in enumerate(_DIV.finditer(written)):
        classes = _CLASSES.search(tag.group())
        if classes and area in classes.group(1).split():
            at = tag.end() - 1
            return Markup(f'{written[:at]} tabindex="0"{written[at:]}')
        if k == 2:
            break
    return Markup(written)


_REFERENCE = re.compile(r"&#(?:([0-9]{1,7})|[xX]([0-9a-fA-F]{1,6}));")


def characters(written: str) -> Markup:
    """``written`` (rendered markdown) with each character reference to a character beyond ASCII and its control
    characters written as that character (``&#20013;`` -> 中): the same text for a browser, and the text
    :func:`unbroken_html` reads. References to ASCII characters (``&#60;``, markup's own) stay as they are, and so does
    all of a script, a style or a comment (where a reference is not one).

    >>> characters("<h2>12315&#20013;&#x5FC3; &#60;b&#62;</h2>")
    Markup('<h2>12315中心 &#60;b&#62;</h2>')
    """

    def character(m: re.Match) -> str:
        point = int(m.group(1)) if m.group(1) else int(m.group(2), 16)
        # below 0xA0 stays a reference: ASCII, and 0x80-0x9F, which HTML reads as cp1252
        kept = point < 0xA0 or point > 0x10FFFF or 0xD800 <= point <= 0xDFFF
        return m.group() if kept else chr(point)

    return Markup(outside_raw_text(written, lambda part: _REFERENCE.sub(character, part)))


def described(written: str) -> Markup:
    """``written`` (an output or a markdown cell as the template wrote it) with :data:`IMAGE_ALT` on each image without
    alt text, as nbconvert gave it to every image of the page (none inside a script, a style or a comment).

    >>> described('<img src="data:image/png;base64,AA" class="">') + described('<img alt="图1" src="x">')
    Markup('<img src="data:image/png;base64,AA" class="" alt="图表（说明见其前后的文字）"><img alt="图1" src="x">')
    >>> described('<img src="a.png" /><script>"<img src=c>"</script>')
    Markup('<img src="a.png" alt="图表（说明见其前后的文字）"/><script>"<img src=c>"</script>')
    >>> described("<img src=b/>")  # an unquoted value: its "/" is the value's
    Markup('<img src=b/ alt="图表（说明见其前后的文字）">')
    """

    def alt(m: re.Match) -> str:
        tag = m.group()
        if re.search(r"\salt=", tag):
            return tag
        if re.search(r"""[\s"']/>$""", tag):  # a self-closing tag: before its "/>"
            return f'{tag[:-2].rstrip()} alt="{IMAGE_ALT}"/>'
        return f'{tag[:-1]} alt="{IMAGE_ALT}">'

    return Markup(outside_raw_text(written, lambda part: _IMG.sub(alt, part)))


class _Exporter(HTMLExporter):
    """nbconvert's HTML exporter without its last step, and with each code cell highlighted once per process.

    nbconvert's ``HTMLExporter`` parses the finished page again (BeautifulSoup) to give each image without ``alt`` a
    placeholder and each input and output area ``tabindex="0"``: half of a page's rendering. Here the template
    writes both on the tags it writes itself (filters :func:`focusable` and :func:`described` in
    ``templates/amrbook/index.html.j2``); read by that parser, the page is nbconvert's, element for element, but for
    the placeholder's words (``tests/test_render.py``). A code cell's highlighted HTML (pygments, then nbconvert's
    bleach ``clean_html``) is the same for every report its notebook runs for: kept, at most
    :data:`HIGHLIGHTED` cells, for the process's later pages (``amrbook build --all``).
    """

    def __init__(self, **kw):
        from nbconvert.filters.strings import clean_html

        super().__init__(
            filters={
                "focusable": focusable,
                "described": described,
                "characters": characters,
                "clean_html": lru_cache(maxsize=HIGHLIGHTED)(clean_html),
            },
            **kw,
        )
        self.highlighters: dict[str | None, object] = {}

    def _highlighter(self, lexer: str | None):
        """nbconvert's ``highlight_code`` filter for ``lexer``, kept by source, language and magics language."""
        if lexer not in self.highlighters:
            from nbconvert.filters.highlight import Highlight2HTML

            highlight = Highlight2HTML(pygments_lexer=lexer, parent=self)
            kept = lru_cache(maxsize=HIGHLIGHTED)(
                lambda source, language, magics: highlight(
                    source, language, {"magics_language": magics} if magics else None
                )
            )
            self.highlighters[lexer] = lambda source, language=None, metadata=None: kept(
                source, language, (metadata or {}).get("magics_language")
            )
        return self.highlighters[lexer]

    def from_notebook_node(self, nb, resources=None, **kw):
        """nbconvert's ``HTMLExporter.from_notebook_node`` (7.17) without its BeautifulSoup pass."""
        from nbconvert.exporters.templateexporter import TemplateExporter
        from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

        langinfo = nb.metadata.get("language_info", {})
        self.register_filter(
            "highlight_code",
            self._highlighter(langinfo.get("pygments_lexer", langinfo.get("name", None))),
        )
        resources = self._init_resources(resources)
        self.register_filter(
            "filter_data_type",
            WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources
            ),
        )
        return TemplateExporter.from_notebook_node(self, nb, resources, **kw)


@lru_cache(maxsize=2)
def _exporter(hide_code: bool) -> HTMLExporter:
    """The page exporter, made once per process and kind of page: it compiles its ten templates once, not per page."""
    exporter = _Exporter(
        template_name="amrbook",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=hide_code,
        exclude_input_prompt=hide_code,
        exclude_output_prompt=hide_code,
        embed_images=True,
    )
    exporter.language_code = "zh"
    return exporter


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
    nb = static_outputs(parameters_as_run(nb))
    exporter = _exporter(page.hide_code)
    resources = {
        "metadata": {"name": name},
        "amrbook": {
            "title": page.title,
            "subtitle": page.subtitle,
            "hide_code": page.hide_code,
            "stamp": page.stamp,
            "nav": page.nav,
            "toc": table_of_contents(nb) if page.toc else [],
            "toc_after_tag": _tagged(nb, "contents-after"),
            "font_stack": FONT_STACK,
            "font_face": font_css,
            "content_css": style_css(),
        },
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return unbroken_html(body)  # no line breaks inside a figure with its unit


def kept_page(
    executed: Path, page: Page, font_css: str, name: str, nb: nbformat.NotebookNode | None = None
) -> str:
    """:func:`render_html` of the executed notebook kept at ``executed`` (or ``nb``, its content), rendered once.

    The page is kept beside the executed notebook, rendered with :data:`STAMP_SLOT` in place of
    the build stamp and named by the notebook's cache key, the font rule and the rest of ``page``
    (its links to the other notebooks, which their titles word), so a build whose only
    change is another notebook renders this page again only by writing its own stamp into it: the
    result is the same, byte for byte, as rendering it anew. A kept page without exactly one slot
    is rendered again, and so is a page whose stamp the template would escape.

    Parameters
    ----------
    executed : Path
        The executed notebook in the build cache (its name carries the notebook's cache key).
    page, font_css, name
        As for :func:`render_html`.
    nb : NotebookNode, optional
        The executed notebook, when it is at hand; read from ``executed`` when the page must be rendered.
    """
    if not page.stamp or set(page.stamp) & set(
        "&<>'\""
    ):  # no footer, or one the template escapes: render anew
        return render_html(nb or nbformat.read(executed, as_version=4), page, font_css, name)
    looks = (
        f"{font_css}|{name}|{replace(page, stamp='')!r}"  # all but the stamp: font, title, links
    )
    kept = executed.with_name(
        f"{executed.stem}-{hashlib.sha256(looks.encode()).hexdigest()[:12]}.html"
    )
    body = kept.read_text(encoding="utf-8") if kept.exists() else ""
    if body.count(STAMP_SLOT) != 1:
        body = render_html(
            nb or nbformat.read(executed, as_version=4),
            replace(page, stamp=STAMP_SLOT),
            font_css,
            name,
        )
        prefix = executed.stem.rsplit("-", 1)[
            0
        ]  # <bureau>-<year>-<notebook>: earlier keys of the same page go
        for old in executed.parent.glob(f"{prefix}-*.html"):
            old.unlink()
        kept.with_suffix(".tmp").write_text(body, encoding="utf-8")
        kept.with_suffix(".tmp").replace(kept)
    return body.replace(STAMP_SLOT, page.stamp)
