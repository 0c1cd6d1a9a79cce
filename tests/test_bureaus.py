"""Two bureaus side by side: 天河 (made up, a few sentences) beside 从化, each report in its own outputs.

天河's report is a short made-up text with a hand-written indicator table; it joins the data copy the
way the README says a bureau is added (a ``bureaus`` entry, its raw text under ``raw/tianhe/``, a
``sources`` entry with the sha256, ``indicators/tianhe/2023.csv``).
"""
from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from conftest import require_tool, unwrapped
from helpers import paths
from helpers.audit.report import load_report
from helpers.cli import main
from reliability.fakes import printing_browser

TIANHE_TEXT = ("一、2023年工作情况\n"
               "2023年,我局查办行政处罚案件120宗。12315中心受理投诉3000宗。"
               "区消委会调解成功率为65.5%。全区有餐饮单位800家。全年发放知识产权专项资金100万元。\n")
# id, value in base units, unit, as written: 100万元 = 100 × 10^4 元
TIANHE_FIGURES = [("admin_penalty_cases", "120", "宗", "120宗"), ("hotline_complaints", "3000", "宗", "3000宗"),
                  ("council_mediation_success_rate", "65.5", "%", "65.5%"), ("catering_units", "800", "家", "800家"),
                  ("ip_fund_amount", "1000000", "元", "100万元")]


def add_tianhe(data: Path) -> None:
    """Add the bureau 天河 and its made-up 2023 report to a data copy."""
    add_bureau(data, "tianhe", "广州市天河区市场监督管理局", "天河区2023年度工作报告（测试用）", TIANHE_TEXT, TIANHE_FIGURES)


def add_bureau(data: Path, slug: str, name: str, title: str, text: str, figures: list[tuple[str, ...]],
               year: int = 2023) -> None:
    """Add a bureau and its ``year`` report (``text``, its ``figures`` as (id, value, unit, as written), optionally
    followed by the qualifier and the period, exact and the year when not given) to a data copy."""
    raw = data / "raw" / slug / f"{year}_{slug}_amr.txt"
    raw.parent.mkdir()
    raw.write_text(text, encoding="utf-8")
    sources = data / "raw" / "sources.yml"
    listed = sources.read_text(encoding="utf-8")
    listed = listed.replace("bureaus:\n", f"bureaus:\n  {slug}:\n    name: {name}\n    level: 区\n", 1)
    listed += (f"  - file: {raw.name}\n    bureau: {slug}\n    year: {year}\n    publisher: {name}\n"
               f"    title: {title}\n    encoding: utf-8\n"
               f"    sha256: {hashlib.sha256(raw.read_bytes()).hexdigest()}\n")
    sources.write_text(listed, encoding="utf-8")
    rows = ["year,id,value,unit,as_written,start,end,qualifier,period,section,note"]
    for ident, value, unit, written, *given in figures:
        start = text.index(written)
        qualifier, period = given or ("exact", str(year))
        rows.append(f"{year},{ident},{value},{unit},{written},{start},{start + len(written)},{qualifier},{period},"
                    f"{text.splitlines()[0]},")
    table = data / "indicators" / slug / f"{year}.csv"
    table.parent.mkdir()
    table.write_text("\n".join(rows) + "\n", encoding="utf-8")


# 海珠 (made up): 8 figures of four topics (none of 知识产权与标准化 or 能力建设), a 工作总结 rather than a
# 法治政府建设情况报告, and few of the figures the curated charts, main points and takeaways of 从化 rest on.
HAIZHU_TEXT = ("一、主要工作\n"
               "2023年,我局查办行政处罚案件215宗,罚没金额86.5万元。12315中心受理投诉1840宗、受理举报96宗。"
               "区消委会受理消费投诉1210宗。全区有餐饮单位5120家、食品销售主体3305家。企业年报率为93.12%。\n")
