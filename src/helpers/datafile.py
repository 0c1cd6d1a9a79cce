"""Reading the workbook's YAML data files: bounded, safe, and with the line of every entry.

Every YAML file under ``data/`` (catalog, metrics, checks, charts, narrative, sources) is read by
:func:`read_yaml` and checked with the small validators here, so each stage reports a wrong entry
the same way: file, line, and cause. Data files have no use for anchors, aliases, tags or more than
one document, so those are refused (an alias bomb cannot expand), as are files over
:data:`MAX_YAML_BYTES` and nesting deeper than :data:`MAX_YAML_DEPTH`.

Every file a user gives (a report, a table, a YAML file, a notebook) is read by
:func:`read_limited`: only a regular file (never a FIFO, a device such as ``/dev/zero``, a
folder or a socket) and only up to its kind's limit, named in the message when exceeded.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import stat
import sys
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, wraps
from pathlib import Path

import yaml

from . import paths
from .errors import AmrbookError, DataError, Problem

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml is ~10x faster when present
#: Largest YAML data file read (the largest today, catalog.yml, is about 27 KB).
MAX_YAML_BYTES = 2_000_000
#: Deepest nesting of mappings and lists (checks.yml, the deepest today, has 5 levels).
MAX_YAML_DEPTH = 10
#: Largest report read: a report is about 100 KB; 64 MB leaves room for any real one.
MAX_REPORT_BYTES = 64_000_000
#: Largest indicator table (CSV) or notebook read (the 2023 table is 12 KB, a stripped notebook ~20 KB).
MAX_TABLE_BYTES = 20_000_000
MAX_NOTEBOOK_BYTES = 20_000_000
_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_TAG + t for t in ("null", "bool", "int", "float", "str", "timestamp")}
_KEY = object()  # in the parse stack: the mapping expects a key next
#: The one problem of a YAML data file that declares nothing.
EMPTY_YAML = "the file is empty: it holds nothing but blank lines, comments or null"


class YamlMap(dict):
    """A mapping read by :func:`read_yaml`: ``line`` where it starts, ``lines[key]`` where each key is."""

    def __init__(self, line: int):
        super().__init__()
        self.line = line
        self.lines: dict[object, int] = {}


class YamlList(list):
    """A list read by :func:`read_yaml`: ``line`` where it starts, ``lines[i]`` where item ``i`` starts."""

    def __init__(self, line: int):
        super().__init__()
        self.line = line
        self.lines: list[int] = []


def read_yaml(path: Path):
    """Read a YAML data file, naming the file, line and column of any problem.

    Every YAML file of the workbook is read here. Mappings and lists come back as
    :class:`YamlMap` and :class:`YamlList`, which remember the line of each entry so that
    validators can name it. A data file is refused when it is larger than
    :data:`MAX_YAML_BYTES`, nested deeper than :data:`MAX_YAML_DEPTH`, holds more than one
    document, repeats a key, or uses anchors, aliases or tags: data files have no use for
    them, and aliases are how a few hundred bytes expand to gigabytes ("billion laughs").
    The file is read in one pass over the parser's events, so memory stays proportional
    to the data.

    Parameters
    ----------
    path : Path

    A file that declares nothing (empty, or blank lines, comments or ``null`` alone) is one
    problem of the whole file, whatever the file: no reader goes on to report every entry it
    lacks.

    Returns
    -------
    object
        The parsed document, never ``None``.

    Raises
    ------
    DataError
        If the file is missing, too large, not UTF-8, not valid YAML, uses a refused feature or
        declares nothing.
    """
    text = _yaml_text(path)
    loader = _YAML_LOADER(text)
    try:
        doc = _build(path, loader)
        if doc is None:
            raise DataError([Problem(path, "", EMPTY_YAML)])
        return doc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise DataError(
            [Problem(path, where, f"YAML syntax error: {exc.problem or exc}")]
        ) from None
    except (
        yaml.reader.ReaderError
    ) as exc:  # a control character; the parser stops at its first occurrence
        at = text.index(
            chr(exc.character)
        )  # (libyaml counts its position in bytes, not characters)
        line, column = text.count("\n", 0, at) + 1, at - (text.rfind("\n", 0, at) + 1) + 1
        cause = f"YAML syntax error: control character U+{exc.character:04X} is not allowed"
        raise DataError([Problem(path, f"line {line}, column {column}", cause)]) from None
    finally:
        loader.dispose()


def line_of(container, key=None) -> int | None:
    """Return the line of ``container[key]`` (or of the container) as read by :func:`read_yaml`.

    Returns
    -------
    int or None
        ``None`` for data that did not come from :func:`read_yaml`.
    """
    lines = getattr(container, "lines", None)
    if lines is not None and key is not None:
        if isinstance(lines, dict) and key in lines:
            return lines[key]
        if isinstance(lines, list) and isinstance(key, int) and 0 <= key < len(lines):
            return lines[key]
    return getattr(container, "line", None)


def yaml_where(container, key=None, label: str = "") -> str:
    """Return ``"line N, label"`` for ``container[key]`` read by :func:`read_yaml` (``label`` alone if unknown)."""
    line = line_of(container, key)
    return ", ".join(filter(None, [f"line {line}" if line else "", label]))


@dataclass(frozen=True)
class Kind:
    """What a field of a YAML entry must hold: ``accepts(value)`` and its name in messages."""

    name: str
    accepts: Callable[[object], bool]


def _is_number(value) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an integer of hundreds of digits
        return False


TEXT = Kind("text", lambda v: isinstance(v, str) and v.strip() != "")


def _one_line(value) -> bool:
    # isprintable() is False for every control, format, unassigned, line and paragraph separator (and for the
    # spaces other than " ", which are allowed): only then is each character looked at
    return TEXT.accepts(value) and (
        str(value).isprintable()
        or not any(
            unicodedata.category(c)[0] == "C" or unicodedata.category(c) in ("Zl", "Zp")
            for c in str(value)
        )
    )


#: A name, label, unit or title: text on one line, with no control, format or unassigned character
#: (a line break in a label split table rows and chart titles; a zero-width character hid in one).
LINE = Kind("text on one line", _one_line)
WHOLE = Kind("a whole number", lambda v: isinstance(v, int) and not isinstance(v, bool))
NUMBER = Kind("a number", _is_number)
TEXTS = Kind("a list of text", lambda v: isinstance(v, list) and all(TEXT.accepts(x) for x in v))
MAPPING = Kind("a mapping", lambda v: isinstance(v, dict))


def shown(value) -> str:
    """Describe a YAML value for a message: ``text 'twenty'``, ``a list ['a', 'b']``, ``a list of 45 items``."""
    if value is None:
        return "empty"
    kinds = {
        str: "text",
        bool: "true/false",
        int: "the number",
        float: "the number",
        list: "a list",
        dict: "a mapping",
    }
    kind = next((name for t, name in kinds.items() if isinstance(value, t)), type(value).__name__)
    text = repr(value)
    if len(text) <= 40:
        return f"{kind} {text}"
    if isinstance(value, (list, dict)):
        return f"{kind} of {len(value)} {'items' if isinstance(value, list) else 'keys'}"
    return f"{kind} {text[:37]}..."


def entry_id(entry, index: int) -> str:
    """Return the ``id`` of a YAML list entry when it is text of at most 60 characters, else ``#n`` (its
    position), to name it in messages (a message quotes what is wrong, never a whole value of any size)."""
    ident = entry.get("id") if isinstance(entry, dict) else None
    return ident if isinstance(ident, str) and len(ident) <= 60 else f"#{index + 1}"


def entry_problems(
    path: Path,
    parent,
    key,
    label: str,
    required: dict[str, Kind],
    optional: dict[str, Kind] | None = None,
) -> list[Problem]:
    """Check ``parent[key]``, one entry of a YAML data file: a mapping, with every field of its kind.

    Parameters
    ----------
    path : Path
        The file, for messages.
    parent : dict or list
        The mapping or list holding the entry, as :func:`read_yaml` returned it.
    key : str or int
        The entry's key or index in ``parent``.
    label : str
        What the entry is, for messages (``"check food_entities_sum"``); each problem names
        the line of the entry or of the field at fault.
    required, optional : dict of str to Kind
        Fields and what they must hold; an optional field may be absent or empty.

    Returns
    -------
    list of Problem
    """
    entry = parent[key]
    if not isinstance(entry, dict):
        return [
            Problem(
                path,
                yaml_where(parent, key, label),
                f"expected a mapping of fields, not {shown(entry)}",
            )
        ]
    missing = [f for f in required if entry.get(f) in (None, "")]
    problems = (
        [Problem(path, yaml_where(parent, key, label), f"missing {', '.join(missing)}")]
        if missing
        else []
    )
    present = {
        name: kind for name, kind in {**required, **(optional or {})}.items() if name not in missing
    }
    return problems + field_problems(path, entry, label, present)


def field_problems(path: Path, entry: dict, label: str, fields: dict[str, Kind]) -> list[Problem]:
    """Return a problem, at its line, for each field of ``entry`` that is present but not of its kind."""
    return [
        Problem(
            path,
            yaml_where(entry, name, label),
            f"{name} must be {kind.name}, not {shown(entry[name])}",
        )
        for name, kind in fields.items()
        if entry.get(name) is not None and not kind.accepts(entry[name])
    ]


def choice_problems(
    path: Path, entry: dict, key: str, label: str, allowed, among: str
) -> list[Problem]:
    """Return a problem, at its line, when ``entry[key]`` is not one of ``allowed`` (``among`` names them).

    Examples
    --------
    >>> [p.cause for p in choice_problems(Path("m.yml"), {"kind": "mean"}, "kind", "", ("rate",), "one of rate")]
    ["kind 'mean' is not one of rate"]
    """
    if entry[key] in allowed:
        return []
    return [Problem(path, yaml_where(entry, key, label), f"{key} {entry[key]!r} is not {among}")]


def a_mapping(path: Path, doc, what: str) -> dict:
    """Return the document ``doc`` of a YAML data file when it is a mapping.

    Raises
    ------
    DataError
        ``expected a mapping <what>, not …``, at the document's line.
    """
    if not isinstance(doc, dict):
        raise DataError(
            [Problem(path, yaml_where(doc), f"expected a mapping {what}, not {shown(doc)}")]
        )
    return doc


#: The longest file or folder name in bytes (UTF-8) most file systems take (NAME_MAX of Linux and macOS).
MAX_NAME_BYTES = 255


def file_name_problem(name: str) -> str | None:
    """Why ``name``, taken from a data file, cannot name a file or folder in a folder of the workbook, or None.

    Every name a data file gives for a file (a raw report of ``sources.yml``) or a folder (a
    bureau's slug) is checked here, before any path is made of it, so that the problem is named at
    its line of the data file rather than by the operating system later: one name (no ``/`` or
    ``\\``, not ``.`` or ``..``), no NUL or other control character, at most
    :data:`MAX_NAME_BYTES` bytes.
    """
    if "/" in name or "\\" in name or name in (".", ".."):
        return "it is a path, not one name"
    control = next((ch for ch in name if ord(ch) < 0x20 or ord(ch) == 0x7F), None)
    if control is not None:
        return f"it holds the control character U+{ord(control):04X}"
    size = len(name.encode("utf-8", errors="surrogatepass"))
    if size > MAX_NAME_BYTES:
        return (
            f"it is {size:,} bytes long; a file name has at most {MAX_NAME_BYTES} (MAX_NAME_BYTES)"
        )
    return None


def yaml_section(path: Path, doc, key: str, kind: type = list):
    """Return ``doc[key]`` of a YAML data file (empty when absent), refusing the wrong structure.

    Raises
    ------
    DataError
        If the document is not a mapping, or ``doc[key]`` is not of ``kind`` (list or dict).
    """
    value = a_mapping(path, doc, f"with the key {key!r}").get(key)
    if value is None:
        return kind()
    if not isinstance(value, kind):
        wanted = "a list" if kind is list else "a mapping"
        raise DataError(
            [Problem(path, yaml_where(doc, key, key), f"must be {wanted}, not {shown(value)}")]
        )
    return value


_KINDS = [
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
]


def read_limited(path: Path, limit: int, limit_name: str, what: str) -> bytes:
    """Read a user's file whole: a regular file of at most ``limit`` bytes.

    Parameters
    ----------
    path : Path
    limit : int
        The most bytes a file of this kind may have; ``limit_name`` is the constant's name and
        ``what`` the kind of file (``"a report"``), both for the message.

    Raises
    ------
    DataError
        If ``path`` is not a regular file (a FIFO, a device, a folder, a socket) or is larger
        than ``limit``: nothing beyond ``limit + 1`` bytes is ever read.
    FileNotFoundError
        If there is no such file (each caller says what was missing).
    """
    # O_NONBLOCK: a FIFO opens at once instead of waiting for a writer; fstat then refuses it
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
        raise DataError([Problem(path, "", f"is {kind}, not a regular file: name {what} file")])
    with os.fdopen(fd, "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise DataError(
            [
                Problem(
                    path,
                    "",
                    f"larger than {limit:,} bytes, the most {what} file may have ({limit_name})",
                )
            ]
        )
    return data


def _yaml_text(path: Path) -> str:
    try:
        data = read_limited(path, MAX_YAML_BYTES, "MAX_YAML_BYTES", "a data")
    except FileNotFoundError:
        raise DataError([Problem(path, "", "file not found")]) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            [Problem(path, f"byte {exc.start}", "not UTF-8 text; save it as UTF-8")]
        ) from None


def _build(path: Path, loader):
    """Turn the parser's events into YamlMap / YamlList / scalars, refusing what data files must not use."""
    root, documents = None, 0
    stack: list = []
    while loader.check_event():
        event = loader.get_event()
        line = event.start_mark.line + 1
        at = _Where(event)
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise DataError(
                    [Problem(path, str(at), "a second YAML document (---); a data file holds one")]
                )
        elif isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            kind = (
                f"alias *{event.anchor}"
                if isinstance(event, yaml.AliasEvent)
                else f"anchor &{event.anchor}"
            )
            raise DataError(
                [
                    Problem(
                        path,
                        str(at),
                        f"YAML {kind}: anchors and aliases are not allowed in data files; "
                        "write the value out",
                    )
                ]
            )
        elif isinstance(event, yaml.CollectionEndEvent):
            stack.pop()
        elif isinstance(event, (yaml.CollectionStartEvent, yaml.ScalarEvent)):
            if isinstance(event, yaml.CollectionStartEvent) and len(stack) >= MAX_YAML_DEPTH:
                raise DataError(
                    [Problem(path, str(at), f"nested more than {MAX_YAML_DEPTH} levels deep")]
                )
            value = _value(path, loader, event, line, at)
            if stack:
                _put(path, stack[-1], value, line, at)
            else:
                root = value
            if isinstance(value, (YamlMap, YamlList)):
                stack.append([value, _KEY])
    return root


class _Where:
    """An event's place, ``line L, column C``, written only when a problem quotes it (most events have none)."""

    __slots__ = ("mark",)

    def __init__(self, event):
        self.mark = event.start_mark

    def __str__(self) -> str:
        return f"line {self.mark.line + 1}, column {self.mark.column + 1}"


def _put(path: Path, frame: list, value, line: int, at: _Where) -> None:
    """Put a value into the innermost open mapping or list, ``frame`` = [container, key awaiting its value]."""
    container, key = frame
    if isinstance(container, YamlList):
        container.append(value)
        container.lines.append(line)
    elif key is not _KEY:
        container[key] = value
        frame[1] = _KEY
    elif isinstance(value, (dict, list)):
        raise DataError(
            [Problem(path, str(at), "a mapping or list used as a key; keys must be plain values")]
        )
    elif value in container.lines:
        raise DataError(
            [
                Problem(
                    path,
                    str(at),
                    f"key {value!r} appears twice (first at line {container.lines[value]})",
                )
            ]
        )
    else:
        container.lines[value] = line
        frame[1] = value


def _value(path: Path, loader, event, line: int, at: _Where):
    """The empty YamlMap / YamlList a collection event opens, or the scalar a scalar event holds."""
    if isinstance(event, yaml.ScalarEvent):
        return _scalar(path, loader, event, at)
    if event.tag not in (None, "!", _TAG + "map", _TAG + "seq"):
        raise DataError(
            [Problem(path, str(at), f"YAML tag {event.tag!r} is not allowed in data files")]
        )
    return YamlMap(line) if isinstance(event, yaml.MappingStartEvent) else YamlList(line)


def _scalar(path: Path, loader, event, at: _Where):
    tag = event.tag
    if tag in (None, "!"):
        tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
    if tag not in _SCALAR_TAGS:
        raise DataError(
            [Problem(path, str(at), f"YAML tag {event.tag!r} is not allowed in data files")]
        )
    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
    try:
        return loader.yaml_constructors[tag](loader, node)
    except ValueError as exc:  # the date 2023-13-45, an integer of more than 4300 digits
        value = event.value if len(event.value) <= 40 else event.value[:37] + "..."
        raise DataError(
            [Problem(path, str(at), f"{value!r} is not a valid {tag[len(_TAG) :]}: {exc}")]
        ) from None


def parsed_once(*files: Callable[[], Path]):
    """Cache a loader of definitions until one of its ``files`` changes.

    The workbook's definitions (catalog, metrics, checks, charts, narrative, sources) are parsed
    once per version of their files: each call costs one ``stat`` per file, never a walk of
    ``data/`` nor a second parse. A loader that raises is not cached, so a fixed file is read again.
    """

    def wrap(load):
        @lru_cache(maxsize=4)
        def cached(_versions: tuple):
            return load()

        @wraps(load)
        def current():
            return cached(tuple(paths.file_version(file()) for file in files))

        current.cache_clear = cached.cache_clear
        return current

    return wrap


#: Largest JSON file the workbook reads back (a build's manifest.json; 2023's is about 100 KB).
MAX_JSON_BYTES = 64_000_000


def _not_a_json_number(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def read_json(path: Path, max_bytes: int = MAX_JSON_BYTES):
    """Return the JSON value of the file at ``path``, or None if there is no such file.

    The read is bounded and strict: a regular file of at most ``max_bytes``, UTF-8, JSON without
    ``NaN`` or ``Infinity``.

    Raises
    ------
    DataError
        Naming the file and, for broken JSON, the line and column.
    """
    file = Path(path)
    try:
        raw = read_limited(file, max_bytes, "MAX_JSON_BYTES", "a JSON")
    except FileNotFoundError:
        return None
    try:
        text = raw.decode("utf-8")
        return json.loads(text, parse_constant=_not_a_json_number)
    except UnicodeDecodeError as exc:
        raise DataError([Problem(file, f"byte {exc.start}", f"not UTF-8: {exc.reason}")]) from None
    except json.JSONDecodeError as exc:
        raise DataError(
            [Problem(file, f"line {exc.lineno}, column {exc.colno}", f"not JSON: {exc.msg}")]
        ) from None
    except (ValueError, RecursionError) as exc:
        constant = _BARE_CONSTANT.search(text) if isinstance(exc, ValueError) else None
        where = (
            ""
            if constant is None
            else (
                f"line {text.count(chr(10), 0, constant.start()) + 1}, column "
                f"{constant.start() - text.rfind(chr(10), 0, constant.start())}"
            )
        )
        raise DataError([Problem(file, where, f"not JSON: {exc or 'nested too deeply'}")]) from None


#: NaN, Infinity or -Infinity outside a string: the constants strict JSON refuses (for the message's place).
_BARE_CONSTANT = re.compile(r'(?<![\w"])-?(?:NaN|Infinity)(?![\w"])')


def schema_problem(value, schema: dict, where: str = "") -> str | None:
    """Where and why ``value`` (read from JSON) breaks ``schema``, or None.

    ``schema`` is the part of JSON schema a build's records need, checked by hand (jsonschema
    takes seconds to import, too long for an up-to-date build): ``type`` (a name or a list),
    ``required``, ``properties``, ``additionalProperties`` and ``items`` (schemas), ``minItems``,
    ``maxItems`` and ``pattern``.
    """
    at = f"field {where}" if where else "top level"
    wanted = schema.get("type")
    if wanted:
        kinds = wanted if isinstance(wanted, list) else [wanted]
        kind = _json_kind(value)
        if kind not in kinds and not (kind == "integer" and "number" in kinds):
            return f"{at}: {_JSON_KINDS[kind]}, not {' or '.join(_JSON_KINDS[k] for k in kinds)}"
    if isinstance(value, dict):
        missing = [key for key in schema.get("required", []) if key not in value]
        if missing:
            return f"{at}: missing {', '.join(map(repr, missing))}"
        for key, item in value.items():
            part = schema.get("properties", {}).get(key, schema.get("additionalProperties"))
            problem = part and schema_problem(item, part, f"{where}.{key}" if where else str(key))
            if problem:
                return problem
    if isinstance(value, list):
        if not schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", len(value)):
            return f"{at}: {len(value)} items, not {schema['minItems']}" + (
                f" to {schema['maxItems']}"
                if schema.get("maxItems") != schema.get("minItems")
                else ""
            )
        for number, item in enumerate(value):
            problem = "items" in schema and schema_problem(
                item, schema["items"], f"{where}[{number}]"
            )
            if problem:
                return problem
    if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"], value):
        return f"{at}: {value[:60]!r} is not of the form {schema['pattern']}"
    return None


_JSON_KINDS = {
    "object": "an object",
    "array": "a list",
    "string": "text",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "null": "null",
}


def _json_kind(value) -> str:
    kinds = [
        (bool, "boolean"),
        (int, "integer"),
        (float, "number"),
        (str, "string"),
        (list, "array"),
        (dict, "object"),
        (type(None), "null"),
    ]
    return next(kind for cls, kind in kinds if isinstance(value, cls))


@contextlib.contextmanager
def exclusive(lock_file: Path, wait: float, busy: str, waiting: str):
    """Hold an exclusive lock on ``lock_file`` (made when missing) for the ``with`` block.

    The wait is bounded: after ``wait`` seconds an :class:`AmrbookError` names the lock file and
    says ``busy``; ``waiting`` is printed once when the lock is held by another process (Ctrl-C and
    SIGTERM end the wait at once). Also a decorator: each call of the function takes the lock.
    """
    with open(lock_file, "a+") as handle:
        if sys.platform == "win32":  # pragma: no cover - Windows
            import msvcrt

            lock = lambda: msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)  # noqa: E731
            unlock = lambda: msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)  # noqa: E731
        else:
            import fcntl

            lock = lambda: fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # noqa: E731
            unlock = lambda: fcntl.flock(handle, fcntl.LOCK_UN)  # noqa: E731
        deadline, told = time.monotonic() + wait, False
        while True:
            try:
                lock()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise AmrbookError(f"{lock_file}: {busy}") from None
                if not told:
                    print(f"amrbook: {waiting}", file=sys.stderr)
                    told = True
                time.sleep(0.2)
        try:
            yield
        finally:
            unlock()


@contextlib.contextmanager
def data_lock(wait: float = 600):
    """The lock of the data folder (:data:`helpers.paths.DATA_LOCK`), held by each command that reads
    a data file, changes it and writes it back (``amrbook add``: sources.yml; ``amrbook accept``:
    catalog.yml), so two at once never lose one's change. A decorator too: the folder is the one
    of the call, not of the import."""
    with exclusive(
        paths.data_dir() / paths.DATA_LOCK,
        wait,
        f"another amrbook add or accept has held the lock of the data folder for {wait:g} s; wait "
        "for it to end (or stop it), then run again",
        "another amrbook add or accept is writing the data folder; waiting for it to finish",
    ):
        yield
