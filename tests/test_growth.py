"""Year-on-year change: rates in percentage points, counts relative, ranks in places, periods never mixed.

The other years are drafted from the 2023 report in a temp copy of data/ by
``conftest.drafted_second_year`` (the way a user adds a year); no synthetic year goes into data/.

* 2022: the 2023 report with invention_patents_granted rewritten to 166件 (what 233 / 1.404 =
  165.95 implies), admin_litigation_cases to 0宗, and online_exam_participants deleted;
* 2024: the 2023 report with the mediation success rate rewritten to 60.52%, admin_penalty_cases
  to 400宗, penalty_confiscation_amount to 651.18万元 (× 1.5), the annual-report rank to 第四,
  the cut-off 截至11月 of the patent figures to 全年, and joint_mediation_cases deleted.
"""
from __future__ import annotations

import csv
import io
import json
import math
import shutil

import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from conftest import REAL_DATA, drafted_second_year, line_no, rewrite
from helpers.audit.growth import GROWTH_COLUMNS, growth_between, growth_table, metric_growth
from helpers.audit.report import load_report
from helpers.audit.status import GrowthStatus
from helpers import paths
from helpers.cli import main
from helpers.show.format import change_text

YEAR_2024 = {"figures": {"council_mediation_success_rate": "60.52%", "admin_penalty_cases": "400宗",
                         "penalty_confiscation_amount": "651.18万元", "annual_report_rate_rank": "四"},
             "words": {"截至11月": "全年"}, "drop": ("joint_mediation_cases",)}
YEAR_2022 = {"figures": {"invention_patents_granted": "166件", "admin_litigation_cases": "0宗"},
             "drop": ("online_exam_participants",)}


@pytest.fixture(scope="module")
def three_years_data(tmp_path_factory) -> str:
    data = tmp_path_factory.mktemp("growth") / "data"
    shutil.copytree(REAL_DATA, data)
    drafted_second_year(data, 2022, **YEAR_2022)
    drafted_second_year(data, 2024, **YEAR_2024)
    return str(data)


@pytest.fixture
def three_years(three_years_data, monkeypatch):
    """data/ with 2022 and 2024 drafted from the 2023 report (see the module docstring)."""
    monkeypatch.setenv("AMRBOOK_DATA", three_years_data)
    return growth_table(_reports()).set_index(["year", "id"], drop=False)


def _reports(years=None) -> list:
    """The reports of 从化 (``conghua``) of ``years`` (every year with a table by default)."""
    return [load_report("conghua", year) for year in years or paths.indicator_years("conghua")]


def _row(frame: pd.DataFrame, year: int, ident: str) -> pd.Series:
    return frame.loc[(year, ident)]


# --- one year only ---------------------------------------------------------------------------------

def test_one_year_gives_an_empty_table_with_a_reason():
    for frame in (growth_table(_reports()), metric_growth(_reports()), load_report("conghua", 2023).growth):
        assert frame.empty and list(frame.columns) == GROWTH_COLUMNS
    for frame in (growth_table(_reports()), metric_growth(_reports())):
        assert frame.attrs["reason"].startswith("only 2023 has an indicator table")
        assert frame.attrs["reason"].endswith("; year-on-year change needs two years")


def test_one_year_still_gives_the_previous_value_the_stated_growth_implies():
    stated = load_report("conghua", 2023).stated_growth.iloc[0]
    assert stated["implied_previous"] == pytest.approx(165.95, abs=0.005)   # 233 / 1.404 = 165.954
    assert stated["status"] == "no 2022 figure to reconcile with"


def test_growth_cli_with_one_year_says_why_there_is_no_table(capsys):
    assert main(["growth", "--year", "2023"]) == 0
    out, err = capsys.readouterr()
    assert "amrbook: only 2023 has an indicator table" in err and "needs two years" in err
    assert "growth stated in the report" in out and "no 2022 figure to reconcile with" in out


# --- the rules, on drafted years -------------------------------------------------------------------

