"""What readers tripped on in the trials (issue 19): Chinese everywhere a reader looks with ids only in
an 编号 column, numbers through the one formatting module, one title and one source line per chart,
no instruction a medium cannot follow."""
from __future__ import annotations

import csv
import json
import os
import re
import subprocess

import nbformat
import pandas as pd
import pytest
from openpyxl import load_workbook

from conftest import drafted_second_year, line_no, rewrite
from helpers import paths
from helpers.audit.report import load_report
from helpers.errors import DataError
from helpers.publish.execute import inject_parameters
from helpers.publish.export import write_xlsx
from helpers.publish.render import parameters_as_run
from helpers.show import briefing
from helpers.show.charts import chart_data, draw_chart, set_theme
from helpers.show.findings import worded_findings
from helpers.show.format import change_text, number
from helpers.show.notebook import setup
from helpers.show.readable import chinese
from helpers.tables.load import load_catalog

LATIN = re.compile(r"[A-Za-z]")
NAN = float("nan")


# --- numbers: one rule for signs, brackets and magnitudes ---------------------------------------------

def test_a_change_reads_with_one_bracket_level_and_no_sign_to_decode():
    # 40514 → 4051 宗: (4051 − 40514) / 40514 × 100 = −90.0%, difference −36463
    fall = {"status": "ok", "unit": "宗", "change": -36463.0, "growth_pct": -36463 / 40514 * 100, "change_pp": NAN}
    assert change_text(fall) == "下降90%，减少36463宗"
    assert "（" not in f"（{change_text(fall)}）"[1:-1]          # nothing to nest inside the table's own bracket
    same = {"status": "ok", "unit": "宗", "change": 0.0, "growth_pct": 0.0, "change_pp": NAN}
    assert change_text(same) == "持平"                             # never 持平（+0宗）
    from_zero = {"status": "previous is zero", "unit": "宗", "change": 8.0}
    assert change_text(from_zero) == "上年为0，无增长率，增加8宗"


def test_money_beside_money_shares_one_magnitude():
    # 平均每宗: 4341200 / 439 = 9888.84元 (2023), 4534000 / 400 = 11335元 (2024): both in 万元
    a, b = 4341200 / 439, 4534000 / 400
    assert (number(a, "元", among=[b]), number(b, "元", among=[a])) == ("0.9889万元", "1.1335万元")
    assert number(a, "元") == "9888.84元"                           # alone, under 1万, in 元
    assert (number(500, "元", among=[800]), number(800, "元", among=[500])) == ("500元", "800元")


# --- charts: one title, one source line, ticks and label from one rule, parts after their whole -------

@pytest.fixture(scope="module")
def report_2023():
    set_theme()
    return load_report("conghua", 2023)


def test_a_briefing_chart_leaves_its_title_and_source_to_the_caption(report_2023):
    framed = draw_chart(report_2023, "enforcement_cases")
    assert framed.axes[0].get_title(loc="left") == "行政执法相关案件"
    assert [t.get_text() for t in framed.texts] == ["数据来源：" + _source(report_2023)]
    bare = draw_chart(report_2023, "enforcement_cases", framed=False)
    assert bare.axes[0].get_title(loc="left") == "" and bare.texts == []


def _source(r) -> str:
    return f"{r.source.publisher}《{r.source.title}》"


def test_a_money_axis_says_its_magnitude_once_in_its_label(report_2023):
    # ip_fund_plan_vs_actual: 专项资金 in 元, hundreds of 万: ticks are plain numbers under 单位：万元
    fig = draw_chart(report_2023, "ip_fund_plan_vs_actual")
    ax = fig.axes[0]
    fig.canvas.draw()
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert ax.get_xlabel() == "单位：万元"
    assert ticks and not any("万" in t or "元" in t for t in ticks), ticks


def test_a_part_is_drawn_right_after_its_whole(report_2023):
    # charts.yml lists 处罚案件, 行政复议, 其中简易程序, 行政诉讼; the catalog says 简易程序 is part_of 处罚案件
    assert list(chart_data(report_2023, "enforcement_cases")["id"]) == [
        "admin_penalty_cases", "admin_penalty_cases_simple", "admin_reconsideration_cases", "admin_litigation_cases"]
    assert load_catalog().at["admin_penalty_cases_simple", "part_of"] == "admin_penalty_cases"


def test_a_part_of_that_is_not_an_indicator_is_named_at_its_line(data_copy):
    catalog = data_copy / "catalog.yml"
    rewrite(catalog, "  part_of: admin_penalty_cases\n", "  part_of: admin_penalty_casez\n")
    with pytest.raises(DataError) as caught:
        load_catalog()
    assert f"line {line_no(catalog, 'part_of: admin_penalty_casez')}" in str(caught.value)
    assert "'admin_penalty_casez' is not another indicator of the catalog" in str(caught.value)


