"""Reading a report's bytes as text: the one place that knows encodings.

:func:`read_report` detects the encoding of a new report (``amrbook extract``, ``amrbook draft``);
:func:`decode_as` decodes a curated raw report with the encoding ``sources.yml`` records. Both
name the file and byte of any problem.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from ..datafile import MAX_REPORT_BYTES, read_limited
from ..errors import AmrbookError, DataError, Problem

#: Byte-order marks, the codec that reads what follows one, and the encoding reported. UTF-32
#: first: its little-endian mark FF FE 00 00 begins with the UTF-16 one, FF FE.
BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32-le", "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "utf-32"),
    (codecs.BOM_UTF8, "utf-8", "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16"),
]


def _plausible(text: str) -> float:
    """Share of characters that belong in a Chinese report (CJK, ASCII, CJK punctuation, full-width)."""
    sample = text[:5000]
    good = sum(
        1
        for ch in sample
        if (ch.isascii() and (ch.isprintable() or ch in "\n\r\t"))
        or "\u4e00" <= ch <= "\u9fff"
        or "\u3000" <= ch <= "\u303f"
        or "\uff00" <= ch <= "\uffef"
        or ch in "“”‘’—…·"
    )
    return good / max(1, len(sample))


#: Below this share of common characters among its first Chinese characters, a text decoded as GB18030 is taken
#: for another encoding decoded wrongly (real reports: 99.8-100 %; Shift-JIS read as GB18030: 0 %).
COMMON_SHARE = 0.8
#: Fewer Chinese characters than this say nothing either way.
COMMON_SAMPLE = 20


def _common_share(text: str) -> tuple[float, int]:
    """The share of the Chinese characters of ``text`` (its first 5000 characters) among GB2312's 3755 common ones
    (level 1, lead bytes 0xB0-0xD7), and how many Chinese characters there were."""
    han = [ch for ch in text[:5000] if "\u4e00" <= ch <= "\u9fff"]
    common = 0
    for ch in han:
        try:
            common += 0xB0 <= ch.encode("gb2312")[0] <= 0xD7
        except UnicodeEncodeError:
            continue
    return common / max(1, len(han)), len(han)


def decode_report(data: bytes, name: str = "<bytes>") -> tuple[str, str]:
    """Decode a report's bytes; return ``(text, encoding)``.

    UTF-8 (with or without BOM), UTF-16 (with BOM, or without one when the text it decodes to is
    plausibly Chinese), UTF-32 (with BOM) and GB18030 (which includes GBK and GB2312) are
    recognised.

    Raises
    ------
    AmrbookError
        If the bytes are none of these, decode to something that is not text, or start with a
        byte-order mark the rest does not follow (a truncated UTF-16 file, say).
    """
    for bom, codec, encoding in BOMS:
        if data.startswith(bom):
            try:
                return _checked(data[len(bom) :].decode(codec), encoding, name)
            except UnicodeDecodeError as exc:
                raise AmrbookError(_bom_mismatch(data, len(bom), encoding, exc, name)) from None
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
        share, han = _common_share(text)
        if encoding == "gb18030" and han >= COMMON_SAMPLE and share < COMMON_SHARE:
            raise AmrbookError(
                f"{name}: decodes as GB18030 but reads as garbled Chinese (only {share:.0%} of its first {han} "
                "Chinese characters are common ones): it may be Shift-JIS or Big5; save the report as UTF-8 text"
            )
        if score >= 0.9:
            return _checked(text, encoding, name)
    raise AmrbookError(
        f"{name}: byte {failure.start}: neither UTF-8, GB18030/GBK nor UTF-16 text; "
        "save the report as UTF-8 text"
    )


def _bom_mismatch(data: bytes, skip: int, encoding: str, exc: UnicodeDecodeError, name: str) -> str:
    """Say where and why bytes after the byte-order mark of ``encoding`` are not that encoding."""
    label = encoding.upper().removesuffix("-SIG")
    width = {"utf-16": 2, "utf-32": 4}.get(encoding)
    if width and len(data) % width:
        count = (
            "an odd number of bytes"
            if width == 2
            else f"a number of bytes that is not a multiple of {width}"
        )
        cause = f"has {count} ({len(data)}): it is truncated or not {label}"
    else:
        cause = f"is not {label} after it ({exc.reason})"
    return f"{name}: byte {skip + exc.start}: starts with a {label} byte-order mark but {cause}"


def _checked(text: str, encoding: str, name: str) -> tuple[str, str]:
    controls = sum(1 for ch in text[:20000] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > max(2, len(text[:20000]) // 100):
        raise AmrbookError(
            f"{name}: decodes as {encoding} but is not text ({controls} control characters)"
        )
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
        data = read_limited(path, MAX_REPORT_BYTES, "MAX_REPORT_BYTES", "a report")
    except FileNotFoundError:
        raise AmrbookError(f"{path}: no such file") from None
    if not data.strip():
        raise AmrbookError(f"{path}: the file is empty")
    return decode_report(data, str(path))


def decode_as(data: bytes, encoding: str, file: Path) -> str:
    """Decode a raw report with the encoding its ``sources.yml`` entry records.

    Raises
    ------
    DataError
        Naming the file and the first byte that is not ``encoding``.
    """
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DataError(
            [Problem(file, f"byte {exc.start}", f"does not decode as {encoding}")]
        ) from None
