"""The page exporter: nbconvert's HTML exporter with its last step done without CSS selectors, the same pages."""
from __future__ import annotations

from nbconvert import HTMLExporter

from helpers.publish import render


def _stock(hide_code: bool) -> HTMLExporter:
    """nbconvert's own HTMLExporter, set up as :func:`helpers.publish.render._exporter` sets up its subclass."""
    exporter = HTMLExporter(template_name="amrbook", extra_template_basedirs=[str(render.TEMPLATES)],
                            exclude_input=hide_code, exclude_input_prompt=hide_code, exclude_output_prompt=hide_code,
                            embed_images=True)
    exporter.language_code = "zh"
    return exporter


def test_every_page_is_the_one_nbconvert_renders_byte_for_byte(built, monkeypatch):
    """Each executed notebook of the session's build, rendered as the build renders it (the briefing with its code
    hidden) by the build's exporter and by nbconvert's stock HTMLExporter: the same text, byte for byte, but for the
    placeholder alt text (in Chinese). The pages hold images without alt text (nbconvert's placeholder is given to each), and input and output areas (each
    given tabindex="0"): counted, so the comparison covers both edits."""
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
        assert ours[name] == stock[name].replace(placeholder, f'alt="{render.IMAGE_ALT}"'), name
    shown = "".join(ours.values())
    # the briefing's charts carry alt text of their own; the placeholder goes to the notebooks' plain plots
    assert shown.count(f'alt="{render.IMAGE_ALT}"') > 0 and "No description" not in shown
    assert shown.count('tabindex="0"') > 100
