"""The immutable source texts in ``data/raw/`` and the sentences figures come from.

Offsets everywhere in the workbook are character offsets into the text *decoded* with the
encoding ``sources.yml`` gives, never byte offsets.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import cast

from .. import paths
from ..datafile import (
    LINE,
    MAX_REPORT_BYTES,
    TEXT,
    WHOLE,
    choice_problems,
    entry_problems,
    file_name_problem,
    parsed_once,
    read_limited,
    read_yaml,
    yaml_section,
    yaml_where,
)
from ..errors import AmrbookError, DataError, Problem, listing
from .encoding import decode_as
from .period import year_problem

SENTENCE_END = re.compile(r"[。；;！!？?\n]")


#: What a bureau is: a county (县), district (区), city (市) or province (省) bureau.
LEVELS = ("县", "区", "市", "省")


@dataclass(frozen=True)
class Bureau:
    """One bureau of ``bureaus`` in ``data/raw/sources.yml``: its slug, full name and level."""

    slug: str
    name: str
    level: str


@dataclass(frozen=True)
class Source:
    """One raw report as described in ``data/raw/sources.yml`` (``file`` is under ``raw/<bureau>/``)."""

    bureau: str
    file: Path
    year: int
    publisher: str
    title: str
    encoding: str
    sha256: str
    kind: str = ""  # the report's own type (`type:`, recorded by `amrbook add`), e.g. 工作总结


SOURCE_FIELDS = {
    "bureau": LINE,
    "file": TEXT,
    "year": WHOLE,
    "publisher": LINE,
    "title": LINE,
    "encoding": LINE,
    "sha256": LINE,
}
BUREAU_FIELDS = {"name": LINE, "level": LINE}
SLUG_PATTERN = r"[a-z][a-z0-9_-]*"


@dataclass(frozen=True)
class Sources:
    """Everything ``data/raw/sources.yml`` declares: the bureaus, the default one, and every raw report."""

    bureaus: dict[str, Bureau]
    default_bureau: str
    reports: tuple[Source, ...]


@parsed_once(paths.sources_file)
def load_sources() -> Sources:
    """Read and check ``data/raw/sources.yml`` (parsed once per version of the file).

    Raises
    ------
    DataError
        Naming the line and cause of every bureau or source entry that lacks a field, has a field
        of the wrong kind, a slug that is not lowercase ASCII, a level other than 县/区/市/省, an
        unknown bureau, an encoding that is not a text encoding, a sha256 that is not 64 hex
        digits or a file outside ``data/raw/<bureau>/``, of a second entry for one report (both
        lines named), and of a ``default_bureau`` that is not a bureau.
    """
    path = paths.sources_file()
    doc = read_yaml(path)
    declared = yaml_section(path, doc, "bureaus", dict)
    entries = yaml_section(path, doc, "sources")
    problems, bureaus, out = [], {}, []
    first: dict = {}
    for slug in declared:
        label = f"bureau {slug}"
        found = entry_problems(path, declared, slug, label, BUREAU_FIELDS)
        bad_slug = slug_problem(slug)
        if bad_slug:
            found.append(Problem(path, yaml_where(declared, slug, label), bad_slug))
        elif not found and declared[slug]["level"] not in LEVELS:
            found.append(
                Problem(
                    path,
                    yaml_where(declared[slug], "level", label),
                    f"level must be one of {'、'.join(LEVELS)}, not {declared[slug]['level']!r}",
                )
            )
        problems += found
        if not found:
            bureaus[slug] = Bureau(slug, declared[slug]["name"], declared[slug]["level"])
    default = doc.get("default_bureau") if isinstance(doc, dict) else None
    if (
        not isinstance(default, str) or default not in declared
    ):  # a bureau declared with a wrong field is named there
        problems.append(
            Problem(
                path,
                yaml_where(doc, "default_bureau", "default_bureau"),
                f"default_bureau must name a bureau of `bureaus` ({listing(declared)}), "
                f"not {default!r}",
            )
        )
    for i, entry in enumerate(entries):
        label = f"source {i + 1}"
        found = entry_problems(path, entries, i, label, SOURCE_FIELDS) or _source_problems(
            path, entry, label, declared
        )
        problems += found
        if found:
            continue
        source = Source(
            entry["bureau"],
            paths.bureau_raw_dir(entry["bureau"]) / entry["file"],
            entry["year"],
            entry["publisher"],
            entry["title"],
            entry["encoding"],
            entry["sha256"],
            entry.get("type") if TEXT.accepts(entry.get("type")) else "",
        )
        key, where = report_key(source), yaml_where(entries, i, label)
        if (
            key in first
        ):  # the first used to win silently, and its spans then failed against the other text
            problems.append(
                Problem(
                    path,
                    where,
                    f"a second entry for the report of {key[0]} {key[1]} (the first "
                    f"is at {first[key]}); list each report once",
                )
            )
            continue
        first[key] = where
        out.append(source)
    if problems:
        raise DataError(problems)
    return Sources(bureaus, cast(str, default), tuple(out))  # a declared bureau: checked above


def slug_problem(slug) -> str | None:
    """Why ``slug`` cannot be a bureau's slug, or None: it names the bureau's folders
    (``raw/<slug>/``, ``indicators/<slug>/``, ``outputs/<slug>/``), so it is a file name too."""
    if not isinstance(slug, str) or not re.fullmatch(SLUG_PATTERN, slug):
        return "a bureau slug is lowercase ASCII (letters, digits, - and _), e.g. conghua"
    bad = file_name_problem(slug)
    return f"a bureau slug names its folders: {bad}" if bad else None


def _source_problems(path: Path, entry: dict, label: str, bureaus) -> list[Problem]:
    problems = choice_problems(
        path, entry, "bureau", label, bureaus, f"in `bureaus` ({listing(bureaus)})"
    )
    bad_name = file_name_problem(entry["file"])
    if bad_name:
        problems.append(
            Problem(
                path,
                yaml_where(entry, "file", label),
                f"file must be a file name in {path.parent.name}/{entry['bureau']}/, "
                f"not {entry['file']!r}: {bad_name}",
            )
        )
    try:
        codecs.lookup(entry["encoding"])
    except LookupError:
        problems.append(
            Problem(
                path,
                yaml_where(entry, "encoding", label),
                f"unknown encoding {entry['encoding']!r} (e.g. utf-8, gb18030, utf-16)",
            )
        )
    else:
        if not text_encoding(entry["encoding"]):
            problems.append(
                Problem(
                    path,
                    yaml_where(entry, "encoding", label),
                    f"encoding {entry['encoding']!r} is not a text encoding: it does not decode "
                    "bytes to text (e.g. utf-8, gb18030, utf-16)",
                )
            )
    bad_year = year_problem(entry["year"])
    if bad_year:
        problems.append(Problem(path, yaml_where(entry, "year", label), f"year: {bad_year}"))
    if not re.fullmatch(r"[0-9a-f]{64}", entry["sha256"]):
        problems.append(
            Problem(
                path, yaml_where(entry, "sha256", label), "sha256 must be 64 lowercase hex digits"
            )
        )
    return problems


def text_encoding(name: str) -> bool:
    """Whether ``name`` is a text encoding: one that decodes bytes to text (``codecs.lookup`` also
    knows ``base64``, ``rot13``, ``hex_codec`` and ``undefined``, which do not)."""
    try:
        return codecs.lookup(name)._is_text_encoding and isinstance(codecs.decode(b"", name), str)
    except Exception:
        return False


def report_key(source: Source) -> tuple[str, int]:
    """What identifies a report among the entries of ``sources.yml``: its bureau and year."""
    return source.bureau, source.year


def sources() -> list[Source]:
    """Return every raw report listed in ``data/raw/sources.yml`` (see :func:`load_sources`)."""
    return list(load_sources().reports)


def bureau(slug: str | None = None) -> Bureau:
    """Return a bureau of ``sources.yml`` by its slug (``default_bureau`` when None).

    Raises
    ------
    AmrbookError
        For an unknown slug, listing the known ones.
    """
    declared = load_sources()
    slug = declared.default_bureau if slug is None else slug
    if slug not in declared.bureaus:
        known = listing(f"{b.slug} ({b.name})" for b in declared.bureaus.values())
        raise AmrbookError(f"unknown bureau {slug!r}: {paths.sources_file()} declares {known}")
    return declared.bureaus[slug]


def source_for(bureau_slug: str, year: int) -> Source:
    """Return the source of one report (bureau and year).

    Raises
    ------
    AmrbookError
        If the bureau is unknown or ``sources.yml`` lists no report of it for ``year``.
    """
    slug = bureau(bureau_slug).slug
    listed = [src for src in load_sources().reports if src.bureau == slug]
    for src in listed:
        if src.year == year:
            return src
    years = ", ".join(str(src.year) for src in sorted(listed, key=lambda src: src.year))
    raise AmrbookError(
        f"{paths.sources_file()}: no source listed for bureau {slug} and year {year} "
        f"(it lists {years or 'no year'} for {slug}; `amrbook add` records a new report)"
    )


def raw_text(bureau_slug: str, year: int) -> str:
    """Return the decoded text of one report, after checking its sha256.

    Parameters
    ----------
    bureau_slug : str
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
    src = source_for(bureau_slug, year)
    return _decoded(src.file, src.encoding, src.sha256)


