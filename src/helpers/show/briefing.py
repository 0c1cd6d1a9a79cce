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
from dataclasses import dataclass

import pandas as pd
from IPython.display import HTML

from ..audit.report import Report
from ..audit.status import Comparison, GrowthStatus, Severity, StatedCheck
from ..report.period import Period
from ..report.units import Unit
from .sources import Appendix
from .charts import bar_chart, chart_data, chart_spec, draw_chart, source_note
from .exhibits import BUILT_IN, Layout, alt_text, exhibit_html, list_of_exhibits, load_layout, png_img, ref
from .findings import worded_findings
from .format import by_sentence, change_text, figure_text, formula_words, number, period_words
from .narrative import figure_span, fill, inline, load_narrative, quote
from .views import quality_summary
from .words import growth_words

#: Changes drawn in the chart of the largest changes.
LARGEST = 8


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
    if growth.empty and _stated(r).empty:
        absent.add("year_on_year")
    return Briefing(r, layout, layout.numbers(absent), growth, Appendix())


def main_points(b: Briefing) -> HTML:
    """The 要点: each main point of narrative.yml filled, with its figure reference and the section behind it."""
    items = []
    for point in load_narrative()["main_points"]:
        see = ref(b.numbers, point["see"]) if point.get("see") else ""
        anchor = html.escape(heading_anchor(point["section"]), quote=True)
        items.append(f'<li>{inline(b.report, point["text"], b.sources)}{f"（见{see}）" if see else ""} '
                     f'<a class="section-link" href="#{anchor}">详见「{html.escape(point["section"])}」</a></li>')
    return HTML(f'<ol class="main-points">{"".join(items)}</ol>{_tiles(b)}')


def heading_anchor(heading: str) -> str:
    """The ``id`` nbconvert gives a markdown heading (spaces as ``-``, URL-quoted), to link to a section."""
    return urllib.parse.quote(heading.replace(" ", "-"), safe="?/:@!$&'()*+,;=")


def _tiles(b: Briefing) -> str:
    """Headline figures as tiles: label, value, period in words, and 同比 where a previous year exists."""
    changes = b.growth.set_index("id") if len(b.growth) else None
    tiles = []
    for ident in load_narrative()["headline"]:
        q, figure = quote(b.report, ident), b.report.lookup(ident)
        label = figure.label
        period = figure.period if figure.kind == "indicator" and not figure.missing else str(b.year)
        link = b.sources.cite(q.sentences) if not q.gap else ""
        change = (f'<div class="tile-change">同比{html.escape(change_text(changes.loc[ident]))}</div>'
                  if changes is not None and ident in changes.index else "")
        tiles.append(f'<div class="tile"><div class="tile-label">{html.escape(label)}</div>'
                     f'<div class="tile-value">{figure_span(q, link)}</div>'
                     f'<div class="tile-period">{html.escape(period_words(period))}</div>{change}</div>')
    return f'<div class="tiles">{"".join(tiles)}</div>'


def titles(b: Briefing) -> dict[str, str]:
    """The title of every numbered figure and table, each stating its finding."""
    return {name: _title(b, name) for name in b.numbers}


def _title(b: Briefing, name: str) -> str:
    if name not in BUILT_IN:
        spec = chart_spec(name)
        return fill(b.report, spec.get("finding") or spec["title"])
    if name == "findings":
        severity = b.report.findings["severity"]
        return b.layout.title(name, errors=int((severity == Severity.ERROR).sum()),
                              warnings=int((severity == Severity.WARN).sum()))
    if name == "quality":
        summary = quality_summary(b.report)["数量"]
        return b.layout.title(name, figures=summary["报告中的数字"], approx=summary["约数"],
                              partial=summary["非全年口径"], skipped=summary["一致性核对：未核对"])
    if name == "largest_changes":
        top = _largest(b.growth).iloc[0]
        return b.layout.title(name, label=top["label_zh"], change=change_text(top), year=b.year,
                              previous_year=int(top["previous_year"]))
    if b.growth.empty:
        return b.layout.title("year_on_year_one_year", year=b.year, stated=len(_stated(b.report)))
    compared = b.growth[b.growth["comparison"] == Comparison.COMPARED]
    # one of change / change_pp holds each comparison; a rank that falls in number has risen
    moves = compared[["change", "change_pp"]].sum(axis=1, min_count=1) * compared["unit"].map(
        lambda unit: Unit(unit).direction)
    return b.layout.title(name, year=b.year, previous_year=int(b.growth["previous_year"].iloc[0]),
                          compared=len(compared), up=int((moves > 0).sum()), down=int((moves < 0).sum()))


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
    built_in = {"findings": lambda: _findings_data(_shown_findings(b.report)),
                "year_on_year": lambda: _comparison_data(b) if len(b.growth) else _stated_data(b),
                "largest_changes": lambda: _largest_data(b),
                "quality": lambda: quality_summary(b.report).reset_index()}
    return built_in[name]()


