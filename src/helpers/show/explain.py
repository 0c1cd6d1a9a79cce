"""How one derived metric is computed, written out: formula, numbers, and the sentences they come from."""

from __future__ import annotations

from .. import paths
from ..audit.report import Report
from ..errors import DataError, Problem, listing
from .format import grouped


def explain(r: Report, metric_id: str) -> str:
    """Explain one metric: its formula, the numbers that go in, and the sentences they come from.

    Parameters
    ----------
    r : Report
    metric_id : str

    Returns
    -------
    str
        Several lines of plain text (what ``amrbook explain`` prints).

    Raises
    ------
    DataError
        If ``metric_id`` is not declared in ``metrics.yml``.
    """
    frame = r.metrics
    if metric_id not in frame.index:
        raise DataError(
            [
                Problem(
                    paths.metrics_file(),
                    "",
                    f"no metric {metric_id!r} (known: {listing(frame.index)})",
                )
            ]
        )
    m = frame.loc[metric_id]
    lines = [
        f"{metric_id}  {m['label_zh']} / {m['label_en']}",
        f"  = {grouped(m['value'])} {m['unit']}"
        + ("" if m["status"] == "ok" else f"  ({m['status']})"),
        f"  formula: {m['formula']}",
        f"         = {m['substituted']}",
    ]
    if m["reconciles_with"]:
        lines.append(
            f"  the report states {m['reconciles_with']} = {grouped(m['stated_value'])}; "
            f"difference {grouped(m['difference'])}"
        )
    flags = [
        f
        for f, on in (
            ("approximate input", m["approx_input"]),
            ("partial-period input", m["partial_period"]),
        )
        if on
    ]
    if flags:
        lines.append(f"  flags: {', '.join(flags)} (periods: {m['periods']})")
    lines.append("  inputs:")
    for i in m["inputs"]:  # each input figure (a dict), not the report r
        lines.append(
            f"    {i['id']} = {grouped(i['value'])} {i['unit']}  ({i['as_written']}, characters "
            f"{i['start']}-{i['end']}, period {i['period']}, {i['qualifier']})"
        )
        lines.append(f"      「{i['source_sentence']}」")
    if m["note"]:
        lines.append(f"  note: {m['note']}")
    return "\n".join(lines)
