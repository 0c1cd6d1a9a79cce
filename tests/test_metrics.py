"""Derived metrics of data/metrics.yml; expected values computed by hand in the comments."""
from __future__ import annotations

import json

import pytest

from conftest import change_figure, drop_indicator, line_no, rewrite
from helpers.audit.report import load_report
from helpers.errors import DataError
from helpers.audit.metrics import compute_metrics, load_metric_defs
from helpers.show.explain import explain
from helpers.tables.indicators import indicator_table
from helpers.cli import main


@pytest.fixture(scope="module")
def metrics():
    return load_report("conghua", 2023).metrics


@pytest.mark.parametrize(("metric", "expected"), [
    ("average_penalty_per_case", 9888.84),              # 4 341 200 元 / 439 宗 = 9 888.84 元
    ("simple_procedure_share", 3.64),                   # 16 / 439 = 3.64 %
    ("council_completion_rate", 91.19),                 # 2049 / 2247 = 91.19 %
    ("council_mediation_rate_of_received", 22.65),      # 509 / 2247 = 22.65 %
    ("council_mediation_rate_of_completed", 24.84),     # 509 / 2049 = 24.84 %
    ("council_implied_mediations_attempted", 710.99),   # 509 / 0.7159 = 710.99 ≈ 711
    ("hotline_mediations_per_case", 280.68),            # 40514 / (9189 + 5245 = 14434) = 280.68 %
    ("food_production_inspections_per_entity", 1.14),   # 498 / (131 + 305 = 436) = 1.14
    ("catering_inspections_per_unit", 1.14),            # 6104 / 5354 = 1.14
    ("food_seller_inspections_per_entity", 1.03),       # 4693 / 4569 = 1.03
    ("food_rectification_rate", 100.0),                 # 141 / 141
    ("drug_rectification_rate", 100.0),                 # 56 / 56
    ("special_equipment_closure_rate", 96.0),           # 24 / 25
    ("device_online_inspection_share", 32.44),          # 181 / 558 = 32.44 %
    ("invention_patent_share", 14.18),                  # 233 / 1643 = 14.18 %
    ("invention_patents_previous_implied", 165.95),     # 233 / 1.404 = 165.95 ≈ 166
    ("trademark_registration_ratio", 57.10),            # 1491 / 2611 = 57.10 %
    ("ip_fund_back_pay_share", 22.98),                  # 59.375 / 258.375 = 22.98 %
    ("ip_fund_subsidy_share", 1.16),                    # 3 / 258.375 = 1.16 %
    ("ip_fund_development_share", 75.86),               # 196 / 258.375 = 75.86 %
    ("ip_fund_projects_plan_vs_actual", -30.91),        # (38 − 55) / 55 = −30.91 %
    ("ip_fund_amount_plan_vs_actual", -66.45),          # (86.685 − 258.375) / 258.375 = −66.45 %
    ("standards_per_enterprise", 13.12),                # 5169 / 394 = 13.12
    ("products_per_standard", 2.50),                    # 12944 / 5169 = 2.50
    ("training_attendance_per_session", 49.83),         # 1196 / 24 = 49.83
    ("external_training_attendance_per_session", 8.24), # 346 / 42 = 8.24
])
def test_metric_values(metrics, metric, expected):
    assert metrics.at[metric, "value"] == pytest.approx(expected, abs=0.005)
    assert metrics.at[metric, "status"] == "ok"


def test_stated_rate_reconciliation(metrics):
    row = metrics.loc["council_mediation_rate_of_received"]
    assert row["reconciles_with"] == "council_mediation_success_rate"
    assert row["stated_value"] == 71.59
    assert row["difference"] == pytest.approx(22.65 - 71.59, abs=0.005)   # −48.94 points
    assert "报告未说明调解成功率的基数" in metrics.at["council_implied_mediations_attempted", "note"]


