"""Exhibits: the numbered figures and tables of a publication (图1, 图2 … and 表1 …), each with its data.

The order is data: ``briefing`` in ``data/charts.yml`` lists the figures and tables as they
appear, and each is numbered among its kind in that order, so a reference (见图2) is resolved
from a name and a number is never typed. Each is drawn as an HTML ``<figure>``: a caption that
states the finding, the chart (with Chinese alt text generated from its numbers) or the table,
a 数据来源 line and a 下载数据 link holding its numbers as CSV in a ``data:`` URI (UTF-8 with a
byte-order mark, so Excel reads the Chinese), so the page stays one self-contained file.
"""

from __future__ import annotations

import base64
import html
import io
import urllib.parse
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import pandas as pd
from matplotlib.figure import Figure

from .. import paths
from ..audit.template import TemplateError, parse_template
from ..datafile import (
    TEXT,
    TEXTS,
    Kind,
    entry_problems,
    field_problems,
    parsed_once,
    yaml_section,
    yaml_where,
)
from ..errors import DataError, Problem
from .charts import charts_document
from .format import counted, metric_text

#: The figures and tables the briefing computes itself, and their kind (the rest are charts of charts.yml).
BUILT_IN = {"findings": "表", "year_on_year": "表", "largest_changes": "图", "quality": "表"}
#: Title templates of ``titles`` in charts.yml and the fields each is filled with.
TITLE_FIELDS = {
    "findings": {"errors", "warnings"},
    "year_on_year": {"year", "previous_year", "compared", "up", "down"},
    "year_on_year_one_year": {"year", "stated"},
    "largest_changes": {"label", "change", "year", "previous_year"},
    "quality": {"figures", "approx", "partial", "skipped"},
    "year_on_year_nothing_comparable": {"year", "previous_year"},
}
#: The fields of each title that are counts: a part of a title given as parts is said when one of them is not 0.
TITLE_COUNTS = {
    "findings": {"errors", "warnings"},
    "year_on_year": {"compared", "up", "down"},
    "year_on_year_one_year": {"stated"},
    "largest_changes": set(),
    "quality": {"figures", "approx", "partial", "skipped"},
    "year_on_year_nothing_comparable": set(),
}


#: A title of ``titles`` given as parts: ``text`` holds ``{parts}``, the ``parts`` that state a count other than 0
#: (:data:`TITLE_COUNTS`) joined with 、; ``none`` is the title when every part states 0.
PARTS_FIELDS = {
    "text": TEXT,
    "parts": Kind("a list of text", lambda v: TEXTS.accepts(v) and v != []),
    "none": TEXT,
}
TEXT_OR_PARTS = Kind(
    "text, or a mapping of text and parts", lambda v: TEXT.accepts(v) or isinstance(v, dict)
)


@dataclass(frozen=True)
class Layout:
    """The briefing's figures in order (``order``), their kind (图 or 表) and the built-in title templates."""

    order: list[str]
    kinds: dict[str, str]
    #: A template, or a mapping of ``text``, ``parts`` and ``none`` (:data:`PARTS_FIELDS`).
    titles: dict[str, str | dict]
    #: The 各领域要点 sections in order: ``{"topic": ..., "heading": ..., "charts": [...]}``.
    sections: tuple = ()

    def numbers(self, absent: AbstractSet[str] = frozenset()) -> dict[str, str]:
        """Number each figure present among its kind, in order: ``{"findings": "表1", ...}``."""
        counts = dict.fromkeys(("图", "表"), 0)
        labels = {}
        for name in self.order:
            if name not in absent:
                counts[self.kinds[name]] += 1
                labels[name] = f"{self.kinds[name]}{counts[self.kinds[name]]}"
        return labels

    def title(self, name: str, **fields) -> str:
        """Fill the title template ``name`` of ``titles`` with computed fields.

        A title given as parts says only the counts that are not 0 (``核对发现1处无法相互印证``, never
        ``核对发现0处数字互相矛盾、1处无法相互印证``); with every count 0 it is its ``none``:

        >>> parts = {"text": "核对发现{parts}", "parts": ["{errors}处互相矛盾", "{warnings}处无法印证"], "none": "无"}
        >>> layout = Layout([], {}, {"findings": parts})
        >>> [layout.title("findings", errors=e, warnings=w) for e, w in ((2, 1), (0, 1), (2, 0), (0, 0))]
        ['核对发现2处互相矛盾、1处无法印证', '核对发现1处无法印证', '核对发现2处互相矛盾', '无']
        """
        template = self.titles[name]
        if isinstance(template, str):
            return template.format(**fields)
        counts = TITLE_COUNTS[name]
        said = counted(
            [
                (
                    any(fields[f] for _, f, _ in parse_template(part) if f in counts),
                    part.format(**fields),
                )
                for part in template["parts"]
            ]
        )
        return (
            template["text"].format(parts=said, **fields)
            if said
            else template["none"].format(**fields)
        )


