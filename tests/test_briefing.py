"""The briefing as a publication: 要点 first, numbered figures with their data, sources quoted once.

Fast tests check the parts (numbering, contents, CSV links, the appendix); the slow ones read the
session's built briefing.html, and a briefing built from a second year drafted from the 2023
report (``conftest.drafted_second_year``) in its own outputs folder.
"""
from __future__ import annotations

import csv
import html
import io
import re
import urllib.parse

import nbformat
import pytest

from conftest import drafted_second_year, line_no, only_notebooks, rewrite
from helpers.audit.report import load_report
from helpers.errors import DataError
from helpers.publish.render import table_of_contents
from helpers.show import briefing, sources
from helpers.show.charts import set_theme
from helpers.show.exhibits import BUILT_IN, csv_uri, load_layout


def _csv(uri: str) -> list[dict[str, str]]:
    """Decode a ``data:text/csv`` link as a spreadsheet would: UTF-8 with its byte-order mark."""
    head, _, body = uri.partition(",")
    assert head == "data:text/csv;charset=utf-8"
    raw = urllib.parse.unquote_to_bytes(body)
    assert raw.startswith(b"\xef\xbb\xbf"), "a byte-order mark, so Excel reads the Chinese"
    return list(csv.DictReader(io.StringIO(raw[3:].decode("utf-8"))))


def _figures(page: str) -> dict[str, dict]:
    """Each numbered figure of a page by name: its label, caption, alt text and CSV rows."""
    found = {}
    for name, label, caption, body in re.findall(
            r'<figure class="amr-figure" id="fig-([^"]+)"><figcaption><b>(\S+?)</b> (.*?)</figcaption>(.*?)</figure>',
            page, re.S):
        alt = re.search(r'<img [^>]*alt="([^"]*)"', body)
        link = re.search(r'<a class="download" download="([^"]+)" href="([^"]+)"', body)
        found[name] = {"label": label, "caption": html.unescape(re.sub(r"<[^>]+>", "", caption)), "alt": html.unescape(alt.group(1)) if alt
                       else None, "file": link.group(1), "rows": _csv(link.group(2)), "source": "数据来源：" in body}
    return found


def _text_outside_hover(page: str) -> str:
    """The page's visible text: no hover titles, no tags, entities decoded."""
    page = re.sub(r'\stitle="[^"]*"', "", page)
    page = re.sub(r"<(style|script)[^>]*>.*?</\1>", "", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


# --- fast: the parts ---------------------------------------------------------------------------------

def test_contents_number_subsections_under_their_section():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(s) for s in (
        "## 要点", "## 一致性核对", "## 同比变化", "## 各领域要点\n\n### 行政执法", "### 消费者权益保护",
        "## 数据说明")])
    assert [(e["number"], e["text"]) for e in table_of_contents(nb)] == [
        ("1", "要点"), ("2", "一致性核对"), ("3", "同比变化"), ("4", "各领域要点"), ("4.1", "行政执法"),
        ("4.2", "消费者权益保护"), ("5", "数据说明")]          # was 5 and 6 for the subsections


def test_figures_and_tables_are_numbered_in_order_among_their_kind():
    # charts.yml `briefing`: findings(表), mediation, hotline(图), year_on_year(表), largest_changes(图),
    # enforcement, food, ip fund(图), quality(表); without largest_changes the charts after it move up one
    assert load_layout().numbers({"largest_changes"}) == {
        "findings": "表1", "mediation_reconciliation": "图1", "hotline_cases": "图2", "year_on_year": "表2",
        "enforcement_cases": "图3", "food_entities": "图4", "ip_fund_plan_vs_actual": "图5", "quality": "表3"}


def test_a_csv_link_decodes_to_the_same_table_with_a_byte_order_mark():
    import pandas as pd

    frame = pd.DataFrame({"指标": ["查办行政处罚案件", "a,b\"c"], "数值": [1.5, 2.0]})
    assert _csv(csv_uri(frame)) == [{"指标": "查办行政处罚案件", "数值": "1.5"}, {"指标": "a,b\"c", "数值": "2.0"}]


@pytest.mark.parametrize("second_year", [False, pytest.param(True, marks=pytest.mark.slow)],
                         ids=["one year", "two years"])
