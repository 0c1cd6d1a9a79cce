"""Find every figure in the text of a Chinese report.

A *figure* is a number followed by a counter or unit: ``439宗``, ``434.12万元``, ``2900余人次``,
``十一个``, ``71.59%``, ``22.6个百分点``, or a rank after a ranking verb (``排名第六``). The rules
come from how such reports are written, not from one report's words:

* a number without a counter is not a figure (years ``2023年``, months ``11月``, codes
  ``1310``, names ``12315中心``, list markers ``1.``/``一是``/``(三)`` have none);
* ``第`` + numeral is an ordinal (``第五届``, ``第三类``, ``第三季度``) unless a ranking verb
  (排名/排/居/位居/名列/位列) stands just before it or ``名`` after it;
* numbers inside quotation marks or book-title marks are names and slogans (“四个最严”,
  “三项制度”, 《…2021-2025年…》);
* a number touching Latin letters is a code (``5G``, ``GB2760``);
* a numeral after a determiner (每/同/这/那/某/任/另) or before 性 is not a count, nor is a
  digit-by-digit numeral (``五一``, ``二〇二三``: holidays and years).

Offsets are character offsets into the *decoded* text (see :func:`read_report`); ``start`` is
the number's first character, ``end`` is just past its unit.
"""
from __future__ import annotations

import bisect
import codecs
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import AmrbookError
from .numbers import CN_NUMERAL_CHARS, implied_qualifier, parse_figure

#: Counters and units, longest first so that 人次 wins over 人 and 个百分点 over 个.
UNITS = sorted("""个百分点 百分点 % 宗 家次 家 户次 户 人次 场次 批次 件次 人 名 件 项 个工作日 工作日 个月 个
    份 台 期 所 种 类 条 次 批 场 起 处 辆 套 张 本 册 块 座 栋 间 艘 架 株 头 只 吨 千克 公斤 克 升
    平方米 亩 公里 米 元 小时 分钟 天 岁 页 篇 部 门 项次 车次 人数""".split(), key=len, reverse=True)
RANK_VERBS = ("排名", "名列", "位列", "位居", "居", "排", "列")
DETERMINERS = set("每同这那某任另哪")
_FULLWIDTH = str.maketrans("０１２３４５６７８９．％", "0123456789.%")  # one character each: offsets hold
_FIGURE = re.compile(
    rf"(?<=第)(?P<rank>[{CN_NUMERAL_CHARS}]+|\d+)"                      # 第六: a rank or an ordinal
    rf"|(?P<num>\d+(?:[,，]\d{{3}})*(?:\.\d+)?|[{CN_NUMERAL_CHARS}]+)"  # a number ...
    r"(?:[余多])?(?:万亿|千万|[千万亿])?(?:[余多])?"                       # ... 余, 万, 余 ...
    rf"(?P<unit>{'|'.join(map(re.escape, UNITS))})")                    # ... and its counter
_HAS_FULLWIDTH = re.compile("[０-９．％]")
_GROUPED = re.compile(r"\d{1,3}(?:[,，]\d{3})+(?:\.\d+)?")
_QUOTED = re.compile(r"“[^“”\n]{0,40}”|《[^《》\n]{0,80}》|\"[^\"\n]{0,40}\"")
_CLAUSE_BREAK = re.compile(r"[，,；;。：:、（(）)“”!！?？\n]")


def _clause_breaks(text: str) -> list[int]:
    return [m.end() for m in _CLAUSE_BREAK.finditer(text)]


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


def _quoted_spans(text: str) -> tuple[list[int], list[int]]:
    spans = [(m.start(), m.end()) for m in _QUOTED.finditer(text)]
    return [s for s, _ in spans], [e for _, e in spans]


def _inside(starts: list[int], ends: list[int], pos: int) -> bool:
    i = bisect.bisect_right(starts, pos) - 1
    return i >= 0 and pos < ends[i]


@lru_cache(maxsize=4096)
def _parse(written: str, rank: bool) -> tuple[float, str]:
    figure = parse_figure(written, before="第" if rank else "")
    return float(figure.value), figure.unit


def context_before(text: str, start: int, limit: int = 30, breaks: list[int] | None = None) -> str:
    """Return the words before ``start`` in its clause (up to ``limit`` characters).

    ``breaks`` are the positions just after each clause break of ``text`` (computed when not given).
    """
    breaks = _clause_breaks(text) if breaks is None else breaks
    i = bisect.bisect_right(breaks, start) - 1
    return text[max(breaks[i] if i >= 0 else 0, start - limit):start]


