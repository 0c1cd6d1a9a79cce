"""Issue 20, the input classes: every walk over user data is iterative and memoised, every
number finite or refused, every read bounded, every printed character survives the output
encoding. One test per case of docs/reliability.md (the class headings there name these)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from cli_process import amrbook
from conftest import line_no, rewrite
from helpers.audit import metrics as metrics_module
from helpers.audit.formula import MAX_DEPTH, Formula, FormulaError
from helpers.audit.metrics import MetricDef
from helpers.audit.report import load_report

def run(*args, env=None, timeout=None):
    return amrbook(*args, env={**os.environ, **(env or {})}, timeout=timeout)


def _metric(ident: str, formula: str) -> str:
    return (f"  - id: {ident}\n    label_zh: 测试\n    label_en: test\n    formula: {formula}\n"
            "    unit: 宗\n    kind: total\n")


def _add_metrics(data: Path, entries: str) -> None:
    rewrite(data / "metrics.yml", "\n# Growth rates", "\n" + entries + "# Growth rates")


# --- every graph walk memoised, every recursion iterative ------------------------------------------

class _Counted(Formula):
    """A formula that counts how often its names are asked for (each walk step asks once)."""

    asked = 0

    @property
    def names(self):  # type: ignore[override]
        _Counted.asked += 1
        return super().names


def test_metrics_sharing_inputs_are_walked_once_each_not_exponentially():
    # fib_i = fib_{i-1} + fib_{i-2}: the old recursive leaf walk asked 2**40 times; a memoised
    # walk asks each of the 40 formulas once in the walk and once for its leaves (80 in all).
    defs = [MetricDef("fib_0", "", "", _Counted("x"), "宗", "total"),
            MetricDef("fib_1", "", "", _Counted("x"), "宗", "total")]
    defs += [MetricDef(f"fib_{i}", "", "", _Counted(f"fib_{i - 1} + fib_{i - 2}"), "宗", "total")
             for i in range(2, 40)]
    _Counted.asked = 0
    order, cycles = metrics_module._walk(defs)
    leaves = metrics_module._leaf_inputs(order)
    assert cycles == [] and [d.id for d in order] == [f"fib_{i}" for i in range(40)]
    assert leaves["fib_39"] == ["x"]
    assert _Counted.asked == 2 * 40


def test_forty_fibonacci_metrics_and_a_chain_of_two_thousand_compute(data_copy):
    # admin_penalty_cases is 439 in 2023.csv. fib_0 = fib_1 = 439, so fib_39 = 439 * F(40)
    # = 439 * 102334155 = 44924694045. chain_i = chain_{i-1} + 1 from chain_0 = 439:
    # chain_1999 = 439 + 1999 = 2438 (2000 levels: the old recursive walk hit the stack limit).
    entries = _metric("fib_0", "admin_penalty_cases") + _metric("fib_1", "admin_penalty_cases")
    entries += "".join(_metric(f"fib_{i}", f"fib_{i - 1} + fib_{i - 2}") for i in range(2, 40))
    entries += _metric("chain_0", "admin_penalty_cases")
    entries += "".join(_metric(f"chain_{i}", f"chain_{i - 1} + 1") for i in range(1, 2000))
    _add_metrics(data_copy, entries)
    table = load_report("conghua", 2023).metrics
    assert table.at["fib_39", "value"] == 439 * 102334155
    assert table.at["chain_1999", "value"] == 2438 and table.at["chain_1999", "status"] == "ok"
    assert [r["id"] for r in table.at["fib_39", "inputs"]] == ["admin_penalty_cases"]


def test_a_long_circular_chain_is_named_without_recursion(data_copy):
    # loop_0 -> loop_1 -> ... -> loop_2999 -> loop_0: one cycle, named from where it closes
    entries = "".join(_metric(f"loop_{i}", f"loop_{(i + 1) % 3000}") for i in range(3000))
    _add_metrics(data_copy, entries)
    result = run("metrics", "--year", "2023", env={"AMRBOOK_DATA": str(data_copy)})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "circular definition: loop_0 -> loop_1 -> loop_2 ->" in result.stderr
    assert result.stderr.count("circular definition") == 1


@pytest.mark.parametrize("text, cause", [
    ("(" * 10000 + "a" + ")" * 10000, "longer than 1000 characters (20001)"),
    ("+".join(["a"] * 100000), "longer than 1000 characters (199999)"),
    ("-" * (MAX_DEPTH + 1) + "a", f"nested more than {MAX_DEPTH} levels deep"),
])
def test_a_formula_nested_too_deep_is_refused_before_it_recurses(text, cause):
    with pytest.raises(FormulaError) as caught:
        Formula(text)
    assert cause in str(caught.value) and len(str(caught.value)) < 200


# --- every number finite, or refused --------------------------------------------------------------

@pytest.mark.parametrize("text, cause", [
    ("1" * 400 + " * a", "is not a finite number a float can hold"),   # was OverflowError
    ("a * 1e999", "the constant '1e999' is not a finite number"),
])
def test_a_constant_a_float_cannot_hold_is_refused(text, cause):
    with pytest.raises(FormulaError) as caught:
        Formula(text)
    assert cause in str(caught.value)


@pytest.mark.parametrize("constant", ["0x64", "0o144", "0b1100100", "1_00", "1_0.0"])
def test_a_constant_not_written_in_decimal_is_refused(constant):
    # each reads as 100 to Python (0x64 = 6*16 + 4; 0o144 = 64 + 32 + 4; 0b1100100 = 64 + 32 + 4; 1_00 = 100),
    # which accepted 0x64 as 100 without a word
    with pytest.raises(FormulaError) as caught:
        Formula(f"a * {constant}")
    assert f"the constant '{constant}' is not written as a decimal number" in str(caught.value)
    # decimal forms stay numbers: 100 + 0.5 + 0.5 + 1e2 = 201
    assert Formula("100 + 0.5 + .5 + 1e2 + a * 0").evaluate({"a": 1.0}) == 201


def test_an_overflowing_metric_is_undefined_never_ok(data_copy):
    # 439 * 1e308 = 4.39e310 > the largest float (1.8e308): inf, which used to be "ok"
    _add_metrics(data_copy, _metric("too_big", "admin_penalty_cases * 1e308 * 1e308"))
    row = load_report("conghua", 2023).metrics.loc["too_big"]
    assert row["status"].startswith("undefined: ") and "overflows" in row["status"]
    assert row["value"] != row["value"]  # NaN: no value, never inf


def test_an_infinite_value_never_holds_a_comparison():
    with pytest.raises(FormulaError, match="b is inf, not a finite number"):
        Formula("a == b").evaluate({"a": 439.0, "b": float("inf")})


# --- a span that cuts a number --------------------------------------------------------------------

def test_a_span_that_starts_inside_a_number_is_refused(data_copy):
    # The report says 439宗 at 1230:1234; the row 39宗 at 1231:1234 read text[1231:1234] == '39宗'
    # and loaded as 39. The 4 before it continues its number.
    rewrite(data_copy / "indicators" / "conghua" / "2023.csv", ",439,宗,439宗,1230,1234,", ",39,宗,39宗,1231,1234,")
    result = run("indicators", "--year", "2023", env={"AMRBOOK_DATA": str(data_copy)})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "2023.csv: line 2, column start: span 1231:1234 ('39宗') starts inside a number: '案件439宗' " \
           "continues before it" in result.stderr


@pytest.mark.parametrize("text, start, end, cause", [
    ("处罚439宗", 3, 6, "starts inside a number"),           # 39宗 of 439宗
    ("三点五万元", 2, 5, "starts after a decimal point"),      # 五万元 of 三点五万元
    ("共1.2.3万元", 3, 8, "starts after a decimal point"),     # 2.3万元 of 1.2.3万元
    ("共4\u200d39宗", 3, 6, "invisible character U+200D"),    # 39宗 after a zero-width joiner
    ("共439", 1, 3, "ends inside a number"),                   # 43 of 439
    ("共十一个", 2, 4, "starts inside a number"),               # 一个 of 十一个
])
def test_cut_number_names_how_a_span_cuts_a_number(text, start, end, cause):
    from helpers.report.numbers import cut_number
    assert cause in (cut_number(text, start, end) or "")


@pytest.mark.parametrize("text, start, end", [("处罚439宗，", 2, 6), ("排名第六，", 3, 4), ("共十一个", 1, 4)])
def test_a_whole_number_is_not_cut(text, start, end):
    from helpers.report.numbers import cut_number
    assert cut_number(text, start, end) is None


# --- characters XML cannot hold ---------------------------------------------------------------------

@pytest.mark.parametrize("char", ["\uffff", "\ufffe"])
def test_a_code_point_xml_cannot_hold_is_refused_at_csv_load(data_copy, char):
    path = data_copy / "indicators" / "conghua" / "2023.csv"
    rewrite(path, "一(三) 规范行政执法,\n", f"一(三) 规范行政执法,bad{char}note\n")
    result = run("indicators", "--year", "2023", env={"AMRBOOK_DATA": str(data_copy)})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert (f"2023.csv: line 2, column note: contains the code point U+{ord(char):04X}, which XML (and so the "
            "xlsx) cannot hold") in result.stderr


@pytest.mark.parametrize("char", ["\uffff", "\ufffe", "\ud800", "\udfff"])
def test_safe_cell_replaces_every_code_point_xml_cannot_hold(tmp_path, char):
    from openpyxl import Workbook, load_workbook

    from helpers.publish.export import safe_cell

    book = Workbook()
    book.active.append([safe_cell(f"a{char}b")])
    book.save(tmp_path / "x.xlsx")  # was written, but not well-formed: openpyxl could not reopen it
    assert load_workbook(tmp_path / "x.xlsx").active["A1"].value == "a\ufffdb"


# --- every printed character survives any output encoding ------------------------------------------

@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_chinese_output_survives_an_ascii_or_latin1_output_encoding(data_copy, tmp_path, encoding):
    env = {"AMRBOOK_DATA": str(data_copy), "PYTHONIOENCODING": encoding}
    result = run("indicators", "--year", "2023", env=env)            # was UnicodeEncodeError
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "439\\u5b97" in result.stdout                              # 439宗, escaped, not lost
    rewrite(data_copy / "indicators" / "conghua" / "2023.csv", ",439,", ",many,")  # an error message in Chinese too
    result = run("indicators", "--year", "2023", env=env)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "line 2, column value: 'many' is not a number" in result.stderr


def test_extract_notes_each_number_it_refuses(tmp_path):
    report = tmp_path / "report.txt"
    report.write_text("共4\u200d39宗，检查企业5家，3-5家", encoding="utf-8")
    result = run("extract", str(report), "--format", "csv")
    assert result.returncode == 0
    # 共 4 ZWJ 3 9 宗 ， 检 查 企 业 5: 39宗 starts at character 3, 5家 at 11
    assert [line.split(",")[:3] for line in result.stdout.splitlines()[1:]] == [["11", "13", "5家"]]
    assert f"amrbook: note: {report}: character 3: '39宗' not read: starts after an invisible character " \
           "U+200D" in result.stderr
    assert "character 16: '5家' not read: is the end of a range" in result.stderr


# --- every read bounded, of a regular file only ----------------------------------------------------

@pytest.mark.parametrize("target, kind", [("/dev/zero", "a character device"), ("fifo", "a named pipe (FIFO)"),
                                          ("folder", "a folder")])
def test_a_report_that_is_not_a_regular_file_is_refused_before_reading(tmp_path, target, kind):
    # amrbook extract /dev/zero took 2.6 GB in 2 s; a FIFO without a writer waited for ever
    path = Path(target) if target.startswith("/") else tmp_path / target
    if target == "fifo":
        os.mkfifo(path)
    elif target == "folder":
        path.mkdir()
    result = run("extract", str(path), timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{path}: is {kind}, not a regular file: name a report file" in result.stderr


def test_a_report_over_the_limit_is_refused_after_reading_one_byte_past_it(tmp_path, monkeypatch):
    from helpers.datafile import read_limited
    from helpers.errors import DataError
    from helpers.report import encoding

    report = tmp_path / "report.txt"
    report.write_text("检查企业5家，" * 100, encoding="utf-8")  # (6 characters x 3 bytes + the digit 5) x 100 = 1900 bytes
    monkeypatch.setattr(encoding, "MAX_REPORT_BYTES", 1899)
    with pytest.raises(DataError, match="larger than 1,899 bytes, the most a report file may have"):
        encoding.read_report(report)
    monkeypatch.setattr(encoding, "MAX_REPORT_BYTES", 1900)
    assert len(encoding.read_report(report)[0]) == 700
    assert len(read_limited(report, 1900, "X", "a report")) == 1900


@pytest.mark.parametrize("file", ["indicators/conghua/2023.csv", "catalog.yml", "raw/conghua/2023_conghua_amr.txt"])
def test_a_data_file_that_is_a_fifo_is_refused(data_copy, file):
    path = data_copy / file
    path.unlink()
    os.mkfifo(path)
    result = run("indicators", "--year", "2023", env={"AMRBOOK_DATA": str(data_copy)}, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{path}: is a named pipe (FIFO), not a regular file" in result.stderr


def test_a_notebook_that_is_a_fifo_is_refused(tmp_path):
    from helpers.errors import DataError
    from helpers.publish.execute import read_notebook

    os.mkfifo(tmp_path / "00_explore.ipynb")
    with pytest.raises(DataError, match="is a named pipe .FIFO., not a regular file: name a notebook file"):
        read_notebook(tmp_path / "00_explore.ipynb")


# --- sources.yml ---------------------------------------------------------------------------------

@pytest.mark.parametrize("codec", ["base64", "rot13", "hex_codec", "undefined", "zlib"])
def test_a_codec_that_is_not_a_text_encoding_is_refused_with_its_line(data_copy, codec):
    # codecs.lookup accepts each of these; decoding the report with one raised LookupError
    rewrite(data_copy / "raw" / "sources.yml", "encoding: utf-8", f"encoding: {codec}")
    result = run("indicators", "--year", "2023", env={"AMRBOOK_DATA": str(data_copy)})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert (f"sources.yml: line 22, source 1: encoding '{codec}' is not a text encoding: it does not decode bytes "
            "to text" in result.stderr)


def test_two_entries_for_one_report_are_refused_naming_both_lines(data_copy):
    # the first used to win silently; with a different file the second's spans gave 96 errors
    path = data_copy / "raw" / "sources.yml"
    text = path.read_text(encoding="utf-8")
    entry = text[text.index("  - file:"):]
    path.write_text(text + entry, encoding="utf-8")  # the entry again: lines 14-30, then 31-47
    result = run("indicators", "--year", "2023", env={"AMRBOOK_DATA": str(data_copy)})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert ("sources.yml: line 31, source 2: a second entry for the report of conghua 2023 (the first is at line 14, "
            "source 1); list each report once") in result.stderr
    assert result.stderr.count("\n  - ") == 1


# --- template fields: names only -------------------------------------------------------------------

@pytest.mark.parametrize("field, cause", [
    ("{errors.x}", "{errors.x} at character 1: a placeholder must be a field of this title (have: errors, "
                   "warnings)"),                                  # was AttributeError at build time
    ("{errors[0]}", "{errors[0]} at character 1: a placeholder must be a field"),
    ("{errors!r}", "{errors!r} at character 1: a placeholder must be a field"),
    ("{errors:>300000000}", "{errors:>300000000}: format '>300000000' is not allowed"),  # was a 300 MB string when checked
])
def test_an_attribute_index_or_conversion_in_a_title_is_refused_at_load(data_copy, field, cause):
    from helpers.errors import DataError
    from helpers.show.exhibits import load_layout

    path = data_copy / "charts.yml"
    rewrite(path, '["{errors}处', f'["{field}处')   # the first part of the title of findings
    with pytest.raises(DataError) as caught:
        load_layout()
    line = line_no(path, f'    parts: ["{field}')
    assert f"charts.yml: line {line}, title findings part 1: {cause}" in str(caught.value)


def test_an_attribute_in_a_narrative_placeholder_is_refused_with_its_line(data_copy):
    from helpers.errors import DataError
    from helpers.show.narrative import load_narrative

    path = data_copy / "narrative.yml"
    text = path.read_text(encoding="utf-8")
    first = text.index("{", text.index("takeaways"))
    end = text.index("}", first)
    path.write_text(text[:end] + ".real" + text[end:], encoding="utf-8")
    with pytest.raises(DataError, match=r"narrative.yml: line \d+, .*\.real} at character \d+: a placeholder must be "
                                        "an indicator or metric id"):
        load_narrative()


# --- 同比 is a year against the year before it only -----------------------------------------------

def test_years_with_a_gap_are_not_compared(monkeypatch, capsys):
    # 2021.csv and 2023.csv, no 2022: 2021 -> 2023 was presented as compared (status ok)
    from types import SimpleNamespace

    from helpers import paths
    from helpers.audit import growth, report
    from helpers.cli import main

    real = load_report("conghua", 2023)

    def fake(slug, year):  # the 2023 table under any year
        return SimpleNamespace(year=year, indicators=real.indicators, stated_growth=real.stated_growth)

    assert growth.growth_table([fake("conghua", 2021), fake("conghua", 2023)]).empty
    monkeypatch.setattr(paths, "indicator_years", lambda slug: [2021, 2023])
    monkeypatch.setattr(report, "load_report", fake)
    assert main(["growth", "--year", "2023"]) == 0
    assert ("are 2021, 2023, and none has the year before it; year-on-year change compares a year with the year "
            "before it only, never across a gap") in capsys.readouterr().err
    compared = growth.growth_table([fake("conghua", y) for y in (2021, 2023, 2024)])
    assert set(zip(compared["previous_year"], compared["year"])) == {(2023, 2024)}  # not (2021, 2023)
    # load_report compares a report with the same bureau's year before only, never across a gap
    assert real.growth.empty and "2022" in real.growth.attrs["reason"]


def test_an_infinite_constant_in_a_check_is_refused_with_its_line(data_copy):
    # admin_penalty_cases_simple <= 1e999 held for any value (every comparison with inf does)
    rewrite(data_copy / "checks.yml", "assert: admin_penalty_cases_simple <= admin_penalty_cases",
            "assert: admin_penalty_cases_simple <= 1e999")
    result = run("check", "--year", "2023", env={"AMRBOOK_DATA": str(data_copy)})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "checks.yml: line 26" in result.stderr and "the constant '1e999' is not a finite number" in result.stderr


@pytest.mark.parametrize("cell", ["1e999", "-1e999", "inf", "Infinity"])
def test_an_infinite_value_in_the_table_is_refused_with_its_line(data_copy, cell):
    rewrite(data_copy / "indicators" / "conghua" / "2023.csv", ",439,", f",{cell},")
    result = run("indicators", "--year", "2023", env={"AMRBOOK_DATA": str(data_copy)})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"2023.csv: line 2, column value: '{cell}' is not a number" in result.stderr


def test_an_infinite_tolerance_in_checks_yml_is_refused_with_its_line(data_copy):
    rewrite(data_copy / "checks.yml", "tolerance: 0.005", "tolerance: .inf")
    result = run("check", "--year", "2023", env={"AMRBOOK_DATA": str(data_copy)})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "tolerance must be a number, not the number inf" in result.stderr


# --- the sentence around a span, by bisection ------------------------------------------------------


@given(st.text(alphabet="ab。；\n!x", max_size=30), st.data())
def test_sentences_found_once_give_the_sentence_a_search_from_the_start_gives(text, data):
    # the definition, searched from the start of the text for each span (quadratic over a report)

    from helpers.report.sources import SENTENCE_END, Sentences

    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    left = max((m.end() for m in SENTENCE_END.finditer(text, 0, start)), default=0)
    after = SENTENCE_END.search(text, end)
    right = after.end() if after else len(text)
    right -= text[right - 1:right] == "\n"
    assert Sentences(text).span(start, end) == (left, right)


# --- a formula fits its role: a metric computes a number, a check asserts a comparison -----------

_ATOMS = st.sampled_from(["a", "b", "100", "0.5", "True", "'x'"])
_FORMULAS = st.recursive(
    _ATOMS,
    lambda inner: st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "==", "<=", ">", "and", "or"]), inner)
    .map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
    max_leaves=6,
)


@given(_FORMULAS)
@example("(a > b)")             # a metric of 1.0, status ok
@example("(a + b)")             # a check that "held": 5 is not 0
@example("((a <= b) or b)")     # held through its second operand
@example("(100 <= 0.5)")        # a check of no figure: could never fail (nor hold, here)
@example("(a * True)")          # True taken as the number 1
def test_a_metric_formula_is_a_number_and_a_check_formula_a_comparison(text):
    # was: a metric `a > b` computed 1.0 (元, status ok); a check `a + b` or `a <= b and b` "held"
    # whenever the number was not 0; `1 <= 2` held always; True was the number 1 (hostile3)
    values = {"a": 3.0, "b": 2.0}
    try:
        metric = Formula(text).as_number()
    except FormulaError:
        pass
    else:
        try:
            assert type(metric.evaluate(values)) in (int, float), text   # a number, never true/false
        except FormulaError:
            pass                                                        # division by zero: undefined
    try:
        check = Formula(text).as_assertion()
    except FormulaError:
        return
    assert check.names                                                  # it can fail: it names a figure
    try:
        assert type(check.evaluate(values)) is bool, text
    except FormulaError:
        pass


@pytest.mark.parametrize("formula, role, message", [
    ("penalty_confiscation_amount > admin_penalty_cases", "as_number",
     "it is a comparison or and/or, not a number: a metric computes a number"),
    ("a / b * True", "as_number", "'True' is not a number"),
    ("a + b", "as_assertion", "it is a number, not a comparison"),
    ("a <= b and b", "as_assertion", "'b' is a number, not a comparison"),
    ("(a <= b) + 1 >= 1", "as_assertion", "'a <= b' is a comparison used as a number"),
    ("1 <= 2", "as_assertion", "names no indicator or metric, so it cannot fail"),
])
def test_a_formula_that_does_not_fit_its_role_is_named(formula, role, message):
    with pytest.raises(FormulaError, match=message):
        getattr(Formula(formula), role)()


@pytest.mark.parametrize("assertion, clash", [
    # were "ok"/"holds": 16 宗 <= 4341200 元; 16 宗 + 4341200 元 <= 43900000 (hostile3)
    ("admin_penalty_cases_simple <= penalty_confiscation_amount",
     "compares admin_penalty_cases_simple (in 宗) with penalty_confiscation_amount (in 元)"),
    ("admin_penalty_cases_simple + penalty_confiscation_amount <= admin_penalty_cases * 100000",
     "adds admin_penalty_cases_simple (in 宗) with penalty_confiscation_amount (in 元)"),
    ("council_completion_rate <= admin_penalty_cases", "compares council_completion_rate (in %) with admin_penalty_cases (in 宗)"),
])
def test_a_check_that_adds_or_compares_two_measures_is_refused_at_its_line(data_copy, assertion, clash):
    rewrite(data_copy / "checks.yml", "assert: admin_penalty_cases_simple <= admin_penalty_cases", f"assert: {assertion}")
    done = run("check", "--year", "2023")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "\n".join(done.stderr.splitlines()[1:]) == (
        f"  - {data_copy / 'checks.yml'}: line 26, check simple_procedure_within_cases: {Formula(assertion).shown}: "
        f"{clash}: figures of two units; a check compares, and a sum adds, money with money, percentages with "
        "percentages, counts with counts")


def test_the_curated_checks_compare_what_may_be_compared():
    # a rank with a count of places (排名第3 <= 11个区) and 个 with 家 are counts alike: still allowed
    from helpers.audit.checks import load_check_defs
    assert {c.id for c in load_check_defs()} >= {"rank_within_districts", "benchmarking_products_cover_enterprises"}


def test_a_check_that_is_not_a_comparison_is_refused_at_its_line(data_copy):
    rewrite(data_copy / "checks.yml", "assert: admin_penalty_cases_simple <= admin_penalty_cases",
            "assert: admin_penalty_cases_simple + admin_penalty_cases")
    done = run("check", "--year", "2023")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert ("checks.yml: line 26, check simple_procedure_within_cases: 'admin_penalty_cases_simple + "
            "admin_penalty_cases': it is a number, not a comparison") in done.stderr


# --- a folder the environment names is checked, and named with its variable ------------------------

@pytest.mark.parametrize("variable, value, command, why", [
    ("AMRBOOK_DATA", "/dev/null", ["summary", "--year", "2023"], "is not a folder"),          # was '/dev/null/raw/sources.yml: Not a directory'
    ("AMRBOOK_DATA", "{tmp}/none", ["summary", "--year", "2023"], "does not exist"),          # was '…/raw/sources.yml: file not found'
    ("AMRBOOK_DATA", "{tmp}/file", ["check", "--year", "2023"], "is not a folder"),
    ("AMRBOOK_OUTPUTS", "/dev/null", ["build", "--year", "2023", "--no-pdf"], "is not a folder"),  # was '/dev/null: File exists'
    ("AMRBOOK_NOTEBOOKS", "{tmp}/none", ["build", "--year", "2023", "--no-pdf"], "does not exist"),
    ("AMRBOOK_OUTPUTS", "{tmp}/dangling", ["build", "--year", "2023", "--no-pdf"], "is a link to nothing"),  # was '…/dangling: File exists'
])
def test_a_folder_the_environment_names_wrongly_is_named_with_its_variable(tmp_path, variable, value, command, why):
    (tmp_path / "file").write_text("x", encoding="utf-8")
    (tmp_path / "dangling").symlink_to(tmp_path / "gone")
    value = value.format(tmp=tmp_path)
    done = run(*command, env={variable: value})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr == (f"amrbook: error: {variable} is {value!r}, which {why}: name a folder, "
                           f"or unset {variable}\n")


def test_an_outputs_folder_that_does_not_exist_yet_is_made(tmp_path, monkeypatch):
    from helpers import paths
    monkeypatch.setenv("AMRBOOK_OUTPUTS", str(tmp_path / "new"))
    assert paths.outputs_dir() == tmp_path / "new"                      # the build makes it
