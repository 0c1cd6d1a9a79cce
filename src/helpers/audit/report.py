"""One report (bureau and year), loaded once: its source, indicators, metrics, findings and growth.

Everything after the audit (charts, narration, the Excel export, the build) takes a :class:`Report`::

    from helpers.audit.report import load_report
    r = load_report("conghua", 2023)
    r.indicators.loc["admin_penalty_cases", "value"]      # 439.0
    r["council_mediation_success_rate"].value             # an indicator or a metric, looked up alike
    r.findings[r.findings["severity"] != "ok"]             # what the audit found

:func:`load_report` is cached until a file under ``data/`` changes. A report is immutable: each
frame it hands out is a copy, so assigning into ``r.indicators`` changes neither ``r`` nor what the
next :func:`load_report` returns.
"""

from __future__ import annotations

import math
import os
import pickle
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import pandas as pd

from .. import paths
from ..errors import AmrbookError
from ..report.sources import Bureau, Source, source_for
from ..report.sources import bureau as find_bureau
from ..tables.indicators import indicator_table
from ..tables.load import load_catalog
from .checks import run_checks
from .growth import growth_between, metric_values, no_growth, stated_growth
from .metrics import compute_metrics, row_record
from .status import Missing


@dataclass(frozen=True)
class ReportFigure:
    """One number of a report, looked up by id: an indicator it states or a metric computed from them.

    Attributes
    ----------
    id, kind : str
        The id and ``indicator`` or ``metric``.
    label : str
        Its Chinese label (catalog.yml or metrics.yml).
    value : float
        In base units; NaN when the report lacks it (``missing`` says why).
    unit, period : str
        The unit; the period of an indicator, the periods of a metric's inputs.
    as_written : str
        An indicator as the report wrote it (``2247宗``); empty for a metric.
    inputs : tuple of dict
        The indicator records it rests on (itself for an indicator): value, span, period, sentence.
    substituted : str
        A metric's formula with the numbers put in; empty for an indicator.
    missing : Missing or str
        Why there is no value, a code (:class:`~helpers.audit.status.Missing`: the report lacks the
        indicator, or the metric has no value) that :func:`helpers.show.words.missing_words` words;
        empty otherwise.
    """

    id: str
    kind: str
    label: str
    value: float
    unit: str
    period: str
    as_written: str = ""
    inputs: tuple = ()
    substituted: str = ""
    missing: Missing | str = ""

    @property
    def sentences(self) -> list[str]:
        """The source sentences of the report this number comes from, once each, in order."""
        return list(dict.fromkeys(record["source_sentence"] for record in self.inputs))


