"""briefing.docx (its XML, and printed by headless LibreOffice), index.html, the notebook pages' links,
and the zip to share, from the session's one build of 2023."""
from __future__ import annotations

import html
import re
import shutil
import subprocess
import urllib.parse
import zipfile
from pathlib import Path

import pytest
from fontTools.ttLib import TTCollection, TTFont
from lxml import etree
from lxml import html as lxml_html

from conftest import broken_figures, require_tool
from helpers.audit.report import load_report
from helpers.cli import main
from helpers.publish.build import build
from helpers.show.briefing import numbered_tables
from helpers.show.fonts import find_cjk_font

pytestmark = pytest.mark.slow

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W, "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"}
# The briefing notebook's ## and ### headings, as typed in notebooks/briefing.ipynb; 原文出处 is not one:
# its sentences are the footnotes.
SECTIONS = ["要点", "一致性核对", "同比变化", "各领域要点", "数据说明", "变更说明"]
TOPICS = ["行政执法", "消费者权益保护", "营商环境", "市场安全", "知识产权与标准化", "能力建设"]
# charts.yml `briefing` for 2023 (one year, so no chart of the largest changes): findings, two charts,
# year_on_year, three charts, quality
LABELS = ["表1", "图1", "图2", "表2", "图3", "图4", "图5", "表3"]


def _xml(docx: Path, part: str) -> etree._Element:
    with zipfile.ZipFile(docx) as archive:
        return etree.fromstring(archive.read(part))


def _text(element) -> str:
    """The text a reader sees: without the word joiners that keep a figure on one line (U+2060, shown as nothing)."""
    return "".join(element.itertext()).replace("\u2060", "")


def _styled(body, style: str) -> list:
    return body.xpath(f'.//w:p[w:pPr/w:pStyle/@w:val="{style}"]', namespaces=NS)


def _appendix(page: Path) -> list[str]:
    """The sentences of the HTML briefing's 原文出处 appendix, in order."""
    tree = lxml_html.fromstring(page.read_text("utf-8"))
    return [li.text_content() for li in tree.xpath('//ol[contains(@class, "appendix")]/li')]


def test_every_style_names_the_cjk_family_for_east_asian_text(built):
    family = find_cjk_font().family
    styles = _xml(built.pristine / "briefing.docx", "word/styles.xml")
    defaults = styles.find(f"{{{W}}}docDefaults/{{{W}}}rPrDefault/{{{W}}}rPr/{{{W}}}rFonts")
    assert defaults.get(f"{{{W}}}eastAsia") == family
    every = styles.findall(f"{{{W}}}style")
    used = {s.get(f"{{{W}}}styleId") for s in every}
    # the styles the document uses: body, headings, captions, the table style, footnotes, header and footer
    assert {"Normal", "Heading1", "Heading2", "Caption", "TableGrid", "FootnoteText", "FootnoteReference",
            "Header", "Footer", "Title"} <= used
    for style in every:
        fonts = style.find(f"{{{W}}}rPr/{{{W}}}rFonts")
        assert fonts is not None, style.get(f"{{{W}}}styleId")
        assert fonts.get(f"{{{W}}}eastAsia") == family and fonts.get(f"{{{W}}}ascii") == family
        assert fonts.get(f"{{{W}}}eastAsiaTheme") is None and fonts.get(f"{{{W}}}asciiTheme") is None
    table = _xml(built.pristine / "briefing.docx", "word/fontTable.xml")
    declared = table.find(f'{{{W}}}font[@{{{W}}}name="{family}"]')
    assert declared.find(f"{{{W}}}charset").get(f"{{{W}}}val") == "86"  # GB2312: a Chinese font
    assert declared.find(f"{{{W}}}altName").get(f"{{{W}}}val") == "Microsoft YaHei"
    with zipfile.ZipFile(built.pristine / "briefing.docx") as archive:  # no second, font-less copy of the styles
        assert "word/stylesWithEffects.xml" not in archive.namelist()


