"""A comparison of bureaus (:mod:`helpers.audit.compare`) in words and tables: for notebooks/compare.ipynb and
the briefing's 与其他机构比较.

Each sentence compares one measure of the subject with another bureau's and carries the claim record
``compare:<measure>/<other bureau>`` with the computed :class:`~helpers.audit.status.Order`, which alone
chooses its word (高于, 低于, 相当, 不作比较: :data:`helpers.show.words.ORDER_WORDS`). Every figure shows its
source sentence on hover and cites it (a footnote, or the briefing's appendix, which names the other
bureau's report); a figure of part of the year states its period.
"""

from __future__ import annotations

import html
import re
from dataclasses import replace

import pandas as pd

from ..audit.compare import Comparison, claim
from ..audit.report import Report
from ..audit.status import Order
from ..report.period import Period
from ..report.sources import Bureau
from ..report.units import Unit
from .format import counted, figure_text, period_words
from .narrative import Narrative, claim_span, figure_span, quote, source_link
from .sources import Citations, checked
from .words import NOT_COMPARED_WORDS, ORDER_WORDS


def short_name(bureau: Bureau) -> str:
    """A bureau as a comparison sentence names it: its name without 市场监督管理局 (广州市从化区)."""
    return re.sub(r"市场监(督管理|管)局$", "", bureau.name) or bureau.name


def compare_view(c: Comparison) -> pd.DataFrame:
    """The concepts two or more reports state, side by side: each report's figure as written (its own counter
    word) with its period, what is compared (the figure, or its rate over a base both state) and the result.

    One row per concept and measure, indexed by 编号 (the concept's id); a report that does not state the concept
    shows —.
    """
    figures = c.figures.assign(
        shown=[
            f"{figure_text(f.as_written, f.unit)}（{period_words(f.period)}）"
            for f in c.figures.itertuples()
        ]
    )
    side = figures.pivot(index="id", columns="bureau", values="shown")
    names = {r.bureau.slug: short_name(r.bureau) for r in c.reports}
    side = side.reindex(
        index=list(dict.fromkeys(figures["id"])),
        columns=[s for s in names if s in side.columns],
    ).fillna("—")
    side.columns = [names[s] for s in side.columns]
    labels = figures.drop_duplicates("id").set_index("id")["label_zh"]
    side.insert(0, "名称", labels)
    pairs = c.pairs.assign(
        比较口径=[_basis(c.subject, p) for p in c.pairs.itertuples()],
        对比机构=c.pairs["other"].map(names),
        比较结果=[_result(p) for p in c.pairs.itertuples()],
    )[["id", "比较口径", "对比机构", "比较结果"]].set_index("id")
    out = side.join(pairs, how="left").fillna({"比较口径": "—", "对比机构": "—", "比较结果": "—"})
    out.index.name = "编号"
    return out


def only_view(c: Comparison) -> pd.DataFrame:
    """The concepts only one of the reports states: 编号, 名称, 机构, 原文写法 (with its period)."""
    names = {r.bureau.slug: short_name(r.bureau) for r in c.reports}
    return pd.DataFrame(
        {
            "名称": c.only["label_zh"].to_numpy(),
            "机构": c.only["bureau"].map(names).to_numpy(),
            "原文写法": [
                f"{figure_text(f.as_written, f.unit)}（{period_words(f.period)}）"
                for f in c.only.itertuples()
            ],
        },
        index=pd.Index(c.only["id"], name="编号"),
    )


def _basis(r: Report, p) -> str:
    """What is compared: a rate over a base both reports state, a rate the reports state, or the count."""
    if p.basis == "rate":
        return f"比率：{p.label_zh}（以{r.lookup(p.base).label}为基数）"
    return "原文所列比率" if Unit(p.unit).is_percent else "数量"


def _result(p) -> str:
    word = ORDER_WORDS[Order(p.order)]
    return f"{word}（{NOT_COMPARED_WORDS[p.why]}）" if p.order == Order.NONE else word


def compare_say(
    c: Comparison, cite: Citations | None = None, limit: int | None = None, only: str | None = None
) -> Narrative:
    """The comparison in sentences, one per measure and other bureau, each recorded as its claim.

    Parameters
    ----------
    c : Comparison
    cite : Footnotes or Appendix
        The page's citations (``notes`` of ``hb.setup()``, or ``b.sources`` in the briefing).
    limit : int, optional
        At most this many sentences in all (compared measures first, then by bureau and concept), and one
        saying how many more (:func:`compare_rest`).
    only : str, optional
        Of those, only the sentences on this other bureau (its slug), and no sentence on how many more: the
        briefing sets each bureau's sentences under its own line.

    Returns
    -------
    Narrative
        A list of sentences (HTML, with footnotes when ``cite`` is a notebook's) and its plain text.
    """
    cite = checked(cite, "compare_say")
    notes: list[str] = []
    plain, items = [], []
    shown = _shown(c, limit)
    for p in shown.itertuples() if only is None else shown[shown["other"] == only].itertuples():
        text, said = _sentence(c, p, cite, notes)
        plain.append(text)
        items.append(f"<li>{claim_span(claim(p.measure, str(p.other)), p.order, said)}</li>")
    more = compare_rest(c, limit) if only is None else ""
    if more:
        plain.append(more)
        items.append(f"<li>{more}</li>")
    foot = f'<ol class="sources">{"".join(notes)}</ol>' if notes else ""
    listed = f'<ul class="compare">{"".join(items)}</ul>' if items else ""
    return Narrative("".join(plain), listed + foot)