# 86.5万元 = 86.5 × 10^4 元 = 865000 元
HAIZHU_FIGURES = [("admin_penalty_cases", "215", "宗", "215宗"),
                  ("penalty_confiscation_amount", "865000", "元", "86.5万元"),
                  ("hotline_complaints", "1840", "宗", "1840宗"), ("hotline_reports", "96", "宗", "96宗"),
                  ("council_complaints_received", "1210", "宗", "1210宗"), ("catering_units", "5120", "家", "5120家"),
                  ("food_sellers", "3305", "家", "3305家"), ("annual_report_rate", "93.12", "%", "93.12%")]


def add_haizhu(data: Path) -> None:
    add_bureau(data, "haizhu", "广州市海珠区市场监督管理局", "海珠区2023年市场监管工作总结", HAIZHU_TEXT, HAIZHU_FIGURES)


def test_a_second_bureau_is_its_own_report(data_copy):
    add_tianhe(data_copy)
    tianhe, conghua = load_report("tianhe", 2023), load_report("conghua", 2023)
    assert len(tianhe.indicators) == 5 and len(conghua.indicators) == 96
    assert tianhe["admin_penalty_cases"].value == 120 and conghua["admin_penalty_cases"].value == 439
    assert tianhe.growth.empty and "tianhe has no indicator table of 2022" in tianhe.growth.attrs["reason"]
    assert tianhe.source.publisher == "广州市天河区市场监督管理局"
    assert main(["indicators", "--bureau", "tianhe", "--year", "2023", "--format", "csv"]) == 0


def _bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_a_second_bureau_builds_into_its_own_outputs_and_compares_only_with_itself(built, data_copy, tmp_path,
                                                                                  monkeypatch):
    from helpers.publish.build import build

    outputs = tmp_path / "outputs"
    monkeypatch.setenv("AMRBOOK_OUTPUTS", str(outputs))
    shutil.copytree(built.pristine, outputs / "conghua" / "2023")      # 从化's last build, as the session made it
    conghua_before = _bytes(outputs / "conghua" / "2023")
    # the thematic notebooks analyse 从化's figures; the briefing is built from whatever the report states
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    shutil.copy(built.root / "notebooks" / "briefing.ipynb", notebooks)
    monkeypatch.setenv("AMRBOOK_NOTEBOOKS", str(notebooks))
    add_tianhe(data_copy)
    result = build("tianhe", 2023, pdf=False)
    assert result.target == outputs / "tianhe" / "2023" == paths.report_outputs_dir("tianhe", 2023)
    assert _bytes(outputs / "conghua" / "2023") == conghua_before          # 从化's outputs untouched, byte for byte
    assert sorted(p.name for p in outputs.iterdir() if not p.name.startswith(".")) == ["conghua", "tianhe"]
    page = (result.target / "briefing.html").read_text(encoding="utf-8")
    assert "广州市天河区市场监督管理局" in page and "120宗" in page
    for section in ("同比变化", "变更说明"):                                 # neither mentions 从化
        shown = page.split(f">{section}<", 1)[1].split("<h2", 1)[0]
        assert "从化" not in shown and "439宗" not in shown, section
    # 从化 has a 2023 report too: the one section that names it is the comparison
    compared = page.split('<h2 class="section-heading"', 1)[1].split("<h2", 1)[0]
    assert "与其他机构比较" in compared and 'data-claim="compare:admin_penalty_cases/conghua"' in compared
    assert "仅有2023年一年的数据，无法计算同比" in unwrapped(page)
    assert "此前没有已发布的版本，本版无修订。" in page                     # not 从化's build of 2023
    changes = result.changes
    assert changes["previous_build"]["rows"] == [] and changes["previous_year"]["rows"] == []


