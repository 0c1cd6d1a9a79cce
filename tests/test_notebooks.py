"""Notebooks: analyses in visible pandas, parameterised, stored without outputs, and every one runs top to bottom."""
from __future__ import annotations

import ast
import html
import io
import math
import re
import subprocess
import tokenize
import warnings

import nbformat
import pytest

import helpers as hb
from helpers.tables.load import load_indicators
from helpers.show.charts import set_theme
from conftest import broken_figures, drafted_second_year, lone_marks, require_tool
from helpers.audit.report import load_report
from helpers.tables.indicators import indicator_table
from helpers import paths
from helpers.errors import AmrbookError

NOTEBOOKS = sorted(paths.notebooks_dir().glob("*.ipynb"))
THEMATIC = ["01_enforcement", "02_consumer_protection", "03_business_environment", "04_market_safety",
            "05_ip_and_standards", "06_capacity"]
EXPECTED = ["00_explore", "00_overview", *THEMATIC]
#: Compares the report with other bureaus' of its year: skipped by a build of one bureau alone (test_compare.py).
COMPARE = "compare"
#: What a notebook may import: the workbook and the libraries an analyst uses with it.
ALLOWED_IMPORTS = {"helpers", "pandas", "numpy", "seaborn", "matplotlib", "matplotlib.pyplot"}
#: Reusable logic belongs in helpers, where it is tested and documented once: no functions, classes or
#: lambdas, and no loops (a loop over figures is a pandas expression or a helper). Plain pandas
#: expressions, comprehensions and an `if` on the shape of the data stay: that is the analysis.
BANNED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.For, ast.AsyncFor, ast.While)
AGREES = re.compile(r'hb\.agrees\(.+?, r, "(\w+)"\)')


def _cells(name: str, kind: str = "code") -> list:
    nb = nbformat.read(paths.notebooks_dir() / f"{name}.ipynb", as_version=4)
    return [c for c in nb.cells if c.cell_type == kind and "parameters" not in c.metadata.get("tags", [])]


def test_the_notebooks_exist():
    assert [*EXPECTED, COMPARE] == [p.stem for p in NOTEBOOKS if p.stem not in ("briefing", "review")]
    assert [p.stem for p in paths.built_notebooks()] == ["00_explore", "00_overview", *THEMATIC, "briefing", COMPARE]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_without_outputs_with_a_parameters_cell(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code), "clear outputs before committing"
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and re.search(r"^year = \d{4}$", params[0].source, re.M)


def _figures() -> set[str]:
    table = indicator_table("conghua", 2023).reset_index()
    numbers = {re.sub(r"\.0+$", "", f"{v:.4f}".rstrip("0")) for v in table["value"]}
    numbers |= {m for w in table["as_written"] for m in re.findall(r"\d+(?:\.\d+)?", w)}
    numbers |= {f"{v:.2f}" for v in load_report("conghua", 2023).metrics.reset_index()["value"]}
    return {n for n in numbers if n not in {"0", "1"}}


def typed_figures(source: str, figures: set[str]) -> set[str]:
    """Figures of the report typed in ``source``; ``* 100`` and ``/ 100`` (to and from percent) are not figures."""
    source = re.sub(r"[*/] 100(?![\w.])", "", source)
    return set(re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])", source)) & figures