def test_a_rate_changes_in_percentage_points(three_years):
    row = _row(three_years, 2024, "council_mediation_success_rate")
    assert row["status"] == GrowthStatus.IN_POINTS
    assert row["change_pp"] == pytest.approx(-11.07)      # 60.52 − 71.59 = −11.07 points
    assert math.isnan(row["growth_pct"]) and math.isnan(row["change"])   # not (60.52 − 71.59) / 71.59 = −15.46 %
    assert change_text(row) == "下降11.07个百分点"


def test_a_count_changes_relatively_with_the_difference_beside_it(three_years):
    cases = _row(three_years, 2024, "admin_penalty_cases")
    assert cases["status"] == GrowthStatus.COMPARED and math.isnan(cases["change_pp"])
    assert cases["change"] == -39                          # 400 − 439
    assert cases["growth_pct"] == pytest.approx(-8.8838, abs=5e-5)   # −39 / 439 × 100 = −8.88383
    assert change_text(cases) == "下降8.88%，减少39宗"
    money = _row(three_years, 2024, "penalty_confiscation_amount")
    assert money["change"] == 2170600                      # 6511800 − 4341200 元
    assert money["growth_pct"] == pytest.approx(50)        # 2170600 / 4341200 = 0.5
    assert change_text(money) == "增长50%，增加217.06万元"
    unchanged = _row(three_years, 2024, "admin_penalty_cases_simple")
    assert (unchanged["change"], unchanged["growth_pct"], change_text(unchanged)) == (0, 0, "持平")


def test_a_rank_changes_in_places_and_lower_is_better(three_years):
    rank = _row(three_years, 2024, "annual_report_rate_rank")
    assert rank["status"] == GrowthStatus.IN_PLACES
    assert rank["change"] == -2                            # 4th − 6th: two places up
    assert math.isnan(rank["growth_pct"]) and math.isnan(rank["change_pp"])
    assert change_text(rank) == "排名上升2位"


def test_figures_of_different_periods_keep_their_values_but_get_no_change(three_years):
    for ident in ("patents_granted", "invention_patents_granted", "invention_patents_growth", "ip_pledge_financing"):
        row = _row(three_years, 2024, ident)
        assert row["status"] == GrowthStatus.PERIOD_DIFFERS, ident
        assert (row["period"], row["previous_period"]) == ("2024", "2023-11")
        assert row["value"] == row["previous_value"]       # the figure is the same; its period is not
        assert all(math.isnan(row[c]) for c in ("change", "growth_pct", "change_pp"))
    assert change_text(_row(three_years, 2024, "patents_granted")) == "口径不同（截至2023年11月／2024年），不比较"


def test_the_same_cut_off_in_two_years_is_compared(three_years):
    row = _row(three_years, 2023, "patents_granted")      # 截至11月 in both the 2022 and the 2023 report
    assert (row["status"], row["period"], row["previous_period"]) == (GrowthStatus.COMPARED, "2023-11", "2022-11")
    assert row["growth_pct"] == 0


def test_new_missing_and_zero_figures_are_named(three_years):
    new = _row(three_years, 2023, "online_exam_participants")
    assert new["status"] == GrowthStatus.ONLY_CURRENT and change_text(new) == "2023年新增"
    gone = _row(three_years, 2024, "joint_mediation_cases")
    assert gone["status"] == GrowthStatus.ONLY_PREVIOUS and math.isnan(gone["value"]) and gone["previous_value"] == 1
    assert change_text(gone) == "2024年未报告"
    zero = _row(three_years, 2023, "admin_litigation_cases")
    assert zero["status"] == "previous is zero" and zero["change"] == 8 and math.isnan(zero["growth_pct"])  # 8 − 0
    assert change_text(zero) == "上年为0，无增长率，增加8宗"


def test_metrics_change_by_the_same_rules(three_years):
    frame = metric_growth(_reports([2023, 2024])).set_index("id")
    share = frame.loc["simple_procedure_share"]            # a share in %: points
    assert share["status"] == GrowthStatus.IN_POINTS
    assert share["change_pp"] == pytest.approx(0.35535, abs=5e-6)   # 16/400×100 − 16/439×100 = 4 − 3.64465
    average = frame.loc["average_penalty_per_case"]        # 元 per case: relative
    assert average["status"] == GrowthStatus.COMPARED
    assert average["growth_pct"] == pytest.approx(64.625)  # (6511800/400) / (4341200/439) − 1 = 1.5 × 1.0975 − 1
    assert average["change"] == pytest.approx(6390.6617, abs=5e-5)   # 16279.5 − 9888.8383
    assert frame.loc["invention_patent_share", "status"] == GrowthStatus.PERIOD_DIFFERS   # 2023-11 inputs against 2024


