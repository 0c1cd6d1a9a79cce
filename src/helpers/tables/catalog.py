"""What a figure is, beyond its words: the rules of ``data/matching.yml``.

* counter words with the same meaning (件 and 宗, 户 and 家): :func:`same_counter`;
* the body that reports a figure (局, 消委会, 12315中心, 全系统): :func:`body_of`;
* the counting basis (列入 is not 移出; a 其中 subset is not its total): :func:`basis_conflict`;
* the topic of a proposed catalog entry: :func:`topic_of`;
* the words in which a numeral and its counter are a name, not a quantity (三类医疗器械, 一本账):
  :func:`named`.

The rules are data; this module only reads and applies them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import cast

from .. import paths
from ..datafile import TEXT, TEXTS, a_mapping, parsed_once, read_yaml, yaml_where
from ..errors import DataError, Problem, listing

#: The body of a figure whose sentence names none, and of a catalog entry without ``body:``.
BUREAU = "局"


@dataclass(frozen=True)
class Matching:
    """The rules of ``data/matching.yml``."""

    counters: tuple[frozenset[str], ...]
    bodies: dict[str, tuple[str, ...]]
    basis: tuple[tuple[str, ...], ...]
    subset: tuple[str, ...]
    topics: dict[str, tuple[str, ...]]
    fallback_topic: str
    names: tuple[str, ...] = ()


@parsed_once(paths.matching_file)
def matching() -> Matching:
    """Read and check ``data/matching.yml`` (parsed once per version of the file).

    Raises
    ------
    DataError
        Naming the line and cause of each section that is not of its kind, a counter word in two
        groups, or a ``fallback_topic`` that is not a topic.
    """
    path = paths.matching_file()
    doc = a_mapping(path, read_yaml(path), "of sections")
    problems = []

    def lists(key: str) -> list[list[str]]:
        value = doc.get(key) or []
        if not isinstance(value, list) or not all(TEXTS.accepts(group) for group in value):
            problems.append(
                Problem(path, yaml_where(doc, key, key), f"{key} must be a list of lists of words")
            )
            return []
        return value

    def words(key: str, allow_empty: bool = False) -> dict[str, tuple[str, ...]]:
        value = doc.get(key) or {}
        ok = isinstance(value, dict) and all(
            TEXT.accepts(k) and (TEXTS.accepts(v) or (allow_empty and v in (None, [])))
            for k, v in value.items()
        )
        if not ok:
            problems.append(
                Problem(
                    path, yaml_where(doc, key, key), f"{key} must map each name to a list of words"
                )
            )
            return {}
        return {k: tuple(v or ()) for k, v in value.items()}

    counters = lists("counters")
    seen: dict[str, int] = {}
    for i, group in enumerate(counters):
        for word in group:
            if word in seen:
                problems.append(
                    Problem(
                        path,
                        yaml_where(doc["counters"], i, "counters"),
                        f"counter {word!r} is in two groups (#{seen[word] + 1} and #{i + 1})",
                    )
                )
            seen[word] = i
    bodies, topics = words("bodies", allow_empty=True), words("topics")
    bodies.setdefault(BUREAU, ())
    names = doc.get("names") or []
    if not TEXTS.accepts(names) and names != []:
        problems.append(
            Problem(path, yaml_where(doc, "names", "names"), "names must be a list of words")
        )
    subset = doc.get("subset") or []
    if not TEXTS.accepts(subset) and subset != []:
        problems.append(
            Problem(path, yaml_where(doc, "subset", "subset"), "subset must be a list of words")
        )
    fallback = doc.get("fallback_topic")
    if fallback not in topics:
        problems.append(
            Problem(
                path,
                yaml_where(doc, "fallback_topic", "fallback_topic"),
                f"fallback_topic {fallback!r} is not one of the topics ({listing(topics)})",
            )
        )
    if problems:
        raise DataError(problems)
    return Matching(
        tuple(frozenset(g) for g in counters),
        bodies,
        tuple(tuple(g) for g in lists("basis")),
        tuple(subset),
        topics,
        cast(str, fallback),  # one of the topics: checked above
        tuple(names),
    )


def same_counter(written: str, unit: str, rules: Matching | None = None) -> bool:
    """Whether a figure written with the counter ``written`` can be recorded in ``unit``
    (the same word, or words of one group of ``counters``: ``same_counter("件", "宗")``), by ``rules``
    (:func:`matching`, looked up when not given: a caller's loop passes it once)."""
    counters = (rules or matching()).counters
    return written == unit or any(written in g and unit in g for g in counters)


def body_of(sentence: str) -> str:
    """The body reporting a figure: the body whose word stands last in ``sentence`` (the sentence
    before the figure), else the bureau (:data:`BUREAU`)."""
    best, at = BUREAU, -1
    for body, words in matching().bodies.items():
        for word in words:
            found = sentence.rfind(word)
            if found > at:
                best, at = body, found
    return best


def basis_words(clause: str) -> set[str]:
    """The counting-basis and subset words of a clause."""
    rules = matching()
    return {w for group in rules.basis for w in group if w in clause} | {
        w for w in rules.subset if w in clause
    }


def is_total(text: str, end: int) -> bool:
    """Whether the figure ending at ``end`` is the total of a subset that follows it
    (``主体10359家,其中…``, ``案件439宗(其中…``)."""
    after = text[end : end + 8].lstrip("，,;；:：（(、 ")
    return any(after.startswith(w) for w in matching().subset)


def basis_conflict(
    figure: str, other: str, other_is_total: bool = False, rules: Matching | None = None
) -> str | None:
    """Why the figure worded ``figure`` (its clause) and the wording ``other`` count different
    things, or None. ``other_is_total``: the other figure is followed by a subset of itself.

    Examples (with the rules of ``data/matching.yml``): ``列入经营异常名录`` against
    ``移出经营异常名录`` -> ``'列入 is not 移出'``; ``查办案件`` against ``其中简易程序案件`` ->
    ``'a total is not its 其中 (a subset)'``; ``其中餐饮单位`` against ``食品生产经营主体`` that
    was followed by 其中 -> ``'其中 (a subset) is not its total'``. ``rules``: :func:`matching`, looked up
    when not given.
    """
    rules = rules or matching()
    for group in rules.basis:
        mine = [w for w in group if w in figure]
        theirs = [w for w in group if w in other]
        if mine and theirs and not set(mine) & set(theirs):
            return f"{mine[0]} is not {theirs[0]}"
    mine_subset, their_subset = (any(w in text for w in rules.subset) for text in (figure, other))
    word = rules.subset[0] if rules.subset else ""
    if their_subset and not mine_subset:
        return f"a total is not its {word} (a subset)"
    if mine_subset and not their_subset and other_is_total:
        return f"{word} (a subset) is not its total"
    return None


def topic_of(words: str, heading: str) -> str:
    """The topic of a proposed entry: most keywords in ``words`` (clause and sentence), else in
    ``heading``; ties to the topic listed first; else the fallback topic."""
    rules = matching()
    for text in (words, heading):
        counts = {topic: sum(text.count(k) for k in keys) for topic, keys in rules.topics.items()}
        best = max(counts.values(), default=0)
        if best:
            return next(t for t, n in counts.items() if n == best)
    return rules.fallback_topic


def named(text: str, spans: list[tuple[int, int]]) -> list[str | None]:
    """For each span of ``text`` (figures, in order of their start), the word of ``names`` it lies
    inside (``三类`` in ``办理三类医疗器械经营许可证``: ``三类医疗器械``), or None.

    A span only touching a name is not inside it (``十一批`` holds ``一批`` but is read). One pass over
    the text: every occurrence of a name, overlapping ones too, then one sweep with the spans.
    """
    words = sorted(matching().names, key=len, reverse=True)
    if not words:
        return [None] * len(spans)
    found = re.compile(f"(?=({'|'.join(map(re.escape, words))}))").finditer(text)
    occurrence = next(found, None)
    reach, word, out = -1, None, []
    for start, end in spans:
        while occurrence is not None and occurrence.start() <= start:
            if occurrence.end(1) > reach:
                reach, word = occurrence.end(1), occurrence.group(1)
            occurrence = next(found, None)
        out.append(word if reach >= end else None)
    return out
