"""One report year, loaded once: its source, indicators, metrics and findings, with provenance.

Later stages (charts, narration, the Excel export, the build) take a :class:`Year` instead of
re-deriving the same tables from a year number::

    from helpers.audit.year import load_year
    y = load_year(2023)
    y.indicators.loc["admin_penalty_cases", "value"]      # 439.0
    y.metrics.loc["council_mediation_success_rate"]        # formula, inputs, sentences
    y.findings[y.findings["severity"] != "ok"]             # what the audit found

:func:`load_year` is cached until a file under ``data/`` changes.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from .. import paths
from ..report.sources import Source, source_for


@dataclass(frozen=True)
class Year:
    """A report year with everything the audit knows about it.

    Attributes
    ----------
    year : int
    source : Source
        The raw report (publisher, title, file, sha256).
    indicators : pandas.DataFrame
        Every figure, indexed by id: value, unit, span, period, qualifier, labels, topic, section,
        note, ``source_sentence`` and ``sentence_start``.
    metrics : pandas.DataFrame
        Every derived metric, indexed by id: value, formula with numbers, inputs with sentences.
    findings : pandas.DataFrame
        Every consistency finding: severity, rule, numbers, figures with sentences.
    """

    year: int
    source: Source
    indicators: pd.DataFrame
    metrics: pd.DataFrame
    findings: pd.DataFrame



def load_year(year: int | Year) -> Year:
    """Return a report year with its indicators, metrics and findings (a :class:`Year` is returned as is).

    Raises
    ------
    DataError
        If a data file of that year does not validate.
    """
    if isinstance(year, Year):
        return year
    return _load(int(year), paths.data_version())


@lru_cache(maxsize=8)
def _load(year: int, _version: tuple) -> Year:
    from .checks import run_checks
    from .metrics import compute_metrics, indicator_values

    return Year(year=year, source=source_for(year), indicators=indicator_values(year),
                metrics=compute_metrics(year).set_index("id", drop=False), findings=run_checks(year))
