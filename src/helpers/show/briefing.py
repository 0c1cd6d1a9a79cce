"""The briefing as a publication: 要点 first, numbered figures with their data, sources once.

Each function returns HTML for one part of ``notebooks/briefing.ipynb``; all of it is filled
from ``data/`` (the wording of main points and titles lives in ``narrative.yml`` and
``charts.yml``). :func:`start` begins a briefing of a report: the :class:`Briefing` it returns
holds the one 原文出处 appendix (:class:`helpers.show.sources.Appendix`) its figures link to and
that :func:`appendix` prints at the end, so no source sentence is quoted twice.
"""

from __future__ import annotations

import html
import math
import urllib.parse
from dataclasses import dataclass, replace

import pandas as pd
from IPython.display import HTML

from ..audit.report import Report
from ..audit.status import Comparison, GrowthStatus, Severity
from ..audit.template import figures_in
from ..report.period import Period
from ..report.units import Unit
from .charts import bar_chart, chart_data, chart_inputs, chart_spec, draw_chart, source_note
from .exhibits import (
    BUILT_IN,
    Layout,
    alt_text,
    exhibit_html,
    list_of_exhibits,
    load_layout,
    png_img,
    ref,
)
from .findings import own_findings, worded_findings
from .format import (
    by_sentence,
    change_text,
    estimate,
    estimate_text,
    figure_text,
    number,
    period_words,
)
from .narrative import (
    claim_span,
    claim_status,
    figure_span,
    fill,
    fill_html,
    inline,
    load_narrative,
    quote,
    takeaways,
)
from .sources import Appendix
from .views import quality_summary, stated_rates
from .words import COMPARISON_WORDS

#: Changes drawn in the chart of the largest changes.
LARGEST = 8
#: At most this many main points (要点); of them at most :data:`POINT_CHANGES` rates and as many
#: counts or amounts among the largest 同比 changes.
MAIN_POINTS = 6
POINT_CHANGES = 2


@dataclass(frozen=True)
class Briefing:
    """What every part of a report's briefing shares: the report, its layout, its exhibit numbers, its sources."""

    report: Report
    layout: Layout
    numbers: dict[str, str]
    growth: pd.DataFrame  # the report's 同比 (empty with one year)
    sources: Appendix  # the 原文出处 every figure of the briefing cites into

    @property
    def year(self) -> int:
        return self.report.year


def start(r: Report) -> Briefing:
    """Begin a briefing: number its figures and tables and start its one appendix of sources.

    Parameters
    ----------
    r : Report

    Returns
    -------
    Briefing
        Handed to every other function of this module. The chart of the largest changes is
        left out (and the numbers after it move up) when no count changed against a previous
        year; the 同比 table when there is neither a previous year nor a stated growth rate.

    Raises
    ------
    DataError
        If ``briefing`` or ``titles`` of charts.yml is not valid (:func:`helpers.show.exhibits.load_layout`).
    """
    layout = load_layout()
    growth = r.growth
    absent = set() if len(_largest(growth)) else {"largest_changes"}
    absent |= {
        name for name in layout.order if name not in BUILT_IN and not r.has(chart_inputs(name))
    }
    if _shown_findings(r).empty:
        absent.add("findings")
    if growth.empty and stated_rates(r).empty:
        absent.add("year_on_year")
    return Briefing(r, layout, layout.numbers(absent), growth, Appendix())


#: What the briefing says when no rule of checks.yml concerns the report's figures.
NO_RULE = "本报告的数字没有可核对的一致性规则。"