@dataclass(frozen=True, eq=False)
class Report:
    """A report (bureau and year) with everything the audit knows about it; see :func:`load_report`.

    Attributes
    ----------
    bureau : Bureau
        Slug, full name and level (``data/raw/sources.yml``).
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
    growth, metric_growth : pandas.DataFrame
        同比 of every indicator (metric) against the same bureau's previous year
        (:func:`helpers.audit.growth.growth_between`); empty with ``attrs["reason"]`` when the bureau
        has no table of the year before.
    stated_growth : pandas.DataFrame
        The growth rates the report states, reconciled with the previous year when there is one.
    """

    bureau: Bureau
    year: int
    source: Source
    _indicators: pd.DataFrame = field(repr=False)
    _metrics: pd.DataFrame = field(repr=False)
    _findings: pd.DataFrame = field(repr=False)
    _growth: pd.DataFrame = field(repr=False)
    _metric_growth: pd.DataFrame = field(repr=False)
    _stated_growth: pd.DataFrame = field(repr=False)
    _catalog_labels: dict = field(repr=False)

    indicators = property(
        lambda self: self._indicators.copy(), doc="Every figure, indexed by id (a copy)."
    )
    metrics = property(
        lambda self: self._metrics.copy(), doc="Every derived metric, indexed by id (a copy)."
    )
    findings = property(
        lambda self: self._findings.copy(), doc="Every consistency finding (a copy)."
    )
    growth = property(lambda self: self._growth.copy(), doc="同比 of every indicator (a copy).")
    metric_growth = property(
        lambda self: self._metric_growth.copy(), doc="同比 of every metric (a copy)."
    )
    stated_growth = property(
        lambda self: self._stated_growth.copy(), doc="Growth the report states (a copy)."
    )

    @property
    def name(self) -> str:
        """The report in words: ``广州市从化区市场监督管理局2023年``."""
        return f"{self.bureau.name}{self.year}年"

    @property
    def title(self) -> str:
        """The report in words with its own type: the ``type`` ``amrbook add`` recorded, else
        ``source.title`` after the year.

        For example ``广州市从化区市场监督管理局2023年法治政府建设情况报告``, and
        ``广东省市场监督管理局2023年法治政府建设情况报告`` for a report titled
        ``…关于2023年度法治政府建设情况的报告``.
        """
        if self.source.kind:
            return f"{self.name}{self.source.kind}"
        kind = re.search(r"\d{4}\s*年度?(.+)$", self.source.title)
        return f"{self.name}{kind.group(1).strip() if kind else self.source.title}"

    def has(self, ids) -> bool:
        """True when the report has a value for every id of ``ids`` (indicators it states, metrics it can compute).

        The one test of whether a curated analysis (a chart, metric, check, main point, takeaway or thematic
        notebook) can be shown for this report: it appears only where all its inputs exist.
        """
        return all(ident in self for ident in ids)

    def topics(self) -> list[str]:
        """The catalog topics this report has figures for, in the order the report first states them."""
        return list(dict.fromkeys(self._indicators["topic"]))

    def __contains__(self, ident: str) -> bool:
        """True when the report has a value for ``ident`` (an indicator it states or a metric it can compute)."""
        return ident in self._indicators.index or (
            ident in self._metrics.index and not math.isnan(self._metrics.at[ident, "value"])
        )

    def __getitem__(self, ident: str) -> ReportFigure:
        return self.lookup(ident)

    def lookup(self, ident: str) -> ReportFigure:
        """Return an indicator or a metric by id: value, unit, label, period, sentences and inputs.

        An indicator of the catalog the report does not state, or a metric without a value,
        comes back with a NaN value and ``missing`` saying why (a :class:`~helpers.audit.status.Missing`
        code; the show layer words it): a new year or bureau may lack a figure, and the rest is still
        worth showing.

        Raises
        ------
        AmrbookError
            If ``ident`` is neither an indicator of the catalog nor a metric of metrics.yml.
        """
        table, metrics = self._rows
        if ident in table:
            row = table[ident]
            return _figure(
                ident,
                "indicator",
                row,
                row["period"],
                as_written=row["as_written"],
                inputs=(row_record(ident, row),),
            )
        if ident in metrics:
            m = metrics[ident]
            return _figure(
                ident,
                "metric",
                m,
                m["periods"],
                inputs=tuple(m["inputs"]),
                substituted=m["substituted"],
                missing="" if not math.isnan(m["value"]) else Missing.NO_VALUE,
            )
        if ident in self._catalog_labels:
            label, unit = self._catalog_labels[ident]
            return ReportFigure(
                ident, "indicator", label, math.nan, unit, "", missing=Missing.NOT_IN_TABLE
            )
        raise AmrbookError(f"{{{ident}}}: neither an indicator of the catalog nor a metric")

    @cached_property
    def _rows(self) -> tuple[dict[str, dict], dict[str, dict]]:
        """Each indicator's and each metric's row as a dict, by id, made once per report for :meth:`lookup`:
        a row of a frame of mixed columns (``frame.loc[id]``) costs a hundred times a dict's. Read only: every
        figure :meth:`lookup` returns is made anew from them."""
        return self._indicators.to_dict("index"), self._metrics.to_dict("index")


def _figure(ident: str, kind: str, row, period: str, **rest) -> ReportFigure:
    """A figure from its row of the indicator or metric table (label, value and unit alike)."""
    return ReportFigure(
        ident, kind, row["label_zh"], float(row["value"]), row["unit"], period, **rest
    )