def test_flags_for_approximate_and_partial_period_inputs(metrics):
    assert metrics.at["special_equipment_inspections_per_inspector", "approx_input"]   # 2900余人次
    assert metrics.at["invention_patent_share", "partial_period"]                      # 截至11月
    assert metrics.at["trademark_registration_ratio", "periods"] == "2023-Q3"          # 截至第三季度
    assert not metrics.at["average_penalty_per_case", "approx_input"]
    assert not metrics.at["average_penalty_per_case", "partial_period"]


def test_inputs_carry_their_spans_and_sentences(metrics):
    inputs = metrics.at["food_production_inspections_per_entity", "inputs"]
    # the metric rests on food_production_entities, itself 131 + 305: its leaves are listed
    assert [i["id"] for i in inputs] == ["food_production_inspections", "food_producers", "food_workshops"]
    assert all(i["as_written"] in i["source_sentence"] for i in inputs)
    assert metrics.at["food_production_inspections_per_entity", "substituted"] == "498 / 436"


def test_explain_shows_formula_numbers_and_sentences():
    text = explain(load_report("conghua", 2023), "council_implied_mediations_attempted")
    assert "= 509 / (71.59 / 100)" in text
    assert "达成调解协议509宗,调解成功率为71.59%" in text
    assert "报告未说明调解成功率的基数" in text


def test_metrics_follow_the_data(data_copy):
    # 439宗 → 400宗 in a copy: the average fine becomes 4 341 200 / 400 = 10 853 元
    change_figure(data_copy, 2023, "439宗", "400宗")
    value = load_report("conghua", 2023).metrics.at["average_penalty_per_case", "value"]
    assert value == pytest.approx(10853.0)


def test_division_by_a_zero_value_is_reported_not_inf(data_copy):
    rewrite(data_copy / "metrics.yml", "formula: penalty_confiscation_amount / admin_penalty_cases",
            "formula: penalty_confiscation_amount / (food_problems_found - food_problems_rectified)")
    rewrite(data_copy / "metrics.yml", "    per: admin_penalty_cases\n", "")    # no longer a count over one base
    row = load_report("conghua", 2023).metrics.loc["average_penalty_per_case"]
    assert row["status"].startswith("undefined: ")
    assert "division by zero (food_problems_found - food_problems_rectified is 0)" in row["status"]


def test_unknown_id_in_a_formula_is_refused_with_its_line(data_copy):
    rewrite(data_copy / "metrics.yml", "formula: admin_penalty_cases_simple / admin_penalty_cases * 100",
            "formula: admin_penalty_cases_simpel / admin_penalty_cases * 100")
    with pytest.raises(DataError, match=r"metrics.yml: line \d+, metric simple_procedure_share: formula uses "
                                        r"'admin_penalty_cases_simpel'"):
        load_metric_defs()


def test_circular_definitions_are_refused(data_copy):
    rewrite(data_copy / "metrics.yml", "formula: food_producers + food_workshops",
            "formula: food_production_inspections / food_production_inspections_per_entity")
    with pytest.raises(DataError, match="circular definition: .*food_production_entities -> "
                                        "food_production_inspections_per_entity -> food_production_entities"):
        load_metric_defs()


def test_code_in_a_formula_is_refused(data_copy):
    rewrite(data_copy / "metrics.yml", "formula: admin_penalty_cases_simple / admin_penalty_cases * 100",
            "formula: __import__('os').system('true')")
    with pytest.raises(DataError, match="Call is not allowed"):
        load_metric_defs()