def _visible(page: str) -> str:
    """The text a reader sees on a page: no hover titles, scripts, styles or tags, entities decoded."""
    page = re.sub(r'\stitle="[^"]*"', "", unwrapped(page))       # a figure's nowrap span adds no space
    page = re.sub(r"<(style|script)[^>]*>.*?</\1>", "", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _outputs(notebook: Path) -> tuple[str, str]:
    """What an executed notebook shows below its code (every output's text), and its prose: the paragraphs and
    findings the helpers write (tables keep their ids as an index for the analyst)."""
    nb = nbformat.read(notebook, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    pages = [o.get("data", {}).get("text/html", "") for o in outputs]
    shown = " ".join(o.get("text", "") + _visible(page or o.get("data", {}).get("text/plain", ""))
                     for o, page in zip(outputs, pages))
    prose = re.findall(r'<p class="(?:narrative|findings-none)">.*?</p>|<ul class="findings">.*?</ul>', " ".join(pages),
                       re.S)
    return shown, _visible(" ".join(prose))


@pytest.mark.slow
def test_a_report_with_few_figures_gets_a_briefing_and_notebooks_that_fit_it(data_copy, tmp_path, monkeypatch):
    from helpers.audit.metrics import known_ids
    from helpers.publish.build import build

    monkeypatch.setenv("AMRBOOK_OUTPUTS", str(tmp_path / "outputs"))
    add_haizhu(data_copy)
    result = build("haizhu", 2023)          # the one build of this test, with its PDF
    target = result.target
    # no figure of 知识产权与标准化 or 能力建设: those notebooks are not run, and the build says so (for the index)
    skipped = {"05_ip_and_standards": "本报告没有“知识产权与标准化”方面的数字，未生成该笔记本。",
               "06_capacity": "本报告没有“能力建设”方面的数字，未生成该笔记本。"}      # compare runs: 从化 has 2023
    assert result.skipped == skipped
    assert json.loads((target / "manifest.json").read_text(encoding="utf-8"))["skipped"] == skipped
    assert sorted(p.stem for p in (target / "notebooks").glob("*.html")) == [
        "00_explore", "00_overview", "01_enforcement", "02_consumer_protection", "03_business_environment",
        "04_market_safety", "compare"]
    assert set(result.executed) == {"briefing", "00_explore", "00_overview", "01_enforcement",
                                    "02_consumer_protection", "03_business_environment", "04_market_safety",
                                    "compare"}

    page = (target / "briefing.html").read_text(encoding="utf-8")
    title = "广州市海珠区市场监督管理局2023年市场监管工作总结 · 数据简报"     # the bureau's name and the report's own type
    assert f"<title>{title}</title>" in page and "法治政府" not in page
    shown = _visible(page.split("<body", 1)[1].split(">", 1)[1])
    shown = re.sub(r"输入 [0-9a-f]{12}", "", shown)          # the build stamp's hash of the inputs
    ids = known_ids()
    notebooks = [_outputs(result.notebooks[name]) for name in sorted(set(result.executed) - {"briefing"})]
    for text in [shown, *(everything for everything, _ in notebooks)]:
        assert not re.search(r"无数据|\bnan\b|\bNone\b|Traceback", text)
    prose = " ".join(words for _, words in notebooks)
    assert "报告列出：" in prose and "本部分没有未通过的规则。" in prose     # no judgement word (claims17)
    # 01: 查办行政处罚案件 and 罚没金额 but none of 简易程序, 复议, 诉讼: its two analyses say they are left out
    assert _outputs(result.notebooks["01_enforcement"])[0].count("本报告缺少这一分析所需的数字，从略。") == 2
    for text in [shown, prose]:
        assert not ids & set(re.findall(r"[a-z][a-z0-9_]+", text))             # no id
        # no English: the only ASCII words are the build stamp's, the download link's and file names (folders like
        # data/indicators/ where the overview says the tables are, the workbook indicators.xlsx)
        words = set(re.findall(r"[A-Za-z]{2,}", re.sub(r"[\w.-]*/[\w./-]*|\bindicators\.xlsx\b", "", text)))
        assert words <= {"amrbook", "CSV"}
    # 各领域要点: the four topics it has figures of, in the order of charts.yml, numbered in the contents
    toc = re.findall(r'<span class="toc-number">([\d.]+)</span> ([^<]+)<', page)
    assert [t for t in toc if t[0].startswith("4.")] == [("4.1", "行政执法"), ("4.2", "消费者权益保护"),
                                                        ("4.3", "营商环境"), ("4.4", "市场安全")]
    # a curated analysis only with all its inputs: no chart of charts.yml (each lacks one), 1 of the 6 main points
    # (查办行政处罚案件, 罚没金额 and the metric 平均每宗 865000 / 215 = 4023.26元), 表1 the quality table
    assert "图1" not in shown and re.findall(r"表\d+", shown) == ["表1"] * shown.count("表1")
    points = re.search(r'<ol class="main-points">(.*?)</ol>', page, re.S).group(1)
    assert points.count("<li>") == 1 and "4023.26元" in _visible(points)
    # the rules that did not run are counted once in words, never listed with their missing numbers
    assert "条因本报告缺少所需数字未能核对" in shown and "未核对：" not in shown
    # the takeaways of topics the report lacks figures for list the figures it has, cited
    assert re.search(r"报告列出：查办行政处罚案件\s*215宗\s*\d+\s*、罚没金额\s*86\.5万元\s*\d+\s*。", shown)

    require_tool("pdftotext", "poppler-utils reads the PDF back")
    pdf = subprocess.run(["pdftotext", str(target / "briefing.pdf"), "-"], capture_output=True, text=True,
                         check=True).stdout
    assert "海珠区" in pdf and "215宗" in pdf and "无数据" not in pdf and "nan" not in pdf


@pytest.mark.slow
def test_build_all_builds_every_report_on_one_pool_each_into_its_own_outputs(data_copy, tmp_path, monkeypatch, capsys):
    from helpers.cli import main

    monkeypatch.setenv("AMRBOOK_OUTPUTS", str(tmp_path / "outputs"))
    notebooks = tmp_path / "notebooks"   # the briefing alone keeps this test short: the pool runs one per report
    notebooks.mkdir()
    shutil.copy(paths.PROJECT_ROOT / "notebooks" / "briefing.ipynb", notebooks)
    monkeypatch.setenv("AMRBOOK_NOTEBOOKS", str(notebooks))
    add_haizhu(data_copy)
    monkeypatch.setenv("FAKE_BROWSER_LOG", str(tmp_path / "browser.log"))   # one browser prints both briefings
    monkeypatch.setenv("AMRBOOK_BROWSER", str(printing_browser(tmp_path)))
    assert main(["build", "--all", "--jobs", "1"]) == 0     # one kernel runs both reports' briefings
    out = capsys.readouterr().out
    # 2 reports: 1 browser start, 1 page opened, 2 prints in it, 1 close after the last (the page still open)
    log = (tmp_path / "browser.log").read_text(encoding="utf-8").splitlines()
    assert log == ["start", "open page", "print", "print", "close with 1 page(s) open"]
    for slug in ("conghua", "haizhu"):
        assert (tmp_path / "outputs" / slug / "2023" / "briefing.pdf").read_bytes().startswith(b"%PDF-")
    # every report of data/: 从化 2023 and 海珠 2023, each executed, each page its own (the pool routes each result)
    assert out.count("(executed 1 notebook(s), 0 from cache)") == 2
    conghua = (tmp_path / "outputs" / "conghua" / "2023" / "briefing.html").read_text(encoding="utf-8")
    haizhu = (tmp_path / "outputs" / "haizhu" / "2023" / "briefing.html").read_text(encoding="utf-8")
    assert "439宗" in conghua and "215宗" in haizhu
    # each is its own, naming the other only in its comparison with it (both are 2023 reports)
    assert "<title>广州市从化区" in conghua and "<title>广州市海珠区" in haizhu
    assert conghua.split("与其他机构比较", 1)[0].count("海珠") == haizhu.split("与其他机构比较", 1)[0].count("从化") == 0
    assert main(["build", "--all"]) == 0         # nothing changed: no kernel, both up to date, no browser
    assert capsys.readouterr().out.count(": up to date (") == 2
    assert (tmp_path / "browser.log").read_text(encoding="utf-8").splitlines() == log
