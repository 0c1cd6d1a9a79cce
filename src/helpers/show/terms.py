"""The codes of the data in the words a reader sees, and the Chinese column headers: one table each.

Codes stay in the data (``enforcement``, ``share``, ``approx``) because code and data address
things by them; a page, a notebook table or a workbook sheet shows them through these tables, and
ids only in the 编号 column. (The audit's statuses and severities have their words in
:mod:`helpers.show.format` and, with their enumerations, in ``helpers.show.words``: these tables
are the catalog's and metrics' own codes, kept small so the two modules fold together.)
"""
from __future__ import annotations

import pandas as pd

from .exhibits import load_layout
from .format import period_words


def topic_words(topic: str) -> str | None:
    """A ``topic`` of data/catalog.yml in words: the heading its section has in data/charts.yml (one table
    of topic words, which the briefing's sections and the build's skipped notebooks read too)."""
    return {s["topic"]: s["heading"] for s in load_layout().sections}.get(topic)


#: ``kind`` of data/metrics.yml.
KIND_WORDS = {"rate": "比率", "share": "占比", "ratio": "比值", "average": "平均数", "total": "合计",
              "implied": "推算值", "plan_vs_actual": "计划与实际"}
#: ``qualifier`` of the indicator tables.
QUALIFIER_WORDS = {"exact": "精确", "approx": "约数", "lower_bound": "下限", "upper_bound": "上限"}
#: A metric's ``status``: ``ok``, or why it has no value (the reason, in English, is for the command line).
METRIC_STATUS_WORDS = {True: "可计算", False: "无法计算"}

#: Column -> Chinese header, in the order tables show them (columns a table lacks are left out).
HEADERS = {
    "id": "编号", "check": "规则编号", "label_zh": "名称", "description": "规则", "级别": "级别", "结果": "结果",
    "as_written": "原文写法", "value": "数值", "unit": "单位", "qualifier": "限定", "period": "口径",
    "section": "原文章节", "topic": "领域", "kind": "类型", "formula": "公式", "expression": "规则式",
    "核对": "核对", "status": "状态", "stated_value": "原文数值", "difference": "差值",
    "note": "说明", "source_sentence": "原文句子", "inputs": "数据来源", "figures": "涉及数字",
    "start": "原文起始位置", "end": "原文结束位置", "label_en": "英文名称", "year": "年度",
}
#: How each coded column is put into words.
_CODED = {"topic": topic_words, "kind": KIND_WORDS.get, "qualifier": QUALIFIER_WORDS.get,
          "period": period_words, "status": lambda s: METRIC_STATUS_WORDS[s == "ok"]}


def worded(frame: pd.DataFrame) -> pd.DataFrame:
    """Put the coded columns of a table (topic, kind, qualifier, period, a metric's status) into words.

    A code without a word (a topic added to the catalog but not here) is shown as it is, never lost.

    Examples
    --------
    >>> worded(pd.DataFrame({"topic": ["enforcement", "new_topic"], "qualifier": ["approx", "exact"]})).to_dict("list")
    {'topic': ['行政执法', 'new_topic'], 'qualifier': ['约数', '精确']}
    """
    out = frame.copy()
    for column, words in _CODED.items():
        if column in out.columns:
            out[column] = [words(code) or code if isinstance(code, str) else code for code in out[column]]
    return out


def chinese(frame: pd.DataFrame) -> pd.DataFrame:
    """A table as a reader sees it: codes in words (:func:`worded`), Chinese headers, the ids in 编号.

    The index keeps its place under Chinese names (an index of ids is the 编号 column a notebook
    shows first; an ``id`` column, as the workbook has, becomes a 编号 column); the columns
    :data:`HEADERS` names come in its order, and columns already in Chinese (年度 columns such as
    2023, 级别 …) follow as they are.

    Examples
    --------
    >>> table = pd.DataFrame({"value": [439.0], "label_zh": ["查办行政处罚案件"], "unit": ["宗"]},
    ...                      index=pd.Index(["admin_penalty_cases"], name="id"))
    >>> shown = chinese(table)
    >>> shown.index.name, list(shown.columns), shown.at["admin_penalty_cases", "名称"]
    ('编号', ['名称', '数值', '单位'], '查办行政处罚案件')
    """
    known = [c for c in HEADERS if c in frame.columns]
    out = worded(frame[known + [c for c in frame.columns if c not in HEADERS]]).rename(columns=HEADERS)
    out = out.rename_axis(index=[HEADERS.get(n, n) for n in out.index.names])
    return out.rename_axis(columns=HEADERS.get(out.columns.name, out.columns.name))  # a pivot's ``year`` → 年度
