"""The immutable source texts in ``data/raw/`` and the sentences figures come from.

Offsets everywhere in the workbook are character offsets into the text *decoded* with the
encoding ``sources.yml`` gives, never byte offsets.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from .. import paths
from ..errors import AmrbookError, DataError, Problem

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml is ~10x faster when present
_SENTENCE_END = re.compile(r"[。；;！!？?\n]")


@dataclass(frozen=True)
class Source:
    """One raw report as described in ``data/raw/sources.yml``."""

    file: Path
    year: int
    publisher: str
    title: str
    encoding: str
    sha256: str


def read_yaml(path: Path):
    """Read a YAML file, naming the file and line of a syntax error.

    Parameters
    ----------
    path : Path

    Returns
    -------
    object
        The parsed document.

    Raises
    ------
    DataError
        If the file is missing, not UTF-8 or not valid YAML.
    """
    try:
        return yaml.load(path.read_text(encoding="utf-8-sig"), Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
    except FileNotFoundError:
        raise DataError([Problem(path, "", "file not found")]) from None
    except UnicodeDecodeError as exc:
        raise DataError([Problem(path, f"byte {exc.start}", "not UTF-8 text; save it as UTF-8")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        cause = getattr(exc, "problem", None) or str(exc)
        raise DataError([Problem(path, where, f"YAML syntax error: {cause}")]) from None


def sources() -> list[Source]:
    """Return every source listed in ``data/raw/sources.yml``.

    Returns
    -------
    list of Source
    """
    path = paths.raw_dir() / "sources.yml"
    doc = read_yaml(path) or {}
    out = []
    for i, entry in enumerate(doc.get("sources", []), start=1):
        missing = [k for k in ("file", "year", "publisher", "title", "encoding", "sha256") if k not in entry]
        if missing:
            raise DataError([Problem(path, f"source {i}", f"missing {', '.join(missing)}")])
        out.append(Source(paths.raw_dir() / entry["file"], int(entry["year"]), entry["publisher"],
                          entry["title"], entry["encoding"], entry["sha256"]))
    return out


def source_for(year: int) -> Source:
    """Return the source of one report year.

    Raises
    ------
    AmrbookError
        If ``sources.yml`` lists no report for ``year``.
    """
    for src in sources():
        if src.year == year:
            return src
    raise AmrbookError(f"{paths.raw_dir() / 'sources.yml'}: no source listed for year {year}")


def raw_text(year: int) -> str:
    """Return the decoded text of a year's report, after checking its sha256.

    Parameters
    ----------
    year : int

    Returns
    -------
    str

    Raises
    ------
    DataError
        If the file is missing, its bytes differ from the recorded sha256, or it does not
        decode with the recorded encoding.
    """
    src = source_for(year)
    return _decoded(src.file, src.encoding, src.sha256)


@lru_cache(maxsize=8)
def _decoded(file: Path, encoding: str, sha256: str) -> str:
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise DataError([Problem(file, "", "raw source file not found")]) from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise DataError([Problem(file, "", f"sha256 is {digest}, sources.yml records {sha256}: "
                                 "raw files must stay byte-identical to what was received")])
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DataError([Problem(file, f"byte {exc.start}", f"does not decode as {encoding}")]) from None


def sentence_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Return the span of the sentence (up to 。；！？ or a line end) around ``text[start:end]``.

    Parameters
    ----------
    text : str
    start, end : int
        A span inside ``text``.

    Returns
    -------
    tuple of int
        ``(sentence_start, sentence_end)``, the end including the closing punctuation.
    """
    left = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    right_match = _SENTENCE_END.search(text, end)
    right = right_match.end() if right_match else len(text)
    if text[right - 1:right] == "\n":
        right -= 1
    return left, right


def sentence_at(text: str, start: int, end: int) -> str:
    """Return the sentence of ``text`` that contains the span ``start:end``.

    Examples
    --------
    >>> sentence_at("甲。共检查5家。乙", 5, 7)
    '共检查5家。'
    """
    left, right = sentence_span(text, start, end)
    return text[left:right]
