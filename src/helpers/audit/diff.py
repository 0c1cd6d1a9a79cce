"""What changed between two versions of a year's data: figures, metrics and findings.

Each build records a :func:`snapshot` of its data in ``manifest.json`` (the figures with their
value, as written and source sentence; each metric's value and status; each finding's
severity and result). :func:`compare` lists what differs between two snapshots:

* a figure whose value (or wording) changed, with its source sentence;
* a figure added or removed, with its sentence;
* a metric or a finding whose status changed.

:func:`build_changes` is what a build and its briefing say: the data now against the previous
build of the same year (``outputs/<year>/manifest.json``, read before the new outputs replace
it) and, when ``data/`` holds the previous year, against that year. A build whose data are
those of the previous build repeats that build's comparison, so the briefing and the manifest
always say what the last change of the data changed.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from .. import paths
from ..errors import DataError, Problem
from .record import read_record
from .year import Year, load_year

#: Columns of a comparison, in order.
COLUMNS = ["against", "change", "kind", "id", "label", "before", "after", "sentence", "at"]
#: What kinds of change there are (the ``change`` column).
CHANGES = ("value", "added", "removed", "status")


def _number(value) -> float | None:
    return None if value is None or (isinstance(value, float) and not math.isfinite(value)) else float(value)


def snapshot(year: int | Year) -> dict:
    """Return what a comparison needs of a year's data, as plain JSON.

    Parameters
    ----------
    year : int or Year

    Returns
    -------
    dict
        ``year``; ``figures`` by id (label, value, unit, as_written, period, sentence and ``at``,
        the figure's span in its sentence);
        ``metrics`` by id (label, value, unit, status); ``findings`` by rule (label, severity, result).
    """
    year = load_year(year)
    figures = {ident: {"label": r.label_zh, "value": _number(r.value), "unit": r.unit, "as_written": r.as_written,
                       "period": r.period, "sentence": r.source_sentence,
                       "at": [r.start - r.sentence_start, r.end - r.sentence_start]}
               for ident, r in zip(year.indicators.index, year.indicators.itertuples())}
    metrics = {r.id: {"label": r.label_zh, "value": _number(r.value), "unit": r.unit, "status": r.status}
               for r in year.metrics.itertuples()}
    findings = {r.check: {"label": r.description, "severity": r.severity, "result": r.result}
                for r in year.findings.itertuples()}
    return json.loads(json.dumps({"year": year.year, "figures": figures, "metrics": metrics, "findings": findings},
                                 ensure_ascii=False))


def _row(against: str, change: str, kind: str, ident: str, label: str, before: str, after: str,
         figure: dict | None = None) -> dict:
    where = (figure["sentence"], figure["at"]) if figure else ("", None)
    return dict(zip(COLUMNS, [against, change, kind, ident, label, before, after, *where]))


def compare(before: dict, after: dict, against: str) -> pd.DataFrame:
    """List what changed from one snapshot to another.

    Parameters
    ----------
    before, after : dict
        Snapshots (:func:`snapshot`).
    against : str
        What ``before`` is, in words (``2026-11-25 09:30 生成，输入 …``, ``2022年``), repeated on every row.

    Returns
    -------
    pandas.DataFrame
        One row per change (:data:`COLUMNS`): ``change`` is ``value``, ``added``, ``removed`` or
        ``status``; ``kind`` is ``figure``, ``metric`` or ``finding``; ``before``/``after`` are
        figures as written (``439宗``) or statuses; ``sentence`` is a figure's source sentence
        (the earlier one for a removed figure) and ``at`` the figure's span in it. Figures come in the order of the report, then
        metrics and findings in the order of their files.
    """
    rows = []
    old, new = before.get("figures", {}), after.get("figures", {})
    for ident, figure in new.items():
        if ident not in old:
            rows.append(_row(against, "added", "figure", ident, figure["label"], "", figure["as_written"], figure))
        elif (old[ident]["value"], old[ident]["as_written"]) != (figure["value"], figure["as_written"]):
            rows.append(_row(against, "value", "figure", ident, figure["label"], old[ident]["as_written"],
                             figure["as_written"], figure))
    rows += [_row(against, "removed", "figure", ident, figure["label"], figure["as_written"], "", figure)
             for ident, figure in old.items() if ident not in new]
    for kind, field in (("metric", "status"), ("finding", "severity")):
        was = before.get(f"{kind}s", {})
        for ident, item in after.get(f"{kind}s", {}).items():
            if ident in was and was[ident][field] != item[field]:
                rows.append(_row(against, "status", kind, ident, item["label"], was[ident][field], item[field]))
    return pd.DataFrame(rows, columns=COLUMNS)


def read_snapshot(path: Path) -> tuple[dict, dict]:
    """Return the snapshot and the stamp a build recorded in its ``manifest.json`` (or a folder holding one).

    Raises
    ------
    DataError
        If the file is missing, is not JSON (line and column named) or holds no snapshot.
    """
    path = Path(path)
    manifest = read_record(path / "manifest.json" if path.is_dir() else path)
    return manifest["snapshot"], manifest.get("stamp", {})


def build_words(stamp: dict) -> str:
    """Name a build by its stamp: ``2026-11-25 09:30 生成，输入 1a2b3c4d5e6f``."""
    return f"{stamp.get('built_at', '时间不详')} 生成，输入 {stamp.get('inputs', '不详')}"


def _previous_build(year: Year, now: dict) -> dict:
    """The data now against the build in ``outputs/<year>/`` (or that build's own comparison, if the data are its)."""
    manifest = paths.outputs_dir() / str(year.year) / "manifest.json"
    if not manifest.exists():
        return {"against": "", "note": "这是该年度的首次生成，没有可比较的上次生成。", "rows": []}
    try:
        record = read_record(manifest)
    except DataError as exc:
        return {"against": "", "note": f"上次生成的记录无法读取：{exc.problems[0]}", "rows": []}
    then, stamp = record["snapshot"], record.get("stamp", {})
    if then == now:
        recorded = record.get("changes", {}).get("previous_build")
        return recorded or {"against": build_words(stamp), "note": "", "rows": []}
    against = build_words(stamp)
    return {"against": against, "note": "", "rows": compare(then, now, against).to_dict("records")}


def build_changes(year: int | Year) -> dict:
    """Return a build's change log: against the previous build of the year, and against the previous year.

    Parameters
    ----------
    year : int or Year

    Returns
    -------
    dict
        ``previous_build`` and ``previous_year``, each ``{"against": words, "note": why there is
        nothing to compare (or ""), "rows": [records of compare()]}``.
    """
    year = load_year(year)
    now = snapshot(year)
    last = year.year - 1
    if last in paths.indicator_years():
        previous_year = {"against": f"{last}年", "note": "",
                         "rows": compare(snapshot(last), now, f"{last}年").to_dict("records")}
    else:
        previous_year = {"against": "", "note": f"data/ 中没有{last}年的数据，无法与上一年度比较。", "rows": []}
    return {"previous_build": _previous_build(year, now), "previous_year": previous_year}


def recorded_changes(year: int) -> dict:
    """Return the change log the last build of ``year`` recorded in ``outputs/<year>/manifest.json``.

    Raises
    ------
    DataError
        If there is no build of that year, or its manifest is unreadable or has no change log.
    """
    file = paths.outputs_dir() / str(year) / "manifest.json"
    if not file.exists():
        raise DataError([Problem(file, "", f"no build of {year} yet: run `amrbook build --year {year}` first, "
                                           "or compare the data with --against")])
    changes = read_record(file).get("changes")
    if not isinstance(changes, dict):
        raise DataError([Problem(file, "", "holds no change log (made by a build older than the change log)")])
    return changes


def changes_against(year: int, against: str) -> pd.DataFrame:
    """Compare the data of ``year`` now with another year's data (``"2022"``) or a build's snapshot (a path).

    Raises
    ------
    DataError
        If the build's manifest is missing, unreadable or has no snapshot, or the other year's data do not validate.
    """
    if against.isdigit() and len(against) == 4 and not Path(against).exists():
        return compare(snapshot(int(against)), snapshot(year), f"{against}年")
    then, stamp = read_snapshot(Path(against))
    return compare(then, snapshot(year), build_words(stamp))
