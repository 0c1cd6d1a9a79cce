"""How numbers, units, ranks, periods, formulas and source sentences are written for a reader.

One module holds every presentation rule, so a table, a chart label, a sentence of narration and
a page of the briefing can never write the same figure two ways:

* :func:`number` writes a value the way Chinese reports do (``434.12万元``, ``71.59%``);
* :func:`estimate` and :func:`estimate_text` show an estimated figure to the precision of its meaning
  (``约166件``, never 165.9544);
* :func:`metric_text` applies the unit policy for derived values (a ratio's unit such as
  ``件/家`` is in its label, not after the number);
* :func:`figure_text` writes a figure as the report did, ranks as ``第六``;
* :func:`grouped` writes a value with thousands separators for tables;
* :func:`period_words` and :func:`formula_words` put codes into words (statuses:
  :mod:`helpers.show.words`);
* :func:`change_text` writes a year-on-year change (增长9.75%, 下降11.07个百分点, 上升2位);
* :func:`highlight` and :func:`by_sentence` quote source sentences with their figures marked;
* :data:`UNBROKEN` is what a line never breaks inside (a figure with its unit, 图3): pages wrap it
  in a ``nowrap`` span (:func:`unbroken_html`), Word documents join it with word joiners (:func:`joined`).
"""

from __future__ import annotations

import html
import itertools
import math
import re

from ..audit.status import GrowthStatus, Missing, Result
from ..report.period import Period
from ..report.units import Unit
from .words import RESULT_WORDS, growth_words, missing_words
from .words import (
    SEVERITY_WORDS as SEVERITY_WORDS,  # the notebooks word severities through this module
)

_FORMULA_WORDS = [
    (" <= ", " ≤ "),
    (" >= ", " ≥ "),
    (" == ", " = "),
    (" or ", " 或 "),
    (" and ", " 且 "),
    (" * ", " × "),
    (" / ", " ÷ "),
]
_FORMULA_PATTERN = re.compile("|".join(re.escape(a) for a, _ in _FORMULA_WORDS))

#: A run a line must not break inside: a figure (``约``, a sign, digits with ``.`` and ``,``) with the
#: ``%`` or unit character after it (``434.12万元``, ``71.59%``, ``2023年``), and a 图/表 number (``图3``).
#: Browsers, Word and LibreOffice may break between a digit and a Chinese character, so ``1275.48`` ended
#: one line and ``元`` began the next, and a title ended ``…2023`` with ``年`` below.
UNBROKEN = re.compile(
    r"(?<![A-Za-z0-9_.,&#])(?:[图表] ?)?约?[-+−]?\d(?:[\d.,]*\d)?(?:[%‰]|[万亿]?[\u4e00-\u9fff])?"
)
#: A number alone: browsers never break inside one, so a page leaves it as it is (a 目录 number stays 4.1).
BARE = re.compile(r"[\d.,]+")
#: U+2060 WORD JOINER: no line break on either side, in Word and LibreOffice as in browsers; shows nothing.
WORD_JOINER = "\u2060"
_RUN_OR_ENTITY = re.compile(rf"(&#?\w+;)|{UNBROKEN.pattern}")
#: Elements whose content is raw text, not markup (a span in <title> would show in the browser's tab), and comments.
_KEPT = re.compile(
    r"(<!--.*?-->|<(?:script|style|textarea|title)\b.*?</(?:script|style|textarea|title)>)",
    re.S | re.I,
)


def outside_raw_text(html: str, edit) -> str:
    """``html`` with ``edit`` (a function of a string) applied to each part outside comments and the elements
    whose content is raw text, not markup (script, style, textarea, title): those stay as they are.

    >>> outside_raw_text("<p>a</p><script>a</script><!-- a -->a", str.upper)
    '<P>A</P><script>a</script><!-- a -->A'
    """
    return "".join(piece if i % 2 else edit(piece) for i, piece in enumerate(_KEPT.split(html)))


