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
from .report import Report, load_report

#: Columns of a comparison, in order.
COLUMNS = ["against", "change", "kind", "id", "label", "before", "after", "sentence", "at"]
#: What kinds of change there are (the ``change`` column).
CHANGES = ("value", "added", "removed", "status")


def _number(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def snapshot(r: Report) -> dict:
    """Return what a comparison needs of a report's data, as plain JSON.

    Parameters
    ----------
    r : Report

    Returns
    -------
    dict
        ``bureau``, ``year``; ``figures`` by id (label, value, unit, as_written, period, sentence and ``at``,
        the figure's span in its sentence);
        ``metrics`` by id (label, value, unit, status); ``findings`` by rule (label, severity, result).
    """
    figures = {f.Index: {"label": f.label_zh, "value": _number(f.value), "unit": f.unit, "as_written": f.as_written,
                         "period": f.period, "sentence": f.source_sentence,
                         "at": [f.start - f.sentence_start, f.end - f.sentence_start]}
               for f in r.indicators.itertuples()}
    metrics = {m.Index: {"label": m.label_zh, "value": _number(m.value), "unit": m.unit, "status": m.status}
               for m in r.metrics.itertuples()}
    findings = {f.check: {"label": f.description, "severity": f.severity, "result": f.result}
                for f in r.findings.itertuples()}
    return json.loads(json.dumps({"bureau": r.bureau.slug, "year": r.year, "figures": figures, "metrics": metrics,
                                  "findings": findings}, ensure_ascii=False))


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
    return manifest["snapshot"], manifest.get("stamp", {})


def build_words(stamp: dict) -> str:
    """Name a build by its stamp: ``2026-11-25 09:30 生成，输入 1a2b3c4d5e6f``."""
    return f"{stamp.get('built_at', '时间不详')} 生成，输入 {stamp.get('inputs', '不详')}"


def _previous_build(r: Report, now: dict) -> dict:
    """The data now against the build in ``outputs/<bureau>/<year>/`` (or that build's own comparison, if the
    data are its)."""
    manifest = paths.report_outputs_dir(r.bureau.slug, r.year) / "manifest.json"
    if not manifest.exists():
        return {"against": "", "note": "这是该年度的首次生成，没有可比较的上次生成。", "rows": []}
    try:
        then, stamp = read_snapshot(manifest)
    except DataError as exc:
        return {"against": "", "note": f"上次生成的记录无法读取：{exc.problems[0]}", "rows": []}
    if then == now:
        recorded = json.loads(manifest.read_text(encoding="utf-8")).get("changes", {}).get("previous_build")
        return recorded or {"against": build_words(stamp), "note": "", "rows": []}
    against = build_words(stamp)
    return {"against": against, "note": "", "rows": compare(then, now, against).to_dict("records")}


def build_changes(r: Report) -> dict:
    """Return a build's change log: against the previous build of the report, and the same bureau's previous year.

    Parameters
    ----------
    r : Report

    Returns
    -------
    dict
        ``previous_build`` and ``previous_year``, each ``{"against": words, "note": why there is
        nothing to compare (or ""), "rows": [records of compare()]}``.
    """
    now = snapshot(r)
    last = r.year - 1
    if last in paths.indicator_years(r.bureau.slug):
        previous_year = {"against": f"{last}年", "note": "",
                         "rows": compare(snapshot(load_report(r.bureau.slug, last)), now, f"{last}年").to_dict("records")}
    else:
        previous_year = {"against": "", "note": f"data/ 中没有{last}年的数据，无法与上一年度比较。", "rows": []}
    return {"previous_build": _previous_build(r, now), "previous_year": previous_year}


def recorded_changes(bureau: str, year: int) -> dict:
    """Return the change log the last build of a report recorded in ``outputs/<bureau>/<year>/manifest.json``.

    Raises
    ------
    DataError
        If there is no build of that year, or its manifest is unreadable or has no change log.
    """
    file = paths.report_outputs_dir(bureau, year) / "manifest.json"
    if not file.exists():
        raise DataError([Problem(file, "", f"no build of {bureau} {year} yet: run `amrbook build --bureau {bureau} "
                                           f"--year {year}` first, or compare the data with --against")])
    read_snapshot(file)
    changes = json.loads(file.read_text(encoding="utf-8")).get("changes")
    if not isinstance(changes, dict):
        raise DataError([Problem(file, "", "holds no change log (made by a build older than the change log)")])
    return changes


def changes_against(r: Report, against: str) -> pd.DataFrame:
    """Compare a report's data now with the same bureau's data of another year (``"2022"``) or a build's snapshot
    (a path).

    Raises
    ------
    DataError
        If the build's manifest is missing, unreadable or has no snapshot, or the other year's data do not validate.
    """
    if against.isdigit() and len(against) == 4 and not Path(against).exists():
        return compare(snapshot(load_report(r.bureau.slug, int(against))), snapshot(r), f"{against}年")
    then, stamp = read_snapshot(Path(against))
    return compare(then, snapshot(r), build_words(stamp))