def main_points(b: Briefing) -> HTML:
    """The 要点, generated from the results (README, "The main points"), then the headline tiles.

    In order, up to :data:`MAIN_POINTS`: every rule of checks.yml that fails, errors first, with
    its numbers (its note, or its rule and result); with the same bureau's previous year, the
    largest 同比 changes (at most :data:`POINT_CHANGES` rates by 个百分点, then as many counts or
    amounts by their relative change, with the difference); then the headline points of
    narrative.yml the report has every figure of (and whose section the briefing has). Each point that
    asserts a result carries its claim record.
    """
    items = [*_failed_points(b), *_change_points(b)]
    topic_headings = {s["heading"] for s in b.layout.sections}
    shown_headings = {s["heading"] for s in _sections(b)}
    for point in load_narrative()["main_points"]:
        if not b.report.has(figures_in(point["text"])) or (
            point["section"] in topic_headings and point["section"] not in shown_headings
        ):
            continue  # a point the report lacks a figure of, or whose section the briefing does not have
        items.append(
            (inline(b.report, point["text"], b.sources), point.get("see"), point["section"])
        )
    lis = []
    for text, see, section in items[:MAIN_POINTS]:
        cited = f"（见{ref(b.numbers, see)}）" if see and see in b.numbers else ""
        anchor = html.escape(heading_anchor(section), quote=True)
        link = f'<a class="section-link" href="#{anchor}">详见「{html.escape(section)}」</a>'
        lis.append(f"<li>{text}{cited} {link}</li>")
    points = f'<ol class="main-points">{"".join(lis)}</ol>' if lis else ""
    return HTML(points + _tiles(b))


#: The headings of the briefing that back generated main points.
CHECKS_SECTION, CHANGES_SECTION = "一致性核对", "同比变化"


def _failed_points(b: Briefing) -> list[tuple[str, str, str]]:
    """A main point per rule that fails: its note filled from data (or the rule and its result), recorded
    as a ``check`` claim; it refers to the chart whose finding depends on the rule, else to the table."""
    found = worded_findings(b.report)
    failed = found[found["result"] == "fails"]
    charts = _charts_by_check(b)
    points = []
    for f in failed.itertuples():
        claim = f"check:{f.check}"
        subject = (
            f"（{b.report.lookup(f.subject).label}）" if f.subject else ""
        )  # a for_each rule: which figure
        said = (
            inline(b.report, f.note, b.sources)
            if f.note
            else html.escape(f"{f.description}{subject}：{f.结果}")
        )
        cited = b.sources.cite(by_sentence(f.figures)) if not f.note else ""
        points.append(
            (
                claim_span(claim, claim_status(b.report, claim), said + cited),
                charts.get(f.check, "findings"),
                CHECKS_SECTION,
            )
        )
    return points


def _charts_by_check(b: Briefing) -> dict[str, str]:
    """Check id -> the chart of the briefing whose finding is conditional on it."""
    found: dict[str, str] = {}
    for name in b.numbers:
        finding = chart_spec(name).get("finding") if name not in BUILT_IN else None
        for part in finding if isinstance(finding, list) else [finding]:
            if isinstance(part, dict) and part["when"].startswith("check:"):
                found.setdefault(part["when"].partition(":")[2], name)
    return found


def _change_points(b: Briefing) -> list[tuple[str, str, str]]:
    """The largest 同比 changes as main points: rates by 个百分点, then counts and amounts by relative change."""
    g = b.growth
    if g.empty:
        return []
    rates = g[g["status"] == GrowthStatus.IN_POINTS].dropna(subset=["change_pp"])
    rates = rates[rates["change_pp"] != 0]
    rates = rates.loc[
        rates["change_pp"].abs().sort_values(ascending=False, kind="stable").index[:POINT_CHANGES]
    ]
    counts = _largest(g).iloc[:POINT_CHANGES]
    prev = int(g["previous_year"].iloc[0])
    points = []
    for row in [*rates.to_dict("records"), *counts.to_dict("records")]:
        claim = f"growth:{row['id']}"
        text = (
            f"{row['label_zh']}{_value(row['value'], row['unit'], row['previous_value'])}，比{prev}年"
            f"（{_value(row['previous_value'], row['unit'], row['value'])}）{change_text(row)}。"
        )
        points.append(
            (
                claim_span(claim, claim_status(b.report, claim), html.escape(text)),
                "year_on_year",
                CHANGES_SECTION,
            )
        )
    return points


def heading_anchor(heading: str) -> str:
    """The ``id`` nbconvert gives a markdown heading (spaces as ``-``, URL-quoted), to link to a section."""
    return urllib.parse.quote(heading.replace(" ", "-"), safe="?/:@!$&'()*+,;=")


