"""The page exporter: nbconvert's HTML exporter without its second parse of the page, the same pages."""
from __future__ import annotations

import copy

from bs4 import BeautifulSoup
from nbconvert import HTMLExporter

from helpers.publish import render


#: A 1×1 PNG, base64: an image pasted into a markdown cell.
PIXEL = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def _stock(hide_code: bool) -> HTMLExporter:
    """nbconvert's own HTMLExporter, set up as :func:`helpers.publish.render._exporter` sets up its subclass, the
    template's own alt text and tabindex left out (its filters pass the template's text through as it is)."""
    exporter = HTMLExporter(template_name="amrbook", extra_template_basedirs=[str(render.TEMPLATES)],
                            exclude_input=hide_code, exclude_input_prompt=hide_code, exclude_output_prompt=hide_code,
                            embed_images=True,
                            filters={"focusable": lambda written, area: written, "described": lambda written: written,
                                     "characters": lambda written: written})
    exporter.language_code = "zh"
    return exporter


def test_every_page_is_the_one_nbconvert_renders_element_for_element(built, monkeypatch):
    """Each executed notebook of the session's build, rendered as the build renders it (the briefing with its code
    hidden) by the build's exporter and by nbconvert's stock HTMLExporter. The stock exporter parses its page again
    (BeautifulSoup) to add alt text and tabindex, and writes the page that parser made; the build's page, read by the
    same parser, is that page byte for byte, but for the placeholder alt text (in Chinese). The pages hold images
    without alt text (nbconvert's placeholder is given to each), and input and output areas (each given
    tabindex="0"): counted, so the comparison covers both edits."""
    font_css = "@font-face { font-family: \"AMR CJK Subset\"; src: url(data:font/woff;base64,AAAA) format(\"woff\"); }"
    ours = {}
    for name, nb in sorted(built.executed.items()):
        page = render.Page(title=name, hide_code=name == "briefing", stamp="生成于 2026-11-30 04:00")
        ours[name] = render.render_html(nb, page, font_css, name)
    monkeypatch.setattr(render, "_exporter", _stock)
    stock = {name: render.render_html(nb, render.Page(title=name, hide_code=name == "briefing",
                                                      stamp="生成于 2026-11-30 04:00"), font_css, name)
             for name, nb in sorted(built.executed.items())}
    assert len(ours) >= 9
    placeholder = 'alt="No description has been provided for this image"'
    for name in ours:   # the same but for the placeholder's words, in Chinese as the page is
        assert str(BeautifulSoup(ours[name], features="html.parser")) == stock[name].replace(
            placeholder, f'alt="{render.IMAGE_ALT}"'), name
    shown = "".join(ours.values())
    # the briefing's charts carry alt text of their own; the placeholder goes to the notebooks' plain plots
    assert shown.count(f'alt="{render.IMAGE_ALT}"') > 0 and "No description" not in shown
    assert shown.count('tabindex="0"') > 100


def test_each_code_cell_is_highlighted_once_per_process(built, monkeypatch):
    """A notebook's code cells are the same for every report it runs for (`amrbook build --all`): rendered again,
    a page highlights (pygments) and cleans (bleach) none of its code anew. Counted: the first rendering of a
    notebook with code highlights each of its code cells once; rendering it again highlights nothing, and the page
    is the same; each is cleaned (bleach) once as well."""
    from nbconvert.filters import strings
    from nbconvert.filters.highlight import Highlight2HTML

    calls, cleaned = [], []
    highlight, clean = Highlight2HTML.__call__, strings.clean_html
    monkeypatch.setattr(Highlight2HTML, "__call__", lambda self, *a, **kw: calls.append(1) or highlight(self, *a, **kw))
    monkeypatch.setattr(strings, "clean_html", lambda html: cleaned.append(1) or clean(html))
    render._exporter.cache_clear()   # a fresh exporter, as a new process makes (it takes clean_html when made)
    try:
        nb = built.executed["01_enforcement"]
        page = render.Page(title="执法", stamp="生成于 2026-11-30 04:00")
        first = render.render_html(nb, page, "", "01_enforcement")
        shown = render.parameters_as_run(copy.deepcopy(nb)).cells   # the injected parameters shown in their cell
        code_cells = sum(cell.cell_type == "code" for cell in shown)
        assert code_cells > 5 and len(calls) == len(cleaned) == code_cells
        assert render.render_html(nb, page, "", "01_enforcement") == first
        assert len(calls) == len(cleaned) == code_cells
    finally:
        render._exporter.cache_clear()


_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'


