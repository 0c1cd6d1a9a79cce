"""Tables an analyst reads in a notebook: the audit findings of a topic, the quality summary,
the check of a rate a notebook computed itself (:func:`agrees`) and year-on-year change
(:func:`growth_view`, :func:`implied_previous`).

Topics are the ``topic`` field of ``data/catalog.yml``; a metric or finding belongs to the
topics of the indicators it rests on.
"""

from __future__ import annotations

import html
import math

import pandas as pd
from IPython.display import HTML

from .. import paths
from ..audit.report import Report
from ..audit.status import Comparison, Severity, StatedCheck
from ..errors import AmrbookError
from ..report.period import Period
from ..report.units import Unit
from .findings import own_findings, worded_findings
from .format import by_sentence, change_text, counted, estimate, grouped, highlight, spelled
from .narrative import claim_span
from .words import COMPARISON_WORDS, SEVERITY_WORDS, STATED_WORDS


def _topics_of(inputs: list[dict], table: pd.DataFrame) -> set[str]:
    return {table.at[i["id"], "topic"] for i in inputs if i["id"] in table.index}


def topic_findings(r: Report, topic: str | None = None, include_ok: bool = False) -> pd.DataFrame:
    """Return the audit findings of a report touching a topic (all topics when ``topic`` is None).

    Columns: severity, 级别, 规则, 核对, 结果, 说明, figures (list of input records), check (the rule's id) and
    result (its code: holds, fails, missing, undefined).
    """
    table = r.indicators
    findings = worded_findings(r)
    if topic:
        touches = findings["figures"].map(lambda f: topic in _topics_of(f, table))
        findings = findings[touches.astype(bool)]  # a mask even with no rows (not a column list)
    if not include_ok:
        findings = findings[findings["severity"] != Severity.OK]
    return pd.DataFrame(
        {
            "severity": findings["severity"],
            "级别": findings["级别"],
            "规则": findings["description"],
            "核对": findings["核对"],
            "结果": findings["结果"],
            "说明": findings["note"],
            "figures": findings["figures"],
            "check": findings["check"],
            "result": findings["result"],
        }
    ).reset_index(drop=True)


def findings_html(findings: pd.DataFrame) -> HTML:
    """Render findings as a list: severity, rule, the check with numbers, and the source sentences; rules not
    checked (the report lacks a figure they need) are counted in one sentence, not listed."""
    skipped = int((findings["severity"] == "skipped").sum())
    findings = findings[findings["severity"] != "skipped"]
    untested = (
        f'<p class="findings-none">另有{skipped}条规则因本报告缺少所需数字未能核对。</p>'
        if skipped
        else ""
    )
    if findings.empty:
        return HTML(f'<p class="findings-none">本部分没有未通过的规则。</p>{untested}')
    items = []
    for row in findings.itertuples():
        sentences = by_sentence(row.figures)
        quoted = "".join(
            f"<blockquote>「{highlight(s, w)}」</blockquote>" for s, w in sentences.items()
        )
        note = f"<br>{html.escape(row.说明)}" if row.说明 else ""
        items.append(
            f'<li class="finding {row.severity}"><b>[{row.级别}] {html.escape(row.规则)}</b><br>'
            f"核对：{html.escape(row.核对)}，"
            f"{claim_span(f'check:{row.check}', row.result, html.escape(row.结果) + note)}{quoted}</li>"
        )
    return HTML(f'<ul class="findings">{"".join(items)}</ul>{untested}')