def compare_rest(c: Comparison, limit: int | None) -> str:
    """The sentence on the comparisons :func:`compare_say` leaves out at ``limit``, or "" when it leaves none."""
    left = len(c.pairs) - len(_shown(c, limit))
    return f"另有{left}项比较见比较笔记本。" if left else ""


def _shown(c: Comparison, limit: int | None) -> pd.DataFrame:
    """The pairs said, in order: compared measures first, then by bureau and concept; at most ``limit``."""
    ranked = c.pairs.sort_values("order", key=lambda s: s == Order.NONE, kind="stable")
    return ranked if limit is None else ranked.iloc[:limit]


def _sentence(c: Comparison, p, cite: Citations, notes: list[str]) -> tuple[str, str]:
    """One comparison sentence, as plain text and as HTML."""
    a, b = c.subject, c.report(p.other)
    named_a, named_b = short_name(a.bureau), short_name(b.bureau)
    qa = quote(a, p.measure)
    qb = replace(quote(b, p.measure), source=named_b, ident=f"{p.measure}@{p.other}")
    shown_a = figure_span(qa, source_link(qa, notes, cite)) + _rate_period(a, p.measure)
    shown_b = figure_span(qb, source_link(qb, notes, cite)) + _rate_period(b, p.measure)
    plain_a = qa.text + qa.period_note + _rate_period(a, p.measure)
    plain_b = qb.text + qb.period_note + _rate_period(b, p.measure)
    label = (
        p.label_zh
    )  # a rate by its own name (平均每宗罚没金额); its base is in compare_view and the intro
    word = ORDER_WORDS[Order(p.order)]
    if p.order == Order.NONE:
        form = "{label}：{A}{a}，{B}{b}；{why}，{word}。"
    elif p.order == Order.SIMILAR:
        form = "{label}：{A}{a}，与{B}的{b}{word}。"
    else:
        form = "{label}：{A}{a}，{word}{B}的{b}。"
    why = NOT_COMPARED_WORDS.get(p.why, "")
    words = {"label": label, "A": named_a, "B": named_b, "word": word, "why": why}
    escaped = {k: html.escape(v) for k, v in words.items()}
    return (
        form.format(a=plain_a, b=plain_b, **words),
        form.format(a=shown_a, b=shown_b, **escaped),
    )


def _rate_period(r: Report, measure: str) -> str:
    """The periods of part of the year a rate's inputs cover (``（截至2023年11月）``); "" for an indicator, whose
    own period its figure states."""
    figure = r.lookup(measure)
    partial = [p for p in figure.period.split(", ") if Period.parse(p).is_partial]
    return (
        f"（{'、'.join(period_words(p) for p in partial)}）"
        if figure.kind == "metric" and partial
        else ""
    )


def compare_intro(c: Comparison, other: str) -> str:
    """One line on what two reports have in common: shared concepts, how many compared as rates, what only
    one of them states."""
    a, b = c.subject, c.report(other)
    pairs = c.pairs[c.pairs["other"] == other]
    shared = pairs["id"].nunique()
    rates = pairs.loc[pairs["basis"] == "rate", "id"].nunique()
    mine = set(a.indicators.index) - set(b.indicators.index)
    theirs = set(b.indicators.index) - set(a.indicators.index)
    as_rates = f"，其中{rates}项两份报告都列出了基数，按比率比较" if rates else ""
    common = (
        f"两份报告共有{shared}项相同指标{as_rates}"
        if shared
        else "两份报告没有相同的指标，无从逐项比较"
    )
    only = counted(
        [
            (len(mine), f"{len(mine)}项仅{short_name(a.bureau)}列出"),
            (len(theirs), f"{len(theirs)}项仅{short_name(b.bureau)}列出"),
        ],
        "，",
    )
    return f"与{b.name}报告相比：{common}" + (f"；另有{only}。" if only else "。")


def compare_more(c: Comparison) -> str:
    """One line on the other bureaus of the year not compared one by one (:attr:`Comparison.more`), or ""."""
    if not c.more:
        return ""
    return f"另有{len(c.more)}个机构的{c.subject.year}年报告与本报告相同的指标较少，未逐项比较。"