def test_percent_conversion_is_not_a_typed_figure_but_a_hundred_elsewhere_is():
    figures = {"100", "439"}  # 100: the 100% litigation appearance rate; 439: the penalty cases
    assert typed_figures('v["a"] / v["b"] * 100 + v["c"] / (v["d"] / 100)', figures) == set()
    assert typed_figures("x = 100\ny = 439", figures) == {"100", "439"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_figure_is_typed_and_no_logic_lives_in_notebooks(path):
    figures = _figures()
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if "parameters" in cell.metadata.get("tags", []):
            continue
        typed = typed_figures(cell.source, figures)
        assert not typed, f"cell {i} types figures {typed}: fill them from data with hb.say / hb.fill"
        if cell.cell_type == "code":
            tree = ast.parse(cell.source)
            nodes = [type(n).__name__ for n in ast.walk(tree) if isinstance(n, BANNED)]
            assert not nodes, f"cell {i} has {nodes}: move reusable logic into helpers"
            imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
            imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
            assert imported <= ALLOWED_IMPORTS, f"cell {i} imports {imported - ALLOWED_IMPORTS}"


def english_comments(source: str) -> list[str]:
    """The comments of a code cell a reader of its rendered page would read as English: none in Chinese (no
    Chinese character), or with three English words in a row. Names from the code (``r.indicators``,
    ``checks.yml``, ``SHOWN``) may stand in a Chinese comment."""
    comments = [t.string for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type == tokenize.COMMENT]
    return [c for c in comments
            if not re.search(r"[\u4e00-\u9fff]", c) or re.search(r"[A-Za-z']+(?: [A-Za-z']+){2}", c)]


def test_an_english_comment_is_caught_and_a_chinese_one_naming_code_is_not():
    source = ('r = hb.load_report(bureau, year)   # the report\'s tidy tables\n'
              'v = r.indicators["value"]   # 报告的每个数字，以编号 r.indicators 为索引\n'
              'x = 1   # 中文 and then three English words\n'
              'y = 2   # ok\n')
    assert english_comments(source) == ["# the report's tidy tables", "# 中文 and then three English words", "# ok"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_code_comments_are_chinese(path):
    """Rendered notebook pages show their code: a comment there is read like the rest of the page."""
    nb = nbformat.read(path, as_version=4)
    english = {i: found for i, cell in enumerate(nb.cells)
               if cell.cell_type == "code" and (found := english_comments(cell.source))}
    assert not english, f"English comments (cell: comments): {english}"


def test_a_function_or_a_loop_in_a_notebook_cell_is_refused():
    tree = ast.parse("def rate(a, b):\n    return a / b\nfor ident in ids:\n    print(ident)")
    assert [type(n).__name__ for n in ast.walk(tree) if isinstance(n, BANNED)] == ["FunctionDef", "For"]


@pytest.mark.parametrize("name", THEMATIC)
def test_each_thematic_notebook_computes_rates_in_pandas_and_checks_them_against_metrics_yml(name):
    code = "\n".join(c.source for c in _cells(name))
    assert "r = hb.load_report(bureau, year)" in code
    checked = AGREES.findall(code)
    assert checked, f"{name} computes no rate of metrics.yml itself"
    metrics = load_report("conghua", 2023).metrics
    for metric in checked:
        assert metric in metrics.index
        inputs = {i["id"] for i in metrics.at[metric, "inputs"]}
        unused = {i for i in inputs if f'"{i}"' not in code and i not in metrics.index}
        assert not unused, f"{name}: {metric} is checked but its inputs {unused} are never addressed by id"


def test_every_thematic_notebook_is_its_own_analysis():
    # Six notebooks, not one skeleton with a topic string changed: the rates checked differ.
    checked = {name: frozenset(AGREES.findall("\n".join(c.source for c in _cells(name)))) for name in THEMATIC}
    assert len(set(checked.values())) == len(THEMATIC)


def test_every_chart_title_is_filled_from_data():
    for name in THEMATIC:
        for cell in _cells(name):
            if "hb.finish_chart(" in cell.source:
                assert "title = hb.fill(r," in cell.source, f"{name}: a chart title must state the finding from data"


def _readme_example() -> list[str]:
    readme = (paths.PROJECT_ROOT / "README.md").read_text("utf-8")
    section = readme.split("## Notebooks", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```python\n(.*?)```", section, re.S)
    return [line for line in block.splitlines() if line.strip()]


def test_the_readme_example_is_the_explore_notebook():
    # Both ways: every line of README's example is a line of 00_explore's code, in order, and
    # every line of that code is in the example; so the two cannot drift apart.
    notebook = [line for c in _cells("00_explore") for line in c.source.splitlines() if line.strip()]
    readme = _readme_example()
    assert readme[:2] == ["bureau = None", "year = 2023"]  # the parameters cell, which the README shows first
    assert readme[2:] == notebook


# --- helpers the notebooks use -------------------------------------------------------------------------


def test_agrees_returns_one_row_when_the_notebook_and_metrics_yml_agree():
    y = hb.load_report("conghua", 2023)
    v = y.indicators["value"]
    row = hb.agrees(v["council_mediation_agreements"] / v["council_complaints_received"] * 100, y,
                    "council_mediation_rate_of_received")
    assert list(row.index) == ["council_mediation_rate_of_received"]
    assert row.iloc[0]["一致"] == "是"
    assert round(row.iloc[0]["定义值"], 2) == 22.65  # 509 / 2247 * 100 = 22.652…
    # an estimate (kind: implied) is shown, once checked, to its meaning: 233 / 1.404 = 165.95… inventions → 166
    implied = hb.agrees(v["invention_patents_granted"] / (1 + v["invention_patents_growth"] / 100), y,
                        "invention_patents_previous_implied")
    assert implied.iloc[0][["笔记本计算", "定义值"]].tolist() == [166, 166]
    with pytest.raises(AmrbookError, match="the two definitions differ"):  # checked before it is rounded
        hb.agrees(166, y, "invention_patents_previous_implied")


def test_agrees_stops_the_notebook_when_the_two_definitions_differ():
    y = hb.load_report("conghua", 2023)
    v = y.indicators["value"]
    with pytest.raises(AmrbookError) as caught:  # 509 / 2049 * 100 = 24.84…, not the rate of received
        hb.agrees(v["council_mediation_agreements"] / v["council_complaints_completed"] * 100, y,
                  "council_mediation_rate_of_received")
    message = str(caught.value)
    assert message.startswith("agrees: the notebook computes council_mediation_rate_of_received = 24.84")
    assert "metrics.yml gives 22.65" in message and "= 509 / 2247 * 100): the two definitions differ" in message
    with pytest.raises(AmrbookError, match=r"^agrees: 'council_mediation_rate' is not a metric of .*metrics\.yml$"):
        hb.agrees(1.0, y, "council_mediation_rate")


def test_with_one_year_growth_view_is_empty_says_so_and_the_stated_growth_gives_the_previous_value():
    growth = hb.growth_view(hb.load_report("conghua", 2023))
    assert growth.empty and list(growth.columns) == ["指标", "单位", "上年", "本年", "变化", "个百分点", "增长率%",
                                                     "差值", "比较"]
    assert growth.attrs["说明"].startswith("广州市从化区市场监督管理局只有2023年一年的指标表，无法计算同比")
    r = hb.load_report("conghua", 2023)
    implied = hb.implied_previous(r)
    # 233 inventions granted, stated growth 40.4%: 233 / 1.404 = 165.95…, an estimate of a count: 166; the
    # rounding of 40.4 (40.35…40.45) allows 233 / 1.4045 = 165.8953… to 233 / 1.4035 = 166.0135…: both 166
    assert implied.at["invention_patents_granted", "推算上年"] == 166
    assert implied.at["invention_patents_granted", "推算区间"] == "166"
    # the same estimate in prose, and the council's mediations its stated rate implies: 509 / 0.7159 = 711.0…
    assert hb.fill(r, "{invention_patents_previous_implied}，{council_implied_mediations_attempted}") == "约166件，约711宗"
    assert implied.at["invention_patents_granted", "核对"] == "无2022年数据可核对"
    with pytest.raises(AmrbookError, match="no comparable change to chart"):
        hb.largest_changes_chart(growth)


SECOND_YEAR = {"council_mediation_success_rate": "60.52%", "admin_penalty_cases": "400宗"}


@pytest.fixture
def two_years(data_copy, tmp_path, monkeypatch):
    """A data copy with a drafted 2024: two figures changed, patents now full-year, one figure dropped."""
    monkeypatch.setenv("AMRBOOK_OUTPUTS", str(tmp_path / "outputs"))
    drafted_second_year(data_copy, figures=SECOND_YEAR, words={"截至11月": "全年"}, drop=("joint_mediation_cases",))
    return data_copy


def test_growth_view_of_two_years_in_points_percent_and_marked_rows(two_years):
    growth = hb.growth_view(hb.load_report("conghua", 2024))
    rate, cases = growth.loc["council_mediation_success_rate"], growth.loc["admin_penalty_cases"]
    # 60.52 − 71.59 = −11.07 percentage points (a relative −15.46% would be wrong for a rate)
    assert math.isclose(rate["个百分点"], -11.07, abs_tol=1e-9) and rate["变化"] == "下降11.07个百分点"
    assert math.isnan(rate["增长率%"])
    # (400 − 439) / 439 × 100 = −8.8838…%, difference −39
    assert round(cases["增长率%"], 4) == -8.8838 and cases["差值"] == -39 and cases["变化"] == "下降8.88%，减少39宗"
    # 截至11月 in 2023, 全年 in 2024: marked, never compared
    patents = growth.loc["patents_granted"]
    assert patents["比较"] == "口径不同" and math.isnan(patents["增长率%"])
    assert patents["变化"] == "口径不同（截至2023年11月／2024年），不比较"
    assert growth.loc["joint_mediation_cases", "比较"] == "仅一年"
    # the four figures of the 截至11月 sentence, one figure dropped; the other 96 − 4 − 1 = 91 comparable
    assert growth.attrs["说明"] == "2024年与2023年对比：可比91项，口径不同4项（不比较），只在一年出现1项。"
    set_theme()  # the house font: the chart's Chinese labels draw without a glyph warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = hb.largest_changes_chart(growth)
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert titles == ["区消委会调解成功率下降11.07个百分点", "查办行政处罚案件下降8.88%，减少39宗"]


def _text(output) -> str:
    return output.get("text", "") + output.get("data", {}).get("text/html", "") + output.get("data", {}).get(
        "text/plain", "")


@pytest.mark.slow
def test_the_overview_shows_year_on_year_change_when_two_years_exist(two_years):
    from helpers.publish.execute import execute

    nb = execute(paths.notebooks_dir() / "00_overview.ipynb", {"year": 2024})
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    shown = "".join(_text(o) for o in outputs)
    # 71.59% → 60.52%: 60.52 − 71.59 = −11.07 个百分点
    assert "下降11.07个百分点" in shown
    # 439 → 400 宗: (400 − 439) / 439 × 100 = −8.88%, difference −39宗
    assert "下降8.88%，减少39宗" in shown
    assert "口径不同（截至2023年11月／2024年），不比较" in shown and "2024年未报告" in shown
    assert "2024年与2023年对比：可比91项，口径不同4项（不比较），只在一年出现1项。" in shown
    section = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith("## 同比"))
    images = [o for c in nb.cells[section:] if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) == 1, "the chart of the largest changes"


@pytest.fixture
def executed(built):
    """Each notebook as the session's build executed it (each is executed once per session)."""
    return built.executed


def _outputs(nb):
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]


@pytest.mark.slow
@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_runs_without_errors_or_glyph_warnings(executed, name):
    outputs = _outputs(executed[name])
    assert not [o for o in outputs if o.output_type == "error"]
    stderr = "".join(o.get("text", "") for o in outputs if o.get("name") == "stderr")
    assert "Glyph" not in stderr and "missing from font" not in stderr
    assert stderr == ""


#: A header cell that is a bare English word: a pandas axis named after a column code (section, period).
ENGLISH_HEADER = re.compile(r"<th[^>]*>\s*[A-Za-z]+\s*</th>")


@pytest.mark.slow
@pytest.mark.parametrize("name", EXPECTED)
def test_no_table_of_a_notebook_shows_nan_or_an_english_axis_name(executed, name):
    # 00_overview and 05 show the stated growth's 上年实际, which one year lacks: pandas wrote NaN;
    # 00_overview's crosstab of the codes named its axes section and period
    tables = "".join(o.get("data", {}).get("text/html", "") for o in _outputs(executed[name]))
    assert "<table" in tables
    assert not re.search(r">\s*NaN\s*<", tables)
    assert not ENGLISH_HEADER.findall(tables)


@pytest.mark.slow
def test_a_notebook_page_printed_on_a4_shows_every_column_of_its_tables(built, tmp_path):
    # the figures table of 01 is wider than A4: printed, it was cut after 限定, so its last column,
    # 原文句子, was on no page
    require_tool("pdftotext", "poppler-utils reads the PDF back")
    from helpers.publish.pdf import print_pdf

    pdf = tmp_path / "01_enforcement.pdf"
    print_pdf(built.pristine / "notebooks" / "01_enforcement.html", pdf)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "原文句子" in text and "限定" in text
    # no English prompt of Jupyter's on the printed page ("In [3]:", "Out[3]:"), and the code is there
    assert not re.search(r"\b(?:In|Out)\s*\[\d*\]", text) and "hb.load_report(bureau, year)" in text
    # no figure broken from its unit, no footnote mark alone at a line's start
    assert broken_figures(pdf) == [] and lone_marks(pdf) == []


@pytest.mark.slow
@pytest.mark.parametrize("name", ["00_overview", *THEMATIC])
def test_notebook_draws_charts_and_ends_with_takeaways_that_cite_their_sources(executed, name):
    outputs = _outputs(executed[name])
    assert [o for o in outputs if "image/png" in o.get("data", {})], "every analysis notebook draws a chart"
    html_ = outputs[-1]["data"]["text/html"]
    assert 'class="narrative"' in html_ and 'class="sources"' in html_ and "<mark>" in html_


@pytest.mark.slow
def test_the_overview_with_one_year_says_so_and_shows_the_implied_previous_value(executed):
    shown = "".join(_text(o) for o in _outputs(executed["00_overview"]))
    assert "广州市从化区市场监督管理局只有2023年一年的指标表，无法计算同比" in shown
    assert "data/indicators/" not in shown  # a folder of the repository is no reader's word
    assert "推算上年" in shown and "166" in shown and "165.95" not in shown  # 233 / 1.404 = 165.954…, about 166


@pytest.mark.slow
@pytest.mark.parametrize("name", THEMATIC)
def test_each_rendered_page_shows_the_pandas_that_computes_its_figures(built, name):
    page = (built.pristine / "notebooks" / f"{name}.html").read_text("utf-8")
    code = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert 'r.indicators.loc[r.indicators["topic"] ==' in code
    for metric in AGREES.findall("\n".join(c.source for c in _cells(name))):
        assert f'r, "{metric}")' in code, f"{name}.html does not show the check of {metric}"
    assert "笔记本计算" in page and "定义值" in page  # the table of both values, side by side


@pytest.mark.slow
def test_explore_covers_filter_groupby_findings_years_and_the_explorer(executed):
    outputs = _outputs(executed["00_explore"])
    shown = "".join(_text(o) for o in outputs)
    assert f"data/indicators/conghua/ 中有{len(paths.indicator_years('conghua'))}个年度" in shown
    assert "中有1个年度：[2023]；同比需要两个年度" in shown  # the repository holds one year
    assert "一(三) 规范行政执法" in shown and "核对" in shown
    bundles = [o["data"] for o in outputs if "data" in o]
    assert any("application/vnd.jupyter.widget-view+json" in b for b in bundles)


@pytest.mark.slow
def test_explorer_has_a_static_fallback(executed):
    bundles = [o["data"] for o in _outputs(executed["02_consumer_protection"]) if "data" in o]
    explorer = next(b for b in bundles if "application/vnd.jupyter.widget-view+json" in b)
    assert "逐项查看指标原文" in explorer["text/html"]


def test_the_quality_summary_accounts_for_every_figure_by_period():
    # found by a new-user trial: 全年 38 + 截至报告时 42 + 非全年 9 = 89 of 96; the 5 figures 截至12月底 and
    # the 2 plans for the next year were in no row. The period rows now add up to the figures.
    summary = hb.quality_summary(hb.load_report("conghua", 2023))["数量"]
    periods = ["全年口径", "截至报告时", "非全年口径", "截至年底", "下一年度计划"]
    assert summary[periods].sum() == summary["报告中的数字"] == len(load_indicators("conghua", 2023))
