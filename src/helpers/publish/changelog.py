"""The build's change log (变更说明): the data now against the previous build and the same bureau's previous year.

Computed once per build, before any notebook runs: :func:`change_log` reads the previous build's
manifest (``outputs/<bureau>/<year>/``, before the new outputs replace it), compares with the pure
functions of :mod:`helpers.audit.diff` and words the notes with :mod:`helpers.show.changes`. The
build records it in ``manifest.json`` and hands the same log to the briefing as a file
(:func:`write_change_log`), so the briefing's kernel never computes it again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from .. import paths
from ..audit.diff import against_build, against_year, compare, snapshot
from ..audit.report import Report, load_report
from ..errors import DataError
from ..show.changes import (
    build_words,
    first_build_note,
    no_previous_year_note,
    unreadable_note,
    year_words,
)
from .manifest import read_manifest


def change_log(r: Report) -> dict:
    """Return a build's change log: against the previous build of the report, and the same bureau's previous year.

    Returns
    -------
    dict
        ``previous_build`` and ``previous_year``, each ``{"against": words, "note": why there is
        nothing to compare (or ""), "rows": [records of helpers.audit.diff.compare()]}``.
    """
    now = snapshot(r)
    last = r.year - 1
    if last in paths.indicator_years(r.bureau.slug):
        previous_year = against_year(
            snapshot(load_report(r.bureau.slug, last)), now, year_words(last)
        )
    else:
        previous_year = {"against": "", "note": no_previous_year_note(last), "rows": []}
    return {"previous_build": _previous_build(r, now), "previous_year": previous_year}


def _previous_build(r: Report, now: dict) -> dict:
    file = paths.report_outputs_dir(r.bureau.slug, r.year) / "manifest.json"
    try:
        manifest = read_manifest(file)
    except DataError as exc:
        return {"against": "", "note": unreadable_note(exc.problems[0]), "rows": []}
    if manifest is None:
        return {"against": "", "note": first_build_note(), "rows": []}
    recorded = (manifest.get("changes") or {}).get("previous_build")
    return against_build(
        manifest["snapshot"], now, build_words(manifest.get("stamp", {})), recorded
    )


def write_change_log(log: dict, file: Path) -> Path:
    """Write a change log as JSON for the briefing's kernel to read (atomically); return ``file``."""
    staged = file.with_name(f".{file.name}.{os.getpid()}.tmp")
    staged.write_text(json.dumps(log, ensure_ascii=False), encoding="utf-8")
    os.replace(staged, file)
    return file


def changes_against(r: Report, against: str) -> pd.DataFrame:
    """Compare a report's data now with the same bureau's data of another year (``"2022"``) or a build's
    snapshot (a path to its folder or manifest.json).

    Raises
    ------
    DataError
        If the build's manifest is missing, unreadable or has no snapshot, or the other year's data do not validate.
    """
    if against.isdigit() and len(against) == 4 and not Path(against).exists():
        return compare(
            snapshot(load_report(r.bureau.slug, int(against))),
            snapshot(r),
            year_words(int(against)),
        )
    manifest = read_manifest(Path(against), required=True)
    assert manifest is not None  # required=True raises instead of returning None
    return compare(manifest["snapshot"], snapshot(r), build_words(manifest.get("stamp", {})))
