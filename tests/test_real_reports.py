"""Five real published report openings (tests/data/reports/) go through `amrbook add`,
`amrbook accept --all` unedited and `amrbook build`, each into a clean briefing (issue 18 item 6)."""
from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import docx
import pytest
import yaml

from conftest import REAL_DATA, unwrapped
from helpers import paths
from helpers.audit.report import load_report
from helpers.cli import main
from helpers.report.sources import raw_text
from helpers.tables.draft import draft
from test_bureaus import _outputs, _visible

REPORTS = Path(__file__).parent / "data" / "reports"
LISTED = yaml.safe_load((REPORTS / "sources.yml").read_text(encoding="utf-8"))["reports"]

# What drafting gives on each, inspected by hand (figures found, matched):
# - jinnan: 21 figures; 2 matched: 337.55万元 罚没款金额 -> penalty_confiscation_amount (alias),
#   34件 三类医疗器械经营许可证新办许可 -> class3_device_licences (label 第三类医疗器械经营许可, 件 for 宗).
#   Its 作出行政处罚998件 counts penalty decisions, not the cases 从化 查办 (admin_penalty_cases): proposed.
#   三类 of 三类医疗器械 is a name (matching.yml `names`), not a figure: 22 numbers read, 21 figures.
#   Its bureau-wide 挽回经济损失264.7911万余元 and 受理投诉举报15505件 take no id of the 消委会 or 12315 centre.
# - shaoxing 4 (一本 of 一本账 is a name), guangdong 5, jiading 6, shizhu 4: nothing in the catalog of
#   从化 counts the same things, so everything is proposed.
EXPECTED = {"shaoxing": (4, 0), "guangdong": (5, 0), "jinnan": (21, 2), "jiading": (6, 0), "shizhu": (4, 0)}
# The title each briefing gets: the bureau's name, the year and the report's own type (报告 dropped)
TITLES = {"shaoxing": "绍兴市市场监督管理局2023年法治政府建设情况 · 数据简报",
          "guangdong": "广东省市场监督管理局2023年法治政府建设情况 · 数据简报",
          "jinnan": "天津市津南区市场监督管理局2024年行政执法工作 · 数据简报",
          "jiading": "上海市嘉定区市场监督管理局2023年工作总结 · 数据简报",
          "shizhu": "石柱土家族自治县市场监督管理局2022年法治政府建设情况 · 数据简报"}


def _report(slug: str) -> dict:
    return next(r for r in LISTED if r["bureau"] == slug)


def test_the_listed_reports_are_the_stored_texts():
    assert {r["bureau"] for r in LISTED} == set(EXPECTED) == set(TITLES)
    assert len({r["province"] for r in LISTED}) == 5 and {r["level"] for r in LISTED} == {"县", "区", "市", "省"}
    assert {r["year"] for r in LISTED} == {2022, 2023, 2024} and "工作总结" in {r["type"] for r in LISTED}
    for report in LISTED:
        assert hashlib.sha256((REPORTS / report["file"]).read_bytes()).hexdigest() == report["sha256"], report["file"]


def _drafted(slug: str) -> dict[str, dict]:
    rows = draft(_report(slug)["year"], REPORTS / _report(slug)["file"], slug)
    return {r["as_written"]: r for r in rows.to_dict("records")} | {"refused": rows.attrs["refused"]}


def test_a_penalty_decision_is_not_a_case_handled():
    # 津南: "我局作出行政处罚998件" counts decisions made; 从化's admin_penalty_cases counts the cases it
    # 查办 (查办行政处罚案件439宗). Before matching.yml's basis [查办, 作出] (and the alias 作出行政处罚 it
    # contradicts) 998件 took admin_penalty_cases at 0.83, and the briefing said 查办行政处罚案件998件.
    rows = _drafted("jinnan")
    assert rows["998件"]["id"] == "" and rows["998件"]["proposal"].startswith("enforcement_")
    assert rows["337.55万元"]["id"] == "penalty_confiscation_amount"
    assert {r["id"] for k, r in rows.items() if k != "refused"} == {"", "penalty_confiscation_amount",
                                                                   "class3_device_licences"}