def quality_summary(r: Report) -> pd.DataFrame:
    """Return the data-quality summary of a report: what was verified and what needs care.

    Indexed by 项目 (what), with columns 数量 (count) and 说明 (explanation).
    """
    table, metrics, findings, year = r.indicators, r.metrics, own_findings(r), r.year
    periods = table["period"].map(Period.parse)

    def count(test) -> int:
        return int(periods.map(test).sum())

    def checked(severity: Severity) -> int:
        return int((findings["severity"] == severity).sum())

    rows = [
        ("报告中的数字", len(table), "每个数字的原文位置、数值、单位和约数标记均已与原文逐一核对"),
        ("全年口径", count(lambda p: p.is_full_year(year)), "明确为全年或本年度的数字"),
        ("截至报告时", count(lambda p: p.is_as_of_report), "“截至目前”：统计截止日未说明"),
        ("非全年口径", count(lambda p: p.is_partial), "截至11月、截至第三季度、近期等"),
        ("截至年底", count(lambda p: p.is_year_end(year)), "“截至12月底”：至年末的累计数"),
        ("下一年度计划", count(lambda p: p.is_plan(year)), "报告所列以后年度的计划数"),
        ("约数", int((table["qualifier"] != "exact").sum()), "带“余、多、近、约、超”等"),
        ("衍生指标", int(metrics["value"].notna().sum()), "由报告数字计算的比率、均值、推算值"),
        (f"一致性核对：{SEVERITY_WORDS[Severity.OK]}", checked(Severity.OK), ""),
        (
            f"一致性核对：{SEVERITY_WORDS[Severity.WARN]}",
            checked(Severity.WARN),
            "数字之间无法互相印证",
        ),
        (
            f"一致性核对：{SEVERITY_WORDS[Severity.ERROR]}",
            checked(Severity.ERROR),
            "数字之间互相矛盾",
        ),
        (
            f"一致性核对：{SEVERITY_WORDS[Severity.SKIPPED]}",
            checked(Severity.SKIPPED),
            "所需数字本年缺失，未能核对",
        ),
    ]
    return pd.DataFrame(rows, columns=["项目", "数量", "说明"]).set_index("项目")


def agrees(computed: float, r: Report, metric: str, tolerance: float = 1e-9) -> pd.DataFrame:
    """Check a rate a notebook computed itself against the declared metric of ``metrics.yml``.

    The declared metric stays the one definition the briefing uses; a notebook that recomputes
    it in plain pandas shows both side by side, and stops here if they differ.

    Parameters
    ----------
    computed : float
        The value the notebook computed.
    r : Report
    metric : str
        A metric id of ``data/metrics.yml``.
    tolerance : float
        Largest relative (and absolute) difference counted as agreement.

    Returns
    -------
    pandas.DataFrame
        One row indexed by ``metric`` (under 编号): 指标, 笔记本计算, 定义值 (the value of metrics.yml; both
        an :func:`~helpers.show.format.estimate` for a metric of kind ``implied``, once they agree), 单位,
        公式 (with the figures' names: 罚没金额 ÷ 查办行政处罚案件), 一致 (是).

    Raises
    ------
    AmrbookError
        If ``metric`` is not a metric, or the two values differ by more than ``tolerance``.
    """
    metrics = r.metrics
    if metric not in metrics.index:
        raise AmrbookError(f"agrees: {metric!r} is not a metric of {paths.metrics_file()}")
    row = metrics.loc[metric]
    declared = float(row["value"])
    if not math.isclose(float(computed), declared, rel_tol=tolerance, abs_tol=tolerance):
        raise AmrbookError(
            f"agrees: the notebook computes {metric} = {float(computed)!r}, but {paths.metrics_file()} "
            f"gives {declared!r} ({row['formula']} = {row['substituted']}): the two definitions differ"
        )
    labels = {**r.indicators["label_zh"].to_dict(), **metrics["label_zh"].to_dict()}
    shown = (  # an estimate to the precision of its meaning (166 inventions, not 165.9544), once checked
        (lambda v: estimate(v, row["unit"])) if row["kind"] == "implied" else (lambda v: v)
    )
    return pd.DataFrame(
        {
            "指标": row["label_zh"],
            "笔记本计算": shown(float(computed)),
            "定义值": shown(declared),
            "单位": row["unit"],
            "公式": spelled(row["formula"], labels),
            "一致": "是",
        },
        index=pd.Index([metric], name="编号"),
    )


