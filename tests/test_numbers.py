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