_TEXT_NODE = re.compile(r"(?<=>)([^<>]+)(?=<)")
#: A footnote mark after a closing bracket or punctuation mark, directly or after the end of the span that
#: holds it (``不成立（…）</span><sup>9</sup>``): browsers may break before the mark, which then began a line alone.
_MARK_AFTER = re.compile(
    r"([）)」』】〕”’。，；：、])((?:</span>)?)(<sup\b[^>]*>(?:(?!</sup>).)*</sup>)", re.S
)


#: The characters of a number: Word and LibreOffice never break between two of them in a run marked English.
_NUMBER = frozenset("0123456789.,")


def joined(text: str) -> str:
    """``text`` with a word joiner inside each :data:`UNBROKEN` run wherever a Chinese line breaker may break
    (for Word): around its Chinese characters, its sign and its ``%``, never between two characters of its number,
    so the number a reader copies or searches for (``434.12`` of ``434.12⁠万⁠元``) is the number itself."""

    def join(run: str) -> str:
        return run[0] + "".join(
            (ch if a in _NUMBER and ch in _NUMBER else WORD_JOINER + ch)
            for a, ch in itertools.pairwise(run)
        )

    return UNBROKEN.sub(lambda m: join(m.group(0)), text)


def unbroken_html(page: str) -> str:
    """An HTML page whose lines never break inside a figure or before a footnote mark.

    Each :data:`UNBROKEN` run of its text goes in a ``<span class="nb">`` (``white-space: nowrap``), and
    so does a footnote mark with the closing bracket or punctuation mark before it (moved inside the
    span that ends with that mark, if one does). Scripts, styles, the title, attribute values and numbers alone
    (:data:`BARE`) are left as they are, and so is the text of an element that holds one run and
    nothing else (``<a class="xref">图2</a>``, a 图表 label, a figure in its ``span.fig``): style.css
    keeps those whole.
    """

    def text(m: re.Match) -> str:
        if UNBROKEN.fullmatch(m.group(1).strip()):
            return m.group(0)
        return _RUN_OR_ENTITY.sub(
            lambda r: (
                f'<span class="nb">{r.group(0)}</span>'
                if r.group(1) is None and not BARE.fullmatch(r.group(0))
                else r.group(0)
            ),
            m.group(1),
        )

    def part(piece: str) -> str:
        piece = _TEXT_NODE.sub(text, piece)
        return _MARK_AFTER.sub(r'<span class="nb">\1\3</span>\2', piece)

    return outside_raw_text(page, part)


def counted(parts: list[tuple[int, str]], sep: str = "、") -> str:
    """The texts of ``(count, text)`` parts whose count is not 0, joined: a count of nothing is not said.

    >>> counted([(0, "0项仅甲列出"), (1, "1项仅乙列出")], "，")
    '1项仅乙列出'
    >>> counted([(0, "0项")])
    ''
    """
    return sep.join(text for count, text in parts if count)


def scale(values, unit: str = "") -> tuple[float, str]:
    """The one magnitude rule: the divisor and the word (万, 亿) values in ``unit`` are written in.

    Money (``"元"``) is written in 万 from 10 000 and in 亿 from 10⁸; other counts in full up to a
    million, then in 万/亿; percentages never scaled. Given several values (a table's two years,
    a chart's axis), the largest decides, so they all share one unit: never 9888.84元 beside
    1.1335万元.

    Examples
    --------
    >>> scale([9888.84, 11335.2], "元"), scale([9888.84], "元"), scale([2900000], "人次"), scale([3e8], "%")
    ((10000.0, '万'), (1, ''), (10000.0, '万'), (1, ''))
    """
    largest = max((abs(v) for v in values if v == v), default=0.0)  # v == v leaves out NaN
    if unit == "%":
        return 1, ""
    if largest >= 1e8:
        return 1e8, "亿"
    if largest >= (
        1e4 if unit == "元" else 1e6
    ):  # money in 万 from 1万; counts in full below a million
        return 1e4, "万"
    return 1, ""


