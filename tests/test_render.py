"""The page exporter: nbconvert's HTML exporter without its second parse of the page, the same pages."""
from __future__ import annotations

import copy

from bs4 import BeautifulSoup
from nbconvert import HTMLExporter

from helpers.publish import render


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
    is the same."""
    from nbconvert.filters.highlight import Highlight2HTML

    calls = []
    highlight = Highlight2HTML.__call__
    monkeypatch.setattr(Highlight2HTML, "__call__", lambda self, *a, **kw: calls.append(1) or highlight(self, *a, **kw))
    render._exporter.cache_clear()   # a fresh exporter, as a new process makes
    try:
        nb = built.executed["01_enforcement"]
        page = render.Page(title="执法", stamp="生成于 2026-11-30 04:00")
        first = render.render_html(nb, page, "", "01_enforcement")
        shown = render.parameters_as_run(copy.deepcopy(nb)).cells   # the injected parameters shown in their cell
        code_cells = sum(cell.cell_type == "code" for cell in shown)
        assert code_cells > 5 and len(calls) == code_cells
        assert render.render_html(nb, page, "", "01_enforcement") == first and len(calls) == code_cells
    finally:
        render._exporter.cache_clear()