def _tiles(b: Briefing) -> str:
    """Headline figures as tiles: label, value, period in words, and 同比 where a previous year exists."""
    changes = b.growth.set_index("id") if len(b.growth) else None
    tiles = []
    for ident in _headline(b.report):
        q, figure = (
            replace(quote(b.report, ident), period=""),
            b.report.lookup(ident),
        )  # the tile states the period
        label = figure.label
        period = figure.period if figure.kind == "indicator" and not figure.missing else str(b.year)
        link = b.sources.cite(q.sentences) if not q.gap else ""
        change = (
            f'<div class="tile-change">同比{_change_span(b, ident, changes.loc[ident])}</div>'
            if changes is not None and ident in changes.index
            else ""
        )
        tiles.append(
            f'<div class="tile"><div class="tile-label">{html.escape(label)}</div>'
            f'<div class="tile-value">{figure_span(q, link)}</div>'
            f'<div class="tile-period">{html.escape(period_words(period))}</div>{change}</div>'
        )
    return f'<div class="tiles">{"".join(tiles)}</div>'


def _change_span(b: Briefing, ident: str, row) -> str:
    """A 同比 change in words, recorded as the ``growth`` claim it makes."""
    claim = f"growth:{ident}"
    return claim_span(claim, claim_status(b.report, claim), html.escape(change_text(row)))


def _caption(b: Briefing, name: str) -> str:
    """A title as HTML, with the record of the claim it makes: a chart's conditional finding, the counts of a
    built-in title (``counts:findings`` = ``errors=1;warnings=1``), the change the largest-changes title names."""
    if name not in BUILT_IN:
        spec = chart_spec(name)
        return fill_html(b.report, spec.get("finding") or spec["title"])
    text = html.escape(_title(b, name))
    if name == "largest_changes":
        top = _largest(b.growth).iloc[0]
        return claim_span(
            f"growth:{top['id']}", claim_status(b.report, f"growth:{top['id']}"), text
        )
    counts = _title_counts(b, name)
    return (
        claim_span(f"counts:{name}", ";".join(f"{k}={v}" for k, v in counts.items()), text)
        if counts
        else text
    )


def _title_counts(b: Briefing, name: str) -> dict[str, int]:
    """The counts a built-in title states: problems found, or changes up and down."""
    if name == "findings":
        severity = own_findings(b.report)["severity"]
        return {
            "errors": int((severity == "error").sum()),
            "warnings": int((severity == "warn").sum()),
        }
    if name == "year_on_year" and len(b.growth):
        compared = b.growth[b.growth["comparison"] == Comparison.COMPARED]
        moves = compared["id"].map(lambda i: claim_status(b.report, f"growth:{i}"))
        return {
            "compared": len(compared),
            "up": int((moves == "up").sum()),
            "down": int((moves == "down").sum()),
        }
    return {}


def _headline(r: Report) -> list[str]:
    """The tiles' ids: the ``headline`` of narrative.yml the report has; with fewer than four, the first
    figure of each topic it states besides."""
    ids = [ident for ident in load_narrative()["headline"] if ident in r]
    if len(ids) < 4:
        table = r.indicators
        firsts = table[~table["topic"].isin(table.loc[table.index.isin(ids), "topic"])].groupby(
            "topic", sort=False
        )
        ids += [ident for ident in firsts.head(1).index]
    return ids[: len(load_narrative()["headline"])]


def _sections(b: Briefing) -> list[dict]:
    """The 各领域要点 sections of charts.yml whose topic the report has figures of."""
    topics = b.report.topics()
    return [s for s in b.layout.sections if s["topic"] in topics]


def sections(b: Briefing) -> HTML:
    """各领域要点: a heading per topic the report has figures of, its takeaway (the curated one where the report
    has all its figures, else the figures it states) and the charts of the topic it has the inputs of."""
    parts = []
    for s in _sections(b):
        heading = html.escape(s["heading"])
        charts = "".join(exhibit(b, name).data for name in s["charts"])
        parts.append(
            f'<h3 class="topic-heading" id="{html.escape(heading_anchor(s["heading"]), quote=True)}">'
            f"{heading}</h3>{takeaways(b.report, s['topic'], b.sources).html}{charts}"
        )
    return HTML("".join(parts))


def _title(b: Briefing, name: str) -> str:
    if name not in BUILT_IN:
        spec = chart_spec(name)
        return fill(b.report, spec.get("finding") or spec["title"])
    if name == "findings":
        return b.layout.title(name, **_title_counts(b, name))
    if name == "quality":
        summary = quality_summary(b.report)["数量"]
        return b.layout.title(
            name,
            figures=summary["报告中的数字"],
            approx=summary["约数"],
            partial=summary["非全年口径"],
            skipped=summary["一致性核对：未核对"],
        )
    if name == "largest_changes":
        top = _largest(b.growth).iloc[0]
        return b.layout.title(
            name,
            label=top["label_zh"],
            change=change_text(top),
            year=b.year,
            previous_year=int(top["previous_year"]),
        )
    if b.growth.empty:
        return b.layout.title(
            "year_on_year_one_year", year=b.year, stated=len(stated_rates(b.report))
        )
    previous_year, counts = int(b.growth["previous_year"].iloc[0]), _title_counts(b, name)
    # no figure compared (each new, gone, of another period, or with a previous value of 0 or below): no growth rate
    # or change in points, none to count up or down
    if not counts["compared"]:
        return b.layout.title(
            "year_on_year_nothing_comparable", year=b.year, previous_year=previous_year
        )
    return b.layout.title(name, year=b.year, previous_year=previous_year, **counts)


def numbered_tables(r: Report) -> list[tuple[str, str, pd.DataFrame]]:
    """Every numbered figure and table of the briefing with its title and numbers, outside a kernel.

    Parameters
    ----------
    r : Report

    Returns
    -------
    list of (str, str, pandas.DataFrame)
        ``(number, title, numbers)`` in the briefing's order (``("表1", "…", frame)``); the frame
        is the one the briefing offers as that figure's 下载数据 CSV.

    Raises
    ------
    DataError
        As :func:`start`.
    """
    b = start(r)
    return [(label, _title(b, name), _data(b, name)) for name, label in b.numbers.items()]


def _data(b: Briefing, name: str) -> pd.DataFrame:
    """The numbers of figure or table ``name``: what its 下载数据 link and its sheet in the workbook hold."""
    if name not in BUILT_IN:
        return chart_data(b.report, name)
    built_in = {
        "findings": lambda: _findings_data(_shown_findings(b.report)),
        "year_on_year": lambda: _comparison_data(b) if len(b.growth) else _stated_data(b),
        "largest_changes": lambda: _largest_data(b),
        "quality": lambda: quality_summary(b.report).reset_index(),
    }
    return built_in[name]()


def _numbered(b: Briefing, name: str, body: str, data: pd.DataFrame) -> str:
    """A figure or table of the briefing with its number, title, source line and CSV."""
    return exhibit_html(b.numbers[name], name, _caption(b, name), body, data, source_note(b.report))


