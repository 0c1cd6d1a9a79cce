"""The audit's findings in words: each result worded, each note filled from data."""
from __future__ import annotations

import pandas as pd

from ..audit.report import Report
from ..audit.template import figures_in
from .format import SEVERITY_WORDS, result_text
from .narrative import fill


def worded_findings(r: Report) -> pd.DataFrame:
    """Return every finding of a report (:func:`helpers.audit.checks.run_checks`) ready to read.

    Adds ``message`` (the result in English, for the command line), ``级别`` and ``结果`` (the
    severity and the result in Chinese) and fills each ``note``'s ``{id}`` placeholders.

    Parameters
    ----------
    r : Report

    Returns
    -------
    pandas.DataFrame
    """
    findings = r.findings

    def words(lang: str) -> list[str]:
        return [f"未核对：缺少{'、'.join(r[i].label for i in f.missing)}" if lang == "zh" and f.result == "missing"
                else result_text(f.result, f.sides, f.missing, f.error, lang) for f in findings.itertuples()]

    skipped = findings["severity"] == "skipped"
    # a rule not checked compares nothing: no numbers with gaps in them, no note naming a missing figure
    return findings.assign(message=words("en"), 级别=findings["severity"].map(SEVERITY_WORDS), 结果=words("zh"),
                           substituted=findings["substituted"].where(~skipped, ""),
                           note=[fill(r, n) if n and r.has(figures_in(n)) else "" for n in findings["note"]])