def _numbered(b: Briefing, name: str, body: str, data: pd.DataFrame) -> str:
    """A figure or table of the briefing with its number, title, source line and CSV."""
    return exhibit_html(b.numbers[name], name, _title(b, name), body, data, source_note(b.report))


def _table(headers: list[str], rows: list[list[str]], classes: list[str] | None = None) -> str:
    """An HTML table; ``headers`` are text, ``rows`` hold cells already written as HTML."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(f'<tr class="{html.escape(c)}">{"".join(f"<td>{cell}</td>" for cell in row)}</tr>'
                   for row, c in zip(rows, classes or [""] * len(rows)))
    return f'<table class="briefing-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def contents(b: Briefing) -> HTML:
    """The 图表目录 (list of figures and tables)."""
    return HTML(list_of_exhibits(b.numbers, titles(b)))


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
    data = _data(b, name)
    return HTML(_numbered(b, name, png_img(draw_chart(b.report, name), alt_text(_title(b, name), data)), data))


def findings(b: Briefing) -> HTML:
    """The audit's warnings and errors as a numbered table, each linked to its source sentences."""
    found = _shown_findings(b.report)
    rows = [[html.escape(f.级别), html.escape(f.description) + _small(f.note), html.escape(formula_words(f.substituted)),
             html.escape(f.结果) + b.sources.cite(by_sentence(f.figures))] for f in found.itertuples()]
    table = _table(["级别", "规则", "核对", "结果"], rows, [f"finding {s}" for s in found["severity"]])
    return HTML(_numbered(b, "findings", table, _findings_data(found)))


def _shown_findings(r: Report) -> pd.DataFrame:
    """The findings the briefing shows: warnings, errors and rules not checked (worded)."""
    found = worded_findings(r)
    return found[found["severity"] != Severity.OK]


def _findings_data(found: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"id": found["check"], "级别": found["级别"], "规则": found["description"],
                         "核对": found["substituted"].map(formula_words), "结果": found["结果"]})


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
    table = _table(["指标", f"{prev}年", f"{b.year}年", "变化"],
                   [[html.escape(r.label_zh), _value(r.previous_value, r.unit), _value(r.value, r.unit),
                     html.escape(change_text(r._asdict()))] for r in shown.itertuples()])
    notes = [f"其余{int(same.sum())}项与上年相同。"] if same.any() else []
    for status, words in ((GrowthStatus.ONLY_CURRENT, "仅本年有"), (GrowthStatus.ONLY_PREVIOUS, "仅上年有")):
        labels = g.loc[g["status"] == status, "label_zh"]
        if len(labels):
            notes.append(f"{words}（{len(labels)}项）：{'、'.join(labels)}。")
    note = "".join(f'<p class="yoy-note">{html.escape(n)}</p>' for n in notes)
    return _numbered(b, "year_on_year", table + note, _data(b, "year_on_year"))


def _comparison_data(b: Briefing) -> pd.DataFrame:
    """Every comparison of this year with the previous one, with the 变化 in words."""
    g, prev = b.growth, int(b.growth["previous_year"].iloc[0])
    return g.assign(变化=[change_text(r) for r in g.to_dict("records")],
                    status=[growth_words(r.status, r.year, r.previous_year) for r in g.itertuples()])[
        ["id", "label_zh", "unit", "previous_value", "value", "change_pp", "growth_pct", "change", "变化", "status"]
    ].rename(columns={"label_zh": "指标", "unit": "单位", "previous_value": f"{prev}年", "value": f"{b.year}年",
                      "change_pp": "变化（个百分点）", "growth_pct": "增长率（%）", "change": "差值", "status": "状态"})


def _value(value: float, unit: str) -> str:
    """A value of the comparison table: a rank as 第6, others by :func:`number`, — for none."""
    if math.isnan(value):
        return "—"
    return html.escape(figure_text(number(value), unit) if Unit(unit).is_rank else number(value, unit))


