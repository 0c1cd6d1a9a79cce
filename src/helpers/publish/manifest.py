"""Reading what a build recorded in its ``manifest.json``: the data snapshot, the stamp and the change log.

Only :mod:`helpers.publish` reads and writes manifests (:func:`helpers.publish.build.build` writes them).
"""
from __future__ import annotations

import json
from pathlib import Path

from .. import paths
from ..errors import DataError, Problem


def read_manifest(path: Path) -> dict:
    """Return the manifest at ``path`` (a ``manifest.json`` or the build folder holding one).

    Raises
    ------
    DataError
        If the file is missing, is not JSON (line and column named), not UTF-8 or not a mapping.
    """
    path = Path(path)
    file = path / "manifest.json" if path.is_dir() else path
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError([Problem(file, "", "no such file: name a build's manifest.json or its folder")]) from None
    except json.JSONDecodeError as exc:
        raise DataError([Problem(file, f"line {exc.lineno}, column {exc.colno}", f"not JSON: {exc.msg}")]) from None
    except UnicodeDecodeError as exc:
        raise DataError([Problem(file, f"byte {exc.start}", f"not UTF-8: {exc.reason}")]) from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("snapshot"), dict):
        raise DataError([Problem(file, "", "holds no data snapshot (made by a build older than the change log)")])
    return manifest


def recorded_changes(bureau: str, year: int) -> dict:
    """Return the change log the last build of a report recorded in ``outputs/<bureau>/<year>/manifest.json``.

    Raises
    ------
    DataError
        If there is no build of that report, or its manifest is unreadable or has no change log.
    """
    file = paths.report_outputs_dir(bureau, year) / "manifest.json"
    if not file.exists():
        raise DataError([Problem(file, "", f"no build of {bureau} {year} yet: run `amrbook build --bureau {bureau} "
                                           f"--year {year}` first, or compare the data with --against")])
    changes = read_manifest(file).get("changes")
    if not isinstance(changes, dict):
        raise DataError([Problem(file, "", "holds no change log (made by a build older than the change log)")])
    return changes
