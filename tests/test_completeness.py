"""No figure of the report is silently left out of data/indicators/2023.csv.

Every number in the raw text is either inside the span of a row of the table or matched by
one of the ignore rules below, each of which says why the number is not a figure.
"""
from __future__ import annotations

import re

from helpers.tables.load import load_indicators
from helpers.report.sources import raw_text

COUNTERS = "宗家户次项个份所种类期场名台件人元万亿%"
CN = "一二两三四五六七八九十百千"

IGNORE = [
    # years, year ranges and revisions: 2023年, 2022年度, (2021-2025年), (2022修订)
    (r"\d{4}(?=年|-\d{4}年|修订)|(?<=\d{4}-)\d{4}(?=年)", "a year"),
    # months: 于8月, 截至11月, 截至12月底
    (r"\d{1,2}(?=月)", "a month"),
    # list markers at the start of a paragraph: 1.持续完善…
    (r"(?m)^\d(?=\.)", "a list marker"),
    # the province's “1310” plan and the city's 1312 “思路举措”: programme codes
    (r"(?<=“)1310(?=”)|1312(?=“思路举措”)", "a programme code"),
    # 12315中心: the name of the complaints hotline centre
    (r"12315(?=中心)", "a hotline's name"),
    # 第一责任人, 第二类/第三类医疗器械, 第五届, 第三季度, 第三方: titles, device classes,
    # editions, quarters and "third party"
    (r"(?<=第)[一二三五](?=责任人|类医疗器械|届|季度|方)", "an ordinal in a name"),
    # 四个最严 (a slogan), 三项制度 (a name for three systems)
    (r"[三四](?=个最严|项制度)", "a slogan"),
]

ARABIC = re.compile(r"\d+(?:\.\d+)?")
CHINESE = re.compile(rf"(?<=第)[{CN}]+|[{CN}]+(?=[个{COUNTERS}])")


def test_every_number_is_a_figure_or_ignored_for_a_reason():
    text = raw_text("conghua", 2023)
    table = load_indicators("conghua", 2023)
    covered = set()
    for start, end in zip(table["start"], table["end"]):
        covered.update(range(start, end))
    for pattern, _reason in IGNORE:
        for m in re.finditer(pattern, text):
            covered.update(range(m.start(), m.end()))
    missed = [(m.start(), m.group(), text[max(0, m.start() - 8):m.end() + 4])
              for regex in (ARABIC, CHINESE) for m in regex.finditer(text)
              if not set(range(m.start(), m.end())) <= covered]
    assert missed == []


def test_every_ignore_rule_is_needed():
    text = raw_text("conghua", 2023)
    for pattern, reason in IGNORE:
        assert re.search(pattern, text), f"ignore rule for {reason} matches nothing"


def test_ignore_rules_never_hide_a_figure():
    text = raw_text("conghua", 2023)
    table = load_indicators("conghua", 2023)
    spans = list(zip(table["start"], table["end"]))
    for pattern, reason in IGNORE:
        for m in re.finditer(pattern, text):
            assert not any(s < m.end() and m.start() < e for s, e in spans), (reason, m.group())