def growth_view(r: Report, metrics: bool = False) -> pd.DataFrame:
    """Year-on-year change of a report against the same bureau's year before, with Chinese columns.

    Rates and shares (unit %) change in 个百分点, counts and amounts by a relative % with the
    difference beside it, ranks in places (:func:`helpers.audit.growth.growth_between`).

    Parameters
    ----------
    r : Report
        The later report; compared with the same bureau's ``year - 1`` when ``data/indicators/<bureau>/`` has it.
    metrics : bool
        Compare the derived metrics of ``metrics.yml`` instead of the indicators.

    Returns
    -------
    pandas.DataFrame
        Indexed by id (the index is named 编号): 指标, 单位, 上年, 本年 (values), 变化 (in words, :func:`change_text`),
        个百分点, 增长率%, 差值 (the figure that applies, others empty), 比较 (可比, 口径不同 — not
        compared —, 仅一年 — present in one of the years —, or 不可比). ``attrs["说明"]`` is one
        line saying what is compared, or that there is only one year; ``attrs["report"]`` the report.
    """
    frame = r.metric_growth if metrics else r.growth
    kinds = frame["comparison"].map(COMPARISON_WORDS)
    view = pd.DataFrame(
        {
            "指标": frame["label_zh"],
            "单位": frame["unit"],
            "上年": frame["previous_value"],
            "本年": frame["value"],
            "变化": [change_text(r) for r in frame.to_dict("records")],
            "个百分点": frame["change_pp"],
            "增长率%": frame["growth_pct"],
            "差值": frame["change"],
            "比较": kinds,
        }
    ).set_axis(pd.Index(frame["id"], name="编号"))
    view.attrs["report"] = r
    if frame.empty:
        view.attrs["说明"] = (
            f"{r.bureau.name}只有{r.year}年一年的指标表，无法计算同比；"
            "下表是报告自述的增长率所推算的上年数值。"
        )
    else:
        counts = frame["comparison"].value_counts()
        words = COMPARISON_WORDS
        # every row is of one of these kinds, said in their order; a count of none is not said
        shapes = {
            Comparison.PERIOD_DIFFERS: "{word}{n}项（不比较）",
            Comparison.ONE_YEAR: "只在一年出现{n}项",
        }
        said = counted(
            [
                (n, shapes.get(kind, "{word}{n}项").format(word=words[kind], n=n))
                for kind in Comparison
                for n in (int(counts.get(kind, 0)),)
            ],
            "，",
        )
        view.attrs["说明"] = f"{r.year}年与{r.year - 1}年对比：{said}。"
    return view


def stated_rates(r: Report) -> pd.DataFrame:
    """The rows of :attr:`Report.stated_growth` whose figure the report states: a rate of a figure it lacks implies
    nothing."""
    stated = r.stated_growth
    return stated[stated["check"] != StatedCheck.MISSING]


def implied_previous(r: Report) -> pd.DataFrame:
    """The previous-year values the report's own stated growth rates imply, with Chinese columns.

    Returns
    -------
    pandas.DataFrame
        Indexed by the id the growth is of (named 编号): 指标, 本年, 所述增长率%, 推算上年 (value / (1 + rate/100), an
        :func:`~helpers.show.format.estimate`: a count in whole things), 推算区间 (the previous values the
        rate's rounding allows), 上年实际, 核对 (the status of
        :func:`helpers.audit.growth.stated_growth` in words: 一致, 不一致, 口径不同, 无2022年数据可核对 …).
    """
    stated = stated_rates(r)
    labels = r.indicators["label_zh"]
    units = [r.lookup(i).unit for i in stated["of"]]
    return pd.DataFrame(
        {
            "指标": [labels.get(i, i) for i in stated["of"]],
            "本年": stated["value"].to_numpy(),
            "所述增长率%": stated["stated_pct"].to_numpy(),
            "推算上年": [estimate(v, u) for v, u in zip(stated["implied_previous"], units)],
            "推算区间": [_range_words(b, u) for b, u in zip(stated["implied_range"], units)],
            "上年实际": stated["previous_value"].to_numpy(),
            "核对": [_stated_words(r, labels) for r in stated.itertuples()],
        },
        index=pd.Index(stated["of"], name="编号"),
    )


def _stated_words(row, labels: pd.Series) -> str:
    """The ``check`` of a stated growth rate in words (:data:`helpers.show.words.STATED_WORDS`), a
    missing figure named by its label."""
    missing = "、".join(labels.get(i, i) for i in str(row.missing).split(", ") if i)
    return STATED_WORDS[StatedCheck(row.check)].format(
        year=row.year, previous_year=row.year - 1, missing=missing
    )


def _range_words(bounds, unit: str) -> str:
    """The previous values a rounded rate allows: for a count, the whole things between the bounds (165.8953–166.0135
    件 allows 166 alone, 165.4–167.6 allows 166–167, 165.2–165.8 none, said so); otherwise each bound an
    :func:`~helpers.show.format.estimate`; one value when both bounds give it.

    Examples
    --------
    >>> _range_words((165.8953, 166.0135), "件"), _range_words((165.4, 167.6), "件"), _range_words((165.2, 165.8), "件")
    ('166', '166–167', '无相符整数')
    """
    if not isinstance(bounds, tuple):
        return "—"
    if Unit(unit).is_counter:
        low, high = math.ceil(bounds[0] - 1e-9), math.floor(bounds[1] + 1e-9)
        if low > high:
            return "无相符整数"
        low_text, high_text = grouped(float(low)), grouped(float(high))
    else:
        low_text, high_text = (grouped(estimate(b, unit)) for b in bounds)
    return low_text if low_text == high_text else f"{low_text}–{high_text}"
