"""A table as a reader sees it: its coded columns in the Chinese words of :mod:`helpers.show.words`,
its periods worded by :mod:`helpers.show.format`, its topics by the section headings of
``data/charts.yml`` (:mod:`helpers.show.exhibits`), and Chinese column headers."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from .exhibits import load_layout
from .format import period_words
from .words import HEADERS, KIND_WORDS, QUALIFIER_WORDS, metric_words


def topic_words(topic: str) -> str | None:
    """A ``topic`` of data/catalog.yml in words: the heading its section has in data/charts.yml (one table
    of topic words, which the briefing's sections and the build's skipped notebooks read too)."""
    return {s["topic"]: s["heading"] for s in load_layout().sections}.get(topic)


def worded(frame: pd.DataFrame) -> pd.DataFrame:
    """Put the coded columns of a table (topic, kind, qualifier, period, a metric's status) into words.

    A code without a word (a topic added to the catalog but not here) is shown as it is, never lost.

    Examples
    --------
    >>> worded(pd.DataFrame({"topic": ["enforcement", "new_topic"], "qualifier": ["approx", "exact"]})).to_dict("list")
    {'topic': ['行政执法', 'new_topic'], 'qualifier': ['约数', '精确']}
    """
    coded: dict[str, Callable[[str], str | None]] = {
        "topic": topic_words,
        "kind": KIND_WORDS.get,
        "qualifier": QUALIFIER_WORDS.get,
        "period": period_words,
        "status": metric_words,
    }
    out = frame.copy()
    for column, words in coded.items():
        if column in out.columns:
            out[column] = [
                words(code) or code if isinstance(code, str) else code for code in out[column]
            ]
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
    out = worded(frame[known + [c for c in frame.columns if c not in HEADERS]]).rename(
        columns=HEADERS
    )
    out = out.rename_axis(index=[HEADERS.get(n, n) for n in out.index.names])
    return out.rename_axis(
        columns=HEADERS.get(out.columns.name, out.columns.name)
    )  # a pivot's ``year`` → 年度
