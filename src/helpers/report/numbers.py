"""Reading figures as Chinese reports write them.

A *figure* is a number with what follows it up to the end of its unit: ``434.12万元``,
``2900余人次``, ``十一个``, ``71.59%``, ``22.6个百分点``. :func:`parse_figure` turns one into a
value in base units (money in 元, ``万``/``亿``/``千`` multiplied out, percentages as written)
and a unit; :func:`implied_qualifier` reads approximation and bound words around a figure.
Arithmetic is exact (:class:`decimal.Decimal`): ``5.2503亿元`` is 525030000, not 525029999.99.

A figure is written with at most :data:`MAX_DIGITS` digits: longer digit runs are identity,
phone or account numbers and codes, and a numeral that needs more is malformed. A magnitude
(百, 千, 万, 亿) needs a number before it: ``万人次``, ``千家`` and ``每万人口`` state none.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .units import POINTS, RANK

CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
CN_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
CN_LARGE_UNITS = {"万": 10**4, "亿": 10**8}
CN_NUMERAL_CHARS = "".join([*CN_DIGITS, *CN_SMALL_UNITS, *CN_LARGE_UNITS])
MAX_DIGITS = 15  # a float holds 15 significant digits; longer runs are IDs, phone numbers, codes
#: The magnitudes after a number in digits (``434.12万元``, ``3百万元``, ``5千亿元``). A 百 or 十 alone
#: is none (``3百分点`` is 3 percentage points); two characters are.
MULTIPLIERS = {
    "千": Decimal(10**3),
    "万": Decimal(10**4),
    "亿": Decimal(10**8),
    "十万": Decimal(10**5),
    "百万": Decimal(10**6),
    "千万": Decimal(10**7),
    "十亿": Decimal(10**9),
    "百亿": Decimal(10**10),
    "千亿": Decimal(10**11),
    "万亿": Decimal(10**12),
}

#: Words before or after a figure, and the qualifier each implies.
APPROX_SUFFIXES = ("余", "多")
QUALIFIER_BEFORE = {
    "将近": "approx",
    "大约": "approx",
    "近": "approx",
    "约": "approx",
    "超过": "lower_bound",
    "超": "lower_bound",
    "逾": "lower_bound",
    "不足": "upper_bound",
    "不到": "upper_bound",
}
QUALIFIER_AFTER = {
    "以上": "lower_bound",
    "以下": "upper_bound",
    "以内": "upper_bound",
    "左右": "approx",
}
QUALIFIERS = ("exact", "approx", "lower_bound", "upper_bound")

# The grammar of a figure, shared with the extractor. The number parts are possessive (never
# give back a character), so matching is linear in the run however long it is; a Chinese
# numeral stops before 百分点 (三百分点 is 3 percentage points, not 300 "分点").
ARABIC_NUMBER = r"\d++(?:[,，]\d{3})*+(?:\.\d++)?+"
CN_NUMBER = rf"(?:(?!百分点)[{CN_NUMERAL_CHARS}])++"
_APPROX = f"[{''.join(APPROX_SUFFIXES)}]"
FIGURE_TAIL = (
    f"(?P<approx1>{_APPROX})?(?P<mult>{'|'.join(sorted(MULTIPLIERS, key=len, reverse=True))})?"
    f"(?P<approx2>{_APPROX})?"
)
_FIGURE = re.compile(
    rf"(?P<number>{ARABIC_NUMBER}|{CN_NUMBER}){FIGURE_TAIL}(?P<unit>.*)", re.DOTALL
)
_FULLWIDTH = str.maketrans("０１２３４５６７８９．，％", "0123456789.,%")


@dataclass(frozen=True)
class Figure:
    """A parsed figure.

    Attributes
    ----------
    value : Decimal
        The value in base units (``434.12万元`` → 4341200).
    unit : str
        ``"%"``, ``"pp"`` (percentage points), ``"rank"``, ``"元"`` for money, or the counter
        as written (``"宗"``, ``"人次"``, ``"个"``); empty when the figure has none.
    approx : bool
        True when the figure itself says it is approximate (``2900余``, ``50多``).
    """

    value: Decimal
    unit: str
    approx: bool


def _shown(text: str) -> str:
    """Quote ``text`` for an error message, cut to its first 20 characters when longer."""
    return repr(text) if len(text) <= 20 else f"{text[:20]!r}… ({len(text)} characters)"


def _too_long(text: str) -> ValueError:
    return ValueError(
        f"not a figure: {_shown(text)} is more than {MAX_DIGITS} digits long "
        "(longer numbers are identity, phone or account numbers and codes)"
    )


def chinese_to_int(numeral: str) -> int:
    """Convert a Chinese numeral to an integer.

    Parameters
    ----------
    numeral : str
        Characters from ``零〇一二两三四五六七八九十百千万亿`` such as ``十一``, ``一百二十``,
        ``两千零五``, ``三万``, or a digit-by-digit form such as ``二〇二三``.

    Returns
    -------
    int
        Below ``10 ** MAX_DIGITS``.

    Raises
    ------
    ValueError
        If the string is empty or not a well-formed numeral (``十百``, ``三四十``, ``一万一万``),
        has a magnitude with no number before it (``万``, ``千万``, ``亿``), or needs more than
        :data:`MAX_DIGITS` digits.

    Examples
    --------
    >>> chinese_to_int("十一"), chinese_to_int("一百二十"), chinese_to_int("两")
    (11, 120, 2)
    """
    if not numeral or any(ch not in CN_NUMERAL_CHARS for ch in numeral):
        raise ValueError(f"not a Chinese numeral: {_shown(numeral)}")
    if len(numeral) > 1 and all(ch in CN_DIGITS for ch in numeral):
        if "两" in numeral:
            raise ValueError(f"not a Chinese numeral: {_shown(numeral)}")
        if len(numeral) > MAX_DIGITS:
            raise _too_long(numeral)
        return int("".join(str(CN_DIGITS[ch]) for ch in numeral))
    total = section = 0
    number: int | None = None
    last_small = 10**4  # small units must fall within a section: 一千二百三十, not 十百
    wan = False  # 万 once per 亿-group: 一万二千亿, not 一万一万
    previous = ""
    for ch in numeral:
        if ch in CN_DIGITS:
            if number not in (None, 0):
                raise ValueError(f"not a Chinese numeral: {_shown(numeral)}")
            number = CN_DIGITS[ch]
        elif ch in CN_SMALL_UNITS:
            if CN_SMALL_UNITS[ch] >= last_small or (number is None and ch != "十"):
                raise ValueError(
                    f"not a Chinese numeral: {_shown(numeral)}"
                )  # 十百; 千 alone (千家)
            last_small = CN_SMALL_UNITS[ch]
            section += (1 if number is None else number) * last_small
            number = None
        else:  # 万 or 亿: a magnitude of what stands before it in its group (万亿 is one magnitude)
            if (section == 0 and number is None and previous != "万") or (ch == "万" and wan):
                raise ValueError(f"not a number: {ch} in {_shown(numeral)} has no number before it")
            if ch == "万":
                total, wan = total + (section + (number or 0)) * 10**4, True
            else:
                total, wan = (total + section + (number or 0)) * 10**8, False
            section, number, last_small = 0, None, 10**4
            if total >= 10**MAX_DIGITS:
                raise _too_long(numeral)
        previous = ch
    return total + section + (number or 0)


def parse_number(text: str) -> Decimal:
    """Parse the number part of a figure: Arabic (full-width and ``1,234`` allowed) or Chinese.

    Parameters
    ----------
    text : str
        The number alone, e.g. ``"434.12"``, ``"１，２３４"``, ``"十一"``.

    Returns
    -------
    Decimal

    Raises
    ------
    ValueError
        If ``text`` is not a number, or is written with more than :data:`MAX_DIGITS` digits.
    """
    plain = text.translate(_FULLWIDTH)
    if plain and plain[0].isascii() and plain[0].isdigit():
        if not re.fullmatch(ARABIC_NUMBER, plain):
            raise ValueError(f"not a number: {_shown(text)}")
        if len(plain) - plain.count(",") - plain.count(".") > MAX_DIGITS:
            raise _too_long(text)
        try:
            return Decimal(plain.replace(",", ""))
        except InvalidOperation as exc:  # pragma: no cover - the pattern above admits only numbers
            raise ValueError(f"not a number: {_shown(text)}") from exc
    return Decimal(chinese_to_int(plain))


def parse_figure(as_written: str, before: str = "") -> Figure:
    """Parse a figure as written in a report into a value in base units and a unit.

    Parameters
    ----------
    as_written : str
        The figure from its first digit to the end of its unit: ``"434.12万元"``,
        ``"2.2530万件"``, ``"十一个"``, ``"2900余人次"``, ``"71.59%"``, ``"22.6个百分点"``.
    before : str, optional
        The text just before the figure; a figure ending in ``第`` with no unit is a rank
        (``排名第六`` → value 6, unit ``"rank"``).

    Returns
    -------
    Figure

    Raises
    ------
    ValueError
        If ``as_written`` does not start with a number, or its number is malformed or longer
        than :data:`MAX_DIGITS` digits (see :func:`parse_number`).

    Examples
    --------
    >>> parse_figure("434.12万元")
    Figure(value=Decimal('4341200.00'), unit='元', approx=False)
    >>> parse_figure("六", before="排名第").unit
    'rank'
    """
    plain = as_written.translate(_FULLWIDTH)
    match = _FIGURE.fullmatch(plain)
    if not match:
        raise ValueError(f"does not start with a number: {_shown(as_written)}")
    number, mult, unit = match["number"], match["mult"], match["unit"]
    value = parse_number(number) * (MULTIPLIERS[mult] if mult else 1)
    if unit == "个百分点" or unit == "百分点":
        unit = POINTS
    elif not unit and before.endswith("第"):
        unit = RANK
    return Figure(value=value, unit=unit, approx=bool(match["approx1"] or match["approx2"]))


_DECIMAL_POINTS = ".．点"


def number_class(ch: str) -> str:
    """``"digit"`` (ASCII or full-width), ``"numeral"`` (Chinese) or ``""``: what a number is written in."""
    if ch and ch.translate(_FULLWIDTH) in "0123456789":
        return "digit"
    return "numeral" if ch and ch in CN_NUMERAL_CHARS else ""


def invisible(ch: str) -> bool:
    """Whether ``ch`` is a format character (Unicode category Cf: zero-width joiners and spaces,
    direction marks, soft hyphens): invisible on a page, so a number it touches cannot be read."""
    return bool(ch) and unicodedata.category(ch) == "Cf"


def cut_number(text: str, start: int, end: int) -> str | None:
    """Say how the span ``text[start:end]`` cuts a number of the text, or None when it does not.

    A span starts inside a number when the character before it continues its number, in digits or
    Chinese numerals alike (``4`` before ``39宗`` in ``439宗``, ``1万`` before ``2千家``, ``3亿``
    before ``5千万元``, ``亿零`` before ``5万元``), or a decimal point does (``1.`` before
    ``2.3万元``, ``.`` before ``5万元``, ``三点`` before ``五万元``; ``点`` only after a number:
    ``监测点5个``); it ends inside one when the character after it continues its last number.
    A format character (:func:`invisible`) touching the span's number hides what the number is
    (``4\u200d39宗``), so it cuts too.
    """
    before, first = text[start - 1 : start] if start > 0 else "", text[start : start + 1]
    last, after = text[end - 1 : end] if end > 0 else "", text[end : end + 1]
    kind, last_kind = number_class(first), number_class(last)
    if kind and number_class(before):
        return f"starts inside a number: {text[max(0, start - 3) : end]!r} continues before it"
    if (
        kind
        and before
        and before in _DECIMAL_POINTS
        and (before != "点" or number_class(text[start - 2 : start - 1]))
    ):
        return f"starts after a decimal point: {text[max(0, start - 3) : end]!r} is one number"
    if kind and invisible(before):
        return f"starts after an invisible character U+{ord(before):04X}, which hides what the number is"
    if last_kind and number_class(after):
        return f"ends inside a number: {text[start : end + 3]!r} continues after it"
    if last_kind and invisible(after):
        return (
            f"ends before an invisible character U+{ord(after):04X}, which hides what the number is"
        )
    return None


def implied_qualifier(text: str, start: int, end: int) -> str:
    """Return the qualifier the words around the figure ``text[start:end]`` imply.

    Parameters
    ----------
    text : str
        The whole decoded text.
    start, end : int
        The figure's span: ``start`` at its first digit, ``end`` just past its unit.

    Returns
    -------
    str
        ``"approx"`` for 余/多/近/约/左右, ``"lower_bound"`` for 超/逾/超过/以上,
        ``"upper_bound"`` for 不足/不到/以内/以下, otherwise ``"exact"``.
    """
    figure = text[start:end]
    if "余" in figure or "多" in figure:
        return "approx"
    before = text[max(0, start - 2) : start]
    found = QUALIFIER_BEFORE.get(before) or QUALIFIER_BEFORE.get(before[-1:])
    if found:
        return found
    return QUALIFIER_AFTER.get(text[end : end + 2], "exact")