def _table(headers: list[str], rows: list[list[str]], classes: list[str] | None = None) -> str:
    """An HTML table; ``headers`` are text, ``rows`` hold cells already written as HTML."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        f'<tr class="{html.escape(c)}">{"".join(f"<td>{cell}</td>" for cell in row)}</tr>'
        for row, c in zip(rows, classes or [""] * len(rows))
    )
    return (
        f'<table class="briefing-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    )


def contents(b: Briefing) -> HTML:
    """The 图表目录 (list of figures and tables)."""
    return HTML(list_of_exhibits(b.numbers, {name: _caption(b, name) for name in b.numbers}))


def exhibit(b: Briefing, name: str) -> HTML:
    """A numbered chart of charts.yml (an exhibit, 图n): caption stating its finding, chart with alt text, source, CSV.

    Parameters
    ----------
    b : Briefing
        From :func:`start`.
    name : str
        A chart of ``charts`` in charts.yml that ``briefing`` lists.

    Returns
    -------
    IPython.display.HTML
        A ``<figure id="fig-<name>">``; its CSV holds :func:`helpers.show.charts.chart_data`.
    """
    if name not in b.numbers:  # the report lacks one of its inputs
        return HTML("")
    data = _data(b, name)
    chart = draw_chart(
        b.report, name, framed=False
    )  # the caption is its title, the 数据来源 line its source
    return HTML(_numbered(b, name, png_img(chart, alt_text(_title(b, name), data)), data))


def findings(b: Briefing) -> HTML:
    """The audit's warnings and errors as a numbered table, each linked to its source sentences; the rules
    not checked (the report lacks a figure they need) are counted in one sentence."""
    severity = own_findings(b.report)["severity"]
    skipped = int((severity == "skipped").sum())
    note = (
        f'<p class="yoy-note">另有{skipped}条核对规则因本报告缺少所需数字未能核对。</p>'
        if skipped
        else ""
    )
    if "findings" not in b.numbers:
        said = (
            claim_span(
                "counts:findings",
                "errors=0;warnings=0",
                "已核对的一致性规则均成立，没有错误或警告。",
            )
            if (severity != "skipped").any()
            else NO_RULE
        )
        return HTML(f'<p class="yoy-note">{said}</p>{note}')
    found = _shown_findings(b.report)
    rows = [
        [
            html.escape(f.级别),
            html.escape(f.description) + _small(f.note),
            html.escape(f.核对),
            claim_span(f"check:{f.check}", f.result, html.escape(f.结果))
            + b.sources.cite(by_sentence(f.figures)),
        ]
        for f in found.itertuples()
    ]
    table = _table(
        ["级别", "规则", "核对", "结果"], rows, [f"finding {s}" for s in found["severity"]]
    )
    intro = '<p class="findings-intro">下表列出未通过或无法判断的一致性规则，附原文。</p>'
    return HTML(intro + _numbered(b, "findings", table, _findings_data(found)) + note)


def _shown_findings(r: Report) -> pd.DataFrame:
    """The findings the briefing shows: warnings and errors (worded); rules not checked are only counted."""
    found = worded_findings(r)
    return found[found["severity"].isin([Severity.WARN, Severity.ERROR])]


def _findings_data(found: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": found["check"],
            "级别": found["级别"],
            "规则": found["description"],
            "核对": found["核对"],
            "结果": found["结果"],
        }
    )


def _small(note: str) -> str:
    return f"<br><small>{html.escape(note)}</small>" if note else ""


def year_on_year(b: Briefing) -> HTML:
    """The 同比 section: with two years a comparison table and a chart of the largest changes; with one
    year a line saying so and the previous-year values the report's stated growth implies."""
    if b.growth.empty:
        reason = f'<p class="yoy-note">仅有{b.year}年一年的数据，无法计算同比。</p>'
        return HTML(reason + (_stated_table(b) if "year_on_year" in b.numbers else ""))
    return HTML(_comparison_table(b) + _largest_chart(b))


def _comparison_table(b: Briefing) -> str:
    """Changed and not comparable figures, with words; unchanged ones counted, one-year-only ones listed."""
    g = b.growth
    compared = g["comparison"] == Comparison.COMPARED
    same = compared & g[["change", "change_pp"]].fillna(0).eq(0).all(axis=1)
    one_year = g["comparison"] == Comparison.ONE_YEAR
    shown = g[~same & ~one_year]
    prev = int(g["previous_year"].iloc[0])
    table = _table(
        ["指标", f"{prev}年", f"{b.year}年", "变化"],
        [
            [
                html.escape(r.label_zh),
                _value(r.previous_value, r.unit, r.value),
                _value(r.value, r.unit, r.previous_value),
                _change_span(b, r.id, r._asdict()),
            ]
            for r in shown.itertuples()
        ],
    )
    notes = [f"其余{int(same.sum())}项与上年相同。"] if same.any() else []
    for status, words in (
        (GrowthStatus.ONLY_CURRENT, "仅本年有"),
        (GrowthStatus.ONLY_PREVIOUS, "仅上年有"),
    ):
        labels = g.loc[g["status"] == status, "label_zh"]
        if len(labels):
            notes.append(f"{words}（{len(labels)}项）：{'、'.join(labels)}。")
    note = "".join(f'<p class="yoy-note">{html.escape(n)}</p>' for n in notes)
    return _numbered(b, "year_on_year", table + note, _data(b, "year_on_year"))