def _cells():
    """One cell of each kind a page shows, with what the template's filters must and must not touch."""
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_output

    def shown(data: dict, kind: str = "display_data", **rest):
        return new_code_cell("x = 1", outputs=[new_output(kind, data=data, **rest)])

    return {
        "an image in a cell's own HTML": shown({"text/html": f'<p>图</p><img src="data:image/png;base64,{_PNG}">'}),
        "images in a markdown cell": new_markdown_cell('文 <img src="x.png"> 与 ![](y.png)'),
        "an image in markdown output": shown({"text/markdown": '<img src="z.png">'}),
        "references in script, style and attribute": new_markdown_cell(
            '## 标题&#20013;\n\n<script>var s = "&#20013;";</script>\n\n<style>p::after{content:"&#20013;"}</style>\n\n'
            '<a title="&#20013;">x</a> <!-- &#20013; -->'),
        "a png": shown({"image/png": _PNG, "text/plain": "<Figure>"}),
        "an svg": shown({"image/svg+xml": _SVG}),
        "an error": new_code_cell("x", outputs=[new_output("error", ename="E", evalue="v", traceback=["tb"])]),
        "a stream": new_code_cell("x", outputs=[new_output("stream", name="stdout", text="439宗")]),
        "latex": shown({"text/latex": "$x$"}),
        "a result": new_code_cell("x", execution_count=1, outputs=[new_output(
            "execute_result", execution_count=1, data={"text/html": "<b>h</b>", "text/plain": "h"})]),
    }


def test_each_kind_of_cell_is_the_page_nbconvert_renders(monkeypatch):
    """Each kind of cell and output, rendered by the build's exporter and by nbconvert's stock HTMLExporter (with and
    without code): the same page once read by the parser nbconvert uses, but for the placeholder's words. So every
    image without alt text gets it, a notebook's own HTML and markdown included; every input and output area takes
    the keyboard's focus; and a character reference inside a script, a style or a comment is left as it is."""
    import nbformat

    ours, cells = {}, _cells()   # made once: each cell has its own random id
    for hide in (False, True):
        for name, cell in cells.items():
            nb = nbformat.v4.new_notebook(cells=[cell], metadata={"language_info": {"name": "python"}})
            ours[name, hide] = render.render_html(copy.deepcopy(nb), render.Page(title="页", stamp="s", hide_code=hide),
                                                  "", name)
    monkeypatch.setattr(render, "_exporter", _stock)
    placeholder = 'alt="No description has been provided for this image"'
    for (name, hide), page in ours.items():
        nb = nbformat.v4.new_notebook(cells=[cells[name]], metadata={"language_info": {"name": "python"}})
        stock = render.render_html(nb, render.Page(title="页", stamp="s", hide_code=hide), "", name)
        assert str(BeautifulSoup(page, features="html.parser")) == stock.replace(
            placeholder, f'alt="{render.IMAGE_ALT}"'), (name, hide)
    shown = "".join(ours.values())
    # with and without code: the cell's HTML, the markdown cell's <img> (its ![](y.png) has an alt of its own, ""),
    # the markdown output, the png, the svg
    assert shown.count(f'alt="{render.IMAGE_ALT}"') == 2 * 5
    assert 'var s = "&#20013;"' in shown and 'content:"&#20013;"' in shown and "<!-- &#20013; -->" in shown
    assert "标题中" in shown


def test_each_contents_entry_reads_and_links_as_the_heading_it_names():
    """A heading's entry in the contents is the heading as the page shows it, linking to the heading's own id,
    whatever markdown it is written in. Found by a new-user trial: ``## 检查 &#150; 结果`` was listed as the literal
    「检查 &#150; 结果」 with a link to no heading; so were headings with markup (``**粗体**``, `` `代码` ``, a link)
    and ``&`` (whose id was escaped twice). A heading inside a fenced code block is none, and a ``---`` underline
    makes one (setext)."""
    import html
    import re

    import nbformat

    sources = ["## 检查 &#150; 结果", "## **粗体**与`代码`", "## A & B <i>x</i>", "### 甲&amp;乙",
               "## 中文 [链接](https://example.org) 完", "```\n## 代码块中的井号\n```", "下划线标题\n---", "## 要点",
               # found by review: a heading in raw HTML (no heading of the page's contents, as before) took the
               # next markdown heading into its entry; an image pasted into the cell stopped the build
               '<h2 id="raw">原始</h2>\n\n## 真正的标题', "## 附图\n\n![示意](attachment:pasted.png)"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(s) for s in sources])
    nb.cells[-1].attachments = {"pasted.png": {"image/png": PIXEL}}
    page = render.render_html(nb, render.Page(title="目录"), "", "目录")
    contents = re.search(r'<nav class="toc".*?</nav>', page, re.S).group()
    entries = [(level, html.unescape(anchor), html.unescape(re.sub(r"<[^>]+>", "", text)))
               for level, anchor, text in re.findall(
                   r'<li class="toc-(\d)"><a href="#([^"]*)"><span class="toc-number">[^<]*</span> (.*?)</a></li>',
                   contents)]
    headings = [(level, html.unescape(anchor), html.unescape(re.sub(r"<[^>]+>", "", text)).rstrip("¶"))
                for level, anchor, text in re.findall(r'<h([23]) id="([^"]*)">(.*?)</h\1>', page, re.S)
                if anchor != "raw"]
    # &#150; is read as HTML reads it (cp1252: an en dash); markup shows as its text; the fenced line is no heading
    assert [text for _, _, text in entries] == ["检查 – 结果", "粗体与代码", "A & B x", "甲&乙", "中文 链接 完",
                                                "下划线标题", "要点", "真正的标题", "附图"]
    assert entries == headings