def load_report(bureau: str | None, year: int) -> Report:
    """Return a report with its indicators, metrics, findings and growth against the same bureau's previous year.

    Parameters
    ----------
    bureau : str or None
        The bureau's slug in ``data/raw/sources.yml``; None for its ``default_bureau``.
    year : int

    Raises
    ------
    AmrbookError
        For an unknown bureau (listing the known ones) or a year the bureau has no report of.
    DataError
        If a data file of that report does not validate.
    """
    slug, version = find_bureau(bureau).slug, paths.data_version()
    return _handed_over(slug, int(year), version) or _load(slug, int(year), version)


#: The largest handed-over report read (one report pickles to well under a megabyte).
MAX_HANDOVER_BYTES = 64_000_000


def hand_over(r: Report, folder: Path) -> Path:
    """Leave ``r``, loaded and validated by a build, in ``folder`` for its kernels (named by
    :data:`helpers.paths.HANDOVER_ENV`): their :func:`load_report` takes it while the data are unchanged, instead of
    reading and validating them again."""
    file = folder / f"{r.bureau.slug}-{r.year}.pickle"
    staged = file.with_name(f".{file.name}.{os.getpid()}.tmp")
    staged.write_bytes(pickle.dumps((paths.data_version(), r)))
    staged.chmod(
        0o600
    )  # whatever the umask: only a file no one else can write is unpickled (_private)
    os.replace(staged, file)
    return file


def _private(stat: os.stat_result) -> bool:
    """Whether a handed-over file may be unpickled (which can run code): not larger than
    :data:`MAX_HANDOVER_BYTES`, owned by this user, and writable by no one else."""
    owner = os.getuid() if hasattr(os, "getuid") else stat.st_uid
    return stat.st_size <= MAX_HANDOVER_BYTES and stat.st_uid == owner and not stat.st_mode & 0o022


def _handed_over(slug: str, year: int, version: tuple) -> Report | None:
    """The report a build handed over (:func:`hand_over`), if there is one and the data are the version it
    was loaded from (checked: a file changed since gives another version, and the report is loaded anew).

    Like any cache it is checked, never trusted: a file that is not a regular one, not :func:`_private`
    (too large, another user's, or writable by others: unpickling can run code), not a pickle, or not a
    (version, Report) pair is passed over and the report loaded anew (``AMRBOOK_REPORTS`` left set in a
    shell, or naming another folder, raised UnpicklingError, ValueError or TypeError from every command)."""
    folder = os.environ.get(paths.HANDOVER_ENV)
    file = Path(folder) / f"{slug}-{year}.pickle" if folder else None
    try:
        if file is None or not file.is_file() or not _private(file.stat()):
            return None
        handed = pickle.loads(file.read_bytes())
    except Exception:  # unpickling bytes that are not a report may raise anything
        return None
    if not (isinstance(handed, tuple) and len(handed) == 2):
        return None
    loaded, r = handed
    return r if loaded == version and isinstance(r, Report) else None


@lru_cache(maxsize=8)
def _load(slug: str, year: int, version: tuple) -> Report:
    source = source_for(slug, year)
    indicators = indicator_table(slug, year)
    metrics = compute_metrics(indicators, year)
    findings = run_checks(indicators, metrics)
    previous = _load(slug, year - 1, version) if year - 1 in paths.indicator_years(slug) else None
    if previous is None:
        why = f"{slug} has no indicator table of {year - 1}; year-on-year change needs the previous year"
        growth, metric_growth = no_growth(why), no_growth(why)
    else:
        growth = growth_between(previous._indicators, indicators, year - 1, year)
        metric_growth = growth_between(
            metric_values(previous._metrics), metric_values(metrics), year - 1, year
        )
    stated = stated_growth(indicators, previous._indicators if previous else None, year)
    catalog = load_catalog()
    labels = dict(zip(catalog.index, zip(catalog["label_zh"], catalog["unit"])))
    return Report(
        find_bureau(slug),
        year,
        source,
        indicators,
        metrics,
        findings,
        growth,
        metric_growth,
        stated,
        labels,
    )


def report_years(bureau: str | None = None) -> list[int]:
    """Return the years a bureau (None: the default bureau) has a curated indicator table for, in order."""
    return paths.indicator_years(find_bureau(bureau).slug)
