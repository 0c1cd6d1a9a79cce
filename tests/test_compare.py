"""Comparison across bureaus (issue 18 item 5): 从化 2023 beside a made-up 花都 2023 in a data copy.

花都's report is a short made-up text with a hand-written table (``test_bureaus.add_bureau``). It shares nine
concepts (catalog ids) with 从化, in other counter words where it can (9000件 against 9189宗), with a base for two
of them (so they are compared as rates), a period of part of the year on both sides (截至11月), another period
on one side (截至报告时 against 全年), a lower bound (超98%) and one concept 从化 does not state
(实有各类市场主体, added to the data copy's catalog).
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

from conftest import REAL_NOTEBOOKS, only_notebooks, rewrite, unwrapped
from test_bureaus import add_bureau
from helpers.audit.compare import compare_reports, compare_with_peers, peers
from helpers.audit.report import load_report
from helpers.errors import DataError
from helpers.show.compare import compare_intro, compare_say

HUADU_TEXT = ("一、2023年工作情况\n"
              "2023年,我局查办行政处罚案件120宗,罚没金额60万元。区消委会受理消费投诉3000宗,达成调解协议600宗,"
              "调解成功率为65.5%。12315中心受理投诉9000件。全区有餐饮单位800家,实有各类市场主体52000户,"
              "企业年报率超98%。截至11月,全区专利授权800件。\n")
# id, value in base units (60万元 = 60 × 10^4 元), unit of the catalog, as written (件 where the catalog counts 宗),
# and the qualifier and period where not exact and the full year
HUADU_FIGURES = [("admin_penalty_cases", "120", "宗", "120宗"),
                 ("penalty_confiscation_amount", "600000", "元", "60万元"),
                 ("council_complaints_received", "3000", "宗", "3000宗"),
                 ("council_mediation_agreements", "600", "宗", "600宗"),
                 ("council_mediation_success_rate", "65.5", "%", "65.5%"),
                 ("hotline_complaints", "9000", "宗", "9000件"),
                 ("catering_units", "800", "家", "800家"),
                 ("market_entities_total", "52000", "户", "52000户"),
                 ("annual_report_rate", "98", "%", "98%", "lower_bound", "2023"),
                 ("patents_granted", "800", "件", "800件", "exact", "2023-11")]
MARKET_ENTITIES = """
market_entities_total:
  label_zh: "实有各类市场主体"
  label_en: "Market entities registered"
  unit: "户"
  topic: business_environment
  description: "Market entities registered in the area at the end of the report year."
