"""Analysis workbook for the annual reports of Chinese market-regulation bureaus.

In a notebook::

    import helpers as hb
    hb.setup()                                       # chart theme with a CJK font, footnotes
    hb.indicator_table(year)                         # every figure, labelled, with its sentence
    hb.say(year, "罚没{penalty_confiscation_amount}")   # narration filled from data, with sources
    hb.chart(year, "mediation_reconciliation")       # a chart of data/charts.yml (a Figure)
    hb.views.topic_findings(year, "consumer_protection")

Names are imported on first use, so ``amrbook`` commands load only what they need.
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "AmrbookError": "errors", "DataError": "errors", "Problem": "errors",
    "Explorer": "widgets", "chart": "charts", "compute_metrics": "metrics", "explain": "metrics",
    "growth_table": "growth", "stated_growth": "growth", "indicator_table": "tables",
    "load_catalog": "load", "load_indicators": "load", "parse_figure": "numbers", "raw_text": "sources",
    "run_checks": "checks", "say": "narrative", "sentence_at": "sources", "setup": "notebook",
    "summary": "narrative", "takeaways": "narrative",
}
_MODULES = {"charts", "checks", "fonts", "growth", "metrics", "views", "paths", "narrative", "render", "build",
            "export"}

__all__ = sorted([*_EXPORTS, *_MODULES])


def __getattr__(name: str):
    if name in _MODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'helpers' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
