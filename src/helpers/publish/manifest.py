"""``manifest.json``: where a build's record is written and read, against one schema.

A build writes its manifest last, atomically (a temporary file renamed over it), and trusts a
manifest only once it has been read within a size bound, parsed as strict JSON (no ``NaN`` or
``Infinity``; :func:`helpers.datafile.read_json`) and validated against :data:`SCHEMA`: the
record of the data that :mod:`helpers.audit.diff` compares (:data:`~helpers.audit.record.RECORD_SCHEMA`)
and the build's own fields. A damaged manifest (cut short, a list, a snapshot of the wrong
shape) is a :class:`~helpers.errors.DataError` naming the file and the part at fault; the build
sets it aside (:func:`set_aside`) with a note and builds afresh. Fields a reader needs are
required; the others are checked for their shape when present.
"""
from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

from .. import paths
from ..audit.record import RECORD_SCHEMA, record_problem
from ..datafile import read_json
from ..errors import DataError, Problem

_TEXT = {"type": "string"}
_TEXTS = {"type": "object", "additionalProperties": _TEXT}
_NAMES = {"type": "array", "items": _TEXT}

#: A build's manifest.json.
SCHEMA = {**RECORD_SCHEMA, "properties": {
    **RECORD_SCHEMA["properties"],
    "year": {"type": "integer"},
    "built_at": _TEXT,
    "build_key": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
    "inputs": {"type": "object", "additionalProperties": _TEXTS},
    "packages": _TEXTS,
    "browser": {"type": ["string", "null"]},
    "pdf_note": _TEXT,
    "docx_note": _TEXT,
    "executed": _NAMES,
    "cached": _NAMES,
    "timings_s": {"type": "object", "additionalProperties": {"type": "number"}},
    "outputs": {"type": "object", "additionalProperties": {"type": "string", "pattern": "^[0-9a-f]{64}$"}},
}}


def read_manifest(path: Path) -> dict | None:
    """Return the manifest at ``path`` validated against :data:`SCHEMA`, or None if there is none.

    Raises
    ------
    DataError
        If it is not a regular file, too large, not UTF-8, not JSON (line and column), or not of
        the schema (the part at fault).
    """
    manifest = read_json(path)
    if manifest is None:
        return None
    problem = record_problem(manifest, SCHEMA)
    if problem:
        raise DataError([Problem(Path(path), "", problem)])
    return manifest


def write_manifest(path: Path, manifest: dict) -> None:
    """Write ``manifest`` to ``path`` atomically (a temporary file renamed over it), checked first.

    Raises
    ------
    ValueError
        If ``manifest`` is not of :data:`SCHEMA` (a defect of the build, not of its input).
    """
    text = json.dumps(manifest, ensure_ascii=False, indent=1, allow_nan=False)
    problem = record_problem(json.loads(text), SCHEMA)
    if problem:
        raise ValueError(f"{path}: the manifest to write is wrong: {problem}")
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def set_aside(path: Path) -> Path:
    """Move a damaged manifest to ``outputs/.damaged/`` (named by its place and the time); return where."""
    path, root = Path(path), paths.outputs_dir()
    try:
        name = "-".join(path.relative_to(root).parts)
    except ValueError:
        name = path.name
    target = root / ".damaged" / f"{name}.{datetime.now().strftime('%Y%m%dT%H%M%S%f')}"
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(path, target)
    return target
