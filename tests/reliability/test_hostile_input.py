"""Hostile and broken input: clear errors naming file and position, non-zero exits, nothing lost.

The cases of docs/reliability.md that are not already in the per-module tests (loader,
metrics, checks, extract, build) are here.
"""
from __future__ import annotations

import codecs
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cli_process import amrbook
from conftest import PRINT_OWN_PEAK_KIB, drop_indicator, line_no, rewrite
from helpers.audit.report import load_report
from helpers.report.extract import extract

PY = sys.executable


def run(*args, env=None, timeout=None):
    return amrbook(*args, env={**os.environ, **(env or {})}, timeout=timeout)


# --- indicator CSV ------------------------------------------------------------------------

def test_nan_value_is_named(data_copy):
    rewrite(data_copy / "indicators" / "conghua" / "2023.csv", ",439,", ",nan,")
    result = run("indicators", "--year", "2023", env={"AMRBOOK_DATA": str(data_copy)})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "2023.csv: line 2, column value: 'nan' is not a number" in result.stderr


def test_gbk_csv_as_excel_writes_it_is_named(data_copy):
    path = data_copy / "indicators" / "conghua" / "2023.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("gbk"))
    result = run("indicators", "--year", "2023", env={"AMRBOOK_DATA": str(data_copy)})
    assert result.returncode == 2
    assert re.search(r"2023.csv: byte \d+: not UTF-8 .*re-save the file as UTF-8", result.stderr)


def refused(data: Path, *command: str) -> str:
    """Run a command on a data copy; it must exit 2 with a message and no traceback. Return stderr."""
    result = run(*command, env={"AMRBOOK_DATA": str(data)})
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and result.stderr.startswith("amrbook: error: ")
    return result.stderr


# The first data rows of 2023.csv: line 2 is 439宗 at 1230-1234, line 3 is 16宗 at 1240-1243.
ROW2 = "2023,admin_penalty_cases,439,宗,439宗,1230,1234,exact,2023,一(三) 规范行政执法,"
ROW3 = "2023,admin_penalty_cases_simple,16,宗,16宗,1240,1243,exact,2023,一(三) 规范行政执法,"


@pytest.mark.parametrize(("old", "new", "message"), [
    (ROW2, ROW2 + ",extra",          # 11 fields + 1
     "line 2: 12 fields where the header has 11: is there a comma inside an unquoted field? "
     "Put such a field in double quotes"),
    (",1230,1234,", ",12345678901234567890,1234,",
     "line 2, column start: '12345678901234567890' is too large (at most 15 digits)"),
    (",1230,1234,", ",1E100,1234,", "line 2, column start: '1E100' is too large (at most 15 digits)"),
    (",1230,1234,", ",1235,1234,", "line 2, column end: '1234' must be greater than start '1235'"),
    (ROW2, ROW2 + "a\x01b", "line 2, column note: contains control character U+0001"),
    (f"{ROW2}\n{ROW3}", f'{ROW2}"oops\n{ROW3}"a quoted, note"',   # the quote runs on to line 3's quoted note
     'line 2: a " opened in this record is closed only on line 3, with text after it: is a " missing?'),
])
def test_malformed_csv_rows_give_one_message_each(data_copy, old, new, message):
    path = data_copy / "indicators" / "conghua" / "2023.csv"
    rewrite(path, old, new)
    stderr = refused(data_copy, "indicators", "--year", "2023")
    assert stderr == f"amrbook: error: 1 problem in the data:\n  - {path}: {message}\n"


def test_an_unclosed_quote_at_the_end_names_its_line(data_copy):
    path = data_copy / "indicators" / "conghua" / "2023.csv"
    with path.open("a", encoding="utf-8") as f:
        f.write('2023,extra_row,1,宗,1宗,1,2,exact,2023,一,"never closed\n')
    # 96 figures + the header = 97 lines, so the new record starts on line 98
    assert f'{path}: line 98: a " opened in this record is never closed' in refused(data_copy, "indicators", "--year",
                                                                                 "2023")


def test_lines_are_lines_of_the_file_after_a_multi_line_note(data_copy):
    path = data_copy / "indicators" / "conghua" / "2023.csv"
    rewrite(path, ROW2, ROW2 + '"a note\non two lines"')      # line 2 and line 3 are one record now
    rewrite(path, ROW3, ROW3.replace(",16,", ",many,"))       # so this record starts on line 4
    stderr = refused(data_copy, "indicators", "--year", "2023")
    assert f"{path}: line 4, column value: 'many' is not a number" in stderr


