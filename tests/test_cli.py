"""The amrbook command as an analyst runs it."""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest

from cli_process import amrbook
from conftest import rewrite
from helpers.cli import main
from helpers.tables.load import COLUMNS, load_indicators


def test_indicators_csv_lists_every_figure_with_its_span(capsys):
    assert main(["indicators", "--year", "2023", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == len(load_indicators("conghua", 2023))
    assert set(COLUMNS) | {"label_zh", "label_en", "source_sentence"} <= set(rows[0])
    by_id = {r["id"]: r for r in rows}
    # 434.12万元 = 4341200 元, at characters 1249-1257 of the report; a whole number as one (was 4341200.0, found by a
    # new-user trial), a rate as it is (调解成功率71.59%)
    assert (by_id["penalty_confiscation_amount"]["value"], by_id["penalty_confiscation_amount"]["start"],
            by_id["penalty_confiscation_amount"]["end"]) == ("4341200", "1249", "1257")
    assert by_id["council_mediation_success_rate"]["value"] == "71.59"


def test_extract_csv_writes_whole_numbers_as_whole(tmp_path, capsys):
    report = tmp_path / "r.txt"
    report.write_text("全年查办案件123宗，罚没金额45.6万元，调解成功率71.59%。", encoding="utf-8")
    assert main(["extract", str(report), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    # 45.6万元 = 45.6 × 10000 = 456000 元 (was 123.0 and 456000.0)
    assert [(r["text"], r["value"]) for r in rows] == [("123宗", "123"), ("45.6万元", "456000"), ("71.59%", "71.59")]


def test_indicators_json(capsys):
    assert main(["indicators", "--year", "2023", "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert len(records) == len(load_indicators("conghua", 2023))
    rate = next(r for r in records if r["id"] == "council_mediation_success_rate")
    assert rate["value"] == 71.59 and rate["unit"] == "%" and "调解成功率为71.59%" in rate["source_sentence"]


def test_indicators_table_and_summary(capsys):
    assert main(["indicators", "--year", "2023"]) == 0
    out = capsys.readouterr().out
    assert "434.12万元" in out and "4,341,200" in out
    assert main(["summary", "--year", "2023"]) == 0
    assert "96 figures" in capsys.readouterr().out


def run_cli(*args, env=None):
    return amrbook(*args, env={**os.environ, **(env or {})})


def test_bad_data_exits_2_with_a_message_and_no_traceback(data_copy):
    rewrite(data_copy / "indicators" / "conghua" / "2023.csv", ",439,", ",4390,")
    result = run_cli("indicators", "--year", "2023", env={"AMRBOOK_DATA": str(data_copy)})
    assert result.returncode == 2
    assert "2023.csv: line 2, column value: 4390 but '439宗' means 439" in result.stderr   # was 4390.0
    assert "Traceback" not in result.stderr
    debug = run_cli("--debug", "indicators", "--year", "2023", env={"AMRBOOK_DATA": str(data_copy)})
    assert debug.returncode != 0 and "Traceback" in debug.stderr


def test_unknown_year_is_a_clear_error():
    result = run_cli("indicators", "--year", "1999")
    assert result.returncode == 2
    assert "1999" in result.stderr and "Traceback" not in result.stderr


def test_growth_of_a_year_without_a_report_is_one_error():
    # it printed "only 2023 has an indicator table…" before the error about 2030
    result = run_cli("growth", "--year", "2030")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("amrbook: error: ") and result.stderr.count("amrbook:") == 1


def test_a_year_without_a_report_names_the_years_there_are():
    # check and build read sources.yml first: the message said only which year was missing
    result = run_cli("check", "--year", "2019")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "no source listed for bureau conghua and year 2019 (it lists 2023 for conghua" in result.stderr


def test_a_reader_that_stops_early_ends_the_command_quietly():
    # `amrbook indicators … | head -1`, made certain: the reader is gone before the first write
    proc = subprocess.Popen([sys.executable, "-m", "helpers.cli", "indicators", "--year", "2023", "--format", "csv"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 141          # 128 + SIGPIPE (13), what a shell reports for `yes | head -1`
    assert err == ""                             # no "Broken pipe", no "Exception ignored"


@pytest.mark.parametrize("jobs", ["-1", "0", "17", "two", "1.5"])
def test_jobs_must_be_a_whole_number_from_1_to_16(jobs):
    result = run_cli("build", "--year", "2023", "--jobs", jobs)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (f"amrbook build: error: --jobs must be a whole number from 1 to 16, "
                                              f"not '{jobs}'")


@pytest.mark.parametrize("seconds", ["0", "-5", "1.5", "forever", "86401"])
def test_cell_timeout_must_be_a_whole_number_of_seconds(seconds):
    result = run_cli("build", "--year", "2023", "--cell-timeout", seconds)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == ("amrbook build: error: --cell-timeout must be a whole number from 1 "
                                              f"to 86400, not '{seconds}'")


def test_every_sub_command_help_says_what_the_command_does():
    # `amrbook build --help` listed only options: the line of `amrbook --help` was not on it
    import argparse

    from helpers.cli import build_parser

    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    lines = {action.dest: action.help for action in commands._choices_actions}
    assert len(lines) == len(commands.choices) >= 13
    for name, parser in commands.choices.items():
        described = parser.format_help().split("\n\n")[1]       # the paragraph under the usage line
        assert lines[name] and described.split() == lines[name].replace("%%", "%").split(), name
    result = run_cli("build", "--help")
    assert result.returncode == 0 and "execute the notebooks and render the briefing" in result.stdout


@pytest.mark.parametrize("out, cause", [
    ("{data}/raw/conghua/2023_conghua_amr.txt", "is inside the data folder ({data}): a zip never replaces a file there; name a file outside it"),
    ("{data}/indicators/conghua/2023.csv", "is inside the data folder ({data}): a zip never replaces a file there; name a file outside it"),
    ("{outputs}/conghua/2023/index.html", "is inside the outputs folder ({outputs}): a zip never replaces a file there; name a file outside it"),
    ("{tmp}/fifo", "exists and is not a regular file (a folder, a device or a pipe); name a new .zip file"),
    ("{tmp}", "exists and is not a regular file (a folder, a device or a pipe); name a new .zip file"),
    ("{tmp}/link.zip", "is a symbolic link; name the file itself"),
    ("{tmp}/none/x.zip", "{tmp}/none is not a folder; name a file in a folder that exists"),
])
def test_share_never_writes_its_zip_over_data_outputs_or_a_device(data_copy, tmp_path, monkeypatch, capsys, out, cause):
    # `amrbook share --out` replaced the raw report, a curated table or a build's index.html with a zip
    # (exit 0), and `--out /dev/null` replaced the device with a regular file (as root) (hostile3)
    outputs = tmp_path / "outputs"
    (outputs / "conghua" / "2023").mkdir(parents=True)
    (outputs / "conghua" / "2023" / "index.html").write_text("<html></html>", encoding="utf-8")
    monkeypatch.setenv("AMRBOOK_OUTPUTS", str(outputs))
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "link.zip").symlink_to(data_copy / "catalog.yml")
    kept = {p: p.read_bytes() for p in [*data_copy.rglob("*"), *outputs.rglob("*")] if p.is_file()}
    names = {"data": data_copy, "outputs": outputs, "tmp": tmp_path}
    out = out.format(**names)
    assert main(["share", "--year", "2023", "--out", out]) == 2
    assert capsys.readouterr().err == f"amrbook: error: {out}: {cause.format(**names)}\n"
    assert {p: p.read_bytes() for p in kept} == kept                      # nothing replaced
    assert main(["share", "--year", "2023", "--out", str(tmp_path / "x.zip")]) == 0   # a new file: written
    assert main(["share", "--year", "2023", "--out", str(outputs / "conghua" / "2023.zip")]) == 0  # its default


@pytest.mark.parametrize("year", ["0", "-5", "99999", "20233", "1"])
@pytest.mark.parametrize("command", [["summary"], ["check"], ["growth"], ["add", "report.txt", "--bureau", "ye", "--name", "某县市场监督管理局", "--type", "工作总结"]])
def test_a_year_no_report_can_be_of_is_refused(data_copy, capsys, command, year):
    # `amrbook add … --year -5` (or 99999, 1) recorded the report as of that year, its raw file named
    # -5_ye.txt; `--year 0` was taken as no year ("give --year") (hostile3)
    with pytest.raises(SystemExit) as ended:
        main([*command, "--year", year])
    assert ended.value.code == 2
    assert capsys.readouterr().err.endswith(
        f"error: --year: {int(year)} is not a year a report can be of (from 1949 to 2100)\n")
    assert not (data_copy / "raw" / "ye").exists()


def test_a_year_in_full_width_digits_is_read(capsys):
    assert main(["summary", "--year", "２０２３"]) == 0
    assert capsys.readouterr().out.startswith("2023: 96 figures")


def test_a_table_with_no_rows_prints_its_header_not_pandas_words(tmp_path, capsys):
    # a report with no figure: the table is its header alone, then the count (pandas printed "Empty DataFrame",
    # "Columns: […]" and "Index: []")
    report = tmp_path / "r.txt"
    report.write_text("本年度无数字。\n", encoding="utf-8")
    assert main(["extract", str(report)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("start  end  text  value  unit  qualifier  context\n\n0 figures in ")
    assert "DataFrame" not in out and "Index" not in out