def number(value: float, unit: str = "", among=None) -> str:
    """Write a number the way Chinese reports do.

    Parameters
    ----------
    value : float
    unit : str, optional
        ``"%"`` gives ``71.59%``; money (``"元"``) uses 万 from 10 000 and 亿 from 10⁸; other
        counts are written out in full up to a million (``10359家``), then in 万/亿 (:func:`scale`).
    among : list of float, optional
        The values written beside this one (a comparison's two years): all take the magnitude
        :func:`scale` gives the largest of them.

    Returns
    -------
    str

    Examples
    --------
    >>> number(4341200, "元"), number(525030000, "元"), number(71.59, "%"), number(10359, "家")
    ('434.12万元', '5.2503亿元', '71.59%', '10359家')
    >>> number(2900000, "人次"), number(500000, "元"), number(500000)
    ('290万人次', '50万元', '500000')
    >>> number(9888.84, "元", among=[9888.84, 11335.2]), number(11335.2, "元", among=[9888.84, 11335.2])
    ('0.9889万元', '1.1335万元')
    """
    divisor, word = scale([value] if among is None else [value, *among], unit)
    decimals = 4 if divisor > 1 else 2
    return f"{value / divisor:.{decimals}f}".rstrip("0").rstrip(".") + word + unit


def estimate(value: float, unit: str) -> float:
    """An estimated (derived) figure to the precision its meaning has: a count of things in whole things,
    anything else (money, a rate, a ratio) to two decimals.

    A previous year's count implied by a stated growth rate (233 ÷ 1.404 = 165.9544…) is about 166
    inventions, never 165.9544: notebooks, the briefing, its Word document and the xlsx all show the
    value this gives (with 约 before it in prose, :func:`estimate_text`).

    Examples
    --------
    >>> estimate(165.954415954416, "件"), estimate(711.2, "宗"), estimate(2.85124, "件/家"), estimate(9888.844, "元")
    (166.0, 711.0, 2.85, 9888.84)
    """
    if value != value:  # NaN: nothing to round
        return value
    return (
        float(math.floor(value + 0.5)) if Unit(unit).is_counter else round(value, 2)
    )  # halves up: 166.5 is 167


def estimate_text(value: float, unit: str) -> str:
    """An estimated figure in prose: 约, :func:`estimate`, then :func:`metric_text` (``约166件``).

    Examples
    --------
    >>> estimate_text(165.954415954416, "件"), estimate_text(711.2, "宗")
    ('约166件', '约711宗')
    """
    return "约" + metric_text(estimate(value, unit), unit)


def unit_after_number(unit: str) -> str:
    """The unit written after a derived value: a simple unit (``宗``, ``%``, ``元``) is, a ratio's
    unit (``件/家``, ``人次/场次``) is not, because the metric's label already says what it counts.

    Examples
    --------
    >>> unit_after_number("宗"), unit_after_number("件/家")
    ('宗', '')
    """
    return Unit(unit).after_number


def metric_text(value: float, unit: str, spec: str = "") -> str:
    """Write a derived value with the unit policy of :func:`unit_after_number`.

    Parameters
    ----------
    value : float
    unit : str
    spec : str, optional
        A Python format spec for the number (``".0f"``); :func:`number` otherwise.

    Examples
    --------
    >>> metric_text(91.1882, "%"), metric_text(2.8512, "件/家"), metric_text(711.2, "宗", ".0f")
    ('91.19%', '2.85', '711宗')
    """
    shown = unit_after_number(unit)
    if spec:
        return f"{format(value, spec)}{shown}"
    return number(value, shown)


def figure_text(as_written: str, unit: str) -> str:
    """Write a figure as the report did; a rank reads ``第六`` (the span holds only the numeral).

    Examples
    --------
    >>> figure_text("439宗", "宗"), figure_text("六", "rank")
    ('439宗', '第六')
    """
    return f"第{as_written}" if Unit(unit).is_rank else as_written


def missing_marker(label: str) -> str:
    """What a text shows in place of a figure the year's data lacks: its Chinese label, never its id.

    Examples
    --------
    >>> missing_marker("区消委会受理消费投诉")
    '［无数据：区消委会受理消费投诉］'
    """
    return f"［无数据：{label}］"