# --- YAML data files ----------------------------------------------------------------------

def test_a_yaml_alias_bomb_is_refused_fast_without_expanding(data_copy):
    catalog = data_copy / "catalog.yml"
    lines = catalog.read_text(encoding="utf-8").count("\n")
    # 9 levels of 9 aliases each: 9**9 = 387 million strings once expanded
    bomb = "a: &a [" + ",".join(["x"] * 9) + "]\n" + "".join(
        f"{name}: &{name} [{','.join(['*' + previous] * 9)}]\n" for previous, name in zip("abcdefgh", "bcdefghi"))
    with catalog.open("a", encoding="utf-8") as f:
        f.write(bomb + "bomb_indicator:\n  label_zh: *i\n")
    # the peak of this one command's own address space, measured inside it (see PRINT_OWN_PEAK_KIB)
    probe = ("import sys\nfrom helpers.cli import main\ntry:\n    code = main(sys.argv[1:])\n"
             f"finally:\n    {PRINT_OWN_PEAK_KIB}\nsys.exit(code)")
    result = subprocess.run([PY, "-c", probe, "indicators", "--year", "2023"], capture_output=True, text=True,
                            env={**os.environ, "AMRBOOK_DATA": str(data_copy)}, check=False)
    stderr, peak = result.stderr.rsplit("peak ", 1)
    assert result.returncode == 2 and "Traceback" not in stderr and stderr.startswith("amrbook: error: "), stderr
    peak_mb = int(peak) / 1024
    # the first anchor, &a, is on the first appended line, after "a: "
    assert (f"{catalog}: line {lines + 1}, column 4: YAML anchor &a: anchors and aliases are not allowed in data "
            "files; write the value out") in stderr
    assert peak_mb < 1000, peak_mb   # expanded, it took 5.6 GB and crashed (no wall-clock bound: tests never time)