def test_an_alias_counts_on_its_labels_basis(data_copy):
    # a reviewer adding 作出行政处罚 back as an alias of admin_penalty_cases does not bring the wrong
    # match back: the alias stands for the label 查办行政处罚案件, whose 查办 is not 作出
    catalog = data_copy / "catalog.yml"
    catalog.write_text(catalog.read_text("utf-8").replace("aliases: [行政处罚案件, 查处案件]",
                                                          "aliases: [作出行政处罚, 行政处罚案件, 查处案件]"), "utf-8")
    assert _drafted("jinnan")["998件"]["id"] == ""
    # the rule is data: without the basis group, the alias takes it (the wrong match of before)
    matching = data_copy / "matching.yml"
    text = matching.read_text("utf-8")
    matching.write_text(re.sub(r"\n  - \[查办, 作出\][^\n]*", "", text), "utf-8")
    assert _drafted("jinnan")["998件"]["id"] == "admin_penalty_cases"


def test_sections_are_named_by_the_report_itself():
    # 绍兴's (三)法治队伍建设持续加强 is not 从化's 一(三) 规范行政执法 (before, any bureau's 一(三) took
    # 从化's name); a figure under a top heading alone (嘉定's 一、破立结合，…) is named by its words
    assert _drafted("shaoxing")["98%"]["section"] == "一(三) 法治队伍建设持续加强"
    assert _drafted("jiading")["122项"]["section"] == "一、破立结合"


def test_a_numeral_inside_a_name_is_not_a_figure(data_copy):
    # 三类 of 三类医疗器械 (津南) and 一本 of 一本账 (绍兴) name things; they are listed as not read
    jinnan, shaoxing = _drafted("jinnan"), _drafted("shaoxing")
    assert "三类" not in jinnan and "34件" in jinnan and "一本" not in shaoxing
    assert [(r.text, r.reason) for r in jinnan["refused"]] == [("三类", "is part of the name '三类医疗器械', not a quantity")]
    assert [r.text for r in shaoxing["refused"]] == ["一本"]
    # the class: an ordinal (第一), a list marker (一是), a name (一批, 两个责任) are never figures; a figure
    # only touching a name is (十一批: 11 batches)
    report = data_copy / "names.txt"
    report.write_text("2023年,一是压实两个责任,第一责任人带头,培育一批品牌,全年抽检十一批,查处案件5宗。\n", "utf-8")
    assert sorted(k for k in _drafted_file(report) if k != "refused") == ["5宗", "十一批"]
    # the rule is data: with 一批 no longer a name, 培育一批 is read as a figure
    matching = data_copy / "matching.yml"
    matching.write_text(matching.read_text("utf-8").replace("  - 一批\n", ""), "utf-8")
    assert sorted(k for k in _drafted_file(report) if k != "refused") == ["5宗", "一批", "十一批"]


def _drafted_file(report: Path) -> dict:
    rows = draft(2023, report)
    return {r["as_written"]: r for r in rows.to_dict("records")} | {"refused": rows.attrs["refused"]}


@pytest.fixture(scope="module")
def five_built(tmp_path_factory):
    """All five added, accepted unedited and built on one pool of kernels (without the PDF, which
    test_build checks for 从化), in one data copy: each report built once for every test here.

    Not named ``built``: the scheduler (conftest) would take it for the session's build and send these
    tests to that build's worker, behind everything else that uses it."""
    from helpers.publish.build import build_reports

    root = tmp_path_factory.mktemp("real_reports")
    shutil.copytree(REAL_DATA, root / "data")
    mp = pytest.MonkeyPatch()
    mp.setenv("AMRBOOK_DATA", str(root / "data"))
    mp.setenv("AMRBOOK_OUTPUTS", str(root / "outputs"))
    printed = {}
    for report in LISTED:
        slug, year = report["bureau"], report["year"]
        given = [] if report["title_in_text"] else ["--year", str(year), "--type", report["type"]]
        printed[slug] = _run(["add", str(REPORTS / report["file"]), "--bureau", slug, "--name", report["name"], *given])
        printed[slug] += _run(["accept", "--bureau", slug, "--year", str(year), "--all"])
    results = build_reports([(r["bureau"], r["year"]) for r in LISTED], jobs=1, pdf=False)  # one kernel start
    yield root, printed, {r.target.parent.name: r for r in results}
    mp.undo()