def test_numbered_tables_are_the_captions_and_csv_links_of_the_briefing(second_year, data_copy):
    set_theme()                                 # the charts in Chinese, as hb.setup() draws them in the notebook
    year = 2024 if second_year else 2023
    if second_year:       # with a previous year: the comparison table and the chart of the largest changes
        drafted_second_year(data_copy, year, figures={"admin_penalty_cases": "400宗"})
    r = load_report("conghua", year)
    b = briefing.start(r)
    parts = [briefing.findings(b), *(briefing.exhibit(b, n) for n in b.numbers if n not in BUILT_IN),
             briefing.year_on_year(b), briefing.quality(b)]
    drawn = _figures("".join(part.data for part in parts))
    tables = briefing.numbered_tables(r)
    assert {f["label"]: (f["caption"], f["rows"]) for f in drawn.values()} == {
        label: (title, _csv(csv_uri(frame))) for label, title, frame in tables}
    assert ("largest_changes" in drawn) == second_year and len(tables) == len(b.numbers)


def test_a_sentence_cited_twice_is_one_appendix_entry_with_every_figure_marked():
    r = load_report("conghua", 2023)
    b = briefing.start(r)
    points = briefing.main_points(b).data     # point 2 (the rule that fails) and the 71.59% tile cite one sentence
    appendix = briefing.appendix(b).data
    sentence = r["council_mediation_success_rate"].sentences[0]
    assert appendix.count('<li id="src-') == len(b.sources.numbers)
    number = next(n for n, entry in re.findall(r'<li id="src-(\d+)" value="\d+">(.*?)</li>', appendix)
                  if re.sub(r"</?mark>", "", entry) == f"「{sentence}」")
    entry = re.search(rf'<li id="src-{number}" value="{number}">(.*?)</li>', appendix).group(1)
    assert "<mark>71.59%</mark>" in entry and "<mark>2247宗</mark>" in entry       # from point 2 (509 / 2247)
    assert points.count(f'href="#src-{number}"') >= 2 and "<li id=" not in points    # the point and the tile


def test_inline_text_needs_an_appendix():
    from helpers.errors import AmrbookError
    from helpers.show.narrative import inline, say

    r = load_report("conghua", 2023)
    with pytest.raises(AmrbookError, match=r"pass `b.sources` of `b = hb.briefing.start\(r\)`"):
        inline(r, "{admin_penalty_cases}", sources.Footnotes())     # a notebook's footnotes: nowhere to put them
    with pytest.raises(AmrbookError, match=r"`notes = hb.setup\(\)` at the top"):
        say(r, "{admin_penalty_cases}")                             # no citations at all


def test_footnotes_number_on_through_a_notebook_and_start_again_in_the_next():
    from helpers.show.narrative import say

    r = load_report("conghua", 2023)
    notes = sources.Footnotes()
    first = say(r, "{admin_penalty_cases}", notes).html           # one figure: footnote 1
    second = say(r, "{admin_penalty_cases}{average_penalty_per_case}", notes).html   # two more: 2 and 3
    assert 'id="src-1"' in first and 'id="src-2"' in second and 'id="src-3"' in second
    again = say(r, "{admin_penalty_cases}", sources.Footnotes()).html    # another notebook starts from 1
    assert 'id="src-1"' in again and 'id="src-2"' not in again


