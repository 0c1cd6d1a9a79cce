"""The figure extractor: the 2023 report as oracle, hand-labelled sentences, properties, encodings."""
from __future__ import annotations

import codecs
from decimal import Decimal

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from helpers import AmrbookError, load_indicators, paths, raw_text
from helpers.report.extract import decode_report, extract, read_report

CASES = yaml.safe_load((paths.PROJECT_ROOT / "tests" / "data" / "extract_cases.yml").read_text("utf-8"))["cases"]


def test_the_2023_report_gives_exactly_the_curated_figures():
    text = raw_text(2023)
    found = [(f.start, f.end, f.value, f.unit, f.qualifier) for f in extract(text)]
    curated = [(r.start, r.end, r.value, r.unit, r.qualifier) for r in load_indicators(2023).itertuples()]
    assert found == curated            # same spans, values, units and qualifiers, nothing extra


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["text"][:16])
def test_hand_labelled_sentences(case):
    got = [[f.text, f.value, f.unit, f.qualifier] for f in extract(case["text"])]
    want = [[w, pytest.approx(float(v)), u, q] for w, v, u, q in case["figures"]]
    assert got == want


def test_spans_and_context():
    text = "据统计，我局查办行政处罚案件439宗(含简易程序16宗)。"
    first, second = extract(text)
    assert text[first.start:first.end] == "439宗" and first.context == "我局查办行政处罚案件"
    assert second.context == "含简易程序"


@given(st.text(max_size=300))
def test_any_text_never_crashes_and_spans_stay_inside(text):
    for f in extract(text):
        assert 0 <= f.start < f.end <= len(text)
        assert text[f.start:f.end] == f.text


@given(st.text(alphabet="0123456789万亿元宗家余多%.,，第排名一二三十百千两个类项是年月“”《》\n", max_size=80))
def test_number_soup_never_crashes(text):
    for f in extract(text):
        assert text[f.start:f.end] == f.text and f.value >= 0


@given(st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False))
def test_wan_yuan_round_trips(n):
    (f,) = extract(f"共挽回损失{n}万元。")
    assert Decimal(str(f.value)) == pytest.approx(n * 10**4)
    assert f.unit == "元"


@given(st.integers(min_value=1, max_value=10**7))
def test_integers_with_counters_round_trip(n):
    (f,) = extract(f"检查企业{n}家次，")
    assert f.value == n and f.unit == "家次"


SAMPLE = "据统计，我局查办行政处罚案件439宗，罚没金额434.12万元。\n"


@pytest.mark.parametrize(("encoded", "encoding"), [
    (SAMPLE.encode("utf-8"), "utf-8"),
    (codecs.BOM_UTF8 + SAMPLE.encode("utf-8"), "utf-8-sig"),
    (SAMPLE.encode("gb18030"), "gb18030"),
    (SAMPLE.encode("gbk"), "gb18030"),
    (SAMPLE.encode("utf-16"), "utf-16"),                 # with BOM
    (SAMPLE.encode("utf-16-le"), "utf-16-le"),           # without BOM
])
def test_encodings_are_detected(encoded, encoding):
    text, found = decode_report(encoded, "r.txt")
    assert text == SAMPLE and found == encoding
    assert [f.text for f in extract(text)] == ["439宗", "434.12万元"]


@pytest.mark.parametrize(("data", "cause"), [
    (bytes(range(256)) * 4, "r.bin: "),
    (b"\x00\x01\x02\x03" * 100, "not"),
])
def test_garbage_is_refused_with_the_file_name(data, cause):
    with pytest.raises(AmrbookError, match=cause):
        decode_report(data, "r.bin")


def test_empty_and_missing_files(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    with pytest.raises(AmrbookError, match="empty.txt: the file is empty"):
        read_report(tmp_path / "empty.txt")
    with pytest.raises(AmrbookError, match="nope.txt: no such file"):
        read_report(tmp_path / "nope.txt")
