"""Reading figures as Chinese reports write them.

A *figure* is a number with what follows it up to the end of its unit: ``434.12万元``,
``2900余人次``, ``十一个``, ``71.59%``, ``22.6个百分点``. :func:`parse_figure` turns one into a
value in base units (money in 元, ``万``/``亿``/``千`` multiplied out, percentages as written)
and a unit; :func:`implied_qualifier` reads approximation and bound words around a figure.
Arithmetic is exact (:class:`decimal.Decimal`): ``5.2503亿元`` is 525030000, not 525029999.99.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
             "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
CN_LARGE_UNITS = {"万": 10**4, "亿": 10**8}
CN_NUMERAL_CHARS = "".join([*CN_DIGITS, *CN_SMALL_UNITS, *CN_LARGE_UNITS])
MULTIPLIERS = {"千": Decimal(10**3), "万": Decimal(10**4), "亿": Decimal(10**8),
               "千万": Decimal(10**7), "万亿": Decimal(10**12)}

#: Words before or after a figure, and the qualifier each implies.
APPROX_SUFFIXES = ("余", "多")
QUALIFIER_BEFORE = {"将近": "approx", "大约": "approx", "近": "approx", "约": "approx",
                    "超过": "lower_bound", "超": "lower_bound", "逾": "lower_bound",
                    "不足": "upper_bound", "不到": "upper_bound"}
QUALIFIER_AFTER = {"以上": "lower_bound", "以下": "upper_bound", "以内": "upper_bound",
                   "左右": "approx"}
QUALIFIERS = ("exact", "approx", "lower_bound", "upper_bound")

_FIGURE = re.compile(
    rf"""(?P<number>\d+(?:,\d{{3}})*(?:\.\d+)?|[{CN_NUMERAL_CHARS}]+)
         (?P<approx1>[余多])?
         (?P<mult>万亿|千万|[千万亿])?
         (?P<approx2>[余多])?
         (?P<unit>.*)""",
    re.VERBOSE | re.DOTALL,
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

    Raises
    ------
    ValueError
        If the string is empty or not a well-formed numeral (``十百``, ``三四十``).

    Examples
    --------
    >>> chinese_to_int("十一"), chinese_to_int("一百二十"), chinese_to_int("两")
    (11, 120, 2)
    """
    if not numeral or any(ch not in CN_NUMERAL_CHARS for ch in numeral):
        raise ValueError(f"not a Chinese numeral: {numeral!r}")
    if len(numeral) > 1 and all(ch in CN_DIGITS for ch in numeral):
        if "两" in numeral:
            raise ValueError(f"not a Chinese numeral: {numeral!r}")
        return int("".join(str(CN_DIGITS[ch]) for ch in numeral))
    total = section = 0
    number: int | None = None
    last_small = 10**4  # small units must fall within a section: 一千二百三十, not 十百
    for ch in numeral:
        if ch in CN_DIGITS:
            if number not in (None, 0):
                raise ValueError(f"not a Chinese numeral: {numeral!r}")
            number = CN_DIGITS[ch]
        elif ch in CN_SMALL_UNITS:
            if CN_SMALL_UNITS[ch] >= last_small:
                raise ValueError(f"not a Chinese numeral: {numeral!r}")
            last_small = CN_SMALL_UNITS[ch]
            section += (1 if number is None else number) * last_small
            number = None
        elif ch == "万":
            total += (section + (number or 0)) * 10**4
            section, number, last_small = 0, None, 10**4
        else:  # 亿
            total = (total + section + (number or 0)) * 10**8
            section, number, last_small = 0, None, 10**4
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
        If ``text`` is not a number.
    """
    plain = text.translate(_FULLWIDTH)
    if plain and plain[0].isascii() and plain[0].isdigit():
        if not re.fullmatch(r"\d+(?:,\d{3})*(?:\.\d+)?", plain):
            raise ValueError(f"not a number: {text!r}")
        try:
            return Decimal(plain.replace(",", ""))
        except InvalidOperation as exc:  # pragma: no cover - the pattern above admits only numbers
            raise ValueError(f"not a number: {text!r}") from exc
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
        If ``as_written`` does not start with a number.

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
        raise ValueError(f"does not start with a number: {as_written!r}")
    number, mult, unit = match["number"], match["mult"], match["unit"]
    value = parse_number(number) * (MULTIPLIERS[mult] if mult else 1)
    if unit == "个百分点" or unit == "百分点":
        unit = "pp"
    elif not unit and before.endswith("第"):
        unit = "rank"
    return Figure(value=value, unit=unit, approx=bool(match["approx1"] or match["approx2"]))


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
    before = text[max(0, start - 2):start]
    found = QUALIFIER_BEFORE.get(before) or QUALIFIER_BEFORE.get(before[-1:])
    if found:
        return found
    return QUALIFIER_AFTER.get(text[end:end + 2], "exact")
