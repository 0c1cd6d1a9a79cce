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
import time
from pathlib import Path

import pytest

from conftest import rewrite
from helpers.report.extract import extract

PY = sys.executable


def run(*args, env=None, **kw):
    return subprocess.run([PY, "-m", "helpers.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, check=False, **kw)


# --- indicator CSV ------------------------------------------------------------------------

def test_nan_value_is_named(data_copy):
    rewrite(data_copy / "indicators" / "2023.csv", ",439,", ",nan,")
    result = run("indicators", "--year", "2023", env={"AMRBOOK_DATA": str(data_copy)})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "2023.csv: line 2, column value: 'nan' is not a number" in result.stderr


def test_gbk_csv_as_excel_writes_it_is_named(data_copy):
    path = data_copy / "indicators" / "2023.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("gbk"))
    result = run("indicators", "--year", "2023", env={"AMRBOOK_DATA": str(data_copy)})
    assert result.returncode == 2
    assert re.search(r"2023.csv: byte \d+: not UTF-8 .*re-save the file as UTF-8", result.stderr)


def test_the_raw_report_is_never_written(data_copy):
    raw = data_copy / "raw" / "2023_conghua_amr.txt"
    before = hashlib.sha256(raw.read_bytes()).hexdigest()
    for command in (["indicators", "--year", "2023"], ["check", "--year", "2023"], ["extract", str(raw)],
                    ["draft", "--year", "2023", str(raw)]):
        run(*command, env={"AMRBOOK_DATA": str(data_copy)})
    assert hashlib.sha256(raw.read_bytes()).hexdigest() == before


# --- report text ----------------------------------------------------------------------------

def test_mixed_line_endings_keep_offsets():
    text = "一是查办案件439宗。\r\n二是罚没434.12万元。\r三是检查5家。\n"
    found = extract(text)
    assert [f.text for f in found] == ["439宗", "434.12万元", "5家"]
    assert all(text[f.start:f.end] == f.text for f in found)


def test_a_50_mb_report_finishes_with_bounded_memory(tmp_path):
    report = Path(__file__).parents[2] / "data" / "raw" / "2023_conghua_amr.txt"
    big = tmp_path / "big.txt"
    chunk = report.read_bytes()
    with big.open("wb") as f:
        for _ in range(50_000_000 // len(chunk) + 1):
            f.write(chunk)
    size_mb = big.stat().st_size / 1e6
    probe = ("import resource, sys; sys.argv=['amrbook','extract',sys.argv[1],'--format','csv'];"
             "from helpers.cli import main; code = main(sys.argv[1:]);"
             "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); sys.exit(code)")
    t0 = time.perf_counter()
    with open(tmp_path / "out.csv", "w") as out:
        result = subprocess.run([PY, "-c", probe, str(big)], stdout=out, stderr=subprocess.PIPE, text=True,
                                timeout=300, check=False)
    seconds = time.perf_counter() - t0
    assert result.returncode == 0, result.stderr
    peak_mb = int(result.stderr.strip().splitlines()[-1]) / 1024
    lines = sum(1 for _ in open(tmp_path / "out.csv", encoding="utf-8"))
    assert size_mb >= 50 and lines - 1 == 96 * (50_000_000 // len(chunk) + 1)
    # the text itself takes ~4 bytes per character in memory; figures are streamed, not kept
    assert peak_mb < 8 * size_mb, f"peak {peak_mb:.0f} MB for {size_mb:.0f} MB"
    assert seconds < 120


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
    assert result.stdout.splitlines()[1:] == ["2000004,2000007,15宗,15.0,宗,exact,另有"]
