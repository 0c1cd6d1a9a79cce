"""Consistency audit of the report (data/checks.yml)."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from conftest import change_figure, drop_indicator, line_no, rewrite
from helpers.audit.report import load_report
from helpers.errors import DataError
from helpers.audit.checks import load_check_defs
from helpers.cli import main
from helpers.show.findings import worded_findings


@pytest.fixture(scope="module")
def findings():
    return worded_findings(load_report("conghua", 2023)).set_index("check")


def test_the_12315_mediations_are_flagged_as_an_error(findings):
    row = findings.loc["hotline_mediations_within_cases"]
    assert row["severity"] == "error"
    assert row["substituted"] == "40514 <= 9189 + 5245"           # 40514 > 14434
    assert (row["result"], row["sides"]) == ("fails", [[40514, 14434]])   # 9189 + 5245 = 14434
    assert "(40,514 vs 14,434)" in row["message"] and row["结果"] == "不成立（40514宗 对 14434宗）"   # in their unit, 宗
    assert "疑为原文错误" in row["note"]
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
    row = worded_findings(load_report("conghua", 2023)).set_index("check").loc["food_entities_sum"]
    assert row["severity"] == "error"
    assert "10,359 vs 10,358" in row["message"]


def test_check_cli_exits_0_unless_strict(capsys):
    assert main(["check", "--year", "2023"]) == 0
    out = capsys.readouterr().out
    assert "[error] hotline_mediations_within_cases" in out
    counts = load_report("conghua", 2023).findings["severity"].value_counts()     # the 40514 error and the 71.59% warning
    assert (counts.get("error"), counts.get("warn"), counts.get("skipped", 0)) == (1, 1, 0)
    assert f"{counts.sum()} checks: 1 error, 1 warn, 0 skipped, {counts['ok']} ok" in out
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


def test_a_missing_figure_skips_the_rules_that_need_it_and_runs_the_rest(data_copy, capsys):
    gone = "council_complaints_received"
    before = load_report("conghua", 2023).findings
    needs = before["figures"].map(lambda figures: gone in {f["id"] for f in figures})   # the rules resting on it
    drop_indicator(data_copy, 2023, gone)
    assert main(["check", "--year", "2023", "--format", "json"]) == 0
    after = pd.DataFrame(json.loads(capsys.readouterr().out)).set_index("check")
    skipped = after[after["severity"] == "skipped"]
    assert set(skipped.index) == set(before.loc[needs, "check"]) and len(skipped) > 0
    assert all(m.startswith("not checked: no value for ") and gone in m for m in skipped["message"])
    # every other rule still runs, with the finding it had on the complete table
    others = before[~needs].set_index("check")["severity"]
    assert after.drop(skipped.index)["severity"].to_dict() == others.to_dict()
    assert main(["check", "--year", "2023"]) == 0
    counts = after["severity"].value_counts()
    line = ", ".join(f"{counts.get(s, 0)} {s}" for s in ("error", "warn", "skipped", "ok"))
    assert f"\n{len(before)} checks: {line}\n" in capsys.readouterr().out


def test_a_rule_on_a_figure_the_year_lacks_names_the_table(data_copy):
    drop_indicator(data_copy, 2023, "admin_penalty_cases_simple")
    row = worded_findings(load_report("conghua", 2023)).set_index("check").loc["simple_procedure_within_cases"]
    assert (row["result"], row["missing"]) == ("missing", {"admin_penalty_cases_simple": "not in the year's table"})
    assert (row["severity"], row["message"]) == ("skipped", "not checked: no value for admin_penalty_cases_simple "
                                                            "(not in 2023.csv)")
    # the page names the figure by its catalog label and says why in Chinese (no id, no English)
    assert row["结果"] == "未核对：缺少 其中简易程序案件（2023年指标表中没有）"


@pytest.mark.parametrize(("old", "new", "anchor", "cause"), [
    ("      kind: [rate, share]", "      kinds: [rate, share]", "    for_each:\n      kinds",
     "for_each takes kind and/or ids, not 'kinds'"),
    ("      kind: [rate, share]", "      kind: [rate, sahre]", "      kind: [rate, sahre]",
     "for_each kind 'sahre' is not one of rate, share, ratio, average, total, implied, plan_vs_actual"),
])
def test_a_wrong_for_each_names_its_line(data_copy, old, new, anchor, cause):
    path = data_copy / "checks.yml"
    rewrite(path, old, new)
    with pytest.raises(DataError) as info:
        load_check_defs()
    where = f"line {line_no(path, anchor)}, check rates_within_0_100"
    assert [str(p) for p in info.value.problems] == [f"{path}: {where}: {cause}"]