@pytest.mark.parametrize("circle", [2, 3])
def test_a_circle_of_part_of_is_named_at_its_line(data_copy, circle):
    # admin_penalty_cases_simple part_of admin_penalty_cases (as curated); the whole made part of its
    # part (circle 2), or of patents_granted, itself made part of the part (circle 3): each would be a
    # subset of the other. Was accepted without a word (the chart order quietly gave up on it) (hostile3)
    catalog = data_copy / "catalog.yml"
    rewrite(catalog, "  aliases: [行政处罚案件, 查处案件]\n",
            "  part_of: %s\n  aliases: [行政处罚案件, 查处案件]\n"
            % ("admin_penalty_cases_simple" if circle == 2 else "patents_granted"))
    if circle == 3:
        text = catalog.read_text("utf-8")
        start = text.index("\npatents_granted:\n") + 1
        rewrite(catalog, text[start:text.index("\n\n", start)],
                text[start:text.index("\n\n", start)] + "\n  part_of: admin_penalty_cases_simple")
    with pytest.raises(DataError) as caught:
        load_catalog()
    message = str(caught.value)
    assert len(caught.value.problems) == 1                               # one circle, one problem
    assert f"line {line_no(catalog, 'part_of: admin_penalty_cases_simple' if circle == 2 else 'part_of: patents_granted')}" in message
    assert ("part_of goes round in a circle: admin_penalty_cases -> "
            + ("admin_penalty_cases_simple -> " if circle == 2 else "patents_granted -> admin_penalty_cases_simple -> ")
            + "admin_penalty_cases") in message


# --- findings: both sides in their units, the rate named ---------------------------------------------

def test_a_check_reads_both_sides_in_their_unit(report_2023):
    found = worded_findings(report_2023).set_index("check")
    # 509 / 2247 × 100 = 22.6524 → 22.65%; 509 / 2049 × 100 = 24.8414 → 24.84%
    assert found.at["mediation_rate_reconciles", "核对"] == "71.59% = 22.65% 或 71.59% = 24.84%"
    assert found.at["hotline_mediations_within_cases", "核对"] == "40514宗 ≤ 9189宗 + 5245宗"


def test_a_rule_run_for_every_rate_names_the_rate(report_2023):
    found = worded_findings(report_2023)
    each = found[found["check"].str.startswith("rates_within_0_100[")]
    assert len(each) > 1 and each["description"].is_unique
    share = report_2023.lookup("simple_procedure_share")
    assert f"{share.label}：比率应在0%至100%之间" in set(each["description"])


# --- the workbook: every number formatted, no code in a Chinese cell ------------------------------------

CODED_COLUMNS = {"领域", "类型", "状态", "说明", "限定", "口径", "数据来源", "涉及数字", "核对", "比较", "变化", "公式", "规则式"}


def _sheets(path) -> dict[str, list[list]]:
    book = load_workbook(path)
    return {ws.title: ws for ws in book.worksheets}


def test_the_workbook_formats_every_number_and_words_every_code(report_2023, tmp_path):
    path = tmp_path / "indicators.xlsx"
    write_xlsx(report_2023, path, figures=briefing.numbered_tables(report_2023))
    sheets = _sheets(path)
    for title, ws in sheets.items():
        header = [c.value for c in ws[1]]
        for row in ws.iter_rows(min_row=2):
            for name, cell in zip(header, row):
                if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                    # every number, whole ones too: 年度 2023, 原文起始位置 1230 were left General
                    assert cell.number_format != "General", (title, name, cell.value)
                if name in CODED_COLUMNS and isinstance(cell.value, str):
                    assert not LATIN.search(cell.value), (title, name, cell.value)
    indicators = sheets["指标"]
    header = [c.value for c in indicators[1]]
    first = indicators[2]
    # a year and a position are plain numbers: 2023, never 2,023
    assert first[header.index("年度")].value == 2023 and first[header.index("年度")].number_format == "0"
    assert first[header.index("原文起始位置")].number_format == "0"
    stated = sheets["表2"]                  # one year: the previous values the stated growth implies
    cells = dict(zip([c.value for c in stated[1]], stated[2]))
    # 233 / 1.404 = 165.954… inventions: an estimate of a count, 166 as the briefing's 约166件 and the CSV
    assert cells["推算上年"].value == 166
    assert cells["推算上年"].number_format == "#,##0" and cells["所述增长率（%）"].number_format == '0.00"%"'
    metrics = sheets["衍生指标"]
    header = [c.value for c in metrics[1]]
    row = next(r for r in metrics.iter_rows(min_row=2) if r[header.index("编号")].value == "council_mediation_rate_of_received")
    difference = row[header.index("差值")]
    assert difference.value == pytest.approx(509 / 2247 * 100 - 71.59)   # 22.65 − 71.59 = −48.94 个百分点
    assert difference.number_format == '0.00" 个百分点"'
    # a metric of kind implied keeps its computed value in the cell and shows it in whole things: 166
    implied = next(r for r in metrics.iter_rows(min_row=2)
                   if r[header.index("编号")].value == "invention_patents_previous_implied")
    assert implied[header.index("数值")].value == pytest.approx(233 / 1.404)
    assert implied[header.index("数值")].number_format == "#,##0"


