"""The audit's findings in words: each result worded, each note filled from data."""

from __future__ import annotations

import pandas as pd

from ..audit.report import Report
from ..audit.template import figures_in
from ..errors import AmrbookError
from ..tables.load import load_catalog
from .format import IDENTIFIER, checked_text, result_text
from .narrative import fill
from .words import SEVERITY_WORDS


def own_findings(r: Report) -> pd.DataFrame:
    """The findings that concern a report: every rule that ran, and each rule not checked for which
    the report states at least one figure (its total without its parts). A rule about figures the
    report never states (a rule of 从化's 12315 centre, for a report without one) is not its rule:
    pages and counts leave it out, so 表1 lists only checks that ran or that the report half-meets.
    """
    findings = r.findings
    return findings[
        (findings["severity"] != "skipped") | findings["figures"].map(bool).astype(bool)
    ]


def worded_findings(r: Report) -> pd.DataFrame:
    """Return every finding that concerns a report (:func:`own_findings`) ready to read.

    Adds ``message`` (the result in English, for the command line), ``级别`` and ``结果`` (the
    severity and the result in Chinese), ``核对`` (the rule with each figure in its unit:
    ``71.59% = 22.65%``) and fills each ``note``'s ``{id}`` placeholders. A rule run for each rate
    (``for_each``) names its rate first in ``description`` (``区消委会调解成功率：比率应在0%至100%之间``).

    Parameters
    ----------
    r : Report

    Returns
    -------
    pandas.DataFrame
    """
    findings, metrics = own_findings(r), r.metrics
    labels = {**load_catalog()["label_zh"].to_dict(), **metrics["label_zh"].to_dict()}
    statuses = metrics["status"].to_dict()

    def words(lang: str) -> list[str]:
        return [
            result_text(
                f.result,
                f.sides,
                f.missing,
                f.error,
                r.year,
                labels,
                lang,
                statuses,
                unit="" if "," in f.units else f.units,
            )
            for f in findings.itertuples()
        ]

    def figures(f) -> dict[str, tuple[float, str]]:
        names = {n: f.subject if n == "value" else n for n in IDENTIFIER.findall(f.expression)}
        return {
            n: (figure.value, figure.unit)
            for n, ident in names.items()
            if ident
            for figure in [_lookup(r, ident)]
            if figure is not None
        }

    rows = list(findings.itertuples())
    skipped = findings["severity"] == "skipped"
    # a rule not checked compares nothing: no numbers with gaps in them, no note naming a missing figure
    return findings.assign(
        message=words("en"),
        级别=findings["severity"].map(SEVERITY_WORDS),
        结果=words("zh"),
        核对=[
            "" if not_checked else checked_text(f.expression, figures(f))
            for f, not_checked in zip(rows, skipped)
        ],
        substituted=findings["substituted"].where(~skipped, ""),
        description=[
            f"{_lookup(r, f.subject).label}：{f.description}"
            if f.subject and _lookup(r, f.subject)
            else f.description
            for f in rows
        ],
        note=[fill(r, n) if n and r.has(figures_in(n)) else "" for n in findings["note"]],
    )


def _lookup(r: Report, ident: str):
    """The figure ``ident`` names, or None for a word of the rule that is not an id (and, or)."""
    try:
        return r.lookup(ident)
    except AmrbookError:
        return None
