"""Parsing figures as written; expected values worked out by hand in the comments."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers.report.numbers import chinese_to_int, implied_qualifier, parse_figure


@pytest.mark.parametrize(("written", "value", "unit"), [
    ("434.12万元", Decimal("4341200"), "元"),      # 434.12 × 10^4 = 4 341 200
    ("5.2503亿元", Decimal("525030000"), "元"),    # 5.2503 × 10^8 = 525 030 000
    ("2.2530万件", Decimal("22530"), "件"),        # 2.2530 × 10^4 = 22 530
    ("258.375万元", Decimal("2583750"), "元"),     # 258.375 × 10^4 = 2 583 750
    ("3万元", Decimal("30000"), "元"),             # 3 × 10^4
    ("16000元", Decimal("16000"), "元"),
    ("71.59%", Decimal("71.59"), "%"),             # percentages stay as written
    ("22.6个百分点", Decimal("22.6"), "pp"),       # percentage points are not percent
    ("2900余人次", Decimal("2900"), "人次"),
    ("3.9万余条", Decimal("39000"), "条"),         # 3.9 × 10^4
    ("十一个", Decimal("11"), "个"),               # 十 (10) + 一 (1)
    ("一百二十项", Decimal("120"), "项"),          # 一百 (100) + 二十 (20)
    ("八类", Decimal("8"), "类"),
    ("两个", Decimal("2"), "个"),
    ("１，２３４家", Decimal("1234"), "家"),       # full-width digits and comma
    ("1,234家", Decimal("1234"), "家"),
])
def test_parse_figure(written, value, unit):
    figure = parse_figure(written)
    assert figure.value == value
    assert figure.unit == unit


def test_rank_needs_the_ordinal_before_it():
    assert parse_figure("六", before="排名第").unit == "rank"
    assert parse_figure("六", before="排名第").value == 6
    assert parse_figure("六").unit == ""


@pytest.mark.parametrize(("numeral", "value"), [
    ("十", 10), ("十一", 11), ("二十", 20), ("一百零五", 105),   # 100 + 0 + 5
    ("两千零五", 2005), ("三万", 30000), ("十万", 100000),         # 10 × 10^4
    ("一亿二千万", 120000000),                                     # 1 × 10^8 + 2000 × 10^4
    ("二〇二三", 2023),                                            # digit by digit
])
def test_chinese_numerals(numeral, value):
    assert chinese_to_int(numeral) == value


@pytest.mark.parametrize("bad", ["", "十百", "三四十", "千千", "abc"])
def test_malformed_numerals_raise(bad):
    with pytest.raises(ValueError):
        chinese_to_int(bad)


@pytest.mark.parametrize(("text", "figure", "qualifier"), [
    ("共出动2900余人次。", "2900余人次", "approx"),
    ("受理近300宗。", "300宗", "approx"),
    ("挽回超100万元。", "100万元", "lower_bound"),
    ("检查100家以上。", "100家", "lower_bound"),
    ("控制在5天以内。", "5天", "upper_bound"),
    ("查办439宗。", "439宗", "exact"),
])
def test_implied_qualifier(text, figure, qualifier):
    start = text.index(figure)
    assert implied_qualifier(text, start, start + len(figure)) == qualifier


@given(st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False, allow_infinity=False))
def test_wan_round_trips(n):
    # "{n}万元" means n × 10^4 元, exactly
    assert parse_figure(f"{n}万元").value == n * 10**4


@given(st.integers(min_value=0, max_value=99999))
def test_integers_round_trip_with_counters(n):
    assert parse_figure(f"{n}宗").value == n


def test_three_hundred_is_not_read_into_percentage_points():
    # 三百分点 is 三 + 百分点 (3 percentage points), not 三百 (300) + "分点"
    figure = parse_figure("三百分点")
    assert (figure.value, figure.unit) == (3, "pp")


@pytest.mark.parametrize(("written", "value"), [
    ("1" * 15 + "宗", Decimal("111111111111111")),        # 15 digits: the longest figure
    ("123,456,789,012,345元", Decimal("123456789012345")),  # 15 digits; separators do not count
    ("1234567890.12345元", Decimal("1234567890.12345")),   # 10 + 5 = 15 digits
    ("九百九十九万亿元", Decimal(999 * 10**12)),            # 999 × 10^4 × 10^8 < 10^15
])
def test_fifteen_digits_are_a_figure(written, value):
    assert parse_figure(written).value == value


@pytest.mark.parametrize("written", [
    "1" * 16 + "宗",                          # an identity, phone or account number, a code
    "1,234,567,890,123,456元",                # 16 digits
    "1234567890.123456元",                    # 10 + 6 = 16 digits
    "1" * 2_000_000 + "宗",                   # was decimal.Overflow: 2 M digits × 1 overflowed the context
    "一二三四五六七八九一二三四五六七个",      # 17 digits read digit by digit
    "〇" * 10_000 + "个",                     # was int() of 10 000 digits: Python's 4300-digit limit
    "九千九百九十九万亿元",                   # 9999 × 10^12 ≥ 10^15
    "一亿" * 1000 + "元",                     # (((1 × 10^8 + 1) × 10^8 + 1) …): stops at 10^15, never a huge int
])
def test_a_number_longer_than_a_figure_is_a_value_error_naming_it(written):
    with pytest.raises(ValueError, match=r"not a figure: .* is more than 15 digits long") as caught:
        parse_figure(written)
    assert written[:8] in str(caught.value) and len(str(caught.value)) < 200  # named, not pasted whole


@pytest.mark.parametrize("numeral", ["万", "千", "百", "亿", "千万", "万亿", "一万万", "一万一万", "一亿万"])
def test_a_magnitude_needs_a_number_before_it(numeral):
    # 万人次, 千家, 每万人口: a magnitude on its own states no number
    with pytest.raises(ValueError, match="not a"):
        chinese_to_int(numeral)


@pytest.mark.parametrize(("numeral", "value"), [
    ("十", 10), ("十万", 100_000),      # 十 needs no 一 before it
    ("一万亿", 10**12),                  # 1 × 10^4 × 10^8: 万亿 is one magnitude
    ("一万二千亿", 12 * 10**11),         # (1 × 10^4 + 2000) × 10^8 = 1.2 × 10^12
])
def test_magnitudes_after_a_number(numeral, value):
    assert chinese_to_int(numeral) == value


@given(st.text(alphabet="零〇一二两三四五六七八九十百千万亿", max_size=40))
def test_any_numeral_is_an_int_below_the_limit_or_a_value_error(numeral):
    try:
        value = chinese_to_int(numeral)
    except ValueError:
        return
    assert 0 <= value < 10**15