def test_docx_has_word_headings_main_points_first_and_numbered_captions(built):
    body = _xml(built.pristine / "briefing.docx", "word/document.xml")
    assert [_text(p) for p in _styled(body, "Heading1")] == SECTIONS
    assert [_text(p) for p in _styled(body, "Heading2")] == TOPICS
    first_heading = body.xpath('.//w:p[starts-with(w:pPr/w:pStyle/@w:val, "Heading")]', namespaces=NS)[0]
    assert _text(first_heading) == "要点"
    captions = _styled(body, "Caption")
    titles = {label: title for label, title, _ in numbered_tables(load_report("conghua", 2023))}
    assert [_text(p) for p in captions] == [f"{label}　{titles[label]}" for label in LABELS]
    for caption, label in zip(captions, LABELS):  # the number is a SEQ field: Word renumbers and lists them
        field = caption.find(f"{{{W}}}fldSimple")
        assert field.get(f"{{{W}}}instr").split()[:2] == ["SEQ", label[0]] and _text(field) == label[1:]
        # a table's caption stands above it, a chart's below it
        neighbour = caption.getnext() if label[0] == "表" else caption.getprevious()
        assert neighbour.tag == f"{{{W}}}tbl" if label[0] == "表" else neighbour.xpath(".//w:drawing", namespaces=NS)


def test_every_chart_is_a_picture_with_its_chinese_alt_text(built):
    body = _xml(built.pristine / "briefing.docx", "word/document.xml")
    described = [d.get("descr") for d in body.iterfind(".//wp:docPr", NS)]
    page = lxml_html.fromstring((built.pristine / "briefing.html").read_text("utf-8"))
    assert described == [img.get("alt") for img in page.iter("img") if img.get("alt", "").startswith("条形图")]
    assert len(described) == sum(label.startswith("图") for label in LABELS)  # 图1 … 图5: 5 charts
    assert all(d.startswith("条形图：") for d in described)


def test_each_source_sentence_is_one_footnote(built):
    docx = built.pristine / "briefing.docx"
    sentences = _appendix(built.pristine / "briefing.html")
    notes = [n for n in _xml(docx, "word/footnotes.xml").iterfind(f"{{{W}}}footnote") if int(n.get(f"{{{W}}}id")) > 0]
    assert len(sentences) == 21  # the 2023 briefing cites 21 sentences of the report (its appendix lists 21)
    assert [_text(n).strip() for n in notes] == sentences
    refs = [r.get(f"{{{W}}}id") for r in _xml(docx, "word/document.xml").iter(f"{{{W}}}footnoteReference")]
    assert sorted(refs, key=int) == [n.get(f"{{{W}}}id") for n in notes]  # each footnote referenced once
    with zipfile.ZipFile(docx) as archive:
        assert "word/footnotes.xml" in archive.read("[Content_Types].xml").decode()


def test_docx_is_a4_with_a_running_header_and_page_numbers(built):
    docx = built.pristine / "briefing.docx"
    size = _xml(docx, "word/document.xml").find(f".//{{{W}}}sectPr/{{{W}}}pgSz")
    assert (size.get(f"{{{W}}}w"), size.get(f"{{{W}}}h")) == ("11906", "16838")  # 210 x 297 mm in twentieths of a point
    with zipfile.ZipFile(docx) as archive:
        parts = {name: archive.read(name).decode() for name in archive.namelist() if re.match(r"word/(header|footer)", name)}
    header = next(text for name, text in parts.items() if "header" in name)
    footer = next(text for name, text in parts.items() if "footer" in name)
    assert "法治政府建设情况 · 数据简报" in header
    assert 'w:instr=" PAGE "' in footer and 'w:instr=" NUMPAGES "' in footer and "生成于" in footer


def _family_names(font) -> set[str]:
    """PostScript names a PDF may give the family's faces: each face's, and the CFF font's they share."""
    names = set()
    for _, path in font.weights:
        faces = TTCollection(str(path)).fonts if path.suffix.lower() in (".ttc", ".otc") else [TTFont(str(path))]
        for face in faces:
            names.add(face["name"].getDebugName(6))
            if "CFF " in face:
                names.update(face["CFF "].cff.fontNames)
    return names