"""
#: 从化 against 花都, worked out by hand from the two reports (from 从化's 2023.csv and the text above):
EXPECTED = {
    "admin_penalty_cases": "higher",                 # 439 − 120 = 319 > 0.05 × 439 = 21.95
    # rate per case (both state the cases): 4341200 / 439 = 9888.84 against 600000 / 120 = 5000 元
    "average_penalty_per_case": "higher",
    "council_complaints_received": "lower",          # 3000 − 2247 = 753 > 0.05 × 3000 = 150
    # rate of received (both state it): 509 / 2247 × 100 = 22.65% against 600 / 3000 × 100 = 20%;
    # 2.65 > 0.05 × 22.65 = 1.13
    "council_mediation_rate_of_received": "higher",
    "council_mediation_success_rate": "higher",      # 71.59 − 65.5 = 6.09 > 0.05 × 71.59 = 3.58
    "hotline_complaints": "similar",                 # 9189 − 9000 = 189 <= 0.05 × 9189 = 459.45
    "catering_units": "none",                        # 截至报告时 (从化) against the full year (花都)
    "annual_report_rate": "lower",                   # 95.76% < 98%, and 花都's 超98% is above 98
    "patents_granted": "higher",                     # both 截至11月: 1643 − 800 = 843 > 0.05 × 1643 = 82.15
}
RATES = {"average_penalty_per_case", "council_mediation_rate_of_received"}
WORDS = {"higher": "高于", "lower": "低于", "similar": "相当", "none": "不作比较"}


def add_huadu(data: Path, changes: dict[str, tuple[str, str]] | None = None, slug: str = "huadu",
              name: str = "广州市花都区市场监督管理局", year: int = 2023) -> None:
    """Add 花都 and its 2023 report to a data copy; ``changes`` rewrites figures: id -> (value, as written);
    another ``slug`` and ``name`` add a copy of it as another bureau, another ``year`` the same text of that year."""
    changes = changes or {}
    text, figures = HUADU_TEXT.replace("2023", str(year)), []
    for ident, value, unit, written, *rest in HUADU_FIGURES:
        new_value, new_written = changes.get(ident, (value, written))
        text = text.replace(written, new_written, 1)
        figures.append((ident, new_value, unit, new_written, *(part.replace("2023", str(year)) for part in rest)))
    catalog = data / "catalog.yml"
    if "\nmarket_entities_total:" not in catalog.read_text(encoding="utf-8"):
        with catalog.open("a", encoding="utf-8") as f:
            f.write(MARKET_ENTITIES)
    add_bureau(data, slug, name, f"{name[:-8]}{year}年度法治政府建设情况报告", text, figures, year)


def _orders(c) -> dict[str, str]:
    return dict(zip(c.pairs["measure"], c.pairs["order"]))


def test_two_bureaus_share_concepts_compared_as_rates_where_both_state_the_base(data_copy):
    add_huadu(data_copy)
    conghua = load_report("conghua", 2023)
    assert peers(conghua) == ["huadu"]
    c = compare_with_peers(conghua)
    assert _orders(c) == EXPECTED
    pairs = c.pairs.set_index("measure")
    # the two rates replace their counts (罚没金额, 达成调解协议); a base itself is compared as a count
    assert pairs.loc["average_penalty_per_case", ["id", "basis", "base"]].tolist() == [
        "penalty_confiscation_amount", "rate", "admin_penalty_cases"]
    assert pairs.loc["council_mediation_rate_of_received", ["id", "basis", "base"]].tolist() == [
        "council_mediation_agreements", "rate", "council_complaints_received"]
    assert pairs.loc["average_penalty_per_case", "other_value"] == 5000          # 600000 / 120
    assert pairs.loc["council_mediation_rate_of_received", "other_value"] == 20  # 600 / 3000 × 100
    assert pairs.loc["catering_units", "why"] == "period differs"
    # shared: the nine concepts, one row per report, each as its report wrote it
    figures = c.figures.set_index(["id", "bureau"])
    assert len(c.figures) == 2 * 9
    assert figures.loc[("hotline_complaints", "huadu"), "as_written"] == "9000件"
    assert figures.loc[("hotline_complaints", "conghua"), "as_written"] == "9189宗"
    # only one: 实有各类市场主体 (花都), and 从化's 96 − 9 = 87 others
    only = c.only.groupby("bureau")["id"].apply(list)
    assert only["huadu"] == ["market_entities_total"] and len(only["conghua"]) == 87
    assert compare_intro(c, "huadu") == (
        "与广州市花都区市场监督管理局2023年报告相比：两份报告共有9项相同指标，其中2项两份报告都列出了基数，按比率比较；"
        "另有87项仅广州市从化区列出，1项仅广州市花都区列出。")
    # the other way round every order turns, 相当 and 不作比较 stay
    back = compare_reports([load_report("huadu", 2023), conghua])
    turned = {"higher": "lower", "lower": "higher", "similar": "similar", "none": "none"}
    assert _orders(back) == {m: turned[o] for m, o in EXPECTED.items()}


def test_the_view_shows_counter_words_periods_and_what_is_compared(data_copy):
    import helpers as hb

    add_huadu(data_copy)
    c = hb.compare_with_peers(load_report("conghua", 2023))
    view = hb.compare_view(c)
    assert list(view.columns) == ["名称", "广州市从化区", "广州市花都区", "比较口径", "对比机构", "比较结果"]
    assert view.loc["hotline_complaints", ["广州市从化区", "广州市花都区", "比较结果"]].tolist() == [
        "9189宗（2023年）", "9000件（2023年）", "相当"]
    assert view.loc["patents_granted", "广州市花都区"] == "800件（截至2023年11月）"
    assert view.loc["catering_units", "比较结果"] == "不作比较（口径不同）"
    assert view.loc["penalty_confiscation_amount", "比较口径"] == "比率：平均每宗罚没金额（以查办行政处罚案件为基数）"
    only = hb.only_view(c)
    assert only.loc["market_entities_total"].tolist() == ["实有各类市场主体", "广州市花都区", "52000户（2023年）"]


def _sentences(c) -> dict[str, BeautifulSoup]:
    """Each sentence of the comparison, by its claim, as HTML."""
    from helpers.show.sources import Footnotes

    page = BeautifulSoup(compare_say(c, Footnotes()).html, "html.parser")
    return {e["data-claim"]: e for e in page.select("[data-claim^='compare:']")}


def test_each_sentence_says_the_computed_result_and_cites_both_sentences(data_copy):
    add_huadu(data_copy)
    said = _sentences(compare_with_peers(load_report("conghua", 2023)))
    assert {claim: e["data-status"] for claim, e in said.items()} == {
        f"compare:{m}/huadu": o for m, o in EXPECTED.items()}
    for claim, e in said.items():
        status, text = e["data-status"], e.get_text()
        assert WORDS[status] in text and not {w for s, w in WORDS.items() if s != status} & set(re.findall(
            "|".join(WORDS.values()), text)), text
    rate = said["compare:average_penalty_per_case/huadu"].get_text()
    assert rate.startswith("平均每宗罚没金额：广州市从化区9888.84元")                           # 4341200 / 439
    assert "高于广州市花都区的5000元" in rate                                                     # 600000 / 120
    # a period of part of the year is stated after each figure of it, on both sides
    assert said["compare:patents_granted/huadu"].get_text().count("（截至2023年11月）") == 2
    # every figure shows its sentence on hover: 从化's from its report, 花都's from its own
    figures = said["compare:hotline_complaints/huadu"].select("span.fig")
    assert [f.find(string=True) for f in figures] == ["9189宗", "9000件"]
    assert "9189宗" in figures[0]["title"] and figures[1]["title"] == "12315中心受理投诉9000件。"


def test_the_word_follows_the_figure_when_it_flips(data_copy):
    # 花都's agreements 600 → 900宗: 900 / 3000 × 100 = 30% > 22.65% (从化), 30 − 22.65 = 7.35 > 0.05 × 30 = 1.5;
    # its annual-report rate 超98% → 超95%: 从化's 95.76% may lie below or above it
    add_huadu(data_copy, {"council_mediation_agreements": ("900", "900宗"), "annual_report_rate": ("95", "95%")})
    said = _sentences(compare_with_peers(load_report("conghua", 2023)))
    rate = said["compare:council_mediation_rate_of_received/huadu"]
    assert rate["data-status"] == "lower" and "低于广州市花都区的30%" in rate.get_text()
    bound = said["compare:annual_report_rate/huadu"]
    assert bound["data-status"] == "none" and "原文为上限或下限，高低不明，不作比较" in bound.get_text()


def test_reports_with_nothing_in_common_say_so_in_one_line(data_copy):
    from helpers.show.sources import Footnotes

    with (data_copy / "catalog.yml").open("a", encoding="utf-8") as f:
        f.write(MARKET_ENTITIES)
    add_bureau(data_copy, "huadu", "广州市花都区市场监督管理局", "花都区2023年度法治政府建设情况报告",
               "全区实有各类市场主体52000户。\n", [("market_entities_total", "52000", "户", "52000户")])
    c = compare_with_peers(load_report("conghua", 2023))
    assert c.pairs.empty and c.figures.empty and compare_say(c, Footnotes()).html == ""
    assert compare_intro(c, "huadu") == ("与广州市花都区市场监督管理局2023年报告相比：两份报告没有相同的指标，无从逐项比较；"
                                         "另有96项仅广州市从化区列出，1项仅广州市花都区列出。")


def test_a_count_of_nothing_only_one_report_states_is_not_said(data_copy):
    # the class of 「核对发现0处数字互相矛盾」: 花都 states one figure, and 从化 states it too, so nothing is 花都's alone
    add_bureau(data_copy, "huadu", "广州市花都区市场监督管理局", "花都区2023年度法治政府建设情况报告",
               "12315中心受理投诉9000件。\n", [("hotline_complaints", "9000", "宗", "9000件")])
    c = compare_with_peers(load_report("conghua", 2023))
    # 从化 states 96 figures, one of them shared: 96 − 1 = 95 its own; none 花都's own (was 「0项仅广州市花都区列出」)
    assert compare_intro(c, "huadu") == ("与广州市花都区市场监督管理局2023年报告相比：两份报告共有1项相同指标；"
                                         "另有95项仅广州市从化区列出。")


def test_a_per_base_outside_the_formula_is_refused_with_its_line(data_copy):
    from helpers.audit.metrics import load_metric_defs

    rewrite(data_copy / "metrics.yml", "    per: admin_penalty_cases\n", "    per: food_sellers\n")
    with pytest.raises(DataError, match=r"metrics.yml: line \d+, metric average_penalty_per_case: per 'food_sellers'"):
        load_metric_defs()


def test_compare_refuses_reports_of_two_years_or_one_bureau_twice():
    r = load_report("conghua", 2023)
    with pytest.raises(ValueError, match="different bureaus, not conghua 2023, conghua 2023"):
        compare_reports([r, r])


def test_without_another_bureau_of_the_year_there_is_no_comparison(data_copy):
    from helpers.publish.build import skipped_notebooks
    from helpers.show import briefing

    notebook = {"compare": nbformat.read(REAL_NOTEBOOKS / "compare.ipynb", as_version=4)}
    conghua = load_report("conghua", 2023)
    assert peers(conghua) == [] and briefing.comparison(briefing.start(conghua)) is None
    assert skipped_notebooks(conghua, notebook) == {"compare": "没有其他机构的2023年报告可比较，未生成该笔记本。"}
    add_huadu(data_copy)
    assert skipped_notebooks(load_report("conghua", 2023), notebook) == {}


def test_cost_grows_with_the_bureaus_not_their_pairs(data_copy):
    """从化 and 1, 3, 7 copies of 花都 (its penalty cases 121, 122 … as other bureaus): the year's table loads each
    report once, and each report is compared with at most PEERS = 3 others, so both counts grow with N."""
    from helpers.audit import compare, report
    from helpers.show import briefing

    add_huadu(data_copy)
    counted = {}
    for n in (2, 4, 8):
        for k in range(len(peers(load_report("conghua", 2023))) + 2, n + 1):
            add_huadu(data_copy, {"admin_penalty_cases": (f"{120 + k}", f"{120 + k}宗")}, f"copy{k}",
                      f"广州市测试{k}区市场监督管理局")
        report._load.cache_clear()
        compare._year_table.cache_clear()
        comparisons = [compare_with_peers(load_report(slug, 2023)) for slug in ("conghua", "huadu",
                                                                              *(f"copy{k}" for k in range(3, n + 1)))]
        counted[n] = (report._load.cache_info().misses, compare._year_table.cache_info().misses,
                      sum(len(c.pairs) for c in comparisons))
        naive = sum(len(compare_reports([c.subject, *(o.subject for o in comparisons if o is not c)]).pairs)
                    for c in comparisons)
        counted[n] += (naive,)
    # loads: the N reports once each; one table per N. Pairs: 从化 shares 9 concepts with each 花都, two 花都 all 10
    # (the 9 and 实有各类市场主体), each pair of them a row per concept (a rate in place of its count);
    # N = 2: 9 + 9 = 18; N = 4: 从化 3 × 9 = 27, each 花都 10 + 10 + 9 = 29, 27 + 3 × 29 = 114;
    # N = 8: 从化 3 × 9 = 27, each 花都 3 × 10 = 30 (three other copies share more than 从化), 27 + 7 × 30 = 237.
    # Every bureau against every other (naive): N = 8: 从化 7 × 9 = 63, each 花都 6 × 10 + 9 = 69, 63 + 7 × 69 = 546.
    assert counted == {2: (2, 1, 18, 18), 4: (4, 1, 114, 114), 8: (8, 1, 237, 546)}
    # the briefing's section stays bounded: 3 bureaus named, the other 4 counted, 8 sentences
    section = BeautifulSoup(briefing.comparison(briefing.start(load_report("conghua", 2023))).data, "html.parser")
    lines = [p.get_text() for p in section.select("p.yoy-note")]
    # a line per compared bureau, the others counted, and (3 × 9 = 27 comparisons, 8 said: 27 − 8 = 19) the rest
    assert len(lines) == 5 and lines[-2:] == ["另有4个机构的2023年报告与本报告相同的指标较少，未逐项比较。",
                                              "另有19项比较见比较笔记本。"]
    said = section.select("[data-claim^='compare:']")
    assert len(said) == 8
    # each sentence under its own bureau's line (found by a new-user trial: every sentence followed the last line)
    for sentence in said:
        other = load_report(sentence["data-claim"].rsplit("/", 1)[1], 2023).bureau.name   # compare:<measure>/<other>
        assert sentence.find_previous("p", class_="yoy-note").get_text().startswith(f"与{other}2023年报告相比")


def test_the_workbook_has_a_comparison_sheet_only_when_another_bureau_reports_the_year(data_copy, tmp_path):
    from openpyxl import load_workbook

    from helpers.publish.export import write_xlsx

    write_xlsx(load_report("conghua", 2023), tmp_path / "alone.xlsx")
    assert "比较" not in load_workbook(tmp_path / "alone.xlsx").sheetnames
    add_huadu(data_copy)
    write_xlsx(load_report("conghua", 2023), tmp_path / "both.xlsx")
    sheet = load_workbook(tmp_path / "both.xlsx")["比较"]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert [c.value for c in sheet[1]] == [
        "编号", "名称", "广州市从化区", "广州市花都区", "比较口径", "对比机构", "比较结果"]
    # 9189 − 9000 = 189 <= 0.05 × 9189 = 459.45: 相当; the nine shared concepts, a row each
    assert rows["hotline_complaints"][2:] == ("9189宗（2023年）", "9000件（2023年）", "数量", "广州市花都区", "相当")
    assert len(rows) == 9


# --- the briefings and the notebook, built --------------------------------------------------------------------

@pytest.mark.slow
def test_each_briefing_gets_a_comparison_section_recording_its_results(data_copy, tmp_path, monkeypatch):
    from helpers.publish.build import build_reports
    from test_claims import _unrecorded_judgements

    monkeypatch.setenv("AMRBOOK_OUTPUTS", str(tmp_path / "outputs"))
    only_notebooks(tmp_path, monkeypatch, "compare")
    add_huadu(data_copy)
    turned = {"higher": "lower", "lower": "higher", "similar": "similar", "none": "none"}
    # both briefings on one pool of kernels (as `amrbook build --all`): one kernel starts and imports once
    results = build_reports([("conghua", 2023), ("huadu", 2023)], jobs=1, pdf=False)
    for result, (slug, other, expected) in zip(results, (
            ("conghua", "huadu", EXPECTED), ("huadu", "conghua", {m: turned[o] for m, o in EXPECTED.items()}))):
        assert result.target.parent.name == slug
        assert result.skipped == {} and "compare" in result.executed
        for page in ("briefing.html", "notebooks/compare.html"):
            soup = BeautifulSoup((result.target / page).read_text(encoding="utf-8"), "html.parser")
            claims = {e["data-claim"]: e["data-status"] for e in soup.select("[data-claim^='compare:']")}
            # the briefing has eight sentences, compared ones first: 9 − 8 = 1 left to the notebook (the one none)
            shown = {m: o for m, o in expected.items() if page.startswith("notebooks") or o != "none"}
            assert claims == {f"compare:{m}/{other}": o for m, o in shown.items()}, (slug, page)
            assert not _unrecorded_judgements(soup), (slug, page)
        page = BeautifulSoup((result.target / "briefing.html").read_text(encoding="utf-8"), "html.parser")
        assert page.select_one("h2.section-heading").get_text() == "与其他机构比较"
        assert "另有1项比较见比较笔记本。" in page.get_text()
        # a section of the contents, after 各领域要点 (4) and before 数据说明
        toc = re.findall(r'<span class="toc-number">([\d.]+)</span> ([^<]+)<', str(page))
        assert ("5", "与其他机构比较") in toc and ("6", "数据说明") in toc, toc
        # the other bureau's sentences are quoted in 原文出处 under its name, each linked from its figures
        quoted = [li.get_text() for li in page.select("ol.sources.appendix li")]
        named = "广州市花都区：" if slug == "conghua" else "广州市从化区："
        assert any(q.startswith(named + "「") for q in quoted)
        # a period of part of the year is recorded as the figure's period, of its own report
        periods = {e["data-claim"]: e["data-status"] for e in page.select("[data-claim^='compare:'] [data-claim]")}
        assert periods == {"period:patents_granted": "2023-11", f"period:patents_granted@{other}": "2023-11"}
        # every figure links to its sentences (a rate: its count's and its base's), which its hover shows; a
        # figure of the report is marked in its sentence as written
        for claim in page.select("[data-claim^='compare:']"):
            for fig in claim.select("span.fig"):
                entries = [page.select_one(a["href"]) for a in fig.select("sup a")]
                quoted = [entry.get_text().split("「", 1)[1].removesuffix("」") for entry in entries]
                assert quoted and all(q in fig["title"] for q in quoted), fig
                marked = [m.get_text() for entry in entries for m in entry.select("mark")]
                assert claim["data-claim"].split(":")[1].split("/")[0] in RATES or fig.find(string=True) in marked
        assert result.docx_note == ""


@pytest.mark.slow
def test_conghua_alone_builds_without_a_comparison_and_the_index_says_why(built):
    reason = "没有其他机构的2023年报告可比较，未生成该笔记本。"
    assert built.result.skipped == {"compare": reason}
    assert not (built.pristine / "notebooks" / "compare.html").exists()
    index = unwrapped((built.pristine / "index.html").read_text(encoding="utf-8"))
    assert f"<li>机构比较：同一年度各机构报告中的相同指标<span class=\"note\">（{reason}）</span></li>" in index
    page = (built.pristine / "briefing.html").read_text(encoding="utf-8")
    assert "与其他机构比较" not in page and "data-claim=\"compare:" not in page
    cell = next(c for c in built.executed["briefing"].cells if "hb.briefing.comparison(b)" in c.source)
    assert cell.outputs == []            # no output at all: the page is as without the cell