# --- slow: the built briefing ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def page(built) -> str:
    return (built.pristine / "briefing.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_main_points_come_first_then_contents_then_the_list_of_figures(page):
    body = page.split("<main>", 1)[1] if "<main>" in page else page.split("</header>", 1)[1]
    headings = re.findall(r"<h2[^>]*>(.*?)<", body)
    assert headings[0] == "要点"
    order = [body.index(s) for s in ('class="main-points"', 'class="tiles"', 'class="toc"',
                                     'class="list-of-figures"', 'class="amr-figure"')]
    assert order == sorted(order)
    points = re.search(r'<ol class="main-points">(.*?)</ol>', body, re.S).group(1)
    assert 4 <= points.count("<li>") <= 8
    for anchor in re.findall(r'class="section-link" href="#([^"]+)"', points):
        assert f'id="{anchor}"' in page, f"main point links to a missing section {anchor}"
    shown = page.split("<body", 1)[1]
    assert shown.count(">数据简报<") == 0 and shown.count("<h1") == 1     # the title once, no repeated heading


@pytest.mark.slow
def test_contents_number_the_topics_4_1_to_4_6(page):
    toc = re.search(r'<nav[^>]*class="toc".*?</nav>', page, re.S).group(0)
    numbers = re.findall(r'<span class="toc-number">([\d.]+)</span> ([^<]+)<', toc)
    assert numbers[3] == ("4", "各领域要点")
    assert [n for n, _ in numbers[4:10]] == ["4.1", "4.2", "4.3", "4.4", "4.5", "4.6"]
    assert numbers[10:] == [("5", "数据说明"), ("6", "变更说明"), ("7", "原文出处")]


@pytest.mark.slow
def test_every_figure_is_numbered_with_a_source_a_download_and_alt_text(page):
    figures = _figures(page)
    layout = load_layout()
    expected = layout.numbers({"largest_changes"})        # one year: no chart of changes
    assert {n: f["label"] for n, f in figures.items()} == expected
    assert all(f["source"] and f["file"] == f"{f['label']}.csv" and f["rows"] for f in figures.values())
    listed = re.search(r'<nav[^>]*class="list-of-figures".*?</nav>', page, re.S).group(0)
    listed = re.sub(r"</?span[^>]*>|<sup>.*?</sup>", "", listed)     # the titles' claim records and figures
    for name, f in figures.items():
        assert f'href="#fig-{name}">{f["label"]}　{html.escape(f["caption"])}<' in listed
        if f["label"].startswith("图"):
            assert f["alt"].startswith(f"条形图：{f['caption']}。")
    # the 71.59% chart: alt text from its numbers, and its CSV holds the audited values
    mediation = figures["mediation_reconciliation"]
    assert "区消委会调解成功率71.59%" in mediation["alt"] and "22.65%" in mediation["alt"]
    values = load_report("conghua", 2023).indicators["value"].to_dict() | load_report("conghua", 2023).metrics["value"].to_dict()
    for name in ("mediation_reconciliation", "hotline_cases", "enforcement_cases", "food_entities",
                 "ip_fund_plan_vs_actual"):
        for row in figures[name]["rows"]:
            assert float(row["数值"]) == pytest.approx(values[row["id"]], abs=0), (name, row["id"])
    hotline = {r["id"]: float(r["数值"]) for r in figures["hotline_cases"]["rows"]}
    assert hotline == {"hotline_complaints": 9189, "hotline_reports": 5245, "hotline_mediation_agreements": 40514}
    # the stated-growth table: 233 / (1 + 40.4 / 100) = 165.95… inventions, an estimate of a count: 166 (one year only)
    (implied,) = figures["year_on_year"]["rows"]
    assert implied["id"] == "invention_patents_granted" and float(implied["推算上年"]) == 166
    assert "<td>约166件</td>" in re.sub(r"<span class=\"nb\">(.*?)</span>", r"\1", page) and "165.9" not in page
    # cross-references resolve by name: the first main point cites 图1, the mediation chart
    assert '（见<a class="xref" href="#fig-mediation_reconciliation">图1</a>）' in page


@pytest.mark.slow
def test_no_source_sentence_is_quoted_twice(page):
    text = _text_outside_hover(page)
    appendix = text.split("原文出处", 2)[-1]
    cited = set(load_report("conghua", 2023).indicators["source_sentence"])
    counts = {s: text.count(s) for s in cited}
    assert max(counts.values()) == 1, {s[:30]: n for s, n in counts.items() if n > 1}
    quoted = {s for s, n in counts.items() if n}
    assert quoted and all(s in appendix for s in quoted)                  # every quote is in the appendix
    assert len(re.findall(r'<li id="src-\d+"', page)) == len(quoted)     # one entry per sentence
    assert '<ol class="sources">' not in page                             # no footnotes left
    assert re.search(r'<span class="fig" title="[^"]*调解成功率为71.59%[^"]*">71.59%<sup>', page)  # hover kept


@pytest.mark.slow
def test_a_drafted_second_year_shows_year_on_year_change(data_copy, tmp_path, monkeypatch):
    from helpers.publish.build import build

    drafted_second_year(data_copy, 2024, figures={"council_mediation_success_rate": "60.52%",
                                                  "admin_penalty_cases": "400宗", "annual_report_rate_rank": "四"})
    monkeypatch.setenv("AMRBOOK_OUTPUTS", str(tmp_path / "outputs"))
    only_notebooks(tmp_path, monkeypatch)                  # the briefing alone: the page asserted on
    page = (build("conghua", 2024, pdf=False).target / "briefing.html").read_text(encoding="utf-8")
    figures = _figures(page)
    recorded = re.search(r'id="fig-year_on_year">.*?</table>', page, re.S).group(0)
    assert 'data-claim="growth:council_mediation_success_rate" data-status="down"' in recorded
    table = re.sub(r"</?span[^>]*>", "", recorded)          # each change in words, with the record of its direction
    # a rate in points: 60.52 − 71.59 = −11.07 个百分点, never (60.52 − 71.59) / 71.59 = −15.46 %
    assert "<td>区消委会调解成功率</td><td>71.59%</td><td>60.52%</td><td>下降11.07个百分点</td>" in table
    # a count in % with its difference: (400 − 439) / 439 = −8.88 %, 400 − 439 = −39宗
    assert "<td>查办行政处罚案件</td><td>439宗</td><td>400宗</td><td>下降8.88%，减少39宗</td>" in table
    assert figures["year_on_year"]["caption"].startswith("2024年与2023年相比：")
    # a rank in places, lower is better: 第6 → 第4 is up 2 (was written 第6rank)
    assert "<td>年报率全市排名</td><td>第6</td><td>第4</td><td>排名上升2位</td>" in table
    # up: the rank; down: the rate and the count
    assert figures["year_on_year"]["caption"].endswith("可比指标中1项上升、2项下降")
    rows = {r["id"]: r for r in figures["year_on_year"]["rows"]}
    assert float(rows["council_mediation_success_rate"]["变化（个百分点）"]) == pytest.approx(-11.07)
    assert float(rows["admin_penalty_cases"]["差值"]) == -39
    assert float(rows["admin_penalty_cases"]["增长率（%）"]) == pytest.approx(-8.8838, abs=1e-4)
    # the chart of the largest changes: the one count that changed
    changes = figures["largest_changes"]
    assert changes["label"] == "图3" and [r["id"] for r in changes["rows"]] == ["admin_penalty_cases"]
    assert "查办行政处罚案件下降8.88%，减少39宗" in changes["alt"]
    assert "同比下降8.88%，减少39宗" in re.sub(r"</?span[^>]*>", "", page)   # the tile, its direction recorded
    assert '同比<span class="claim" data-claim="growth:admin_penalty_cases" data-status="down">' in page


def _chart_hotline():
    from helpers.show.charts import draw_chart

    return draw_chart(load_report("conghua", 2023), "hotline_cases")


def _narrative():
    from helpers.show.narrative import load_narrative

    return load_narrative()


@pytest.mark.parametrize("file, load, old, new, anchor, cause", [
    ("charts.yml", load_layout, "  - hotline_cases\n", "  - hotline_case\n", "- hotline_case\n",
     "briefing #3: 'hotline_case' is neither a chart of charts nor one of findings"),
    ("charts.yml", load_layout, "  - food_entities\n", "  - food_entities\n  - findings  # again\n", "# again",
     "briefing #8: 'findings' is listed twice"),
    ("charts.yml", load_layout, "{errors}处", "{errorz}处", "{errorz}",
     "title findings part 1: 'errorz' is not a field of this title (have: errors, warnings)"),
    ("charts.yml", load_layout, "    text: 核对发现{parts}", "    text: 核对发现", "    text: 核对发现",
     "title findings: text must hold {parts}"),
    ("charts.yml", load_layout, "    text: 核对发现{parts}", "    text: 核对发现{parts}\n    nothing: 无",
     "  findings:", "title findings: 'nothing' is not a field of a title of parts (have: text, parts, none)"),
    ("charts.yml", load_layout, '    parts: ["{errors}处数字互相矛盾", "{warnings}处无法相互印证"]',
     '    parts: "{errors}处数字互相矛盾"', '    parts: "{errors}',
     "title findings: parts must be a list of text, not text '{errors}处数字互相矛盾'"),
    ("charts.yml", load_layout, '"{down}项下降"]', '"{down}项下降", "合计"]', '"合计"]',
     "title year_on_year part 3: states no count (counts: compared, down, up): it would never be said"),
    ("charts.yml", load_layout, '"{down}项下降"]', '"{down}项下降", "共{year}年"]', '"共{year}年"]',   # found by review
     "title year_on_year part 3: states no count (counts: compared, down, up): it would never be said"),
    ("charts.yml", load_layout, '    none: 核对未发现', '    nothing: 核对未发现', "  findings:",
     "title findings: missing none"),                   # found by review: the title fell back to 「核对发现」
    ("charts.yml", load_layout, '    parts: ["{errors}处数字互相矛盾", "{warnings}处无法相互印证"]', "    parts: []",
     "    parts: []", "title findings: parts must be a list of text, not a list []"),     # found by review
    ("charts.yml", load_layout, "相比：{compared}项可比指标均无升降", "相比：{parts}均无升降", "均无升降",
     "title year_on_year: 'parts' is not a field of this title (have: compared, down, previous_year, up, year)"),
    ("charts.yml", _chart_hotline, "{hotline_cases_received}", "{hotline_cases_receivd}", "{hotline_cases_receivd}",
     "chart hotline_cases finding, fails: {hotline_cases_receivd} is neither an indicator nor a metric"),
    ("charts.yml", _chart_hotline, "      holds: 12315", "      hold: 12315", "      hold: 12315",
     "chart hotline_cases finding: 'hold' is not a status of a check claim (have: holds, fails, missing, undefined)"),
    ("charts.yml", _chart_hotline, "when: check:hotline_mediations_within_cases", "when: check:hotline_within",
     "when: check:hotline_within", "chart hotline_cases finding: when: 'check:hotline_within': 'hotline_within' is "
                                   "not a rule of checks.yml"),
    ("narrative.yml", _narrative, "      middle: ", "      midle: ", "      midle: ",
     "takeaway business_environment, part 2: 'midle' is not a status of a position claim (have: top, middle, "
     "bottom, none)"),
    ("narrative.yml", _narrative, "- when: position:", "- when: ranking:", "- when: ranking:",
     "takeaway business_environment, part 2: when: 'ranking:annual_report_rate_rank/city_district_count': the kind "
     "must be one of check, growth, position, metric"),
    ("narrative.yml", _narrative, "section: 营商环境\n", "section:\n", "  - text: 企业年报率",
     "main point 2: missing section"),
    ("narrative.yml", _narrative, "{online_business_startup_rate}。", "{online_business_startup_ratez}。",
     "{online_business_startup_ratez}",
     "main point 2: {online_business_startup_ratez} is neither an indicator nor a metric"),
    ("narrative.yml", _narrative, "headline: [admin_penalty_cases,", "headline: [admin_penalty_casez,", "headline:",
     "headline: 'admin_penalty_casez' is neither an indicator nor a metric"),
])
def test_a_bad_briefing_entry_names_its_line(data_copy, file, load, old, new, anchor, cause):
    path = data_copy / file
    rewrite(path, old, new)
    with pytest.raises(DataError) as err:
        load()
    assert f"{file}: line {line_no(path, anchor)}, {cause}" in str(err.value)


def test_a_whole_briefing_parses_each_definition_file_once(data_copy, monkeypatch):
    from collections import Counter

    from helpers import datafile

    read = Counter()
    original = datafile._yaml_text
    monkeypatch.setattr(datafile, "_yaml_text", lambda path: read.update([path.name]) or original(path))
    set_theme()
    r = load_report("conghua", 2023)                                  # a fresh data copy: nothing parsed yet
    b = briefing.start(r)
    for part in (briefing.main_points, briefing.findings, briefing.year_on_year, briefing.quality, briefing.appendix):
        part(b)
    briefing.exhibit(b, "hotline_cases")
    briefing.numbered_tables(r)
    # matching.yml: the catalog checks each entry's body against its bodies (bureaus18)
    assert read == dict.fromkeys(["sources.yml", "catalog.yml", "matching.yml", "metrics.yml", "checks.yml",
                                  "charts.yml", "narrative.yml"], 1)


def test_a_title_of_counts_with_every_count_none_says_what_holds():
    # found by review: with no approximate, partial or unchecked figure 表3 claimed 「均为全年口径的确数，一致性规则均
    # 已核对」 (figures dated 截至报告时 are not partial, and with no rule concerning the report none is unchecked);
    # with nothing comparable 表2 read 「0项可比指标均无升降」
    import dataclasses

    import pandas as pd

    from helpers.audit.status import Comparison

    layout = load_layout()
    assert layout.title("quality", figures=95, approx=0, partial=0, skipped=0) == "95个数字均已逐一对照原文"
    assert layout.title("quality", figures=96, approx=1, partial=9, skipped=0) == (
        "96个数字均已逐一对照原文，其中约数1个、非全年口径9个")
    b = briefing.start(load_report("conghua", 2023))
    # a year whose figures in common are of another period, or were 0 the year before (found by the second review:
    # such a row shows its difference, so 「没有口径相同…」 was false): no growth rate or change in points, none up or
    # down
    for kind in (Comparison.PERIOD_DIFFERS, Comparison.NOT_COMPARED):
        growth = pd.DataFrame({"id": ["patents_granted"], "comparison": [kind], "previous_year": [2022]})
        title = briefing._title(dataclasses.replace(b, growth=growth), "year_on_year")
        assert title == "2023年与2022年相比：没有可计算增长率或百分点变化的指标"
