"""The font embedded in every page: cut by HarfBuzz, the exact characters asked for, the smaller web font;
handed from the build to its kernels without searching the font folders again."""
from __future__ import annotations

import base64
import io
import json
import re
from html.parser import HTMLParser

import pytest
from fontTools.ttLib import TTFont

from helpers.publish import render
from helpers.show import fonts
from helpers.show.fonts import find_cjk_font


def embedded(css: str) -> tuple[str, TTFont]:
    """The flavor (woff, woff2) and the font of an ``@font-face`` rule's data URL."""
    match = re.search(r"url\(data:font/(woff2?);base64,([A-Za-z0-9+/=]+)\) format\(\"(woff2?)\"\)", css)
    assert match and match.group(1) == match.group(3), css[:200]
    return match.group(1), TTFont(io.BytesIO(base64.b64decode(match.group(2))))


def test_the_subset_covers_exactly_the_characters_asked_for():
    font = find_cjk_font()
    css = render.font_subset_css(font, "调解成功率71.59%")
    _flavor, subset = embedded(css)
    # the text's own characters: 调 解 成 功 率 (5), 7 1 . 5 9 % (all in the fixed set as well);
    # the fixed set render adds: 0-9 (10), % . , : ; ( ) (7), （ ） 、 ， 。 ； ： 「 」 — · (11), ¶ (1)
    # -> 5 + 10 + 7 + 11 + 1 = 34 characters, every one of them in Noto Sans CJK SC
    expected = set("调解成功率") | set("0123456789") | set("%.,:;()") | set("（）、，。；：「」—·") | {"¶"}
    assert len(expected) == 34
    assert set(map(chr, subset.getBestCmap())) == expected
    # the layout features are those fontTools' subsetter keeps with every feature asked for (kerning, locl,
    # vertical forms: how the text is laid out); HarfBuzz's default feature set would drop kern and locl
    from fontTools import subset as ft_subset

    with TTFont(str(font.path), fontNumber=font.index) as reference:
        options = ft_subset.Options(layout_features=["*"], name_IDs=["*"], notdef_outline=True)
        subsetter = ft_subset.Subsetter(options)
        subsetter.populate(text="".join(sorted(expected)))
        subsetter.subset(reference)
        for table in ("GSUB", "GPOS"):
            assert _features(subset, table) == _features(reference, table), table
        assert {"kern", "palt"} <= _features(subset, "GPOS") and "locl" in _features(subset, "GSUB")


def _features(font: TTFont, table: str) -> set[str]:
    return {record.FeatureTag for record in font[table].table.FeatureList.FeatureRecord}


def test_the_subset_is_embedded_as_woff_the_bytes_harfbuzz_cut_wrapped_by_fonttools():
    font = find_cjk_font()
    css = render.font_subset_css(font, "调解成功率")
    flavor, _subset = embedded(css)
    sfnt = render._subset(font, set("调解成功率") | set(render.RENDERER_CHARS))
    assert flavor == render.FONT_FLAVOR == "woff"
    embedded_bytes = base64.b64decode(re.search(r"base64,([^)]+)\)", css).group(1))
    assert embedded_bytes[:4] == b"wOFF" and embedded_bytes == render._wrap(sfnt, "woff")


def test_a_cached_rule_is_used_for_the_same_characters_and_replaced_for_others(tmp_path):
    font = find_cjk_font()
    first = render.font_subset_css(font, "调解", tmp_path)
    assert len(list(tmp_path.glob("font-*.css"))) == 1
    assert render.font_subset_css(font, "解调", tmp_path) == first     # the same characters, in any order
    render.font_subset_css(font, "调解率", tmp_path)
    (kept,) = tmp_path.glob("font-*.css")
    assert "率" in {chr(c) for c in embedded(kept.read_text(encoding="ascii"))[1].getBestCmap()}


