"""The audit's findings in words: each result worded, each note filled from data."""
from __future__ import annotations

import pandas as pd

from ..audit.report import Report
from ..tables.load import load_catalog
from .format import result_text
from .narrative import fill
from .words import SEVERITY_WORDS


def worded_findings(r: Report) -> pd.DataFrame:
    """Return every finding of a report (:func:`helpers.audit.checks.run_checks`) ready to read.

    Adds ``message`` (the result in English, for the command line), ``级别`` and ``结果`` (the
    severity and the result in Chinese, a missing figure named by its label) and fills each
    ``note``'s ``{id}`` placeholders.

    Parameters
    ----------
    r : Report

    Returns
    -------
    pandas.DataFrame
    """
    findings, metrics = r.findings, r.metrics
    labels = {**load_catalog()["label_zh"].to_dict(), **metrics["label_zh"].to_dict()}
    statuses = metrics["status"].to_dict()

    def words(lang: str) -> list[str]:
        return [result_text(f.result, f.sides, f.missing, f.error, r.year, labels, lang, statuses)
                for f in findings.itertuples()]

    return findings.assign(message=words("en"), 级别=findings["severity"].map(SEVERITY_WORDS), 结果=words("zh"),
                           note=[fill(r, n) if n else "" for n in findings["note"]])