def _comparison_data(b: Briefing) -> pd.DataFrame:
    """Every comparison of this year with the previous one, with the 变化 in words."""
    g, prev = b.growth, int(b.growth["previous_year"].iloc[0])
    return g.assign(
        变化=[change_text(r) for r in g.to_dict("records")],
        比较=g["comparison"].map(COMPARISON_WORDS),
    )[
        [
            "id",
            "label_zh",
            "unit",
            "previous_value",
            "value",
            "change_pp",
            "growth_pct",
            "change",
            "变化",
            "比较",
        ]
    ].rename(
        columns={
            "label_zh": "指标",
            "unit": "单位",
            "previous_value": f"{prev}年",
            "value": f"{b.year}年",
            "change_pp": "变化（个百分点）",
            "growth_pct": "增长率（%）",
            "change": "差值",
        }
    )


def _value(value: float, unit: str, other: float) -> str:
    """A value of the comparison table: a rank as 第6, others by :func:`number` in the magnitude
    they share with the other year's ``other`` (0.9889万元 beside 1.1335万元), — for none."""
    if math.isnan(value):
        return "—"
    return html.escape(
        figure_text(number(value), unit)
        if Unit(unit).is_rank
        else number(value, unit, among=[other])
    )


def _largest(growth: pd.DataFrame) -> pd.DataFrame:
    """Counts and amounts that changed, by their relative change, largest first (ties in report order)."""
    ok = growth[(growth["status"] == GrowthStatus.COMPARED) & (growth["growth_pct"] != 0)]
    return ok.loc[
        ok["growth_pct"].abs().sort_values(ascending=False, kind="stable").index[:LARGEST]
    ]


def _largest_chart(b: Briefing) -> str:
    if "largest_changes" not in b.numbers:
        return ""
    top, data = _largest(b.growth), _data(b, "largest_changes")
    title = _title(b, "largest_changes")
    fig = bar_chart(
        list(top["label_zh"]),
        list(top["growth_pct"]),
        unit="%",
        title=title,
        r=b.report,
        annotations=[("+" if v > 0 else "") + number(v, "%") for v in top["growth_pct"]],
        framed=False,
    )
    return _numbered(b, "largest_changes", png_img(fig, alt_text(title, data)), data)


def _largest_data(b: Briefing) -> pd.DataFrame:
    # 单位 is each figure's own: of 上年, 本年 and 差值 (the growth rate says its % in its header)
    top = _largest(b.growth)
    return pd.DataFrame(
        {
            "id": top["id"],
            "指标": top["label_zh"],
            "增长率（%）": top["growth_pct"],
            "变化": [change_text(r) for r in top.to_dict("records")],
            "上年": top["previous_value"],
            "本年": top["value"],
            "差值": top["change"],
            "单位": top["unit"],
        }
    )


def _stated_table(b: Briefing) -> str:
    """The previous-year values the report's stated growth rates imply (233 / 1.404 ≈ 166)."""
    stated, data = stated_rates(b.report), _data(b, "year_on_year")
    table = _table(
        ["指标", "本年", "报告所述增长率", "推算上年"],
        [
            [
                html.escape(label),
                html.escape(quote(b.report, r.of).text),
                html.escape(quote(b.report, r.rate).text),
                html.escape(estimate_text(r.implied_previous, b.report.lookup(r.of).unit)),
            ]
            for label, r in zip(data["指标"], stated.itertuples())
        ],
    )
    return _numbered(b, "year_on_year", table, data)


def _stated_data(b: Briefing) -> pd.DataFrame:
    stated = stated_rates(b.report)
    return pd.DataFrame(
        {
            "id": stated["of"],
            "指标": [b.report.lookup(i).label for i in stated["of"]],
            "本年": stated["value"],
            "所述增长率（%）": stated["stated_pct"],
            "推算上年": [
                estimate(v, b.report.lookup(i).unit)
                for v, i in zip(stated["implied_previous"], stated["of"])
            ],
            "单位": [b.report.lookup(i).unit for i in stated["of"]],
        }
    )


