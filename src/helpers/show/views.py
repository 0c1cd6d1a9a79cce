"""Tables an analyst reads in a notebook: a topic's figures, its metrics and the audit findings.

Topics are the ``topic`` field of ``data/catalog.yml``; a metric or finding belongs to the
topics of the indicators it rests on.
"""
from __future__ import annotations

import html

import pandas as pd
from IPython.display import HTML

from ..audit.metrics import compute_metrics, indicator_values, input_record
from ..tables.load import partial_period
from .findings import worded_findings
from .format import by_sentence, figure_text, formula_words, grouped, highlight, missing_marker, period_words

def topic_figures(year: int, topic: str) -> pd.DataFrame:
    """Return a topic's figures with Chinese column names, in report order.

    Columns: 指标, 原文数值 (as written), 数值 (base units), 单位, 口径 (period), 说明 (note),
    原文 (the source sentence).
    """
    table = indicator_values(year)
    part = table[table["topic"] == topic]
    return pd.DataFrame({
        "指标": part["label_zh"], "原文数值": part["as_written"], "数值": part["value"].map(grouped),
        "单位": part["unit"], "口径": part["period"], "说明": part["note"], "原文": part["source_sentence"],
    }).reset_index(drop=True)


def _topics_of(inputs: list[dict], table: pd.DataFrame) -> set[str]:
    return {table.at[i["id"], "topic"] for i in inputs if i["id"] in table.index}


def topic_metrics(year: int, topic: str) -> pd.DataFrame:
    """Return the metrics resting on a topic's indicators: 指标, 数值, 单位, 计算, 提示.

    ``提示`` names approximate or partial-period inputs and the metric's note.
    """
    table = indicator_values(year)
    metrics = compute_metrics(year)
    mine = metrics[metrics["inputs"].map(lambda inputs: topic in _topics_of(inputs, table))]
    flags = ["；".join(filter(None, ["含约数" if m.approx_input else "",
                                      f"非全年口径({m.periods})" if m.partial_period else "", m.note]))
             for m in mine.itertuples()]
    return pd.DataFrame({"指标": mine["label_zh"], "数值": mine["value"].map(grouped), "单位": mine["unit"],
                         "计算": mine["substituted"], "提示": flags}).reset_index(drop=True)


def topic_findings(year: int, topic: str | None = None, include_ok: bool = False) -> pd.DataFrame:
    """Return the audit findings touching a topic (all topics when ``topic`` is None).

    Columns: severity, 级别, 规则, 核对, 结果, 说明, figures (list of input records).
    """
    table = indicator_values(year)
    findings = worded_findings(year)
    if topic:
        findings = findings[findings["figures"].map(lambda f: topic in _topics_of(f, table))]
    if not include_ok:
        findings = findings[findings["severity"] != "ok"]
    return pd.DataFrame({"severity": findings["severity"], "级别": findings["级别"],
                         "规则": findings["description"], "核对": findings["substituted"].map(formula_words),
                         "结果": findings["结果"], "说明": findings["note"],
                         "figures": findings["figures"]}).reset_index(drop=True)


def findings_html(findings: pd.DataFrame) -> HTML:
    """Render findings as a list: severity, rule, the check with numbers, and the source sentences."""
    if findings.empty:
        return HTML('<p class="findings-none">本部分数据未发现不一致。</p>')
    items = []
    for row in findings.itertuples():
        sentences = by_sentence(row.figures)
        quoted = "".join(f"<blockquote>「{highlight(s, w)}」</blockquote>" for s, w in sentences.items())
        note = f"<br>{html.escape(row.说明)}" if row.说明 else ""
        items.append(f'<li class="finding {row.severity}"><b>[{row.级别}] {html.escape(row.规则)}</b><br>'
                     f"核对：{html.escape(row.核对)}，{html.escape(row.结果)}{note}{quoted}</li>")
    return HTML(f'<ul class="findings">{"".join(items)}</ul>')


def quality_summary(year: int) -> pd.DataFrame:
    """Return the data-quality summary of a year: what was verified and what needs care.

    Indexed by 项目 (what), with columns 数量 (count) and 说明 (explanation).
    """
    table = indicator_values(year)
    metrics = compute_metrics(year)
    findings = worded_findings(year)
    partial = table["period"].map(partial_period)
    rows = [
        ("报告中的数字", len(table), "每个数字的原文位置、数值、单位和约数标记均已与原文逐一核对"),
        ("全年口径", int((table["period"] == str(year)).sum()), "明确为全年或本年度的数字"),
        ("截至报告时", int((table["period"] == "as_of_report").sum()), "“截至目前”：统计截止日未说明"),
        ("非全年口径", int(partial.sum()), "截至11月、截至第三季度、近期等"),
        ("约数", int((table["qualifier"] != "exact").sum()), "带“余、多、近、约、超”等"),
        ("衍生指标", len(metrics), "由报告数字计算的比率、均值、推算值"),
        ("一致性核对：通过", int((findings["severity"] == "ok").sum()), ""),
        ("一致性核对：存疑", int((findings["severity"] == "warn").sum()), "数字之间无法互相印证"),
        ("一致性核对：错误", int((findings["severity"] == "error").sum()), "数字之间互相矛盾"),
        ("一致性核对：未核对", int((findings["severity"] == "skipped").sum()), "所需数字本年缺失，未能核对"),
    ]
    return pd.DataFrame(rows, columns=["项目", "数量", "说明"]).set_index("项目")


def key_figures(year: int, ids: list[str]) -> HTML:
    """Render a table of key figures: label, value as written, period, and the marked source sentence."""
    table = indicator_values(year)
    rows = []
    for ident in ids:
        if ident not in table.index:  # a new year or district may not state it
            rows.append(f"<tr><td>{html.escape(ident)}</td><td>{html.escape(missing_marker(ident))}</td>"
                        "<td></td><td></td></tr>")
            continue
        row = table.loc[ident]
        shown = figure_text(row["as_written"], row["unit"])
        ((sentence, spans),) = by_sentence([input_record(table, ident)]).items()
        rows.append(f"<tr><td>{html.escape(row['label_zh'])}</td><td><b>{html.escape(shown)}</b></td>"
                    f"<td>{period_words(row['period'])}</td>"
                    f"<td class='quote'>「{highlight(sentence, spans)}」</td></tr>")
    return HTML('<table class="key-figures"><thead><tr><th>指标</th><th>数值</th><th>口径</th><th>原文</th></tr>'
                f'</thead><tbody>{"".join(rows)}</tbody></table>')