def test_stated_growth_is_reconciled_with_a_drafted_previous_year(three_years):
    assert load_report("conghua", 2023).stated_growth.iloc[0]["status"] == "consistent"   # 166 within 233/1.4045 … 233/1.4035 = 165.90 … 166.01
    later = load_report("conghua", 2024).stated_growth.iloc[0]                     # 全年 2024 against 截至11月 2023: no verdict
    assert later["status"] == GrowthStatus.PERIOD_DIFFERS and later["previous_value"] == later["value"]


def test_a_stated_growth_that_does_not_match_the_previous_year(data_copy):
    drafted_second_year(data_copy, 2022, figures={"invention_patents_granted": "150件"})  # 233/150 − 1 = 55.3 %, not 40.4 %
    assert load_report("conghua", 2023).stated_growth.iloc[0]["status"] == "inconsistent"


# --- the command -----------------------------------------------------------------------------------

def test_growth_cli_has_the_percentage_point_column_in_every_format(three_years, capsys):
    assert main(["growth", "--year", "2024", "--format", "csv"]) == 0
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert {r["year"] for r in rows.values()} == {"2024"}
    rate = rows["council_mediation_success_rate"]
    assert (rate["change_pp"], rate["growth_pct"], rate["reads"]) == ("-11.07", "", "下降11.07个百分点")  # 60.52 − 71.59
    assert main(["growth", "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert {r["year"] for r in records} == {2023, 2024}
    period = next(r for r in records if r["id"] == "patents_granted" and r["year"] == 2024)
    assert (period["status"], period["growth_pct"], period["change"], period["change_pp"]) == (GrowthStatus.PERIOD_DIFFERS, None,
                                                                                                None, None)
    assert main(["growth", "--year", "2024", "--metrics"]) == 0
    table = capsys.readouterr().out
    assert "change_pp" in table and "提高0.36个百分点" in table      # simple_procedure_share, +0.35535 points


def test_growth_cli_names_a_year_with_nothing_before_it(three_years, capsys):
    assert main(["growth", "--year", "2022"]) == 0
    assert ("amrbook: no year-on-year change into 2022: the years with indicator tables are 2022, 2023, 2024"
            in capsys.readouterr().err)


@pytest.mark.parametrize(("old", "new", "anchor", "message"), [
    ("of: invention_patents_granted", "of: invention_patents_grantd", "of: invention_patents_grantd",
     "stated_growth 1: of 'invention_patents_grantd' is not in catalog.yml"),
    ("    of: invention_patents_granted", "    of: invention_patents_granted\n  - invention_patents_growth",
     "  - invention_patents_growth", "stated_growth 2: expected a mapping of fields, not text 'invention_patents_growth'"),
    ("rate: invention_patents_growth", "rate: invention_patents_granted", "rate: invention_patents_granted",
     "stated_growth 1: rate 'invention_patents_granted' has unit '件' in catalog.yml; a stated growth rate is in %"),
])
def test_a_bad_stated_growth_pair_is_named_with_its_line(data_copy, capsys, old, new, anchor, message):
    rewrite(data_copy / "metrics.yml", old, new)
    line = line_no(data_copy / "metrics.yml", anchor)
    assert main(["growth", "--year", "2023"]) == 2
    err = capsys.readouterr().err
    assert f"metrics.yml: line {line}, {message}" in err and "Traceback" not in err


def test_metrics_yml_that_is_not_a_mapping_is_named(data_copy, capsys):
    (data_copy / "metrics.yml").write_text("- stated_growth\n", encoding="utf-8")
    assert main(["growth", "--year", "2023"]) == 2
    assert "metrics.yml: line 1: expected a mapping with the key 'metrics', not a list" in capsys.readouterr().err


# --- properties ------------------------------------------------------------------------------------

UNITS = ["宗", "元", "%", "pp", "rank"]
# Periods by index: the same index in both years is the same part of the year.
PERIODS = [("2022", "2023"), ("2022-11", "2023-11"), ("as_of_report", "as_of_report"),
           ("2022, as_of_report", "2023, as_of_report"), ("2023", "2024")]


def _table(values: dict, side: int) -> pd.DataFrame:
    rows = {k: {"value": v[0], "unit": v[1], "period": PERIODS[v[2]][side], "label_zh": k}
            for k, v in values.items() if v is not None}
    return pd.DataFrame.from_dict(rows, orient="index", columns=["value", "unit", "period", "label_zh"])


numbers = st.one_of(st.just(0.0), st.just(5e-324), st.just(math.nan),
                    st.floats(min_value=-1e12, max_value=1e12, allow_nan=False))
figure = st.one_of(st.none(), st.tuples(numbers, st.sampled_from(UNITS), st.integers(0, len(PERIODS) - 1)))


@given(st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), st.tuples(figure, figure), min_size=1))
@example({"a": ((1500.0, "宗", 0), (1643.0, "宗", 1))})    # was "ok, period differs" with a growth figure
@example({"a": ((71.59, "%", 0), (60.52, "%", 0))})        # was −15.46 %, a relative change of a rate
@example({"a": ((5e-324, "宗", 0), (1e12, "宗", 0))})      # the ratio overflows
def test_each_status_carries_exactly_its_figure(pairs):
    previous = _table({k: p for k, (p, _) in pairs.items()}, 0)
    current = _table({k: c for k, (_, c) in pairs.items()}, 1)
    frame = growth_between(previous, current, 2022, 2023)
    assert list(frame["id"]) == list(dict.fromkeys([*current.index, *previous.index]))
    for row in frame.to_dict("records"):
        figures = {c: row[c] for c in ("change", "growth_pct", "change_pp")}
        assert not any(math.isinf(v) for v in figures.values())
        shown = {c for c, v in figures.items() if not math.isnan(v)}
        status, text = row["status"], change_text(row)
        assert text and "nan" not in text.lower() and "inf" not in text.lower()
        old, new = pairs[row["id"]]
        if old is None or new is None:
            assert status == (GrowthStatus.ONLY_CURRENT if old is None else GrowthStatus.ONLY_PREVIOUS) and shown == set()
            continue
        (before, _, prev_period), (value, unit, period) = old, new
        if status == GrowthStatus.COMPARED:
            assert unit not in ("%", "pp", "rank") and shown == {"change", "growth_pct"}
            assert row["change"] == value - before
            assert row["growth_pct"] == pytest.approx((value - before) / before * 100)
        elif status == GrowthStatus.IN_POINTS:
            assert unit in ("%", "pp") and shown == {"change_pp"} and row["change_pp"] == value - before
        elif status == GrowthStatus.IN_PLACES:
            assert unit == "rank" and shown == {"change"} and row["change"] == value - before
        elif status in ("previous is zero", "previous is negative"):
            assert (before == 0) == (status == "previous is zero") and shown == {"change"}
        else:
            assert shown == set()
        if status == GrowthStatus.PERIOD_DIFFERS:
            assert prev_period != period and row["value"] == value and row["previous_value"] == before
        elif status.startswith("ok") or status.startswith("previous is"):
            assert prev_period == period
        if status == GrowthStatus.PERIOD_DIFFERS:
            assert text.startswith("口径不同") and "%" not in text and "百分点" not in text


def test_the_growth_views_note_says_only_the_kinds_of_comparison_found(three_years):
    # the class of 「核对发现0处数字互相矛盾」: a kind of comparison no figure has is not counted as 0
    from helpers.show.views import growth_view

    # 2022 and 2023 are the same text with the same 截至11月 cut-off: no figure's period differs
    note_2023 = growth_view(load_report("conghua", 2023)).attrs["说明"]
    assert note_2023.startswith("2023年与2022年对比：") and "口径不同" not in note_2023
    # 2024 reads 全年 where 2023 read 截至11月: the four figures of that sentence (asserted above) are not compared
    assert "口径不同4项（不比较）" in growth_view(load_report("conghua", 2024)).attrs["说明"]