def test_a_yaml_file_too_large_is_refused_before_parsing(data_copy):
    from helpers.datafile import MAX_YAML_BYTES

    catalog = data_copy / "catalog.yml"
    catalog.write_text("# padding\n" * (MAX_YAML_BYTES // 10 + 1), encoding="utf-8")
    assert (f"{catalog}: larger than {MAX_YAML_BYTES:,} bytes, the most a data file may have (MAX_YAML_BYTES)"
            in refused(data_copy, "indicators", "--year", "2023"))


@pytest.mark.parametrize(("file", "edits", "command", "anchor", "label", "cause"), [
    ("metrics.yml", [("  - rate: invention_patents_growth\n    of: invention_patents_granted",
                      "  - invention_patents_growth")], "metrics", "  - invention_patents_growth",
     "stated_growth 1", "expected a mapping of fields, not text 'invention_patents_growth'"),
    ("checks.yml", [("    for_each:\n      kind: [rate, share]", "    for_each: [rate, share]")], "check",
     "    for_each: [rate", "check rates_within_0_100", "for_each must be a mapping, not a list ['rate', 'share']"),
    ("checks.yml", [("    tolerance: 0.005", "    tolerance: small")], "check", "    tolerance: small",
     "check mediation_rate_reconciles", "tolerance must be a number, not text 'small'"),
    ("checks.yml", [("    note: 区消委会所述", "    note: 宽{council_completion_rate:>300000000}区消委会所述")], "check",
     "    note: 宽", "check mediation_rate_reconciles",
     "note: {council_completion_rate:>300000000}: format '>300000000' is not allowed "
     "(use .Nf with N from 0 to 6, optionally after a ',')"),
    ("raw/sources.yml", [("  - file: 2023_conghua_amr.txt\n", "  - 2023_conghua_amr.txt\n  - file: x\n")],
     "indicators", "  - 2023_conghua_amr.txt", "source 1",
     "expected a mapping of fields, not text '2023_conghua_amr.txt'"),
    ("raw/sources.yml", [("    year: 2023", "    year: twenty")], "indicators", "    year: twenty",
     "source 1", "year must be a whole number, not text 'twenty'"),
])
def test_structurally_wrong_yaml_names_file_line_and_cause(data_copy, file, edits, command, anchor, label, cause):
    path = data_copy / file
    for old, new in edits:
        rewrite(path, old, new)
    where = ", ".join(filter(None, [f"line {line_no(path, anchor)}", label]))
    assert f"{path}: {where}: {cause}" in refused(data_copy, command, "--year", "2023")


def test_metrics_yml_as_a_list_is_refused(data_copy):
    path = data_copy / "metrics.yml"
    rewrite(path, "metrics:\n", "")                 # the list of metrics is now the whole document,
    rewrite(path, "stated_growth:\n", "")           # followed by the stated_growth pair
    items = path.read_text(encoding="utf-8").count("\n  - ")   # each metric, and the pair
    first = line_no(path, "  - id: average_penalty_per_case")  # where the document starts
    assert (f"{path}: line {first}: expected a mapping with the key 'metrics', not a list of {items} items"
            in refused(data_copy, "metrics", "--year", "2023"))


def test_the_raw_report_is_never_written(data_copy):
    raw = data_copy / "raw" / "conghua" / "2023_conghua_amr.txt"
    before = hashlib.sha256(raw.read_bytes()).hexdigest()
    curated = (data_copy / "indicators" / "conghua" / "2023.csv").read_bytes()
    for command in (["indicators", "--year", "2023"], ["check", "--year", "2023"], ["extract", str(raw)],
                    ["draft", "--year", "2023", str(raw)], ["draft", "--year", "2023", "--force", str(raw)]):
        result = run(*command, env={"AMRBOOK_DATA": str(data_copy)})
        assert result.returncode == 0, (command, result.stderr)      # each command really ran
    assert hashlib.sha256(raw.read_bytes()).hexdigest() == before
    assert (data_copy / "indicators" / "conghua" / "2023.csv").read_bytes() == curated


# --- report text ----------------------------------------------------------------------------

def test_mixed_line_endings_keep_offsets():
    text = "一是查办案件439宗。\r\n二是罚没434.12万元。\r三是检查5家。\n"
    found = extract(text)
    assert [f.text for f in found] == ["439宗", "434.12万元", "5家"]
    assert all(text[f.start:f.end] == f.text for f in found)


def test_a_50_mb_report_finishes_with_bounded_memory(tmp_path):
    report = Path(__file__).parents[2] / "data" / "raw" / "conghua" / "2023_conghua_amr.txt"
    big = tmp_path / "big.txt"
    chunk = report.read_bytes()
    with big.open("wb") as f:
        for _ in range(50_000_000 // len(chunk) + 1):
            f.write(chunk)
    size_mb = big.stat().st_size / 1e6
    probe = ("import sys; sys.argv=['amrbook','extract',sys.argv[1],'--format','csv'];"
             f"from helpers.cli import main; code = main(sys.argv[1:]); {PRINT_OWN_PEAK_KIB}; sys.exit(code)")
    with open(tmp_path / "out.csv", "w") as out:
        result = subprocess.run([PY, "-c", probe, str(big)], stdout=out, stderr=subprocess.PIPE, text=True,
                                timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    peak_mb = int(result.stderr.rsplit('peak ', 1)[1]) / 1024
    lines = sum(1 for _ in open(tmp_path / "out.csv", encoding="utf-8"))
    assert size_mb >= 50 and lines - 1 == 96 * (50_000_000 // len(chunk) + 1)
    # the text itself takes ~4 bytes per character in memory; figures are streamed, not kept
    assert peak_mb < 8 * size_mb, f"peak {peak_mb:.0f} MB for {size_mb:.0f} MB"


@pytest.mark.parametrize(("data", "cause"), [
    (b"", "the file is empty"),
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64, "neither UTF-8, GB18030/GBK nor UTF-16"),
    # 查办案件439宗。\n is 10 characters: 2 + 20 bytes in UTF-16; one byte cut leaves 21, the last
    # (byte 20) half a character
    ("查办案件439宗。\n".encode("utf-16")[:-1],
     "byte 20: starts with a UTF-16 byte-order mark but has an odd number of bytes (21)"),
    # 4 + 40 bytes in UTF-32; two cut leave 42: 4 + 9 × 4 = 40 whole, bytes 40-41 half a character
    ("查办案件439宗。\n".encode("utf-32")[:-2],
     "byte 40: starts with a UTF-32 byte-order mark but has a number of bytes that is not a multiple of 4 (42)"),
    # BOM (3 bytes) + "ab" + FF: byte 5
    (codecs.BOM_UTF8 + b"ab\xff", "byte 5: starts with a UTF-8 byte-order mark but is not UTF-8 after it"),
])
def test_bad_report_files_exit_2_naming_the_file(tmp_path, data, cause):
    path = tmp_path / "report.txt"
    path.write_bytes(data)
    result = run("extract", str(path))
    assert result.returncode == 2 and f"{path}" in result.stderr and cause in result.stderr
    assert "Traceback" not in result.stderr


def test_a_utf32_report_is_read_as_utf32(tmp_path):
    path = tmp_path / "report.txt"
    path.write_bytes("查办案件439宗。\n".encode("utf-32"))  # FF FE 00 00: not UTF-16's FF FE + a NUL
    result = run("extract", str(path))
    assert result.returncode == 0 and "439宗" in result.stdout and "decoded as utf-32" in result.stdout


def test_a_digit_run_of_2_million_digits_is_not_a_figure(tmp_path):
    # was a decimal.Overflow traceback; longer than 15 digits is an ID or a code, not a figure
    path = tmp_path / "digits.txt"
    path.write_text("1" * 2_000_000 + "宗，另有15宗。", encoding="utf-8")
    result = run("extract", str(path), "--format", "csv", timeout=60)
    assert result.returncode == 0 and "Traceback" not in result.stderr
    # 2 000 000 digits, 宗，另有 at 2 000 000-2 000 003: 15宗 spans 2 000 004 to 2 000 007
    assert result.stdout.splitlines()[1:] == ["2000004,2000007,15宗,15,宗,exact,另有"]   # a whole number as one


# --- the xlsx export ------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "written"), [
    ("a\x01b", "a\u2401b"),                      # U+0001 as its picture ␁
    ("\x00\x08\x0b\x0c\x0e\x1f", "\u2400\u2408\u240b\u240c\u240e\u241f"),
    ("tab\tline\nend", "tab\tline\nend"),   # legal in xlsx: kept
    ("=HYPERLINK(\x02)", "'=HYPERLINK(\u2402)"),
    ("x" * 40_000, "x" * (32_767 - 6) + "…〔已截断〕"),   # Excel holds 32,767 characters; the mark is 6
])
def test_safe_cell_makes_any_text_writable(tmp_path, text, written):
    from openpyxl import Workbook, load_workbook

    from helpers.publish.export import safe_cell

    assert safe_cell(text) == written
    book = Workbook()
    book.active.append([safe_cell(text)])
    book.save(tmp_path / "x.xlsx")
    assert load_workbook(tmp_path / "x.xlsx").active["A1"].value == written


def test_control_characters_from_yaml_reach_the_xlsx_as_pictures(data_copy, tmp_path):
    from openpyxl import load_workbook

    from helpers.publish.export import write_xlsx

    # YAML refuses a raw control character, but a double-quoted "\x01" escape makes one. A label is one line
    # now (refused at load); a check's description may hold several, so it can still carry one to the xlsx
    rewrite(data_copy / "checks.yml", "    description: 简易程序案件 ≤ 行政处罚案件",
            '    description: "简易程序\\x01案件 ≤ 行政处罚案件"')
    write_xlsx(load_report("conghua", 2023), tmp_path / "indicators.xlsx")        # openpyxl raised IllegalCharacterError here
    cells = [cell.value for sheet in load_workbook(tmp_path / "indicators.xlsx") for row in sheet.iter_rows()
             for cell in row]
    assert "简易程序\u2401案件 ≤ 行政处罚案件" in cells


def test_the_xlsx_and_views_work_with_a_figure_missing(data_copy, tmp_path):
    from openpyxl import load_workbook

    from helpers.tables.load import load_indicators
    from helpers.show import views
    from openpyxl.utils import get_column_letter

    from helpers.publish.export import HEADERS, write_xlsx
    from helpers.show.format import SEVERITY_WORDS

    gone = "council_complaints_received"
    figures = len(load_indicators("conghua", 2023))
    drop_indicator(data_copy, 2023, gone)
    findings = load_report("conghua", 2023).findings
    write_xlsx(load_report("conghua", 2023), tmp_path / "indicators.xlsx")
    sheet = load_workbook(tmp_path / "indicators.xlsx")["一致性核对"]
    assert sheet.max_row == len(findings) + 1                     # the header and every finding
    levels = sheet[get_column_letter([c.value for c in sheet[1]].index(HEADERS["级别"]) + 1)][1:]
    assert [c.value for c in levels].count(SEVERITY_WORDS["skipped"]) == (findings["severity"] == "skipped").sum() > 0
    summary = views.quality_summary(load_report("conghua", 2023))
    assert summary.at["一致性核对：未核对", "数量"] == (findings["severity"] == "skipped").sum()
    assert summary.at["报告中的数字", "数量"] == figures - 1       # one row removed
    shown = views.topic_findings(load_report("conghua", 2023), "consumer_protection")
    assert "未核对" in set(shown["级别"]) and "未核对：缺少" in " ".join(shown["结果"])
    views.findings_html(shown)
