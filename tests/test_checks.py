"""Consistency audit of the report (data/checks.yml)."""
from __future__ import annotations

import pytest

from conftest import change_figure, rewrite
from helpers import DataError
from helpers.audit.checks import load_check_defs, run_checks
from helpers.cli import main


@pytest.fixture(scope="module")
def findings():
    return run_checks(2023).set_index("check")


def test_the_12315_mediations_are_flagged_as_an_error(findings):
    row = findings.loc["hotline_mediations_within_cases"]
    assert row["severity"] == "error"
    assert row["substituted"] == "40514 <= 9189 + 5245"           # 40514 > 14434
    assert "(40,514 vs 14,434)" in row["message"]
    assert "很可能是原文错误" in row["note"]
    sentences = {f["source_sentence"] for f in row["figures"]}
    assert sentences == {"12315中心受理了9189宗投诉,举报5245宗,达成调解40514宗,挽回经济损失168.8万元。"}


def test_the_mediation_rate_does_not_reconcile(findings):
    row = findings.loc["mediation_rate_reconciles"]
    assert row["severity"] == "warn"
    # 71.59 against 509/2247 = 22.65 and 509/2049 = 24.84
    assert row["message"] == "does not hold (71.59 vs 22.6524; 71.59 vs 24.8414)"
    assert {f["id"] for f in row["figures"]} >= {"council_mediation_success_rate", "council_mediation_agreements"}


@pytest.mark.parametrize("check", [
    "food_entities_sum",                   # 131 + 305 + 4569 + 5354 = 10359
    "ip_fund_parts_sum",                   # 59.375 + 3 + 196 = 258.375 (万元)
    "simple_procedure_within_cases",       # 16 ≤ 439
    "council_completed_within_received",   # 2049 ≤ 2247
    "device_online_within_distributors",   # 181 ≤ 558
    "cosmetics_flight_within_inspections", # 28 ≤ 305
    "special_equipment_closed_within_filed",  # 24 ≤ 25
    "invention_within_patents",            # 233 ≤ 1643
    "rank_within_districts",               # 1 ≤ 6 ≤ 11
])
def test_consistent_parts_pass(findings, check):
    assert findings.at[check, "severity"] == "ok"


def test_every_rate_is_checked_once(findings):
    per_rate = [c for c in findings.index if c.startswith("rates_within_0_100[")]
    assert "rates_within_0_100[council_completion_rate]" in per_rate
    assert not any("plan_vs_actual" in c for c in per_rate)      # negative by nature; not a rate
    assert (findings.loc[per_rate, "severity"] == "ok").all()


def test_a_broken_sum_is_found_in_changed_data(data_copy):
    change_figure(data_copy, 2023, "10359家", "10358家")     # the parts still add up to 10359
    row = run_checks(2023).set_index("check").loc["food_entities_sum"]
    assert row["severity"] == "error"
    assert "10,359 vs 10,358" in row["message"]


def test_check_cli_exits_0_unless_strict(capsys):
    assert main(["check", "--year", "2023"]) == 0
    out = capsys.readouterr().out
    assert "[error] hotline_mediations_within_cases" in out
    assert "37 checks: 35 ok, 1 warn, 1 error" in out
    assert main(["check", "--year", "2023", "--strict", "--format", "json"]) == 1


def test_unknown_id_in_a_check_is_refused(data_copy):
    rewrite(data_copy / "checks.yml", "assert: admin_penalty_cases_simple <= admin_penalty_cases",
            "assert: admin_penalty_cases_simple <= admin_penalty_case")
    with pytest.raises(DataError, match="check simple_procedure_within_cases: uses 'admin_penalty_case'"):
        load_check_defs()


def test_checks_yaml_syntax_error_names_the_line(data_copy):
    rewrite(data_copy / "checks.yml", "    severity: error\n", "    severity: [error\n")
    with pytest.raises(DataError, match=r"checks.yml: line \d+, column \d+: YAML syntax error"):
        load_check_defs()