def quality(b: Briefing) -> HTML:
    """数据说明: approximations, partial periods, suspected errors in the source and rules not checked,
    then the counts as a numbered table."""
    table, found = b.report.indicators, worded_findings(b.report)
    approx = table[table["qualifier"] != "exact"]
    partial = table[table["period"].map(lambda p: Period.parse(p).is_partial)]
    notes = [
        _listed("约数（余、多、近、约、超等，按原文数值计算）", approx),
        *[
            _listed(f"非全年口径（{period_words(p)}）", part)
            for p, part in partial.groupby("period", sort=False)
        ],
    ]
    errors, skipped = (
        found[found["severity"] == Severity.ERROR],
        found[found["severity"] == Severity.SKIPPED],
    )
    notes += [
        claim_span(
            f"check:{f.check}",
            f.result,
            f"疑似原文错误：{html.escape(f.description)}，{html.escape(f.结果)}",
        )
        + b.sources.cite(by_sentence(f.figures))
        for f in errors.itertuples()
    ]
    notes.append(
        f"{len(found) - len(skipped)}条一致性规则已核对；{len(skipped)}条因本报告缺少所需数字未能核对。"
        if len(skipped)
        else f"全部{len(found)}条一致性规则均已核对。"
        if len(found)
        else NO_RULE
    )
    counts = _data(b, "quality")
    body = _table(
        ["项目", "数量", "说明"],
        [[html.escape(r.项目), str(r.数量), html.escape(r.说明)] for r in counts.itertuples()],
    )
    listed = "".join(f"<li>{n}</li>" for n in notes)
    return HTML(f'<ul class="quality-notes">{listed}</ul>' + _numbered(b, "quality", body, counts))


def _listed(what: str, part: pd.DataFrame) -> str:
    """One line of 数据说明: how many figures are ``what``, each named with its figure and source link."""
    if part.empty:
        return f"{html.escape(what)}：无。"
    named = "、".join(
        html.escape(f"{r.label_zh}（{figure_text(r.as_written, r.unit)}）")
        for r in part.itertuples()
    )
    return f"{html.escape(what)}{len(part)}个：{named}。"


def appendix(b: Briefing) -> HTML:
    """The 原文出处 appendix: every sentence cited in the briefing, once, its figures marked."""
    return HTML(b.sources.html())


#: The heading of the briefing's comparison with other bureaus, and at most this many sentences in it (whatever
#: the number of bureaus: each report is compared with at most helpers.audit.compare.PEERS of them).
COMPARE_SECTION, COMPARE_POINTS = "与其他机构比较", 8


def comparison(b: Briefing) -> HTML | None:
    """与其他机构比较: when another bureau has a report of the same year, its heading, a line per compared bureau
    (at most :data:`helpers.audit.compare.PEERS`, those sharing the most concepts) on what the two reports share,
    each followed by its sentences (at most :data:`COMPARE_POINTS` in all, each recorded as its claim:
    :func:`helpers.show.compare.compare_say`), a line counting the other bureaus and one the other comparisons;
    None (no output at all: the page is as without this cell) when no other bureau has one."""
    from ..audit.compare import compare_with_peers, peers
    from .compare import compare_intro, compare_more, compare_rest, compare_say

    if not peers(b.report):
        return None
    c = compare_with_peers(b.report)
    anchor = html.escape(heading_anchor(COMPARE_SECTION), quote=True)
    parts = [f'<h2 class="section-heading" id="{anchor}">{COMPARE_SECTION}</h2>']
    # each bureau's line, then its sentences (found by a new-user trial: every sentence after the last line read as
    # that bureau's)
    for other in c.reports[1:]:
        parts.append(f'<p class="yoy-note">{html.escape(compare_intro(c, other.bureau.slug))}</p>')
        parts.append(compare_say(c, b.sources, COMPARE_POINTS, only=other.bureau.slug).html)
    if c.more:
        parts.append(f'<p class="yoy-note">{html.escape(compare_more(c))}</p>')
    rest = compare_rest(c, COMPARE_POINTS)
    if rest:
        parts.append(f'<p class="yoy-note">{html.escape(rest)}</p>')
    return HTML("".join(parts))