@pytest.mark.parametrize(("old", "new", "anchor", "where", "cause"), [
    ("    label_zh: 平均每宗罚没金额", "    label_zh: [平均, 每宗]", "    label_zh: [平均", "metric average_penalty_per_case",
     "label_zh must be text on one line, not a list ['平均', '每宗']"),
    ("  - id: average_penalty_per_case", "  - id: Average-Penalty", "  - id: Average-Penalty", "metric Average-Penalty",
     "id must be snake_case ASCII"),
    ("    of: invention_patents_granted", "    of: invention_patents", "    of: invention_patents\n", "stated_growth 1",
     "of 'invention_patents' is not in catalog.yml"),
    ("  - rate: invention_patents_growth\n    of: invention_patents_granted", "  - [invention_patents_growth]",
     "  - [invention", "stated_growth 1", "expected a mapping of fields, not a list ['invention_patents_growth']"),
    # a metric in 元 reconciled with a count in 宗: explain said "the report states admin_penalty_cases =
    # 439; difference 9,449.8383" (9888.84 元 - 439 宗) (hostile3)
    ("    kind: average\n", "    kind: average\n    reconciles_with: admin_penalty_cases\n",
     "  - id: average_penalty_per_case", "metric average_penalty_per_case",
     "reconciles_with 'admin_penalty_cases', counted in '宗' in catalog.yml, but the metric is in '元': "
     "a metric reconciles with the same quantity the report states, in the same unit"),
    # a comparison where a number belongs: it computed 1.0 元, status ok (hostile3)
    ("formula: penalty_confiscation_amount / admin_penalty_cases",
     "formula: penalty_confiscation_amount / admin_penalty_cases > 1", "formula: penalty_confiscation_amount /",
     "metric average_penalty_per_case",
     "'penalty_confiscation_amount / admin_penalty_cases > 1': it is a comparison or and/or, not a number: "
     "a metric computes a number (a rule that must hold belongs in checks.yml)"),
])
def test_a_wrong_metrics_entry_names_its_line(data_copy, old, new, anchor, where, cause):
    path = data_copy / "metrics.yml"
    rewrite(path, old, new)
    with pytest.raises(DataError) as info:
        load_metric_defs()
    assert [str(p) for p in info.value.problems] == [f"{path}: line {line_no(path, anchor)}, {where}: {cause}"]


def test_metrics_without_a_figure_say_so_and_the_command_still_works(data_copy, capsys):
    gone = "council_complaints_received"
    needs = load_report("conghua", 2023).metrics["inputs"].map(lambda inputs: gone in {i["id"] for i in inputs})
    drop_indicator(data_copy, 2023, gone)
    assert main(["metrics", "--year", "2023", "--format", "json"]) == 0
    status = {m["id"]: m["status"] for m in json.loads(capsys.readouterr().out)}
    assert {i for i, s in status.items() if s != "ok"} == set(needs.index[needs])
    assert {status[i] for i in needs.index[needs]} == {f"no value: {gone} not in 2023"}


def test_stated_growth_without_its_figure_says_so(data_copy):
    drop_indicator(data_copy, 2023, "invention_patents_growth")   # the 40.4% of the one stated_growth pair
    (row,) = load_report("conghua", 2023).stated_growth.to_dict("records")
    assert row["status"] == "not checked: no value for invention_patents_growth in 2023"
    assert main(["growth", "--year", "2023"]) == 0


def test_a_metrics_file_that_declares_none_gives_empty_tables_not_a_traceback(data_copy, capsys):
    # found by trying the tool as a new user: `: > metrics.yml` made compute_metrics raise KeyError 'id'
    (data_copy / "metrics.yml").write_text("metrics: []\n", encoding="utf-8")
    assert compute_metrics(indicator_table("conghua", 2023), 2023).empty
    assert main(["metrics", "--year", "2023", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["check", "--year", "2023"]) == 2           # checks.yml still names metrics that are gone
    assert "checks.yml" in capsys.readouterr().err


def test_a_metric_declared_twice_is_named_at_its_second_declaration(data_copy):
    path = data_copy / "metrics.yml"
    text = path.read_text(encoding="utf-8")
    first = line_no(path, "  - id: simple_procedure_share")
    start = text.index("  - id: simple_procedure_share")
    entry = text[start:text.index("\n  - id:", start + 1) + 1]           # the whole entry, declared again
    rewrite(path, "metrics:\n", "metrics:\n" + entry)                   # a copy, now first in the list
    top = line_no(path, "  - id: simple_procedure_share")                # the copy
    second = first + entry.count("\n")                                  # the original, pushed down
    with pytest.raises(DataError) as caught:
        load_metric_defs()
    messages = [str(p) for p in caught.value.problems]
    assert len(messages) == 1
    assert (f"line {second}, metric simple_procedure_share: the id is declared more than once "
            f"(first at line {top}, metric simple_procedure_share)") in messages[0]