def test_a_child_process_inherits_the_face_while_its_files_are_unchanged(monkeypatch, tmp_path):
    font = find_cjk_font()
    env = fonts.face_env(font)
    monkeypatch.setenv(fonts.FACE_ENV, env[fonts.FACE_ENV])
    monkeypatch.setattr(fonts, "_find", lambda *_args: pytest.fail("searched the font folders again"))
    assert find_cjk_font() == font
    # a file of the face changed since (here: its recorded size is wrong): the folders are searched again
    stale = json.loads(env[fonts.FACE_ENV])
    stale["files"][str(font.path)][0] += 1
    monkeypatch.setenv(fonts.FACE_ENV, json.dumps(stale))
    monkeypatch.setattr(fonts, "_find", lambda *_args: "searched")
    assert find_cjk_font() == "searched"
    # found under another AMRBOOK_CJK_FONT than this process has: searched again
    monkeypatch.setenv(fonts.FACE_ENV, env[fonts.FACE_ENV])
    monkeypatch.setenv("AMRBOOK_CJK_FONT", str(tmp_path / "other.otf"))
    assert find_cjk_font() == "searched"
    monkeypatch.setenv(fonts.FACE_ENV, "{not json")
    assert find_cjk_font() == "searched"


class _ShownText(HTMLParser):
    """The text a browser shows of a page: every text node outside <style>, <script> and <title>."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hidden, self.text = 0, []

    def handle_starttag(self, tag, attrs):
        self.hidden += tag in ("style", "script", "title")

    def handle_endtag(self, tag):
        self.hidden -= tag in ("style", "script", "title")

    def handle_data(self, data):
        if not self.hidden:
            self.text.append(data)


@pytest.mark.slow
def test_every_character_a_page_shows_is_in_its_embedded_font(built):
    with TTFont(str(find_cjk_font().path), fontNumber=find_cjk_font().index, lazy=True) as source:
        in_font = set(source.getBestCmap())
    pages = [built.pristine / "briefing.html", *sorted((built.pristine / "notebooks").glob("*.html"))]
    assert len(pages) == 9
    for page in pages:
        text = page.read_text(encoding="utf-8")
        _flavor, subset = embedded(text)
        covered = set(subset.getBestCmap())
        parser = _ShownText()
        parser.feed(text)
        shown = {ord(ch) for ch in "".join(parser.text) if not ch.isspace()}
        cjk = {c for c in shown if 0x3000 <= c <= 0x9FFF or 0xFF00 <= c <= 0xFFEF}
        assert len(cjk) > 100, page.name                              # the page really shows Chinese
        assert cjk <= in_font, (page.name, "".join(sorted(map(chr, cjk - in_font))))
        missing = (shown & in_font) - covered
        assert not missing, (page.name, "".join(sorted(map(chr, missing))))


def test_a_kept_page_is_the_page_rendered_anew_byte_for_byte_with_each_builds_stamp(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("## 调解\n\n调解成功率"),
                                         nbformat.v4.new_code_cell("x = 1", execution_count=1)])
    executed = tmp_path / "conghua-2023-demo-0123456789abcdef0123.ipynb"
    nbformat.write(nb, executed)
    css = render.font_subset_css(find_cjk_font(), "调解成功率")
    first, second = (render.Page(stamp=f"生成于 2026-11-29 22:0{n} · 输入 {n}a2b3c4d5e6f · amrbook 0.1.0") for n in (1, 2))
    assert render.kept_page(executed, first, css, "demo", nb) == render.render_html(nb, first, css, "demo")
    (kept,) = tmp_path.glob("conghua-2023-demo-*.html")                    # kept with the slot, not a stamp
    assert kept.read_text(encoding="utf-8").count(render.STAMP_SLOT) == 1
    executed.unlink()                                               # a kept page is not rendered again
    assert render.kept_page(executed, second, css, "demo") == render.render_html(nb, second, css, "demo")
    # a kept page that lost its slot is rendered again (from the executed notebook)
    kept.write_text("<html>damaged</html>", encoding="utf-8")
    nbformat.write(nb, executed)
    assert render.kept_page(executed, second, css, "demo") == render.render_html(nb, second, css, "demo")
    # another notebook key of the same page replaces the kept page
    newer = executed.with_name("conghua-2023-demo-fedcba9876543210fedc.ipynb")
    nbformat.write(nb, newer)
    render.kept_page(newer, second, css, "demo")
    assert [p.name.split("-")[3] for p in tmp_path.glob("conghua-2023-demo-*.html")] == ["fedcba9876543210fedc"]
