"""Find every figure in the text of a Chinese report.

A *figure* is a number followed by a counter or unit: ``439宗``, ``434.12万元``, ``2900余人次``,
``十一个``, ``71.59%``, ``22.6个百分点``, or a rank after a ranking verb (``排名第六``). The rules
come from how such reports are written, not from one report's words:

* a number without a counter is not a figure (years ``2023年``, months ``11月``, codes
  ``1310``, names ``12315中心``, list markers ``1.``/``一是``/``(三)`` have none);
* a magnitude with no number before it is not a figure (``万人次``, ``千家``, ``每万人口``), nor is
  a digit run longer than a figure can be (identity, phone and account numbers, codes; see
  :data:`helpers.report.numbers.MAX_DIGITS`);
* ``第`` + numeral is an ordinal (``第五届``, ``第三类``, ``第三季度``, ``第三方``: it numbers what
  follows it) unless ``名`` follows it (``第一名``), or a ranking verb (排名/排/居/位居/名列/位列)
  stands earlier in its clause, before a scope of any length, and nothing but punctuation,
  ``位``, ``的`` or a conjunction follows the numeral (``位居全国同类城市第三，``);
* numbers inside quotation marks or book-title marks are names and slogans (“四个最严”,
  “三项制度”, 《…2021-2025年…》);
* a number touching Latin letters is a code (``5G``, ``GB2760``);
* a numeral after a determiner (每/同/这/那/某/任/另) or before 性 is not a count, nor is a
  digit-by-digit numeral (``五一``, ``二〇二三``: holidays and years).

What it cannot read whole, it does not read in part (:func:`refusal`): a number whose start is
the tail of something longer is refused, never read as that tail. So are the second digits of a
malformed ``1.2.3万元`` or a Chinese decimal ``三点五万元`` (refused, not read as 50000), a number
after an invisible format character (``4\u200d39宗``, Unicode category Cf), digits grouped with
spaces (``1 234 567元``), both ends of a range (``3-5家``, ``3至5家``, ``3家至5家``: not an exact 5),
a fraction (``三分之一家``, ``1/3家``: not 1 家 or 3 家), a number in digits and numerals whose
tail follows a magnitude (``1万2千家``, ``3亿5千万元``: not 2千家 or 5千万元), the tail of digits
grouped other than by threes (``1,23,4家``), ``数十``/``几十`` (several tens, not 10), and a
negative number (``-5%``, ``负增长5.2%``: the sign is not kept, so the figure is not read;
``下降5%`` is a positive magnitude with its word and is read). Each refusal can be collected
with its reason (``refused=``), and ``amrbook extract`` prints them as notes.

Offsets are character offsets into the *decoded* text (see :func:`helpers.report.encoding.read_report`); ``start`` is
the number's first character, ``end`` is just past its unit.

Extraction is linear in the text, whatever the text: a number is tried only where its run of
digits or numerals begins (never again inside the run, nor at the next group of ``1,234,567``)
and is matched without backtracking; every look back (clause, ranking verb, quotation) follows
the figures forward in one pass over the text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from functools import lru_cache

from .numbers import (
    APPROX_SUFFIXES,
    ARABIC_NUMBER,
    CN_NUMBER,
    CN_NUMERAL_CHARS,
    FIGURE_TAIL,
    MULTIPLIERS,
    cut_number,
    implied_qualifier,
    number_class,
    parse_figure,
)

#: Counters and units, longest first so that 人次 wins over 人 and 个百分点 over 个.
UNITS = sorted(
    [
        "个百分点",
        "百分点",
        "%",
        "宗",
        "家次",
        "家",
        "户次",
        "户",
        "人次",
        "场次",
        "批次",
        "件次",
        "人",
        "名",
        "件",
        "项",
        "个工作日",
        "工作日",
        "个月",
        "个",
        "份",
        "台",
        "期",
        "所",
        "种",
        "类",
        "条",
        "次",
        "批",
        "场",
        "起",
        "处",
        "辆",
        "套",
        "张",
        "本",
        "册",
        "块",
        "座",
        "栋",
        "间",
        "艘",
        "架",
        "株",
        "头",
        "只",
        "吨",
        "千克",
        "公斤",
        "克",
        "升",
        "平方米",
        "亩",
        "公里",
        "米",
        "元",
        "小时",
        "分钟",
        "天",
        "岁",
        "页",
        "篇",
        "部",
        "门",
        "项次",
        "车次",
        "人数",
    ],
    key=len,
    reverse=True,
)
RANK_VERBS = ("排名", "名列", "位列", "位居", "居", "排", "列")
RANK_FOLLOWERS = set(
    "位的和及与"
)  # words that may follow a rank after a verb; any other makes an ordinal
DETERMINERS = set("每同这那某任另哪")
_FULLWIDTH = str.maketrans(
    "０１２３４５６７８９．％", "0123456789.%"
)  # one character each: offsets hold
# A number is tried only where its run starts: not after a digit, not at a group of a longer
# 1,234,567, not after a numeral (tried anywhere, each try would scan to the end of the run).
_DIGITS_START = r"(?<!\d)(?!(?<=\d[,，])\d{3}(?!\d))"
_NUMERAL_START = rf"(?<![{CN_NUMERAL_CHARS}])"
# What can follow a number in a figure (余/多, a multiplier, a unit): a one-character check
# that ends most tries at once.
_AFTER_NUMBER = "".join(
    sorted({*APPROX_SUFFIXES, *(m[0] for m in MULTIPLIERS), *(u[0] for u in UNITS)})
)
_FIGURE = re.compile(
    rf"(?=[\d{CN_NUMERAL_CHARS}])(?:"  # only where a number can start
    rf"(?<=第)(?P<rank>{CN_NUMBER}|\d++)"  # 第六: a rank or an ordinal
    rf"|(?P<num>{_DIGITS_START}{ARABIC_NUMBER}|{_NUMERAL_START}{CN_NUMBER})"  # a number from its run's start
    rf"(?=[{re.escape(_AFTER_NUMBER)}]){FIGURE_TAIL}"  # ... 余, 万, 余 ...
    rf"(?P<unit>{'|'.join(map(re.escape, UNITS))}))"
)  # ... and its counter
_HAS_FULLWIDTH = re.compile("[０-９．％]")
_GROUPED = re.compile(r"\d{1,3}(?:[,，]\d{3})+(?:\.\d+)?")
_QUOTED = re.compile(r"“[^“”\n]{0,40}”|《[^《》\n]{0,80}》|\"[^\"\n]{0,40}\"")
_CLAUSE_BREAK = re.compile(r"[，,；;。：:、（(）)“”!！?？\n]")
_RANK_VERB = re.compile("|".join(RANK_VERBS))
SIGNS = "-－−"  # hyphen-minus, full-width hyphen-minus, minus sign
RANGE_MARKS = SIGNS + "~～〜—–至到"  # between two numbers: 3-5家, 3～5家, 3至5家
NEGATIVE_WORDS = ("负增长", "负")
FRACTION_BARS = "/／"  # 1/3家: a fraction, not 3 家
GROUP_MARKS = ",，"  # 1,23,4家: its tail is not a figure (a group of three is part of the number)
SEVERAL = "数几"  # 数十家, 几十家: several tens, not 10


def prior_of(plain: str, pos: int) -> str:
    """The character before ``plain[pos]``, or "" at the start."""
    return plain[pos - 1 : pos] if pos > 0 else ""


class _Latest:
    """The last match of a pattern in a text that starts before a position, for positions asked
    in increasing order: one lazy pass over the text in all, nothing stored."""

    def __init__(self, pattern: re.Pattern, text: str):
        self._matches = pattern.finditer(text)
        self._next = next(self._matches, None)
        self.last: re.Match | None = None

    def before(self, pos: int) -> re.Match | None:
        while self._next is not None and self._next.start() < pos:
            self.last, self._next = self._next, next(self._matches, None)
        return self.last


@dataclass(frozen=True)
class Found:
    """One figure found in a text."""

    start: int
    end: int
    text: str
    value: float
    unit: str
    qualifier: str
    context: str


@dataclass(frozen=True)
class Refused:
    """A number the extractor would have read as a figure but refuses (see :func:`refusal`)."""

    start: int
    end: int
    text: str
    reason: str


def refusal(plain: str, start: int, end: int) -> str | None:
    """Why the figure candidate ``plain[start:end]`` cannot be read whole, or None when it can.

    ``plain`` is the text with full-width digits made ASCII (offsets unchanged).
    """
    cut = cut_number(plain, start, end)
    if cut:
        return f"{cut}; the figure is not read"
    before, prior = prior_of(plain, start), prior_of(plain, start - 1)
    shown = plain[max(0, start - 4) : end]
    if before and before in RANGE_MARKS and _ends_in_a_number(plain, start - 1):
        return f"is the end of a range ({shown!r}); a range is not an exact figure"
    after = plain[end : end + 1]
    if after and after in RANGE_MARKS and number_class(plain[end + 1 : end + 2]):
        return (
            f"is the start of a range ({plain[start : end + 4]!r}); a range is not an exact figure"
        )
    if (
        plain[max(0, start - 2) : start] == "分之" and number_class(prior_of(plain, start - 2))
    ) or (before and before in FRACTION_BARS and number_class(prior)):
        return f"is part of a fraction ({shown!r}), not a count"
    if before and before in GROUP_MARKS and number_class(prior):
        return (
            f"follows a number and a comma ({shown!r}): digits grouped other than by threes, "
            "or two numbers; enter it by hand"
        )
    if before and before in SEVERAL and number_class(plain[start]) == "numeral":
        return f"is 'several' ({shown!r}), not a figure: 数十 and 几十 say how many only roughly"
    if before and unicodedata.category(before) == "Zs" and number_class(prior):
        return f"is the end of a number written with spaces ({plain[max(0, start - 8) : end]!r})"
    if before and before in SIGNS:
        return f"follows a minus sign or dash ({shown!r}): a negative number or a range; enter it by hand"
    if plain[max(0, start - 3) : start].endswith(NEGATIVE_WORDS):
        return f"is negative ({shown!r}); the sign would be lost, so the figure is not read: enter it by hand"
    return None


def _ends_in_a_number(plain: str, pos: int) -> bool:
    """Whether ``plain[:pos]`` ends with a number, or a number and its unit (``3``, ``3家``)."""
    if number_class(plain[pos - 1 : pos]):
        return True
    return any(
        plain.endswith(unit, 0, pos) and number_class(plain[pos - len(unit) - 1 : pos - len(unit)])
        for unit in UNITS
        if len(unit) < pos
    )


@lru_cache(maxsize=4096)
def _parse(written: str, rank: bool) -> tuple[float, str] | None:
    """The value and unit of a figure, or None for what is not one (十百, 万人次, an 18-digit ID).

    Cached: reports repeat their figures and their non-figures alike.
    """
    try:
        figure = parse_figure(written, before="第" if rank else "")
    except ValueError:
        return None
    return float(figure.value), figure.unit


def _parsed(written: str, rank: bool) -> tuple[float, str] | None:
    # a long candidate (a 2 MB digit run) is parsed uncached: the cache never holds it
    return _parse(written, rank) if len(written) <= 64 else _parse.__wrapped__(written, rank)


def context_before(text: str, start: int, limit: int = 30) -> str:
    """Return the words before ``start`` in its clause (up to ``limit`` characters).

    Only the ``limit`` characters before ``start`` are read.
    """
    return _CLAUSE_BREAK.split(text[max(0, start - limit) : start])[-1]


def extract(text: str, refused: list[Refused] | None = None) -> list[Found]:
    """Return every figure in ``text``, in order.

    Parameters
    ----------
    text : str
        Decoded report text. Full-width digits, ``．`` and ``％`` are read like their ASCII
        forms; offsets are unaffected.
    refused : list, optional
        Receives a :class:`Refused` for each number not read because it cannot be read whole
        (see :func:`refusal`).

    Returns
    -------
    list of Found
    """
    return list(iter_figures(text, refused))


def iter_figures(text: str, refused: list[Refused] | None = None) -> Iterator[Found]:
    """Yield the figures of ``text`` one by one (see :func:`extract`), for long texts."""
    plain = text.translate(_FULLWIDTH) if _HAS_FULLWIDTH.search(text) else text
    quoted = _Latest(_QUOTED, plain)
    breaks, verbs = _Latest(_CLAUSE_BREAK, plain), _Latest(_RANK_VERB, plain)
    for m in _FIGURE.finditer(plain):
        start, end = m.span()
        rank = m.group("rank") is not None
        if rank and not _is_rank(plain, start, end, breaks, verbs):
            continue  # 第五届, 第三类, 第一责任人: ordinals, not ranks
        num = m.group("rank") if rank else m.group("num")
        before = plain[start - 1] if start else ""
        after = plain[end : end + 1]
        if (before.isascii() and before.isalnum()) or (after.isascii() and after.isalpha()):
            continue  # 5G, GB2760: codes
        last_quote = quoted.before(start + 1)
        if last_quote is not None and start < last_quote.end():
            continue  # “四个最严”, 《…》: names and slogans
        if not num[0].isdigit() and (
            before in DETERMINERS
            or after == "性"
            or (len(num) > 1 and not any(ch in "十百千万亿" for ch in num))
        ):
            continue  # 每一个, 一次性; 五一, 二〇二三: digit-by-digit numerals name days and years
        if ("," in num or "，" in num) and not _GROUPED.fullmatch(num):
            continue
        parsed = _parsed(plain[start:end], rank)
        if parsed is None:
            continue  # 十百, 万人次, an 18-digit ID: not a number a figure can have
        reason = refusal(plain, start, end)
        if reason:
            if refused is not None:
                refused.append(Refused(start, end, text[start:end], reason))
            continue  # 4\u200d39宗, 1.2.3万元, 3-5家, -5%: never read in part
        yield Found(
            start,
            end,
            text[start:end],
            *parsed,
            implied_qualifier(plain, start, end),
            context_before(plain, start),
        )


def _is_rank(plain: str, start: int, end: int, breaks: _Latest, verbs: _Latest) -> bool:
    """Whether ``第`` + the numeral ``plain[start:end]`` is a rank rather than an ordinal."""
    after = plain[end : end + 1]
    if after == "名":
        return True  # 第一名
    if "\u4e00" <= after <= "\u9fff" and after not in RANK_FOLLOWERS:
        return False  # 第五届, 第三方: an ordinal numbers the word after it
    verb, clause_break = verbs.before(start - 1), breaks.before(start - 1)
    return verb is not None and (clause_break is None or verb.start() > clause_break.start())


def extract_frame(text: str, refused: list[Refused] | None = None):
    """Return :func:`extract` as a pandas DataFrame (columns ``start, end, text, value, unit,
    qualifier, context``)."""
    import pandas as pd

    return pd.DataFrame(
        [asdict(f) for f in extract(text, refused)],
        columns=["start", "end", "text", "value", "unit", "qualifier", "context"],
    )