def grouped(value: float | None) -> str:
    """Write a value for a table: whole numbers with separators, others to 4 decimals, ``—`` for none.

    Examples
    --------
    >>> grouped(4341200.0), grouped(22.6527), grouped(float("nan"))
    ('4,341,200', '22.6527', '—')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.4f}".rstrip("0").rstrip(".")


def period_words(period: str) -> str:
    """Write a period code in words (:meth:`helpers.report.period.Period.words`).

    Examples
    --------
    >>> period_words("2023"), period_words("2023-11"), period_words("2023-Q3"), period_words("as_of_report")
    ('2023年', '截至2023年11月', '截至2023年第3季度', '截至报告时')
    """
    return Period.parse(period).words()


def change_text(row) -> str:
    """Write a year-on-year change of :mod:`helpers.audit.growth` as an analyst reads it.

    A count or amount grows by a relative % with the difference beside it, a rate changes by
    个百分点 (percentage points), a rank moves up (a lower rank) or down by places; a figure
    without a comparison says why, never ``nan`` or ``inf``.

    Parameters
    ----------
    row : mapping
        A row of :func:`helpers.audit.growth.growth_table`: ``status, unit, change, growth_pct,
        change_pp, year, previous_year, period, previous_period``.

    Returns
    -------
    str

    Examples
    --------
    >>> nan = float("nan")
    >>> change_text({"status": "ok", "unit": "宗", "change": -39.0, "growth_pct": -8.8838, "change_pp": nan})
    '下降8.88%，减少39宗'
    >>> change_text({"status": "ok", "unit": "宗", "change": 0.0, "growth_pct": 0.0, "change_pp": nan})
    '持平'
    >>> change_text({"status": "ok, in percentage points", "unit": "%", "change": nan, "growth_pct": nan,
    ...              "change_pp": 60.52 - 71.59})
    '下降11.07个百分点'
    >>> change_text({"status": "ok, in places", "unit": "rank", "change": -2.0, "growth_pct": nan, "change_pp": nan})
    '排名上升2位'
    >>> change_text({"status": "period differs", "period": "2024", "previous_period": "2023-11", "previous_year": 2023})
    '口径不同（截至2023年11月／2024年），不比较'
    >>> change_text({"status": "new", "year": 2024, "previous_year": 2023})
    '2024年新增'
    """
    status = GrowthStatus(row["status"])
    if status is GrowthStatus.COMPARED:
        return _direction(
            row["growth_pct"],
            "增长",
            "下降",
            number(abs(row["growth_pct"]), "%"),
            f"，{_difference(row['change'], row['unit'])}",
        )
    if status is GrowthStatus.IN_POINTS:
        return _direction(
            row["change_pp"], "提高", "下降", f"{number(abs(row['change_pp']))}个百分点"
        )
    if status is GrowthStatus.IN_PLACES:
        return "排名" + _direction(
            -row["change"], "上升", "下降", f"{number(abs(row['change']))}位"
        )
    if status in (GrowthStatus.PREVIOUS_ZERO, GrowthStatus.PREVIOUS_NEGATIVE):
        return f"{growth_words(status, 0, 0)}，{_difference(row['change'], row['unit'])}"
    if status is GrowthStatus.PERIOD_DIFFERS:
        spans = [
            ", ".join(period_words(p) for p in str(row[c]).split(", "))
            for c in ("previous_period", "period")
        ]
        return f"口径不同（{spans[0]}／{spans[1]}），不比较"
    return growth_words(status, row["year"], row["previous_year"])


def _direction(value: float, up: str, down: str, amount: str, more: str = "") -> str:
    """``up`` or ``down``, the amount by the sign of ``value``, then ``more``; only 持平 (unchanged) for zero."""
    return "持平" if value == 0 else f"{up if value > 0 else down}{amount}{more}"


def _difference(value: float, unit: str) -> str:
    """A difference in words, with no sign to read: 增加39宗, 减少217.06万元, 无变化."""
    if value == 0:
        return "无变化"
    return ("增加" if value > 0 else "减少") + number(abs(value), unit_after_number(unit))


def formula_words(expression: str) -> str:
    """Write a formula with the symbols of Chinese reports (×, ÷, ≤, ≥, =, 或, 且), in one pass.

    Examples
    --------
    >>> formula_words("509 / 2247 * 100 <= 100 or 1 == 1")
    '509 ÷ 2247 × 100 ≤ 100 或 1 = 1'
    """
    words = dict(_FORMULA_WORDS)
    return _FORMULA_PATTERN.sub(lambda m: words[m.group(0)], expression)


#: An id (or a word such as ``and``) in a rule of checks.yml.
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def spelled(expression: str, words: dict[str, str]) -> str:
    """Write a formula or rule with each id of ``words`` replaced by its words, in the symbols of
    :func:`formula_words`; other words (``and``, ``or``, ids without words) stay as they are.

    Examples
    --------
    >>> spelled("penalty_confiscation_amount / admin_penalty_cases",
    ...         {"penalty_confiscation_amount": "罚没金额", "admin_penalty_cases": "查办行政处罚案件"})
    '罚没金额 ÷ 查办行政处罚案件'
    """
    return formula_words(IDENTIFIER.sub(lambda m: words.get(m.group(0), m.group(0)), expression))


def checked_text(expression: str, figures: dict[str, tuple[float, str]]) -> str:
    """Write a rule with each id replaced by its value in its unit, in the symbols of :func:`formula_words`.

    Both sides of a comparison read in their units (``71.59% = 22.65%``, never ``71.59 = 22.6524``);
    a figure without a value reads ``—``; words that are not ids (``and``, ``or``) stay as they are.

    Parameters
    ----------
    expression : str
        The rule as written in ``checks.yml``.
    figures : dict
        Id -> ``(value, unit)`` of each figure the rule names (``value`` for a ``for_each`` subject).

    Examples
    --------
    >>> checked_text("council_mediation_success_rate == rate", {"council_mediation_success_rate": (71.59, "%"),
    ...                                                          "rate": (22.65238, "%")})
    '71.59% = 22.65%'
    >>> (checked_text("0 <= value <= 100", {"value": (24.84, "%")}),
    ...  checked_text("a <= b", {"a": (40514, "宗"), "b": (float("nan"), "宗")}))
    ('0 ≤ 24.84% ≤ 100', '40514宗 ≤ —')
    >>> checked_text("1 <= rank", {"rank": (6.0, "rank")}), checked_text("d < 0", {"d": (-11.07, "pp")})
    ('1 ≤ 第6', '-11.07个百分点 < 0')
    """

    def written(value: float, unit: str) -> str:
        if value != value:  # NaN
            return "—"
        if unit == "rank":
            return figure_text(number(value), unit)
        return f"{number(value)}个百分点" if unit == "pp" else metric_text(value, unit)

    return spelled(
        expression, {name: written(value, unit) for name, (value, unit) in figures.items()}
    )


def result_text(
    result: str,
    sides: list,
    missing: dict,
    error: str = "",
    year: int = 0,
    labels: dict | None = None,
    lang: str = "zh",
    statuses: dict | None = None,
    unit: str = "",
) -> str:
    """Word the result of a consistency rule (a :class:`helpers.audit.status.Result`).

    Parameters
    ----------
    result : str
        ``holds``, ``fails``, ``missing`` or ``undefined``.
    sides : list of list of float
        The numbers each comparison compared (for ``fails``).
    missing : dict
        Each id the year lacks, with why (a :class:`helpers.audit.status.Missing`, for ``missing``).
    error : str
        Why the expression is undefined (English, for the command line; a page shows the
        substituted expression beside the result instead).
    year : int
        The report year (for ``missing``).
    labels : dict, optional
        The Chinese label of each id: a page names a missing figure by its label, never its id.
    lang : {"zh", "en"}
        Chinese for pages and tables, English for the command line.
    unit : str
        The one unit of the compared figures: the Chinese numbers are written in it (``71.59% 对
        22.65%``, :func:`metric_text`); none (figures of several units): with separators.
    statuses : dict, optional
        The status of each metric (``helpers.audit.metrics.compute_metrics``), which the command
        line quotes for a metric without a value.

    Examples
    --------
    >>> result_text("fails", [[40514.0, 14434.0]], {}), result_text("fails", [[40514.0, 14434.0]], {}, lang="en")
    ('不成立（40,514 对 14,434）', 'does not hold (40,514 vs 14,434)')
    >>> result_text("fails", [[71.59, 22.652425]], {}, unit="%")
    '不成立（71.59% 对 22.65%）'
    >>> gap = {"council_complaints_received": "not in the year's table"}
    >>> result_text("missing", [], gap, year=2023, labels={"council_complaints_received": "消委会受理投诉"})
    '未核对：缺少 消委会受理投诉（2023年指标表中没有）'
    >>> result_text("missing", [], gap, year=2023, lang="en")
    'not checked: no value for council_complaints_received (not in 2023.csv)'
    """
    result = Result(result)
    if lang == "en":
        return _result_english(result, sides, missing, error, year, statuses or {})
    if result is Result.FAILS:
        written = (lambda v: metric_text(v, unit)) if unit else grouped
        pairs = "；".join(" 对 ".join(written(v) for v in c) for c in sides)
        return f"{RESULT_WORDS[result]}（{pairs}）"
    if result is Result.MISSING:
        names = labels or {}
        gaps = "；".join(
            f"{names.get(i, i)}（{missing_words(why, year)}）" for i, why in missing.items()
        )
        return f"{RESULT_WORDS[result]} {gaps}"
    return RESULT_WORDS[result]


def _result_english(
    result: Result, sides: list, missing: dict, error: str, year: int, statuses: dict
) -> str:
    """:func:`result_text` for the command line."""
    if result is Result.HOLDS:
        return "holds"
    if result is Result.FAILS:
        return f"does not hold ({'; '.join(' vs '.join(grouped(v) for v in c) for c in sides)})"
    if result is Result.MISSING:

        def why(ident: str, reason: str) -> str:
            return (
                f"not in {year}.csv"
                if reason == Missing.NOT_IN_TABLE
                else statuses.get(ident, reason)
            )

        return f"not checked: no value for {'; '.join(f'{i} ({why(i, r)})' for i, r in missing.items())}"
    return f"cannot evaluate: {error}"


def highlight(sentence: str, spans: list[tuple[int, int]]) -> str:
    """Return a sentence as HTML with the given spans (offsets into the sentence) in ``<mark>``.

    Spans, not search: a figure written twice in one sentence is marked where it stands.

    Examples
    --------
    >>> highlight("受理投诉2247宗，完成2049宗。", [(4, 9), (12, 17)])
    '受理投诉<mark>2247宗</mark>，完成<mark>2049宗</mark>。'
    """
    out, pos = [], 0
    for start, end in sorted(set(spans)):
        if start < pos:
            continue  # overlapping spans: the first one is marked
        out += [
            html.escape(sentence[pos:start]),
            f"<mark>{html.escape(sentence[start:end])}</mark>",
        ]
        pos = end
    return "".join(out) + html.escape(sentence[pos:])


def by_sentence(records: list[dict]) -> dict[str, list[tuple[int, int]]]:
    """Group figure records by their source sentence, each with its span inside that sentence.

    Records carry ``source_sentence``, ``sentence_start`` (where the sentence starts in the
    report) and the figure's ``start``/``end``; sentences keep the order of first use.

    Examples
    --------
    >>> by_sentence([{"source_sentence": "甲1宗乙2宗", "sentence_start": 10, "start": 11, "end": 13},
    ...              {"source_sentence": "甲1宗乙2宗", "sentence_start": 10, "start": 14, "end": 16}])
    {'甲1宗乙2宗': [(1, 3), (4, 6)]}
    """
    out: dict[str, list[tuple[int, int]]] = {}
    for r in records:
        span = (r["start"] - r["sentence_start"], r["end"] - r["sentence_start"])
        out.setdefault(r["source_sentence"], []).append(span)
    return out
