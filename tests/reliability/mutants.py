"""Structural mutations of the workbook's input files, for ``test_mutations.py``.

A :class:`Mutation` is an operator, a place and a value, independent of the file it is applied
to: places are resolved against the parsed seed when applied (an integer picks a child modulo
the number of children, a string picks a mapping key), so a mutation drawn by hypothesis or
written in an ``@example`` stays meaningful when the data grow or shrink.

Operators, by what they see of the file:

* bytes (every file): ``empty``, ``truncate`` (keep the first bytes), ``nul`` (insert a NUL),
  ``latin1`` (insert a latin-1 byte, not UTF-8), ``bad_utf8`` (insert a byte that starts no
  UTF-8 character or a cut multi-byte sequence), ``utf16le``/``utf16be`` (the whole file in UTF-16
  without a BOM), ``bom`` (a UTF-8 BOM in front);
* lines (every text file): ``drop_line``, ``dup_line``, ``header_only`` (the first line alone),
  ``long_line`` (a line of 100,000 characters inserted);
* a tree (YAML, JSON: catalog, metrics, checks, charts, narrative, sources, notebooks,
  manifest): ``drop`` (an entry or field), ``dup`` (a list item twice; a mapping key's line
  twice, i.e. a repeated key), ``retype`` (text, number, list, mapping, null, boolean in place of
  what is there), ``nonfinite`` (nan, inf, -inf, 1e999), ``huge`` (long text, a 400-digit
  number, an entry repeated ``many`` times with unique ids), ``deep`` (nesting);
* a table (CSV): ``drop_row``, ``dup_row``, ``drop_column``, ``cell`` (a cell replaced: retyped,
  non-finite or huge), ``many_rows`` (a row repeated with unique ids).
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from typing import Any

import yaml

# What ``retype``, ``nonfinite`` and ``huge`` put in place. Non-finite tokens are written as the
# file's syntax spells them (YAML .nan/.inf, JSON NaN/Infinity), 1e999 as a literal that
# overflows a float.
RETYPED: tuple = ("text", 7, 7.5, -3, 0, [1, "a"], {"k": "v"}, None, True, "")
NONFINITE: tuple = ("nan", "inf", "-inf", "1e999")
HUGE: tuple = ("long_text", "digits400", "many")
LONG_TEXT = "长" * 50_000 + "x" * 50_000           # 100,000 characters, 200 KB in UTF-8
DIGITS_400 = "9" * 400
MANY = 2_000                                        # entries or rows for "many"

BYTE_OPS = ("empty", "truncate", "nul", "latin1", "bad_utf8", "utf16le", "utf16be", "bom")
LINE_OPS = ("drop_line", "dup_line", "header_only", "long_line")
TREE_OPS = ("drop", "dup", "retype", "nonfinite", "huge", "deep")
TABLE_OPS = ("drop_row", "dup_row", "drop_column", "cell", "many_rows")


@dataclass(frozen=True)
class Mutation:
    """One structural change: ``op`` at ``at`` (a path, a line, a byte or a (row, column)), with ``value``."""

    op: str
    at: tuple = ()
    value: Any = None

    def apply(self, seed: bytes, syntax: str) -> bytes:
        """Return ``seed`` changed; ``syntax`` is ``yaml``, ``json``, ``csv`` or ``text``."""
        if self.op in BYTE_OPS:
            return _bytes(self, seed)
        if self.op in LINE_OPS:
            return _lines(self, seed)
        if self.op in TREE_OPS:
            return _tree(self, seed, syntax)
        if self.op in TABLE_OPS:
            return _table(self, seed)
        raise ValueError(f"unknown mutation {self.op!r}")


def _pick(index, count: int) -> int:
    return int(index) % count if count else 0


# --- bytes and lines ---------------------------------------------------------------------

def _bytes(m: Mutation, seed: bytes) -> bytes:
    pos = _pick(m.at[0] if m.at else 0, len(seed) + 1)
    if m.op == "empty":
        return b""
    if m.op == "truncate":
        return seed[:pos]
    if m.op == "nul":
        return seed[:pos] + b"\x00" + seed[pos:]
    if m.op == "latin1":
        return seed[:pos] + "é".encode("latin-1") + seed[pos:]
    if m.op == "bad_utf8":
        return seed[:pos] + (b"\xff" if m.value is None else bytes(m.value)) + seed[pos:]
    if m.op == "bom":
        return b"\xef\xbb\xbf" + seed
    text = seed.decode("utf-8", errors="replace")
    return text.encode("utf-16-le" if m.op == "utf16le" else "utf-16-be")


def _lines(m: Mutation, seed: bytes) -> bytes:
    lines = seed.splitlines(keepends=True)
    if not lines:
        return seed
    i = _pick(m.at[0] if m.at else 0, len(lines))
    if m.op == "drop_line":
        del lines[i]
    elif m.op == "dup_line":
        lines.insert(i, lines[i] if lines[i].endswith(b"\n") else lines[i] + b"\n")
    elif m.op == "header_only":
        lines = lines[:1]
    elif m.op == "long_line":
        lines.insert(i, LONG_TEXT.encode("utf-8") + b"\n")
    return b"".join(lines)


# --- trees (YAML, JSON) ------------------------------------------------------------------

class _Raw(str):
    """A token written into the file as it is (``.nan``, ``1e999``), not as a quoted string."""


def _children(node) -> list:
    if isinstance(node, dict):
        return list(node)
    if isinstance(node, list):
        return list(range(len(node)))
    return []


def resolve(tree, at: tuple) -> list:
    """The concrete path ``at`` names in ``tree``: keys and indices, stopping at a leaf."""
    path, node = [], tree
    for step in at:
        keys = _children(node)
        if not keys:
            break
        key = step if isinstance(step, str) and isinstance(node, dict) and step in node else keys[_pick(
            step if isinstance(step, int) else 0, len(keys))]
        path.append(key)
        node = node[key]
    return path


def _replacement(m: Mutation, node):
    if m.op == "retype":
        return m.value
    if m.op == "nonfinite":
        return _Raw(m.value)
    if m.op == "deep":
        depth = int(m.value or 30)
        value: Any = "底"
        for level in range(depth):
            value = [value] if level % 2 else {"k": value}
        return value
    if m.value == "long_text":
        return LONG_TEXT
    if m.value == "digits400":
        return _Raw(DIGITS_400)
    raise AssertionError(m)


def _unique_copies(entry, count: int) -> list:
    """``count`` copies of a list entry; every ``id`` made unique, so each copy is a new entry."""
    copies = []
    for n in range(count):
        copy = json.loads(json.dumps(entry))
        if isinstance(copy, dict) and isinstance(copy.get("id"), str):
            copy["id"] = f"{copy['id']}_{n}"
        copies.append(copy)
    return copies


def _tree(m: Mutation, seed: bytes, syntax: str) -> bytes:
    tree = yaml.load(seed, Loader=yaml.CSafeLoader) if syntax == "yaml" else json.loads(seed)   # libyaml: a tenth of the CPU
    path = resolve(tree, m.at)
    if not path:  # the document itself
        if m.op in ("drop", "dup"):  # nothing, or the document twice (a second document)
            return b"" if m.op == "drop" else seed + (b"---\n" if syntax == "yaml" else b"") + seed
        tree = _replacement(m, tree) if m.op != "huge" or m.value != "many" else [tree] * 3
        return _dump(tree, syntax)
    parent = tree
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    if m.op == "drop":
        del parent[key]
    elif m.op == "dup" and isinstance(parent, list):
        parent.insert(key, json.loads(json.dumps(parent[key])))
    elif m.op == "dup":  # a repeated key: written out, since no mapping can hold one
        return _repeat_key(tree, path, syntax)
    elif m.op == "huge" and m.value == "many":
        if isinstance(parent, list):
            parent[key:key + 1] = _unique_copies(parent[key], MANY)
        else:
            for n in range(MANY):
                parent[f"{key}_{n}"] = json.loads(json.dumps(parent[key]))
    else:
        parent[key] = _replacement(m, parent[key])
    return _dump(tree, syntax)


_MARK = "@@RAW@@"


def _dump(tree, syntax: str) -> bytes:
    raws: list[str] = []

    def mark(node):
        if isinstance(node, _Raw):
            raws.append(str(node))
            return f"{_MARK}{len(raws) - 1}{_MARK}"
        if isinstance(node, dict):
            return {k: mark(v) for k, v in node.items()}
        if isinstance(node, list):
            return [mark(v) for v in node]
        return node

    marked = mark(tree)
    if syntax == "yaml":
        text = yaml.dump(marked, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False, width=10**9)
        quoted = r"'?" + re.escape(_MARK) + r"(\d+)" + re.escape(_MARK) + r"'?"
        text = re.sub(quoted, lambda g: {"nan": ".nan", "inf": ".inf", "-inf": "-.inf"}.get(
            raws[int(g.group(1))], raws[int(g.group(1))]), text)
    else:
        text = json.dumps(marked, ensure_ascii=False, indent=1)
        quoted = '"' + re.escape(_MARK) + r"(\d+)" + re.escape(_MARK) + '"'
        text = re.sub(quoted, lambda g: {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}.get(
            raws[int(g.group(1))], raws[int(g.group(1))]), text)
    return text.encode("utf-8")


def _repeat_key(tree, path: list, syntax: str) -> bytes:
    """The file with the mapping entry at ``path`` written twice (a duplicate key)."""
    marker = "__amrbook_duplicate__"
    parent = tree
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    items = list(parent.items())
    index = [k for k, _ in items].index(key)
    items.insert(index + 1, (marker, parent[key]))
    parent.clear()
    parent.update(items)
    text = _dump(tree, syntax).decode("utf-8")
    spelled = json.dumps(key, ensure_ascii=False) if syntax == "json" else (
        yaml.safe_dump({key: 0}, allow_unicode=True).split(":")[0])
    quoted = f'"{marker}"' if syntax == "json" else marker
    return text.replace(quoted, spelled, 1).encode("utf-8")


# --- tables (CSV) ------------------------------------------------------------------------

def _table(m: Mutation, seed: bytes) -> bytes:
    rows = list(csv.reader(io.StringIO(seed.decode("utf-8-sig"), newline="")))
    header, body = rows[0], rows[1:]
    r = _pick(m.at[0] if m.at else 0, len(body))
    c = _pick(m.at[1] if len(m.at) > 1 else 0, len(header))
    if m.op == "drop_row" and body:
        del body[r]
    elif m.op == "dup_row" and body:
        body.insert(r, list(body[r]))
    elif m.op == "drop_column":
        header = header[:c] + header[c + 1:]
        body = [row[:c] + row[c + 1:] for row in body]
    elif m.op == "cell" and body:
        body[r][c] = cell_text(m.value)
    elif m.op == "many_rows" and body:
        ident = header.index("id") if "id" in header else c
        copies = [list(body[r]) for _ in range(MANY)]
        for n, row in enumerate(copies):
            row[ident] = f"{row[ident]}_{n}"
        body[r:r + 1] = copies
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *body])
    return out.getvalue().encode("utf-8")


def cell_text(value) -> str:
    """How a retyped, non-finite or huge value is written into a CSV cell."""
    if value == "long_text":
        return LONG_TEXT
    if value == "digits400":
        return DIGITS_400
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)