def test_every_note_of_the_indicator_tables_is_in_chinese():
    for path in paths.data_dir().glob("indicators/*/*.csv"):
        with path.open(encoding="utf-8") as f:
            for line, row in enumerate(csv.DictReader(f), start=2):
                assert not LATIN.search(row["note"]), f"{path.name} line {line}: {row['note']}"


# --- a drafted 2024: comparison table, figure sheets, draft notes -------------------------------------------

@pytest.fixture
def second_year(data_copy, tmp_path, monkeypatch):
    """2024 drafted from 2023: 处罚案件 400宗, 罚没 9888元 (434.12万元 in 2023: under and over 1万),
    12315 调解 4051宗 (−90%); 简易程序 unchanged."""
    monkeypatch.setenv("AMRBOOK_OUTPUTS", str(tmp_path / "outputs"))
    drafted_second_year(data_copy, figures={"admin_penalty_cases": "400宗", "penalty_confiscation_amount": "9888元",
                                            "hotline_mediation_agreements": "4051宗"})
    return load_report("conghua", 2024)


def test_a_drafted_year_compares_in_one_unit_and_formats_every_sheet(second_year, tmp_path):
    assert second_year.indicators["note"].map(lambda n: not LATIN.search(n)).all()   # the draft's notes
    b = briefing.start(second_year)
    table = str(briefing.year_on_year(b).data)
    # 罚没 4341200元 (2023) beside 9888元 (2024): one magnitude, 万元, for both
    assert "<td>罚没金额</td><td>434.12万元</td><td>0.9888万元</td>" in table
    # (4051 − 40514) / 40514 = −90.0%; −36463宗
    assert "下降90%，减少36463宗" in table and "持平" not in table   # unchanged rows are counted, not listed
    path = tmp_path / "2024.xlsx"
    write_xlsx(second_year, path, figures=briefing.numbered_tables(second_year))
    sheets = _sheets(path)
    chart = next(ws for t, ws in sheets.items() if t.startswith("图") and ws["B1"].value == "指标"
                 and "差值" in [c.value for c in ws[1]])
    header = [c.value for c in chart[1]]
    for row in chart.iter_rows(min_row=2):
        cells = dict(zip(header, row))
        if cells["编号"].value == "hotline_mediation_agreements":
            assert cells["差值"].value == -36463 and cells["差值"].number_format == "#,##0"   # a count, not %
            assert cells["增长率（%）"].number_format == '0.00"%"'


# --- notebooks ----------------------------------------------------------------------------------------------

def test_notebook_tables_write_numbers_without_scientific_notation():
    try:
        setup()
        shown = pd.DataFrame({2023: [5116.0, 165.954415954416]}).to_html()
    finally:
        pd.reset_option("display.float_format")
    assert "5,116" in shown and "165.9544" in shown and "e+" not in shown


def test_chinese_headers_keep_the_ids_in_one_column(report_2023):
    table = chinese(report_2023.indicators[["label_zh", "value", "unit", "topic", "qualifier", "period"]])
    assert table.index.name == "编号" and list(table.columns) == ["名称", "数值", "单位", "限定", "口径", "领域"]
    first = table.loc["admin_penalty_cases"]   # 439宗, exact, the full year, topic enforcement
    assert (first["领域"], first["限定"], first["口径"]) == ("行政执法", "精确", "2023年")


def test_a_pivot_of_years_reads_in_chinese(report_2023):
    side_by_side = report_2023.indicators.reset_index().pivot(index=["id", "label_zh"], columns="year", values="value")
    shown = chinese(side_by_side)
    assert list(shown.index.names) == ["编号", "名称"] and shown.columns.name == "年度"
    assert shown.loc[("admin_penalty_cases", "查办行政处罚案件"), 2023] == 439


def test_a_rendered_notebook_shows_one_parameters_cell_with_the_values_it_ran_with():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("bureau = None\nyear = 2023"),
                                         nbformat.v4.new_code_cell("x = year")])
    nb.cells[0].metadata["tags"] = ["parameters"]
    shown = parameters_as_run(inject_parameters(nb, {"bureau": "conghua", "year": 2024}, "n"))
    assert [c.source for c in shown.cells] == ["bureau = 'conghua'\nyear = 2024", "x = year"]
    assert "Injected" not in json.dumps(shown)


# --- words a medium cannot follow, getting started --------------------------------------------------------

def test_no_hover_instruction_without_naming_the_web_page():
    texts = [cell.source for path in paths.notebooks_dir().glob("*.ipynb")
             for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "markdown"]
    texts.append((paths.PROJECT_ROOT / "src/helpers/publish/build.py").read_text(encoding="utf-8"))
    for text in texts:
        for sentence in re.findall(r"[^。\n]*(?:悬停|指向数字)[^。\n]*", text):
            assert "网页" in sentence, sentence      # a PDF or Word reader cannot hover


def test_make_lab_allows_root_only_as_root():
    out = subprocess.run(["make", "-n", "-o", ".venv/.installed", "-o", "system-deps", "lab"], capture_output=True,
                         text=True, cwd=paths.PROJECT_ROOT, check=True).stdout
    assert "jupyter lab --notebook-dir=notebooks" in out
    assert ("--allow-root" in out) == (os.geteuid() == 0)
