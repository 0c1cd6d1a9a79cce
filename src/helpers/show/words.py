"""Every code of the data and status of the audit in the Chinese words a page shows: one place, one
table per code or status type, and the Chinese column headers.

Codes stay in the data (``enforcement``, ``share``, ``approx``) because code and data address
things by them; a page, a notebook table or a workbook sheet shows them through these tables, and
ids only in the 编号 column (:mod:`helpers.show.readable` puts a whole table into these words). The
tables sit below :mod:`helpers.show.format`, which words numbers with them, and import nothing of
``show``. The statuses are the enumerations of :mod:`helpers.audit.status`;
each table here has a word for every member (a test enumerates them, and checks that no word holds a Latin letter). A
status that needs a year (新增 in which year) takes it from its row, never from its text.
"""

from __future__ import annotations

from ..audit.status import (
    Comparison,
    GrowthStatus,
    Missing,
    NotCompared,
    Order,
    Result,
    Severity,
    StatedCheck,
)

#: A finding's severity (``helpers.audit.checks``).
SEVERITY_WORDS: dict[str, str] = {
    Severity.ERROR: "错误",
    Severity.WARN: "存疑",
    Severity.SKIPPED: "未核对",
    Severity.OK: "通过",
}
#: A rule's result, before its numbers (不成立（40,514 对 14,434）).
RESULT_WORDS = {
    Result.HOLDS: "成立",
    Result.FAILS: "不成立",
    Result.MISSING: "未核对：缺少",
    Result.UNDEFINED: "无法计算（算式在这些数值下无定义）",
}
#: Why a rule lacks a figure; ``{year}`` is the report year.
MISSING_WORDS = {Missing.NOT_IN_TABLE: "{year}年指标表中没有", Missing.NO_VALUE: "衍生指标无法计算"}
#: A year-on-year comparison, in the 比较 column of a growth table.
COMPARISON_WORDS = {
    Comparison.COMPARED: "可比",
    Comparison.PERIOD_DIFFERS: "口径不同",
    Comparison.ONE_YEAR: "仅一年",
    Comparison.NOT_COMPARED: "不可比",
}
#: A status with no change figure, in words; ``{year}`` and ``{previous_year}`` come from the row.
#: The statuses with a change figure (``ok`` …, ``previous is zero/negative``, ``period differs``)
#: are worded with their numbers by :func:`helpers.show.format.change_text`.
GROWTH_WORDS = {
    GrowthStatus.COMPARED: "可比",
    GrowthStatus.IN_POINTS: "可比（个百分点）",
    GrowthStatus.IN_PLACES: "可比（名次）",
    GrowthStatus.PERIOD_DIFFERS: "口径不同，不比较",
    GrowthStatus.PREVIOUS_ZERO: "上年为0，无增长率",
    GrowthStatus.PREVIOUS_NEGATIVE: "上年为负数，无增长率",
    GrowthStatus.UNIT_CHANGED: "单位不同，不比较",
    GrowthStatus.ONLY_CURRENT: "{year}年新增",
    GrowthStatus.ONLY_PREVIOUS: "{year}年未报告",
    GrowthStatus.NO_VALUE: "{year}年无数值",
    GrowthStatus.NO_PREVIOUS_VALUE: "{previous_year}年无数值",
    GrowthStatus.TOO_LARGE: "变化过大，无法表示",
}
#: The check of a growth rate the report states; ``{previous_year}``, ``{year}`` and ``{missing}`` from the row.
STATED_WORDS = {
    StatedCheck.CONSISTENT: "一致",
    StatedCheck.INCONSISTENT: "不一致",
    StatedCheck.PERIOD_DIFFERS: "口径不同，不核对",
    StatedCheck.NO_PREVIOUS: "无{previous_year}年数据可核对",
    StatedCheck.MISSING: "未核对：{year}年无{missing}",
}
#: A derived metric with a value (status ``ok``) or without one (why, for the command line, is in its status).
METRIC_WORDS = {True: "可计算", False: "无法计算"}


def metric_words(status: str) -> str:
    """A metric's status in words; the English reason stays on the command line.

    Examples
    --------
    >>> metric_words("ok"), metric_words("no value: council_complaints_received not in 2023")
    ('可计算', '无法计算')
    """
    return METRIC_WORDS[status == "ok"]


def growth_words(status: str, year: int, previous_year: int) -> str:
    """A growth status in words, its year from the row.

    Examples
    --------
    >>> growth_words("new", 2024, 2023), growth_words("no previous value", 2024, 2023)
    ('2024年新增', '2023年无数值')
    """
    return GROWTH_WORDS[GrowthStatus(status)].format(year=year, previous_year=previous_year)


def missing_words(reason: str, year: int) -> str:
    """Why a rule lacks a figure, in words.

    Examples
    --------
    >>> missing_words("not in the year's table", 2023)
    '2023年指标表中没有'
    """
    return MISSING_WORDS[Missing(reason)].format(year=year)


#: ``kind`` of data/metrics.yml.
KIND_WORDS = {
    "rate": "比率",
    "share": "占比",
    "ratio": "比值",
    "average": "平均数",
    "total": "合计",
    "implied": "推算值",
    "plan_vs_actual": "计划与实际",
}
#: ``qualifier`` of the indicator tables.
QUALIFIER_WORDS = {"exact": "精确", "approx": "约数", "lower_bound": "下限", "upper_bound": "上限"}

#: Column -> Chinese header, in the order tables show them (columns a table lacks are left out).
HEADERS = {
    "id": "编号",
    "check": "规则编号",
    "label_zh": "名称",
    "description": "规则",
    "级别": "级别",
    "结果": "结果",
    "as_written": "原文写法",
    "value": "数值",
    "unit": "单位",
    "qualifier": "限定",
    "period": "口径",
    "section": "原文章节",
    "topic": "领域",
    "kind": "类型",
    "formula": "公式",
    "expression": "规则式",
    "核对": "核对",
    "status": "状态",
    "stated_value": "原文数值",
    "difference": "差值",
    "note": "说明",
    "source_sentence": "原文句子",
    "inputs": "数据来源",
    "figures": "涉及数字",
    "start": "原文起始位置",
    "end": "原文结束位置",
    "label_en": "英文名称",
    "year": "年度",
}


#: How one bureau's figure stands against another's (helpers.audit.compare), as the sentence's word.
ORDER_WORDS = {
    Order.HIGHER: "高于",
    Order.LOWER: "低于",
    Order.SIMILAR: "相当",
    Order.NONE: "不作比较",
}
#: Why two bureaus' figures are not compared.
NOT_COMPARED_WORDS = {
    NotCompared.PERIOD_DIFFERS: "口径不同",
    NotCompared.BOUNDS_OVERLAP: "原文为上限或下限，高低不明",
    NotCompared.RANK: "名次属于不同的排名",
}
