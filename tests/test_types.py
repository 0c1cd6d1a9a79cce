"""The value types of the package: a period, a unit and the audit's statuses, each read in one place
(:mod:`helpers.report.period`, :mod:`helpers.report.units`, :mod:`helpers.audit.status`), worded for
pages in one place (:mod:`helpers.show.words`); and a problem's line and column as fields."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers.audit.status import Comparison, GrowthStatus, Missing, Result, Severity, StatedCheck
from helpers.errors import DataError, Problem
from helpers.report.period import Period, span_of
from helpers.report.units import Change, Unit
from helpers.show import words
from helpers.show.format import change_text, result_text

LATIN = re.compile(r"[A-Za-z]")


# --- period ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("code", "fields", "partial", "full", "year_end", "plan", "zh"), [
    ("2023", (2023, 0, 0, ""), False, True, False, False, "2023年"),
    ("2023-11", (2023, 11, 0, ""), True, False, False, False, "截至2023年11月"),
    ("2023-Q3", (2023, 0, 3, ""), True, False, False, False, "截至2023年第3季度"),
    ("2023-12", (2023, 12, 0, ""), False, False, True, False, "截至2023年12月"),
    ("2023-Q4", (2023, 0, 4, ""), False, False, True, False, "截至2023年第4季度"),
    ("as_of_report", (0, 0, 0, "as_of_report"), False, False, False, False, "截至报告时"),
    ("recent", (0, 0, 0, "recent"), True, False, False, False, "近期"),
    ("2024", (2024, 0, 0, ""), False, False, False, True, "2024年"),     # next year's plan in the 2023 report
])
def test_a_period_code_is_read_once_and_answers_every_question(code, fields, partial, full, year_end, plan, zh):
    period = Period.parse(code)
    assert (period.year, period.month, period.quarter, period.code) == fields
    assert str(period) == code                                         # written back as it was read
    assert (period.is_partial, period.is_full_year(2023), period.is_year_end(2023), period.is_plan(2023)) == (
        partial, full, year_end, plan)
    assert period.is_as_of_report == (code == "as_of_report")
    assert period.words() == zh and not LATIN.search(period.words())


@pytest.mark.parametrize("bad", ["2023-13", "2023-00", "2023-Q5", "23", "2023-1", "今年", "", "as of report"])
def test_a_period_that_is_not_a_code_is_refused(bad):
    with pytest.raises(ValueError, match="is not a period"):
        Period.parse(bad)


@given(st.integers(1949, 2100), st.sampled_from([0, *range(1, 13)]), st.booleans())
def test_every_code_reads_back_to_itself(year, part, quarter):
    code = str(year) if not part else (f"{year}-Q{(part - 1) % 4 + 1}" if quarter else f"{year}-{part:02d}")
    assert str(Period.parse(code)) == code


def test_periods_compare_by_the_part_of_their_own_report_year():
    # 截至11月 of the 2023 report and of the 2024 report cover the same part of their years
    assert span_of("2023-11", 2023) == span_of("2024-11", 2024)
    assert span_of("2023-11", 2023) != span_of("2024", 2024)           # 截至11月 against a full year
    # "2024" in the 2023 report is next year's plan, not the 2024 report's full year
    assert span_of("2024", 2023) != span_of("2024", 2024)
    # a metric's list of input periods is a set: order and repetition do not matter
    assert span_of("2023-11, as_of_report", 2023) == span_of("as_of_report, 2024-11, 2024-11", 2024)
    assert span_of("as_of_report", 2023) == span_of("as_of_report", 2024)


@pytest.mark.parametrize(("cue", "code"), [("截至11月", "2023-11"), ("截至11月底", "2023-11"), ("截至12月底", "2023-12"),
                                           ("截至第三季度", "2023-Q3"), ("截至第4季度", "2023-Q4"),
                                           ("截至目前", "as_of_report"), ("目前", "as_of_report"), ("近期", "recent"),
                                           ("全年", "2023")])
def test_the_words_of_a_report_give_the_same_period_type(cue, code):
    assert Period.read(cue, 2023) == Period.parse(code)


# --- unit ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("code", "percentage", "rank", "money", "ratio", "counter", "change", "after"), [
    ("%", True, False, False, False, False, Change.POINTS, "%"),
    ("pp", True, False, False, False, False, Change.POINTS, "pp"),
    ("rank", False, True, False, False, False, Change.PLACES, "rank"),
    ("元", False, False, True, False, False, Change.RELATIVE, "元"),
    ("宗", False, False, False, False, True, Change.RELATIVE, "宗"),
    ("家次", False, False, False, False, True, Change.RELATIVE, "家次"),
    ("件/家", False, False, False, True, False, Change.RELATIVE, ""),
])
def test_a_unit_says_what_it_measures_and_how_it_changes(code, percentage, rank, money, ratio, counter, change, after):
    unit = Unit(code)
    assert (unit.is_percentage, unit.is_rank, unit.is_money, unit.is_ratio, unit.is_counter) == (
        percentage, rank, money, ratio, counter)
    assert unit.change is change and unit.after_number == after
    assert unit.direction == (-1 if rank else 1)                        # 6th → 4th is a rise


# --- statuses: every member has Chinese words, none with a Latin letter ----------------------------

@pytest.mark.parametrize("table", [words.SEVERITY_WORDS, words.RESULT_WORDS, words.MISSING_WORDS,
                                   words.COMPARISON_WORDS, words.GROWTH_WORDS, words.STATED_WORDS])
def test_every_status_has_page_words_without_latin_letters(table):
    kind = type(next(iter(table)))
    assert set(table) == set(kind), f"{kind.__name__} members without words: {set(kind) - set(table)}"
    for member, text in table.items():
        filled = text.format(year=2024, previous_year=2023, missing="发明专利授权增长率")
        assert filled and not LATIN.search(filled), (member, filled)


def _growth_row(status: GrowthStatus) -> dict:
    nan = float("nan")
    return {"status": status.value, "unit": "宗", "change": -39.0, "growth_pct": -8.8838, "change_pp": -11.07,
            "year": 2024, "previous_year": 2023, "period": "2024", "previous_period": "2023-11"} | (
        {"change": nan} if status is GrowthStatus.IN_POINTS else {})


@pytest.mark.parametrize("status", list(GrowthStatus))
def test_every_growth_status_is_worded_in_chinese_with_its_year_from_the_row(status):
    text = change_text(_growth_row(status))
    assert text and not LATIN.search(text), text
    assert words.growth_words(status, 2024, 2023) and not LATIN.search(words.growth_words(status, 2024, 2023))


def test_a_growth_status_names_no_year_and_its_words_take_the_years_of_the_row():
    assert {s.value for s in GrowthStatus if re.search(r"\d", s.value)} == set()
    assert change_text(_growth_row(GrowthStatus.ONLY_CURRENT)) == "2024年新增"
    assert change_text(_growth_row(GrowthStatus.ONLY_PREVIOUS)) == "2024年未报告"
    assert change_text(_growth_row(GrowthStatus.NO_PREVIOUS_VALUE)) == "2023年无数值"
    assert change_text(_growth_row(GrowthStatus.PERIOD_DIFFERS)) == "口径不同（截至2023年11月／2024年），不比较"


@pytest.mark.parametrize(("status", "comparison"), [
    (GrowthStatus.COMPARED, Comparison.COMPARED), (GrowthStatus.IN_POINTS, Comparison.COMPARED),
    (GrowthStatus.IN_PLACES, Comparison.COMPARED), (GrowthStatus.PERIOD_DIFFERS, Comparison.PERIOD_DIFFERS),
    (GrowthStatus.ONLY_CURRENT, Comparison.ONE_YEAR), (GrowthStatus.ONLY_PREVIOUS, Comparison.ONE_YEAR),
    (GrowthStatus.PREVIOUS_ZERO, Comparison.NOT_COMPARED), (GrowthStatus.UNIT_CHANGED, Comparison.NOT_COMPARED),
    (GrowthStatus.NO_VALUE, Comparison.NOT_COMPARED), (GrowthStatus.TOO_LARGE, Comparison.NOT_COMPARED)])
def test_each_growth_status_amounts_to_one_comparison(status, comparison):
    assert status.comparison is comparison


@pytest.mark.parametrize("result", list(Result))
@pytest.mark.parametrize("reason", list(Missing))
def test_every_result_is_worded_in_chinese_with_labels_not_ids(result, reason):
    ident = "council_complaints_received"
    text = result_text(result, [[40514.0, 14434.0]], {ident: reason}, "'a / b': division by zero (b is 0)", 2023,
                       {ident: "区消委会受理消费投诉"})
    assert text and not LATIN.search(text), text


def test_severities_sort_most_serious_first_and_only_errors_and_warnings_are_findings():
    assert sorted(["ok", "skipped", "error", "warn"], key=lambda s: Severity(s).rank) == ["error", "warn", "skipped",
                                                                                         "ok"]
    assert [s for s in Severity if s.is_finding] == [Severity.ERROR, Severity.WARN]
    assert StatedCheck("period differs") is StatedCheck.PERIOD_DIFFERS   # codes in tables read back as members


# --- a problem's line and column are fields --------------------------------------------------------

def test_a_problem_carries_its_line_and_column_and_prints_as_before():
    problem = Problem(Path("2023.csv"), "", "is empty", line=12, column="value")
    assert (problem.line, problem.column) == (12, "value")
    assert str(problem) == "2023.csv: line 12, column value: is empty"
    assert str(Problem(Path("checks.yml"), "line 3, check x", "bad")) == "checks.yml: line 3, check x: bad"
    assert str(Problem(Path("2023.csv"), "", "file not found")) == "2023.csv: file not found"


def test_a_tables_problems_are_sorted_by_their_line_fields(data_copy):
    import csv
    import io

    from helpers.tables.load import load_indicators

    path = data_copy / "indicators" / "conghua" / "2023.csv"
    records = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))  # one record a line
    # found in column order (value is coerced before start), sorted by line as a number: line 9 before
    # line 10 before line 90 (as text "line 10" < "line 9" < "line 90")
    for line, column in ((90, 2), (10, 5), (9, 2)):
        records[line - 1][column] = "x"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(records)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_indicators("conghua", 2023)
    assert [(p.line, p.column) for p in caught.value.problems] == [(9, "value"), (10, "start"), (90, "value")]
    assert str(caught.value.problems[0]).endswith("conghua/2023.csv: line 9, column value: 'x' is not a number")
