"""The audit's findings in words: each result worded, each note filled from data."""
from __future__ import annotations

import pandas as pd

from ..audit.report import Report
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
        return [result_text(f.result, f.sides, f.missing, f.error, lang) for f in findings.itertuples()]

    return findings.assign(message=words("en"), 级别=findings["severity"].map(SEVERITY_WORDS), 结果=words("zh"),
                           note=[fill(r, n) if n else "" for n in findings["note"]])