def _run(args: list[str]) -> str:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(args) == 0, args
    return out.getvalue()


@pytest.mark.slow
@pytest.mark.parametrize("report", LISTED, ids=[r["bureau"] for r in LISTED])
def test_add_accept_build_gives_a_valid_table_and_a_clean_briefing(report, five_built):
    from helpers.audit.metrics import known_ids

    root, printed, results = five_built
    slug, year = report["bureau"], report["year"]
    found, matched = EXPECTED[slug]
    assert f"{found} figures, {matched} matched to catalog ids, {found - matched} with a proposed" in printed[slug]
    declared = [s for s in yaml.safe_load(paths.sources_file().read_text("utf-8"))["sources"] if s["bureau"] == slug]
    assert (declared[0]["year"], declared[0]["type"], declared[0]["sha256"]) == (year, report["type"], report["sha256"])
    # a valid table: the loader's schema and provenance checks pass, every span reads its figure
    r = load_report(slug, year)
    assert len(r.indicators) == found
    text = raw_text(slug, year)
    assert all(text[row.start:row.end] == row.as_written for row in r.indicators.itertuples())
    assert load_report(None, 2023).indicators.shape[0] == 96          # 从化 2023 unchanged beside them

    result = results[slug]
    page = (result.target / "briefing.html").read_text(encoding="utf-8")
    assert f"<title>{TITLES[slug]}</title>" in page
    shown = re.sub(r"输入 [0-9a-f]{12}", "", _visible(page.split("<body", 1)[1].split(">", 1)[1]))
    document = docx.Document(str(result.target / "briefing.docx"))
    words = "\n".join([p.text for p in document.paragraphs]
                      + [c.text for t in document.tables for row in t.rows for c in row.cells])
    assert TITLES[slug] in words
    notebooks = [_outputs(result.notebooks[n])[0] for n in sorted(set(result.executed) - {"briefing"})]
    ids = known_ids() | set(r.indicators.index)
    for each in [shown, words, *notebooks]:
        assert not re.search(r"无数据|\bnan\b|\bNone\b|Traceback", each)
    for each in [shown, words]:
        assert not ids & set(re.findall(r"[a-z][a-z0-9_]+", each))             # no id
        # no English: the only ASCII words are the build stamp's, the download link's and the workbook's name (in
        # Word set against the Chinese around it, without spaces: Word spaces Chinese and Latin text itself)
        assert set(re.findall(r"[A-Za-z]{2,}", re.sub(r"(?<![A-Za-z])indicators\.xlsx", "", each))) <= {"amrbook", "CSV"}
    # 表1 counts only the checks that ran or that the report half-meets: none of checks.yml concerns these
    # reports' figures (each rule of 从化's concepts lacks every input), so none is counted as not checked, and a
    # count of none is not said (was 「未能核对的规则0条」)
    ran = int((r.findings["severity"] != "skipped").sum())
    assert ran == 0 and "未能核对的规则" not in shown and "本报告的数字没有可核对的一致性规则。" in shown
    # a thematic notebook without figures of its topic is skipped, and the index says why
    index = unwrapped((result.target / "index.html").read_text(encoding="utf-8"))
    topics = set(r.indicators["topic"])
    thematic = {p.stem for p in paths.notebooks_dir().glob("0[1-9]_*.ipynb")}
    # and the comparison is skipped when no other bureau of the data has a table of that year (津南 2024 and
    # 石柱 2022 stand alone; 绍兴, 广东 and 嘉定 2023 stand beside 从化 2023 and each other)
    others = {p.parent.name for p in (root / "data" / "indicators").glob(f"*/{year}.csv")} - {slug}
    assert bool(others) == (year == 2023)
    assert set(result.skipped) == ({name for name in thematic if name.split("_", 1)[1] not in topics}
                                   | (set() if others else {"compare"}))
    for name, why in result.skipped.items():
        assert why in index and not (result.target / "notebooks" / f"{name}.html").exists()