def test_docx_prints_through_libreoffice_with_the_cjk_family_and_nothing_cut_off(built, tmp_path):
    soffice = require_tool("soffice", "headless LibreOffice prints briefing.docx")
    for tool in ("pdffonts", "pdftotext", "pdftoppm", "pdfinfo"):
        require_tool(tool, "reads the printed document back")
    docx = shutil.copy(built.pristine / "briefing.docx", tmp_path / "briefing.docx")
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(docx)], check=True, capture_output=True, timeout=300)
    pdf = tmp_path / "briefing.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "(A4)" in info
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    # every font is the CJK family's (subset names are ABCDEF+Name[-suffix]): no fallback font
    rows = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    used = {row.split()[0].split("+")[-1] for row in rows}
    allowed = _family_names(find_cjk_font())
    assert used and all(any(name.startswith(ps) for ps in allowed) for name in used), (used, allowed)
    text = re.sub(r"\s+", "", subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                             check=True).stdout)
    titles = {label: title for label, title, _ in numbered_tables(load_report("conghua", 2023))}
    for words in [*SECTIONS, *TOPICS, *(f"{label}{titles[label]}" for label in LABELS)]:
        assert re.sub(r"\s+", "", words) in text, words
    # no figure broken across lines: LibreOffice's Chinese line breaker printed "144" / "34宗", "22.6" / "5%"
    assert broken_figures(pdf) == []
    # nothing cut off: every word lies inside its page
    boxes = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for page in re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', boxes, re.S):
        width, height = float(page[0]), float(page[1])
        for x0, y0, x1, y1 in re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)"', page[2]):
            assert 0 <= float(x0) and float(x1) <= width and 0 <= float(y0) and float(y1) <= height
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(tmp_path / "page")], check=True, timeout=300)
    assert len(list(tmp_path.glob("page-*.png"))) == pages  # the pages, to look at


def test_index_links_the_briefing_every_notebook_and_the_downloads(built):
    index = built.pristine / "index.html"
    text = index.read_text("utf-8")
    page = lxml_html.fromstring(text)
    assert page.get("lang") == "zh"
    links = {a.get("href"): a.text_content() for a in page.iter("a")}
    assert {"briefing.html", "briefing.pdf", "briefing.docx", "indicators.xlsx"} <= set(links)
    notebooks = sorted(p.name for p in (built.pristine / "notebooks").glob("*.html"))
    assert [h for h in links if h.startswith("notebooks/")] == [f"notebooks/{n}" for n in notebooks]
    # the summary is the first sentence of the notebook's first markdown cell, as typed in 01_enforcement.ipynb
    entry = page.xpath('//a[@href="notebooks/01_enforcement.html"]/..')[0]
    assert links["notebooks/01_enforcement.html"] == "行政执法：处罚案件、罚没、诉讼与复议"
    assert entry.xpath('./div[@class="summary"]')[0].text_content() == "报告中行政执法方面的数字。"
    assert [h for h in links if h.startswith("csv/")] == [f"csv/{label}.csv" for label in LABELS]
    stamp = re.search(r"生成于 [^<]+", text).group(0)
    assert stamp in (built.pristine / "briefing.html").read_text("utf-8")
    for label in LABELS:  # each CSV holds the numbers of its 下载数据 link in the briefing
        data = re.search(rf'download="{label}\.csv" href="data:text/csv;charset=utf-8,([^"]*)"',
                         (built.pristine / "briefing.html").read_text("utf-8")).group(1)
        assert (built.pristine / "csv" / f"{label}.csv").read_bytes().decode("utf-8") == urllib.parse.unquote(data)


def test_notebook_pages_link_to_the_index_and_to_each_other(built):
    names = sorted(p.stem for p in (built.pristine / "notebooks").glob("*.html"))
    for i, name in enumerate(names):
        page = lxml_html.fromstring((built.pristine / "notebooks" / f"{name}.html").read_text("utf-8"))
        hrefs = [a.get("href") for a in page.xpath('//nav[@class="amr-pager"]/a')]
        expected = ([f"{names[i - 1]}.html"] if i else []) + ["../index.html"] + \
                   ([f"{names[i + 1]}.html"] if i + 1 < len(names) else [])
        assert hrefs == expected, name