@lru_cache(maxsize=8)
def _decoded(file: Path, encoding: str, sha256: str) -> str:
    try:
        data = read_limited(file, MAX_REPORT_BYTES, "MAX_REPORT_BYTES", "a report")
    except FileNotFoundError:
        raise DataError([Problem(file, "", "raw source file not found")]) from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise DataError(
            [
                Problem(
                    file,
                    "",
                    f"sha256 is {digest}, sources.yml records {sha256}: "
                    "raw files must stay byte-identical to what was received",
                )
            ]
        )
    return decode_as(data, encoding, file)


class Sentences:
    """The sentences of one text (up to 。；！？ or a line end), found in one pass; the sentence
    around a span by bisection, so looking up every figure of a report is linear, not quadratic."""

    def __init__(self, text: str):
        self.text = text
        self.ends = [m.end() for m in SENTENCE_END.finditer(text)]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """``(sentence_start, sentence_end)`` around ``text[start:end]`` (see :func:`sentence_span`)."""
        i = bisect_right(self.ends, start)
        left = self.ends[i - 1] if i else 0
        j = bisect_right(self.ends, end)
        right = self.ends[j] if j < len(self.ends) else len(self.text)
        if self.text[right - 1 : right] == "\n":
            right -= 1
        return left, right


def sentence_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Return the span of the sentence (up to 。；！？ or a line end) around ``text[start:end]``.

    For many spans of one text, make one :class:`Sentences` and ask it.

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
    return Sentences(text).span(start, end)


def sentence_at(text: str, start: int, end: int) -> str:
    """Return the sentence of ``text`` that contains the span ``start:end``.

    Examples
    --------
    >>> sentence_at("甲。共检查5家。乙", 5, 7)
    '共检查5家。'
    """
    left, right = sentence_span(text, start, end)
    return text[left:right]