def _largest(growth: pd.DataFrame) -> pd.DataFrame:
    """Counts and amounts that changed, by their relative change, largest first (ties in report order)."""
    ok = growth[(growth["status"] == GrowthStatus.COMPARED) & (growth["growth_pct"] != 0)]
    return ok.loc[ok["growth_pct"].abs().sort_values(ascending=False, kind="stable").index[:LARGEST]]


def _largest_chart(b: Briefing) -> str:
    if "largest_changes" not in b.numbers:
        return ""
    top, data = _largest(b.growth), _data(b, "largest_changes")
    title = _title(b, "largest_changes")
    fig = bar_chart(list(top["label_zh"]), list(top["growth_pct"]), unit="%", title="增长率（%）", r=b.report,
                    annotations=[("+" if v > 0 else "") + number(v, "%") for v in top["growth_pct"]])
    return _numbered(b, "largest_changes", png_img(fig, alt_text(title, data)), data)


def _largest_data(b: Briefing) -> pd.DataFrame:
    top = _largest(b.growth)
    return pd.DataFrame({"id": top["id"], "指标": top["label_zh"], "数值": top["growth_pct"], "单位": "%",
                         "原文数值": [change_text(r) for r in top.to_dict("records")],
                         "上年": top["previous_value"], "本年": top["value"], "差值": top["change"]})


def _stated(r: Report) -> pd.DataFrame:
    stated = r.stated_growth
    return stated[stated["check"] != StatedCheck.MISSING]


def _stated_table(b: Briefing) -> str:
    """The previous-year values the report's stated growth rates imply (233 / 1.404 ≈ 166)."""
    stated, data = _stated(b.report), _data(b, "year_on_year")
    table = _table(["指标", "本年", "报告所述增长率", "推算上年"],
                   [[html.escape(label), html.escape(quote(b.report, r.of).text), html.escape(quote(b.report, r.rate).text),
                     f"约{r.implied_previous:.0f}"] for label, r in zip(data["指标"], stated.itertuples())])
    return _numbered(b, "year_on_year", table, data)


def _stated_data(b: Briefing) -> pd.DataFrame:
    stated = _stated(b.report)
    return pd.DataFrame({"id": stated["of"], "指标": [b.report.lookup(i).label for i in stated["of"]],
                         "本年": stated["value"], "所述增长率（%）": stated["stated_pct"],
                         "推算上年": stated["implied_previous"]})


def quality(b: Briefing) -> HTML:
    """数据说明: approximations, partial periods, suspected errors in the source and rules not checked,
    then the counts as a numbered table."""
    table, found = b.report.indicators, worded_findings(b.report)
    approx = table[table["qualifier"] != "exact"]
    partial = table[table["period"].map(lambda p: Period.parse(p).is_partial)]
    notes = [_listed("约数（余、多、近、约、超等，按原文数值计算）", approx),
             *[_listed(f"非全年口径（{period_words(p)}）", part) for p, part in partial.groupby("period", sort=False)]]
    errors, skipped = found[found["severity"] == Severity.ERROR], found[found["severity"] == Severity.SKIPPED]
    notes += [f"疑似原文错误：{html.escape(f.description)}，{html.escape(f.结果)}"
              f"{b.sources.cite(by_sentence(f.figures))}" for f in errors.itertuples()]
    notes.append("未能核对的规则：" + "；".join(html.escape(f"{f.description}（{f.结果}）") for f in skipped.itertuples())
                 if len(skipped) else f"全部{len(found)}条一致性规则均已核对。")
    counts = _data(b, "quality")
    body = _table(["项目", "数量", "说明"], [[html.escape(r.项目), str(r.数量), html.escape(r.说明)]
                                            for r in counts.itertuples()])
    listed = "".join(f"<li>{n}</li>" for n in notes)
    return HTML(f'<ul class="quality-notes">{listed}</ul>' + _numbered(b, "quality", body, counts))


def _listed(what: str, part: pd.DataFrame) -> str:
    """One line of 数据说明: how many figures are ``what``, each named with its figure and source link."""
    if part.empty:
        return f"{html.escape(what)}：无。"
    named = "、".join(html.escape(f"{r.label_zh}（{figure_text(r.as_written, r.unit)}）") for r in part.itertuples())
    return f"{html.escape(what)}{len(part)}个：{named}。"


def appendix(b: Briefing) -> HTML:
    """The 原文出处 appendix: every sentence cited in the briefing, once, its figures marked."""
    return HTML(b.sources.html())