@parsed_once(paths.charts_file)
def load_layout() -> Layout:
    """Read and check ``briefing`` and ``titles`` of ``data/charts.yml`` (once per version of the file).

    Raises
    ------
    DataError
        Naming the line of a name that is neither a chart of ``charts`` nor a built-in
        (:data:`BUILT_IN`), a name listed twice, a missing or non-text title, or a title with a
        field its figure does not have.
    """
    path = paths.charts_file()
    doc = charts_document()
    charts, order = (
        yaml_section(path, doc, "charts", dict),
        yaml_section(path, doc, "briefing", list),
    )
    titles = yaml_section(path, doc, "titles", dict)
    problems = field_problems(path, titles, "titles", dict.fromkeys(TITLE_FIELDS, TEXT_OR_PARTS))
    problems += [
        Problem(path, yaml_where(doc, "titles", "titles"), f"missing {name}")
        for name in TITLE_FIELDS
        if name not in titles
    ]
    for i, name in enumerate(order):
        where = yaml_where(order, i, f"briefing #{i + 1}")
        if name not in charts and name not in BUILT_IN:
            problems.append(
                Problem(
                    path,
                    where,
                    f"{name!r} is neither a chart of charts nor one of {', '.join(BUILT_IN)}",
                )
            )
        elif name in order[:i]:
            problems.append(Problem(path, where, f"{name!r} is listed twice"))
    for name, template in titles.items():
        problems += _title_problems(path, titles, name, template)
    sections = yaml_section(path, doc, "sections", list)
    for i, section in enumerate(sections):
        label = f"section {i + 1}"
        found = entry_problems(
            path, sections, i, label, {"topic": TEXT, "heading": TEXT}, {"charts": TEXTS}
        )
        problems += found or [
            Problem(path, yaml_where(sections, i, label), f"{name!r} is not a chart of briefing")
            for name in section.get("charts") or []
            if name not in order or name in BUILT_IN
        ]
    if problems:
        raise DataError(problems)
    return Layout(
        list(order),
        {n: BUILT_IN.get(n, "图") for n in order},
        dict(titles),
        tuple(
            {"topic": s["topic"], "heading": s["heading"], "charts": list(s.get("charts") or [])}
            for s in sections
        ),
    )


def _title_problems(path, titles: dict, name: str, template) -> list[Problem]:
    if name not in TITLE_FIELDS:
        return []
    if isinstance(template, str):
        return _template_problems(path, titles, name, f"title {name}", TITLE_FIELDS[name])
    if not isinstance(template, dict):
        return []  # not text nor parts: said by field_problems
    label = f"title {name}"
    found = entry_problems(path, titles, name, label, PARTS_FIELDS)
    if found:
        return found
    problems = [
        Problem(
            path,
            yaml_where(titles, name, label),
            f"{key!r} is not a field of a title of parts (have: {', '.join(PARTS_FIELDS)})",
        )
        for key in template
        if key not in PARTS_FIELDS
    ]
    problems += _template_problems(path, template, "text", label, TITLE_FIELDS[name] | {"parts"})
    problems += _template_problems(path, template, "none", label, TITLE_FIELDS[name])
    parts, counts = template["parts"], TITLE_COUNTS[name]
    for i in range(len(parts)):
        found = _template_problems(path, parts, i, f"{label} part {i + 1}", TITLE_FIELDS[name])
        if not found and not any(field in counts for _, field, _ in parse_template(parts[i])):
            have = (
                f"(counts: {', '.join(sorted(counts))})" if counts else "(this title has no count)"
            )
            found = [
                Problem(
                    path,
                    yaml_where(parts, i, f"{label} part {i + 1}"),
                    f"states no count {have}: it would never be said",
                )
            ]
        problems += found
    if not problems and "{parts}" not in template["text"]:
        problems.append(
            Problem(path, yaml_where(template, "text", label), "text must hold {parts}")
        )
    return problems


