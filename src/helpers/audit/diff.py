"""What changed between two versions of a report's data: figures, metrics and findings. Pure: no files.

A :func:`snapshot` of a report holds what a comparison needs (the figures with their value, as
written and source sentence; each metric's value and status; each finding's severity and result);
each build records one in its manifest. :func:`compare` lists what differs between two snapshots:

* a figure whose value (or wording) changed, with its source sentence;
* a figure added or removed, with its sentence;
* a metric or a finding whose status changed.

The build's change log (against the previous build and the same bureau's previous year) is put
together in :mod:`helpers.publish.changelog`, which reads the previous manifest; its words are
:mod:`helpers.show.changes`.
"""

from __future__ import annotations

import json
import math

import pandas as pd

from .report import Report

#: Columns of a comparison, in order.
COLUMNS = ["against", "change", "kind", "id", "label", "before", "after", "sentence", "at"]
#: What kinds of change there are (the ``change`` column).
CHANGES = ("value", "added", "removed", "status")


def _number(value) -> float | None:
    return (
        None
        if value is None or (isinstance(value, float) and not math.isfinite(value))
        else float(value)
    )


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
    figures = {
        f.Index: {
            "label": f.label_zh,
            "value": _number(f.value),
            "unit": f.unit,
            "as_written": f.as_written,
            "period": f.period,
            "sentence": f.source_sentence,
            "at": [f.start - f.sentence_start, f.end - f.sentence_start],
        }
        for f in r.indicators.itertuples()
    }
    metrics = {
        m.Index: {
            "label": m.label_zh,
            "value": _number(m.value),
            "unit": m.unit,
            "status": m.status,
        }
        for m in r.metrics.itertuples()
    }
    findings = {
        f.check: {"label": f.description, "severity": f.severity, "result": f.result}
        for f in r.findings.itertuples()
    }
    return json.loads(
        json.dumps(
            {
                "bureau": r.bureau.slug,
                "year": r.year,
                "figures": figures,
                "metrics": metrics,
                "findings": findings,
            },
            ensure_ascii=False,
        )
    )


def _row(
    against: str,
    change: str,
    kind: str,
    ident: str,
    label: str,
    before: str,
    after: str,
    figure: dict | None = None,
) -> dict:
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
        (the earlier one for a removed figure) and ``at`` the figure's span in it. Figures come in
        the order of the report, then
        metrics and findings in the order of their files.
    """
    rows = []
    old, new = before.get("figures", {}), after.get("figures", {})
    for ident, figure in new.items():
        if ident not in old:
            rows.append(
                _row(
                    against,
                    "added",
                    "figure",
                    ident,
                    figure["label"],
                    "",
                    figure["as_written"],
                    figure,
                )
            )
        elif (old[ident]["value"], old[ident]["as_written"]) != (
            figure["value"],
            figure["as_written"],
        ):
            rows.append(
                _row(
                    against,
                    "value",
                    "figure",
                    ident,
                    figure["label"],
                    old[ident]["as_written"],
                    figure["as_written"],
                    figure,
                )
            )
    rows += [
        _row(against, "removed", "figure", ident, figure["label"], figure["as_written"], "", figure)
        for ident, figure in old.items()
        if ident not in new
    ]
    for kind, field in (("metric", "status"), ("finding", "severity")):
        was = before.get(f"{kind}s", {})
        for ident, item in after.get(f"{kind}s", {}).items():
            if ident in was and was[ident][field] != item[field]:
                rows.append(
                    _row(
                        against,
                        "status",
                        kind,
                        ident,
                        item["label"],
                        was[ident][field],
                        item[field],
                    )
                )
    return pd.DataFrame(rows, columns=COLUMNS)


def against_build(then: dict, now: dict, against: str, recorded: dict | None) -> dict:
    """The part of a change log comparing the data now with a previous build's snapshot ``then``.

    Parameters
    ----------
    then, now : dict
        Snapshots (:func:`snapshot`) of the previous build and of the data now.
    against : str
        The previous build in words.
    recorded : dict or None
        The comparison that previous build recorded against the build before it.

    Returns
    -------
    dict
        ``{"against", "note": "", "rows": [records of compare()]}``; when the data are those of the
        previous build, the comparison it recorded, so a rebuild of unchanged data says what the last
        change of the data changed.
    """
    if then == now:
        return recorded or {"against": against, "note": "", "rows": []}
    return {"against": against, "note": "", "rows": compare(then, now, against).to_dict("records")}


def against_year(then: dict, now: dict, against: str) -> dict:
    """The part of a change log comparing the data now with the same bureau's previous year ``then``."""
    return {"against": against, "note": "", "rows": compare(then, now, against).to_dict("records")}