def _loaded_urls(text: str) -> list[str]:
    """What a page loads by itself: src attributes, stylesheet links and CSS url()."""
    return [*re.findall(r'\bsrc="([^"]*)"', text), *re.findall(r'<link[^>]*href="([^"]*)"', text),
            *re.findall(r'url\(\s*["\']?([^)"\']*)', text)]


def test_the_shared_zip_opens_offline(built, tmp_path, monkeypatch):
    assert (built.root / "outputs" / "conghua" / "2023.zip").is_file()  # the build makes it
    shutil.copytree(built.pristine, tmp_path / "outputs" / "conghua" / "2023")  # as the session's build made it
    monkeypatch.setenv("AMRBOOK_OUTPUTS", str(tmp_path / "outputs"))
    assert main(["share", "--year", "2023", "--out", str(tmp_path / "share.zip")]) == 0
    with zipfile.ZipFile(tmp_path / "share.zip") as archive:
        archive.extractall(tmp_path / "unpacked")
    root = tmp_path / "unpacked" / "2023"
    files = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert {"index.html", "briefing.html", "briefing.pdf", "briefing.docx", "indicators.xlsx"} <= files
    for page in root.rglob("*.html"):
        text = page.read_text("utf-8")
        for url in _loaded_urls(text):
            assert not re.match(r"(?i)(https?:)?//", url), (page, url)
        for href in re.findall(r'href="([^"#][^"]*)"', text):
            target = html.unescape(href).split("#")[0]
            if re.match(r"(?i)(data|https?|mailto):", target):
                continue
            assert (page.parent / target).resolve().is_file(), (page.name, href)


