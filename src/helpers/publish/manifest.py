"""``manifest.json``: where a build's record is written and read, against one schema.

Only :mod:`helpers.publish` reads and writes manifests (:func:`helpers.publish.build.build` writes
them, :mod:`helpers.publish.changelog` and ``amrbook diff`` read them). A build writes its manifest
last, atomically (a temporary file renamed over it), and trusts a manifest only once it has been
read within a size bound, parsed as strict JSON (no ``NaN`` or ``Infinity``;
:func:`helpers.datafile.read_json`) and validated against :data:`SCHEMA`: the snapshot of the data
that :mod:`helpers.audit.diff` compares (:data:`SNAPSHOT_SCHEMA`), the change log and the build's
own fields. A damaged manifest (cut short, a list, a snapshot of the wrong shape) is a
:class:`~helpers.errors.DataError` naming the file and the part at fault; the build sets it aside
(:func:`set_aside`) with a note and builds afresh. Fields a reader needs are required; the others
are checked for their shape when present. Light on purpose: an up-to-date build checks its
manifest without loading pandas.
"""

from __future__ import annotations

import json
import os
import platform
from datetime import datetime
from importlib import metadata
from pathlib import Path

from .. import paths
from ..datafile import read_json, schema_problem
from ..errors import DataError, Problem

_TEXT = {"type": "string"}
_TEXTS = {"type": "object", "additionalProperties": _TEXT}
_NAMES = {"type": "array", "items": _TEXT}
_NUMBER = {"type": ["number", "null"]}


def _by_id(fields: dict) -> dict:
    return {
        "type": "object",
        "additionalProperties": {
            "type": "object",
            "required": sorted(fields),
            "properties": fields,
        },
    }


#: What :func:`helpers.audit.diff.snapshot` returns, as a JSON schema: a manifest's snapshot is checked against it
#: before use.
SNAPSHOT_SCHEMA = {
    "type": "object",
    "required": ["year", "figures", "metrics", "findings"],
    "properties": {
        "bureau": _TEXT,
        "year": {"type": "integer"},
        "figures": _by_id(
            {
                "label": _TEXT,
                "value": _NUMBER,
                "unit": _TEXT,
                "as_written": _TEXT,
                "period": _TEXT,
                "sentence": _TEXT,
                "at": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
            }
        ),
        "metrics": _by_id({"label": _TEXT, "value": _NUMBER, "unit": _TEXT, "status": _TEXT}),
        "findings": _by_id({"label": _TEXT, "severity": _TEXT, "result": _TEXT}),
    },
}
_COMPARISON = {
    "type": "object",
    "required": ["against", "note", "rows"],
    "properties": {
        "against": _TEXT,
        "note": _TEXT,
        "rows": {"type": "array", "items": {"type": "object"}},
    },
}

#: A build's manifest.json: the record of its data (snapshot, stamp, change log) and the build's own fields.
SCHEMA = {
    "type": "object",
    "required": ["snapshot"],
    "properties": {
        "snapshot": SNAPSHOT_SCHEMA,
        "stamp": {"type": "object", "additionalProperties": _TEXT},
        "changes": {
            "type": "object",
            "properties": {"previous_build": _COMPARISON, "previous_year": _COMPARISON},
        },
        "bureau": _TEXT,
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
        "kept": _NAMES,
        "output_keys": _TEXTS,
        "briefing_stamp": {"type": "object", "additionalProperties": _TEXT},
        "figures": {
            "type": "array",
            "items": {"type": "array", "items": _TEXT, "minItems": 2, "maxItems": 2},
        },
        "timings_s": {"type": "object", "additionalProperties": {"type": "number"}},
        "outputs": {
            "type": "object",
            "additionalProperties": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        },
    },
}


def manifest_problem(manifest) -> str | None:
    """Why a manifest read from JSON cannot be trusted (not of :data:`SCHEMA`), or None."""
    if isinstance(manifest, dict) and "snapshot" not in manifest:
        return "holds no data snapshot (made by a build older than the change log)"
    problem = schema_problem(manifest, SCHEMA)
    return f"not what a build writes: {problem}" if problem else None


def read_manifest(path: Path, required: bool = False) -> dict | None:
    """Return the manifest at ``path`` (a ``manifest.json`` or the build folder holding one) validated
    against :data:`SCHEMA`, or None if there is none (unless ``required``).

    Raises
    ------
    DataError
        If it is missing and ``required``, not a regular file, too large, not UTF-8, not JSON (line
        and column), or not of the schema (the part at fault).
    """
    path = Path(path)
    file = path / "manifest.json" if path.is_dir() else path
    manifest = read_json(file)
    if manifest is None:
        if required:
            raise DataError(
                [Problem(file, "", "no such file: name a build's manifest.json or its folder")]
            )
        return None
    problem = manifest_problem(manifest)
    if problem:
        raise DataError([Problem(file, "", problem)])
    return manifest


def write_manifest(path: Path, manifest: dict) -> None:
    """Write ``manifest`` to ``path`` atomically (a temporary file renamed over it), checked first.

    Raises
    ------
    ValueError
        If ``manifest`` is not of :data:`SCHEMA` (a defect of the build, not of its input).
    """
    text = json.dumps(manifest, ensure_ascii=False, indent=1, allow_nan=False)
    problem = manifest_problem(json.loads(text))
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


def recorded_changes(bureau: str, year: int) -> dict:
    """Return the change log the last build of a report recorded in ``outputs/<bureau>/<year>/manifest.json``.

    Raises
    ------
    DataError
        If there is no build of that report, or its manifest is unreadable or has no change log.
    """
    file = paths.report_outputs_dir(bureau, year) / "manifest.json"
    manifest = read_manifest(file)
    if manifest is None:
        raise DataError(
            [
                Problem(
                    file,
                    "",
                    f"no build of {bureau} {year} yet: run `amrbook build --bureau {bureau} "
                    f"--year {year}` first, or compare the data with --against",
                )
            ]
        )
    changes = manifest.get("changes")
    if not isinstance(changes, dict):
        raise DataError(
            [Problem(file, "", "holds no change log (made by a build older than the change log)")]
        )
    return changes


#: The packages a build depends on, whose versions its manifest records (``amrbook`` itself first).
PACKAGES = [
    "amrbook",
    "pandas",
    "numpy",
    "matplotlib",
    "seaborn",
    "nbconvert",
    "nbclient",
    "ipykernel",
    "pyyaml",
    "openpyxl",
    "fonttools",
    "jupyterlab",
]


def package_versions() -> dict[str, str]:
    """Return the installed versions of the packages a build depends on (``amrbook`` itself first)."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions
