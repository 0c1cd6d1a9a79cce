"""Analysis workbook for the annual reports of Chinese market-regulation bureaus.

In a notebook::

    import helpers as hb
    hb.setup()                                       # chart theme with a CJK font, footnotes
    hb.indicator_table(year)                         # every figure, labelled, with its sentence
    hb.say(year, "罚没{penalty_confiscation_amount}")   # narration filled from data, with sources
    hb.chart(year, "mediation_reconciliation")       # a chart of data/charts.yml (a Figure)
    hb.views.topic_findings(year, "consumer_protection")
    y = hb.load_year(year)                           # the year's tidy tables: y.indicators, y.metrics, y.findings
    hb.agrees(computed_rate, y, "council_mediation_rate_of_received")   # a rate computed in pandas = metrics.yml

Names are imported on first use, so ``amrbook`` commands load only what they need.
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "AmrbookError": "errors", "agrees": "show.views", "fill": "show.narrative", "load_year": "audit.year", "DataError": "errors", "Problem": "errors",
    "Explorer": "show.widgets", "chart": "show.charts", "compute_metrics": "audit.metrics",
    "explain": "show.explain", "growth_table": "audit.growth", "stated_growth": "audit.growth",
    "indicator_table": "tables.indicators", "load_catalog": "tables.load", "load_indicators": "tables.load",
    "parse_figure": "report.numbers", "raw_text": "report.sources", "run_checks": "audit.checks",
    "say": "show.narrative", "sentence_at": "report.sources", "setup": "show.notebook",
    "summary": "show.narrative", "takeaways": "show.narrative", "changes_html": "show.changes",
}
#: Modules reachable as ``hb.<name>``: the stages, and the modules notebooks use by their short names.
_MODULES = {"report": "report", "tables": "tables", "audit": "audit", "show": "show", "publish": "publish",
            "paths": "paths", "charts": "show.charts", "checks": "audit.checks", "fonts": "show.fonts",
            "growth": "audit.growth", "metrics": "audit.metrics", "narrative": "show.narrative",
            "views": "show.views", "briefing": "show.briefing", "render": "publish.render", "build": "publish.build",
            "export": "publish.export"}

__all__ = sorted([*_EXPORTS, *_MODULES])


def __getattr__(name: str):
    if name in _MODULES:
        return importlib.import_module(f".{_MODULES[name]}", __name__)
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'helpers' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
