"""What a build records of its data in ``manifest.json``, and reading that record back checked.

:func:`helpers.audit.diff.snapshot` makes the snapshot and :func:`~helpers.audit.diff.build_changes`
the change log; :data:`RECORD_SCHEMA` is their shape as a JSON schema, and :func:`read_record`
trusts a manifest only once it is read within bounds and matches it. The build's own fields
(hashes, outputs, timings) are added by :mod:`helpers.publish.manifest`, which writes the file.
Light on purpose: an up-to-date build checks its manifest without loading pandas.
"""
from __future__ import annotations

from pathlib import Path

from ..datafile import read_json, schema_problem
from ..errors import DataError, Problem

_TEXT = {"type": "string"}
_NUMBER = {"type": ["number", "null"]}


def _by_id(fields: dict) -> dict:
    return {"type": "object", "additionalProperties": {"type": "object", "required": sorted(fields),
                                                       "properties": fields}}


#: What :func:`helpers.audit.diff.snapshot` returns, as a JSON schema: a manifest's snapshot is checked against it before use.
SNAPSHOT_SCHEMA = {
    "type": "object", "required": ["year", "figures", "metrics", "findings"],
    "properties": {
        "year": {"type": "integer"},
        "figures": _by_id({"label": _TEXT, "value": _NUMBER, "unit": _TEXT, "as_written": _TEXT, "period": _TEXT,
                           "sentence": _TEXT, "at": {"type": "array", "items": {"type": "integer"},
                                                     "minItems": 2, "maxItems": 2}}),
        "metrics": _by_id({"label": _TEXT, "value": _NUMBER, "unit": _TEXT, "status": _TEXT}),
        "findings": _by_id({"label": _TEXT, "severity": _TEXT, "result": _TEXT}),
    },
}
_COMPARISON = {"type": "object", "required": ["against", "note", "rows"],
               "properties": {"against": _TEXT, "note": _TEXT, "rows": {"type": "array", "items": {"type": "object"}}}}
#: What a build records of its data in manifest.json (helpers.publish.manifest adds the build's own fields).
RECORD_SCHEMA = {
    "type": "object", "required": ["snapshot"],
    "properties": {"snapshot": SNAPSHOT_SCHEMA, "stamp": {"type": "object", "additionalProperties": _TEXT},
                   "changes": {"type": "object",
                               "properties": {"previous_build": _COMPARISON, "previous_year": _COMPARISON}}},
}


def record_problem(manifest, schema: dict = RECORD_SCHEMA) -> str | None:
    """Why a manifest read from JSON cannot be trusted (``schema`` extends :data:`RECORD_SCHEMA`), or None."""
    if isinstance(manifest, dict) and "snapshot" not in manifest:
        return "holds no data snapshot (made by a build older than the change log)"
    problem = schema_problem(manifest, schema)
    return f"not what a build writes: {problem}" if problem else None


def read_record(path: Path) -> dict:
    """Return a build's ``manifest.json`` checked against :data:`RECORD_SCHEMA`.

    Raises
    ------
    DataError
        If the file is missing, not JSON (line and column named), or not of the schema.
    """
    manifest = read_json(path)
    if manifest is None:
        raise DataError([Problem(path, "", "no such file: name a build's manifest.json or its folder")])
    problem = record_problem(manifest)
    if problem:
        raise DataError([Problem(path, "", problem)])
    return manifest
