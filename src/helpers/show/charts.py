"""One chart theme for the workbook: a CJK font that is really used, Chinese number formats.

:func:`set_theme` finds a Simplified-Chinese font (:func:`helpers.show.fonts.find_cjk_font`: Noto Sans
CJK SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, or ``$AMRBOOK_CJK_FONT``), registers
its file with matplotlib explicitly and passes it to ``seaborn.set_theme`` (which would otherwise reset the
font list). Without such a font it raises :class:`~helpers.errors.AmrbookError` saying what to
install, rather than drawing empty boxes. Chart functions return the
:class:`matplotlib.figure.Figure` with a title and the report as source.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import seaborn as sns
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from .. import paths
from ..audit.metrics import known_ids
from ..audit.report import Report
from ..audit.template import figures_in
from ..datafile import TEXT, TEXTS, entry_problems, parsed_once, read_yaml, yaml_section, yaml_where
from ..errors import AmrbookError, DataError, Problem
from ..tables.load import load_catalog
from .fonts import CJKFont, find_cjk_font
from .format import figure_text, metric_text, number, scale

PALETTE = ["#1f4e79", "#c0504d", "#4f9d69", "#d39c2f", "#7f6a93", "#3c8dbc", "#8c8c8c"]


def set_theme(font: CJKFont | None = None) -> CJKFont:
    """Apply the workbook's chart theme (seaborn whitegrid, palette, CJK font) and return the font.

    Parameters
    ----------
    font : CJKFont, optional
        The font to use; found with :func:`find_cjk_font` when not given.
    """
    font = font or find_cjk_font()
    # Register every file of the family (regular and bold): matplotlib's font cache may predate
    # the fonts, and findfont would then fall back to another face with a warning.
    registered = {entry.fname for entry in font_manager.fontManager.ttflist}
    for _weight, path in font.weights or ((400, font.path),):
        if str(path) not in registered:
            font_manager.fontManager.addfont(str(path))
    sns.set_theme(
        style="whitegrid",
        palette=PALETTE,
        rc={
            "font.family": "sans-serif",
            "font.sans-serif": [font.family, "DejaVu Sans"],
            "axes.unicode_minus": False,
            "figure.dpi": 110,
            "savefig.dpi": 150,
            "axes.titleweight": "bold"
            if font.has_bold
            else "normal",  # only weights the family ships
            "axes.titlesize": 13,
            "figure.figsize": (8, 4.2),
        },
    )
    return font


def value_axis(values, unit: str = "") -> tuple[FuncFormatter, str]:
    """The tick formatter and the axis label of a value axis, from one rule (:func:`helpers.show.format.scale`).

    The largest value decides the magnitude, and the label says it: money in 万 ticks 50, 100
    under 单位：万元, never 50万 under 单位：元. A rate axis ticks in % and has no label.

    Examples
    --------
    >>> ticks, label = value_axis([500000, 1000000], "元")
    >>> [ticks(v, 0) for v in (0, 500000, 1000000)], label
    (['0', '50', '100'], '单位：万元')
    >>> value_axis([50], "%")[0](50, 0), value_axis([439, 16], "宗")[1]
    ('50%', '单位：宗')
    """
    if unit == "%":
        return FuncFormatter(lambda v, _pos: number(v, "%")), ""
    divisor, word = scale(values, unit)
    return FuncFormatter(lambda v, _pos: number(v / divisor)), f"单位：{word}{unit}"


def source_note(r: Report) -> str:
    """Return the chart source line: 数据来源：publisher《title》."""
    src = r.source
    return f"数据来源：{src.publisher}《{src.title}》"


def bar_chart(
    labels: list[str],
    values: list[float],
    *,
    unit: str,
    title: str,
    r: Report,
    annotations: list[str] | None = None,
    highlight: list[bool] | None = None,
    framed: bool = True,
) -> Figure:
    """Draw a horizontal bar chart with value labels, a title and the source line.

    Parameters
    ----------
    labels, values : list
        One bar each, drawn top to bottom in the given order; a negative value (a fall) is drawn
        to the left of zero.
    unit : str
        Unit of the values, shown on the axis (``%`` formats ticks as percentages).
    title : str
    r : Report
        The report, for the source line.
    annotations : list of str, optional
        Text at the end of each bar; :func:`helpers.show.format.number` of the value by default.
    highlight : list of bool, optional
        Bars drawn in the accent colour.
    framed : bool
        Draw the title and the source line in the image (a notebook's chart); False where the
        page gives both (the briefing's caption and 数据来源 line), so a chart has one of each.

    Returns
    -------
    matplotlib.figure.Figure
        Displayed by Jupyter when it is a cell's result; ``fig.savefig(path)`` to keep it.
    """
    fig = Figure(figsize=(8, 0.55 * len(labels) + 1.4))  # not pyplot: no global state, shown once
    ax = fig.subplots()
    colours = [PALETTE[1] if h else PALETTE[0] for h in (highlight or [False] * len(values))]
    ax.barh(range(len(values)), values, color=colours)
    ax.set_yticks(range(len(values)), labels)
    ax.invert_yaxis()
    ticks, axis_label = value_axis(values, unit)
    ax.xaxis.set_major_formatter(ticks)
    ax.set_xlabel(axis_label)
    low, high = min([0.0, *values]), max([0.0, *values])
    pad = 0.22 * (high - low)
    ax.set_xlim(low - pad if low < 0 else 0, high + pad if high > 0 else (0 if low < 0 else 1))
    for i, (value, text) in enumerate(
        zip(values, annotations or [number(v, unit) for v in values])
    ):
        # a negative bar grows to the left: its label goes to the left of its end
        ax.text(
            value,
            i,
            f" {text}" if value >= 0 else f"{text} ",
            va="center",
            fontsize=9,
            ha="left" if value >= 0 else "right",
        )
    if framed:
        finish_chart(ax, title, r)
    else:
        ax.grid(axis="y", visible=False)
        sns.despine(ax=ax, left=True)
        fig.tight_layout()
    return fig


def finish_chart(ax, title: str, r: Report) -> None:
    """Give a chart drawn in a notebook (seaborn or matplotlib) the house finish.

    The title on the left (state the finding, filled from data with :func:`helpers.show.narrative.fill`),
    no horizontal grid, no left spine, the report as source under the chart.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    title : str
    r : Report
        The report, for the source line.
    """
    fig = ax.figure
    ax.set_title(title, loc="left")
    ax.grid(axis="y", visible=False)
    sns.despine(ax=ax, left=True)
    fig.text(0.01, 0.01, source_note(r), fontsize=7.5, color="#666666", ha="left", va="bottom")
    fig.tight_layout(rect=(0, 0.05, 1, 1))


def largest_changes_chart(growth, count: int = 8) -> Figure:
    """Chart the largest year-on-year changes of :func:`helpers.show.views.growth_view`.

    Rates and shares go in one panel, in 个百分点; counts and amounts in another, as a relative %.
    Each panel's title names its largest change (:func:`helpers.show.format.change_text` words).
    Rows whose periods differ (口径不同) or that exist in one year only carry no figure and are left
    out, and so are figures that did not change.

    Parameters
    ----------
    growth : pandas.DataFrame
        :func:`helpers.show.views.growth_view` of two years.
    count : int
        Bars per panel: the changes largest in absolute value.

    Raises
    ------
    AmrbookError
        If no row of ``growth`` has a change to chart (one year only, or nothing comparable).
    """
    panels = [(column, growth[growth[column].fillna(0) != 0]) for column in ("个百分点", "增长率%")]
    panels = [
        (column, rows.loc[rows[column].abs().sort_values(ascending=False).index[:count]])
        for column, rows in panels
        if not rows.empty
    ]
    if not panels:
        raise AmrbookError(
            f"largest_changes_chart: no comparable change to chart ({growth.attrs.get('说明', '')})"
        )
    fig = Figure(figsize=(8, sum(0.42 * len(rows) + 1.3 for _, rows in panels) + 0.4))
    axes = fig.subplots(
        len(panels),
        1,
        squeeze=False,
        gridspec_kw={"height_ratios": [len(rows) + 2 for _, rows in panels]},
    )[:, 0]
    for ax, (column, rows) in zip(axes, panels):
        values = rows[column].to_numpy()
        ax.barh(
            range(len(values)), values, color=[PALETTE[0] if v >= 0 else PALETTE[1] for v in values]
        )
        ax.set_yticks(range(len(values)), rows["指标"])
        ax.invert_yaxis()
        ax.axvline(0, color="#444444", linewidth=0.8)
        ax.set_xlabel(column)
        for i, (value, words) in enumerate(zip(values, rows["变化"])):
            ax.text(
                value,
                i,
                f" {words} ",
                va="center",
                fontsize=8.5,
                ha="left" if value >= 0 else "right",
            )
        ax.set_xlim(*_padded(values))
        ax.set_title(f"{rows['指标'].iloc[0]}{rows['变化'].iloc[0]}", loc="left")
        ax.grid(axis="y", visible=False)
        sns.despine(ax=ax, left=True)
    r = growth.attrs["report"]
    fig.suptitle(
        f"{r.year}年同比变化最大的指标（与{r.year - 1}年比）", x=0.01, ha="left", fontweight="bold"
    )
    fig.text(0.01, 0.005, source_note(r), fontsize=7.5, color="#666666", ha="left", va="bottom")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return fig


def _padded(values) -> tuple[float, float]:
    """x-limits that leave room for the words beside each bar, on both sides of zero."""
    low, high = min(0.0, float(min(values))), max(0.0, float(max(values)))
    room = (high - low or 1.0) * 0.6
    return low - (room if low < 0 else 0), high + (room if high > 0 else 0)


def indicator_bars(
    r: Report, ids: list[str], title: str, highlight: Sequence[str] = (), framed: bool = True
) -> Figure:
    """Bar chart of indicators (same unit), labelled with catalog labels and values as written.

    Parameters
    ----------
    r : Report
    ids : list of str
        Indicator ids, drawn top to bottom.
    title : str
    highlight : list of str, optional
        Ids drawn in the accent colour.
    framed : bool
        Title and source line in the image (:func:`bar_chart`).
    """
    table = r.indicators.loc[list(ids)]
    units = table["unit"].unique()
    if len(units) != 1:
        raise AmrbookError(f"indicator_bars: {title!r} mixes units {', '.join(units)}")
    return bar_chart(
        list(table["label_zh"]),
        list(table["value"]),
        unit=units[0],
        title=title,
        r=r,
        annotations=[figure_text(w, u) for w, u in zip(table["as_written"], table["unit"])],
        highlight=[i in highlight for i in ids],
        framed=framed,
    )


def metric_bars(
    r: Report, ids: list[str], title: str, highlight: Sequence[str] = (), framed: bool = True
) -> Figure:
    """Bar chart of metrics and/or indicators sharing one unit (e.g. rates in %).

    The parameters are those of :func:`indicator_bars`; ``ids`` may name metrics too.
    """
    rows = [(f.label, f.value, f.unit) for f in map(r.lookup, ids)]
    units = {u for _, _, u in rows}
    if len(units) != 1:
        raise AmrbookError(f"metric_bars: {title!r} mixes units {', '.join(sorted(units))}")
    unit = units.pop()
    return bar_chart(
        [row[0] for row in rows],
        [float(row[1]) for row in rows],
        unit=unit,
        title=title,
        r=r,
        annotations=[metric_text(float(row[1]), unit) for row in rows],
        highlight=[i in highlight for i in ids],
        framed=framed,
    )


def section_counts_chart(r: Report, title: str) -> Figure:
    """Bar chart of how many figures each section of the report holds."""
    counts = r.indicators["section"].value_counts(sort=False)
    return bar_chart(
        list(counts.index), [float(v) for v in counts.to_numpy()], unit="项", title=title, r=r
    )


def chart_inputs(name: str) -> list[str]:
    """Every id chart ``name`` of ``data/charts.yml`` rests on: its bars and the figures of its ``finding``.

    A chart is drawn only for a report that has them all (``r.has(chart_inputs(name))``).
    """
    spec = chart_spec(name)
    return list(dict.fromkeys([*spec["ids"], *figures_in(spec.get("finding") or "")]))


def draw_chart(r: Report, name: str, framed: bool = True) -> Figure:
    """Draw a chart declared in ``data/charts.yml`` by its name, for a report that has all its inputs.

    A part (``part_of`` in the catalog: 其中简易程序) is drawn right after its whole.
    ``framed=False`` leaves the title and source line to the page (:func:`bar_chart`).

    Raises
    ------
    AmrbookError
        If there is no chart of that name, or the report lacks one of its inputs (:func:`chart_inputs`;
        test ``r.has(hb.chart_inputs(name))`` first); :class:`~helpers.errors.DataError` naming the line
        if its entry is not valid (:func:`chart_spec`).
    """
    spec = chart_spec(name)
    _require(r, name)
    draw = indicator_bars if spec["kind"] == "indicators" else metric_bars
    return draw(
        r,
        parts_after_wholes(spec["ids"], load_catalog()["part_of"].to_dict()),
        spec["title"],
        highlight=spec.get("highlight") or [],
        framed=framed,
    )


def _require(r: Report, name: str) -> None:
    missing = [i for i in chart_inputs(name) if i not in r]
    if missing:
        raise AmrbookError(
            f"chart {name!r} needs {', '.join(missing)}, which {r.bureau.slug} {r.year} lacks; "
            f"test r.has(chart_inputs({name!r})) first"
        )


def parts_after_wholes(ids: list[str], part_of: dict[str, str]) -> list[str]:
    """Order ids so that each part whose whole is among them comes right after the whole (and its
    earlier parts); everything else keeps its order.

    Examples
    --------
    >>> parts_after_wholes(["cases", "reconsideration", "simple", "litigation"], {"simple": "cases"})
    ['cases', 'simple', 'reconsideration', 'litigation']
    >>> parts_after_wholes(["simple", "other"], {"simple": "cases"})
    ['simple', 'other']
    """
    present = set(ids)
    parts: dict[str, list[str]] = {}
    for i in ids:
        if part_of.get(i) in present:
            parts.setdefault(part_of[i], []).append(i)
    placed = {p for group in parts.values() for p in group}
    out: list[str] = []

    def put(i: str) -> None:
        out.append(i)
        for part in parts.get(i, []):
            put(part)

    for i in ids:
        if i not in placed:
            put(i)
    return out + [
        i for i in ids if i not in out
    ]  # parts of a circular part_of keep their place at the end


def chart_data(r: Report, name: str) -> pd.DataFrame:
    """Return the numbers a chart of ``data/charts.yml`` draws, one row per bar, top to bottom.

    Columns: ``id``, 指标 (label), 数值 (the value in base units, as the audit checked it), 单位,
    原文数值 (the figure as the report wrote it; empty for a metric).

    Raises
    ------
    AmrbookError
        As :func:`draw_chart`, for a report that lacks one of its inputs.
    """
    _require(r, name)
    ids = parts_after_wholes(chart_spec(name)["ids"], load_catalog()["part_of"].to_dict())
    rows = [
        {"id": f.id, "指标": f.label, "数值": f.value, "单位": f.unit, "原文数值": f.as_written}
        for f in map(r.lookup, ids)
    ]
    return pd.DataFrame(rows, columns=["id", "指标", "数值", "单位", "原文数值"])


def chart_spec(name: str) -> dict:
    """Return the entry of chart ``name`` in ``data/charts.yml``, checked.

    Raises
    ------
    AmrbookError
        If there is no such chart; DataError naming the line if the entry is not a mapping of
        ``kind`` (indicators or metrics), ``title``, ``ids`` and optionally ``highlight`` and
        ``finding`` (the briefing's caption, a template), or lists an id that is not an
        indicator (nor, for ``metrics`` charts, a metric).
    """
    from .narrative import TEMPLATE, template_problems

    path = paths.charts_file()
    specs = _chart_specs()
    if name not in specs:
        raise AmrbookError(f"{path}: no chart named {name!r} (have: {', '.join(map(str, specs))})")
    label = f"chart {name}"
    problems = entry_problems(
        path,
        specs,
        name,
        label,
        {"kind": TEXT, "title": TEXT, "ids": TEXTS},
        {"highlight": TEXTS, "finding": TEMPLATE},
    )
    if not problems and specs[name].get("finding"):
        problems = template_problems(path, specs[name], "finding", f"{label} finding", known_ids())
    if problems:
        raise DataError(problems)
    spec = specs[name]
    known = {"indicators": set(load_catalog().index), "metrics": known_ids()}
    if spec["kind"] not in known:
        raise DataError(
            [
                Problem(
                    path,
                    yaml_where(spec, "kind", label),
                    f"kind must be indicators or metrics, not {spec['kind']!r}",
                )
            ]
        )
    unknown = [i for i in spec["ids"] if i not in known[spec["kind"]]]
    if unknown:
        what = (
            "is not an indicator in catalog.yml"
            if spec["kind"] == "indicators"
            else "is neither an indicator nor a metric"
        )
        raise DataError(
            [Problem(path, yaml_where(spec, "ids", label), f"{i!r} {what}") for i in unknown]
        )
    return spec


def _chart_specs() -> dict:
    return yaml_section(paths.charts_file(), charts_document(), "charts", dict)


@parsed_once(paths.charts_file)
def charts_document():
    """``data/charts.yml`` as read (parsed once per version of the file): ``charts``, ``briefing``, ``titles``."""
    return read_yaml(paths.charts_file())