def extract(text: str) -> list[Found]:
    """Return every figure in ``text``, in order.

    Parameters
    ----------
    text : str
        Decoded report text. Full-width digits, ``．`` and ``％`` are read like their ASCII
        forms; offsets are unaffected.

    Returns
    -------
    list of Found
    """
    return list(iter_figures(text))


def iter_figures(text: str) -> Iterator[Found]:
    """Yield the figures of ``text`` one by one (see :func:`extract`), for long texts."""
    plain = text.translate(_FULLWIDTH) if _HAS_FULLWIDTH.search(text) else text
    q_starts, q_ends = _quoted_spans(plain)
    breaks = _clause_breaks(plain)
    for m in _FIGURE.finditer(plain):
        start = m.start()
        rank = m.group("rank") is not None
        if rank:
            head = plain[max(0, start - 5):start - 1]
            if not (any(v in head for v in RANK_VERBS) or plain[m.end():m.end() + 1] == "名"):
                continue  # 第五届, 第三类, 第一责任人: ordinals, not ranks
            num = m.group("rank")
        else:
            num = m.group("num")
        end = m.end()
        before = plain[start - 1] if start else ""
        after = plain[end:end + 1]
        if (before.isascii() and before.isalnum()) or (after.isascii() and after.isalpha()):
            continue  # 5G, GB2760: codes
        if q_starts and _inside(q_starts, q_ends, start):
            continue  # “四个最严”, 《…》: names and slogans
        if not num[0].isdigit() and (before in DETERMINERS or after == "性"
                                     or (len(num) > 1 and not any(ch in "十百千万亿" for ch in num))):
            continue  # 每一个, 一次性; 五一, 二〇二三: digit-by-digit numerals name days and years
        if ("," in num or "，" in num) and not _GROUPED.fullmatch(num):
            continue
        try:
            value, unit = _parse(plain[start:end], rank)
        except ValueError:
            continue  # e.g. 十百: not a well-formed numeral
        yield Found(start, end, text[start:end], value, unit, implied_qualifier(plain, start, end),
                    context_before(plain, start, breaks=breaks))


def extract_frame(text: str):
    """Return :func:`extract` as a pandas DataFrame (columns ``start, end, text, value, unit,
    qualifier, context``)."""
    import pandas as pd

    return pd.DataFrame([asdict(f) for f in extract(text)],
                        columns=["start", "end", "text", "value", "unit", "qualifier", "context"])


BOMS = [(codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")]


def _plausible(text: str) -> float:
    """Share of characters that belong in a Chinese report (CJK, ASCII, CJK punctuation, full-width)."""
    sample = text[:5000]
    good = sum(1 for ch in sample if ch.isascii() and (ch.isprintable() or ch in "\n\r\t")
               or "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef"
               or ch in "“”‘’—…·")
    return good / max(1, len(sample))


def decode_report(data: bytes, name: str = "<bytes>") -> tuple[str, str]:
    """Decode a report's bytes; return ``(text, encoding)``.

    UTF-8 (with or without BOM), UTF-16 (with BOM, or without one when the text it decodes to is
    plausibly Chinese) and GB18030 (which includes GBK and GB2312) are recognised.

    Raises
    ------
    AmrbookError
        If the bytes are none of these, or decode to something that is not text.
    """
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return _checked(data.decode(encoding), encoding, name)
    try:
        return _checked(data.decode("utf-8"), "utf-8", name)
    except UnicodeDecodeError as exc:
        failure = exc
    candidates = []
    for encoding in ("utf-16-le", "utf-16-be", "gb18030"):
        if encoding.startswith("utf-16") and len(data) % 2:
            continue
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        candidates.append((_plausible(text), encoding, text))
    if candidates:
        score, encoding, text = max(candidates)
        if score >= 0.9:
            return _checked(text, encoding, name)
    raise AmrbookError(f"{name}: byte {failure.start}: neither UTF-8, GB18030/GBK nor UTF-16 text; "
                       "save the report as UTF-8 text")


def _checked(text: str, encoding: str, name: str) -> tuple[str, str]:
    controls = sum(1 for ch in text[:20000] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > max(2, len(text[:20000]) // 100):
        raise AmrbookError(f"{name}: decodes as {encoding} but is not text ({controls} control characters)")
    return text, encoding


def read_report(path: Path) -> tuple[str, str]:
    """Read and decode a report file; return ``(text, encoding)``.

    Raises
    ------
    AmrbookError
        If the file is missing, empty or not text in a recognised encoding.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise AmrbookError(f"{path}: no such file") from None
    if not data.strip():
        raise AmrbookError(f"{path}: the file is empty")
    return decode_report(data, str(path))
