"""Analysis workbook for the annual reports of Chinese market-regulation bureaus.

In a notebook::

    import helpers as hb
    notes = hb.setup()                               # chart theme with a CJK font; the notebook's footnotes
    r = hb.load_report(bureau, year)                 # a Report: r.indicators, r.metrics, r.findings, r.growth
    r["admin_penalty_cases"].value                   # any indicator or metric by id
    hb.say(r, "罚没{penalty_confiscation_amount}", notes)   # narration filled from data, with sources
    hb.draw_chart(r, "mediation_reconciliation")     # a chart of data/charts.yml (a matplotlib Figure)
    hb.topic_findings(r, "consumer_protection")
    hb.agrees(computed_rate, r, "council_mediation_rate_of_received")   # a rate computed in pandas = metrics.yml

These are the names the notebooks use (README, "The notebook API"). Each is imported on first
use, so ``amrbook`` commands load only what they need; the imports under ``TYPE_CHECKING`` are the
same names, so editors and type checkers see every one (``tests/test_architecture.py`` keeps the two
lists equal).
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the public API, as type checkers and editors see it
    from .audit.report import load_report, report_years
    from .show import briefing
    from .show.changes import changes_html
    from .show.charts import (PALETTE, chart_inputs, draw_chart, finish_chart, largest_changes_chart,
                              section_counts_chart)
    from .show.format import period_words
    from .show.narrative import fill, say, summary, takeaways
    from .show.notebook import setup
    from .show.words import chinese
    from .show.review import review_html
    from .show.views import agrees, findings_html, growth_view, implied_previous, quality_summary, topic_findings
    from .show.widgets import Explorer

#: Each public name and the module it comes from (a module itself when the name is a module).
_PUBLIC = {
    "load_report": "audit.report", "report_years": "audit.report",
    "briefing": "show.briefing", "changes_html": "show.changes",
    "PALETTE": "show.charts", "chart_inputs": "show.charts", "draw_chart": "show.charts", "finish_chart": "show.charts",
    "largest_changes_chart": "show.charts", "section_counts_chart": "show.charts",
    "period_words": "show.format",
    "fill": "show.narrative", "say": "show.narrative", "summary": "show.narrative", "takeaways": "show.narrative",
    "setup": "show.notebook", "chinese": "show.words", "review_html": "show.review",
    "agrees": "show.views", "findings_html": "show.views", "growth_view": "show.views",
    "implied_previous": "show.views", "quality_summary": "show.views", "topic_findings": "show.views",
    "Explorer": "show.widgets",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'helpers' has no attribute {name!r}")
    module = importlib.import_module(f".{_PUBLIC[name]}", __name__)
    return module if module.__name__.endswith(f".{name}") else getattr(module, name)


def __dir__() -> list[str]:
    return __all__