def _template_problems(path, parent, key, label: str, have_fields: set[str]) -> list[Problem]:
    """A problem for each field of the template ``parent[key]`` that is not one of ``have_fields``, or for a
    template that is not one (parsed, never formatted: {errors.x}, {x[0]}, {x!r} and {x:>300000000} are refused)."""
    have = f"(have: {', '.join(sorted(have_fields))})"
    where = yaml_where(parent, key, label)
    try:
        fields = [
            field
            for _, field, _ in parse_template(parent[key], what=f"a field of this title {have}")
        ]
    except TemplateError as exc:
        return [Problem(path, where, str(exc))]
    return [
        Problem(path, where, f"{field!r} is not a field of this title {have}")
        for field in fields
        if field and field not in have_fields
    ]


def ref(numbers: dict[str, str], name: str) -> str:
    """A cross-reference to a figure or table by name (``<a href="#fig-x">图2</a>``), "" if it is not drawn."""
    if name not in numbers:
        return ""
    return f'<a class="xref" href="#fig-{html.escape(name)}">{numbers[name]}</a>'


def csv_uri(data: pd.DataFrame) -> str:
    """The numbers of a figure as a CSV ``data:`` URI, UTF-8 with a byte-order mark (for Excel)."""
    text = "\ufeff" + data.to_csv(index=False, lineterminator="\r\n")
    return "data:text/csv;charset=utf-8," + urllib.parse.quote(text, safe="")


def alt_text(title: str, data: pd.DataFrame) -> str:
    """Chinese alt text of a bar chart, from its numbers: ``条形图：title。label 2247宗；…``.

    Each bar reads its 变化 (a chart of changes), else its 原文数值, else its 数值 in its 单位.
    """

    def bar(row) -> str:
        return row.get("变化") or row.get("原文数值") or metric_text(row["数值"], row["单位"])

    bars = "；".join(f"{row['指标']}{bar(row)}" for row in data.to_dict("records"))
    return f"条形图：{title}。{bars}。"


def png_img(fig: Figure, alt: str) -> str:
    """A chart as an ``<img>`` with its PNG inlined and its alt text."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=150, bbox_inches="tight")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt, quote=True)}">'


def exhibit_html(
    label: str, name: str, title: str, body: str, data: pd.DataFrame, source: str
) -> str:
    """A numbered figure or table: caption, body (chart or table HTML), 数据来源 line and 下载数据 link.

    Parameters
    ----------
    label : str
        ``图2`` or ``表1``.
    name : str
        Its name in ``briefing`` of charts.yml; the anchor is ``fig-<name>``.
    title : str
        The caption, stating the finding, as HTML (text escaped; a claim it makes in its record).
    body : str
        The chart's ``<img>`` or the table, as HTML.
    data : pandas.DataFrame
        The numbers, offered as ``<label>.csv``.
    source : str
        The 数据来源 line (plain text).
    """
    return (
        f'<figure class="amr-figure" id="fig-{html.escape(name)}">'
        f"<figcaption><b>{label}</b> {title}</figcaption>{body}"
        f'<p class="figure-source">{html.escape(source)} · <a class="download" download="{label}.csv" '
        f'href="{csv_uri(data)}">下载数据（CSV）</a></p></figure>'
    )


def list_of_exhibits(numbers: dict[str, str], titles: dict[str, str]) -> str:
    """The 图表目录: every numbered figure and table with its title (HTML), linked."""
    items = "".join(
        f'<li><a href="#fig-{html.escape(n)}">{label}　{titles[n]}</a></li>'
        for n, label in numbers.items()
    )
    return (
        f'<nav class="list-of-figures" aria-label="图表目录"><b>图表目录</b><ul>{items}</ul></nav>'
    )