def test_share_without_a_build_says_what_to_run(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AMRBOOK_OUTPUTS", str(tmp_path / "none"))
    assert main(["share", "--year", "2023"]) == 2
    err = capsys.readouterr().err
    assert "amrbook build --bureau conghua --year 2023" in err and "Traceback" not in err


def test_a_docx_failure_keeps_the_rest_of_the_build(built, monkeypatch):
    import helpers.publish.docx as docx

    def broken(*args, **kwargs):
        raise ValueError("假故障")

    target = built.root / "outputs" / "conghua" / "2023"
    monkeypatch.setattr(docx, "write_docx", broken)
    (target / "manifest.json").unlink()  # not up to date; the executed notebooks come from the cache
    try:
        result = build("conghua", 2023, pdf=False)
        assert result.docx_note == "ValueError: 假故障" and result.executed == []
        assert (target / "briefing.html").is_file() and (target / "index.html").is_file()
        assert not (target / "briefing.docx").exists()
        # the page says in Chinese that it failed; the cause, in the library's words, is on stderr and in the manifest
        index = (target / "index.html").read_text("utf-8")
        assert "简报（Word）<span class=\"note\">（未生成：生成时出错，原因见生成命令的提示）</span>" in index
        assert "ValueError" not in index
        monkeypatch.undo()  # the next build tries the Word document again
        again = build("conghua", 2023, pdf=False)
        assert not again.up_to_date and again.docx_note == "" and (target / "briefing.docx").is_file()
    finally:
        shutil.rmtree(target)
        shutil.copytree(built.pristine, target)


def test_markdown_written_with_markup_reads_in_word_and_on_the_index_as_on_the_page(tmp_path):
    # the class of the contents' literal 「&#150;」 (found by a new-user trial): a markdown heading's text shown
    # elsewhere than on the page was its markdown, not what the page shows
    import nbformat
    from docx import Document

    from helpers.publish.docx import write_docx
    from helpers.publish.index import notebook_entry

    written = "检查 &#150; **结果**与`代码`"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"# {written}\n\n正文。"),
                                         nbformat.v4.new_markdown_cell(f"## {written}")])
    shown = "检查 – 结果与代码"                  # &#150; is an en dash as HTML reads it (cp1252); markup as its text
    assert notebook_entry("01_x", nb).title == shown
    nb.cells[0].source += "\n\n见[说明](https://example.org)。其余。"     # the summary's first sentence: a link
    assert notebook_entry("01_x", nb).summary == "正文。"
    nb.cells[0].source = f"# {written}\n\n见[说明](https://example.org)与&#150;。其余。"
    assert notebook_entry("01_x", nb).summary == "见说明与–。"
    # and its paragraphs: a reference, a link, emphasis and a list as the page shows them (were written as typed:
    # 「&#150;」, 「[说明](https://example.org)」, 「**重点**」, 「- 甲 - 乙」 on one line)
    nb.cells.append(nbformat.v4.new_markdown_cell("正文&#150;见[说明](https://example.org)与**重点**。\n\n- 甲\n- 乙"))
    write_docx(nb, tmp_path / "b.docx", title="标题", basis="依据", stamp="生成于", family="Noto Sans CJK SC")
    paragraphs = Document(str(tmp_path / "b.docx")).paragraphs
    headings = [p.text for p in paragraphs if p.style.name.startswith("Heading")]
    assert headings[-2:] == [shown, shown]
    body, first, second = paragraphs[-3:]
    assert body.text == "正文–见说明与重点。" and [r.text for r in body.runs if r.bold] == ["重点"]
    assert [(p.style.name, p.text) for p in (first, second)] == [("List Paragraph", "・甲"), ("List Paragraph", "・乙")]
    # found by review: headings of level 5 and 6, code blocks, quotes and rules ran into one paragraph, a comment was
    # printed, a code span lost its spaces, and an image pasted into the cell stopped the Word document
    from test_render import PIXEL

    cell = nbformat.v4.new_markdown_cell("##### 注意事项\n\n```\namrbook build --all\namrbook share\n```\n\n> 引用说明"
                                         "\n\n---\n\n<!-- 作者备注：勿公开 -->\n\n运行 `--bureau 简称 --year` 即可。\n\n"
                                         "![示意](attachment:p.png)\n\n###### 六级")
    cell.attachments = {"p.png": {"image/png": PIXEL}}
    write_docx(nbformat.v4.new_notebook(cells=[cell]), tmp_path / "c.docx", title="标题", basis="依据", stamp="生成于",
               family="Noto Sans CJK SC")
    written = [(p.style.name, p.text, len(p._p.xpath(".//pic:pic"))) for p in Document(str(tmp_path / "c.docx")).paragraphs]
    # h5 and h6 as Heading 3 (as #####/###### were); the code block's lines as written; the rule and the comment
    # not shown; the code span's own spaces kept (those beside Chinese go, as everywhere in Word); the picture
    assert written[-6:] == [("Heading 3", "注意事项", 0), ("Normal", "amrbook build --all\namrbook share", 0),
                            ("Normal", "引用说明", 0), ("Normal", "运行--bureau 简称 --year即可。", 0), ("Normal", "", 1),
                            ("Heading 3", "六级", 0)]
    assert notebook_entry("02_x", nbformat.v4.new_notebook(cells=[cell])).title == "注意事项"
    # found by the second review: a PNG whose resolution (pHYs) reads as 0 dpi stopped the Word document
    # (ZeroDivisionError); a picture had no alt text in Word, and the space after it went; a comment inside a figure
    # was printed
    import base64
    import io

    from PIL import Image

    low = io.BytesIO()
    Image.new("RGB", (4, 4)).save(low, "PNG", dpi=(0.3, 0.3))         # round(0.3) = 0 dpi
    cell = nbformat.v4.new_markdown_cell("![低](attachment:low.png)\n\n![示意](attachment:p.png) and text\n\n"
                                         "<figure><!-- 备注 --><figcaption><b>表1</b>题</figcaption>"
                                         "<table><tr><td>1</td></tr></table></figure>")
    cell.attachments = {"low.png": {"image/png": base64.b64encode(low.getvalue()).decode()},
                        "p.png": {"image/png": PIXEL}}
    write_docx(nbformat.v4.new_notebook(cells=[cell]), tmp_path / "d.docx", title="标题", basis="依据", stamp="生成于",
               family="Noto Sans CJK SC")
    written = [(p.text, [d.get("descr") for d in p._p.xpath(".//wp:docPr")])
               for p in Document(str(tmp_path / "d.docx")).paragraphs]
    # the unreadable picture as its alt text; the other with its alt text and the space after it; no 备注
    assert ("低", []) in written and (" and text", ["示意"]) in written
    assert not any("备注" in text for text, _ in written)
