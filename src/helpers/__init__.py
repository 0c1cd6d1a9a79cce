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

if TYPE_CHECKING:  # the public API, as type checkers and editors see it (`x as x`: re-exported)
    from .audit.compare import compare_with_peers as compare_with_peers
    from .audit.report import load_report as load_report
    from .audit.report import report_years as report_years
    from .show import briefing as briefing
    from .show.changes import changes_html as changes_html
    from .show.charts import (
        PALETTE as PALETTE,
    )
    from .show.charts import (
        chart_inputs as chart_inputs,
    )
    from .show.charts import (
        draw_chart as draw_chart,
    )
    from .show.charts import (
        finish_chart as finish_chart,
    )
    from .show.charts import (
        largest_changes_chart as largest_changes_chart,
    )
    from .show.charts import (
        section_counts_chart as section_counts_chart,
    )
    from .show.compare import compare_intro as compare_intro
    from .show.compare import compare_more as compare_more
    from .show.compare import compare_say as compare_say
    from .show.compare import compare_view as compare_view
    from .show.compare import only_view as only_view
    from .show.format import period_words as period_words
    from .show.narrative import fill as fill
    from .show.narrative import say as say
    from .show.narrative import summary as summary
    from .show.narrative import takeaways as takeaways
    from .show.notebook import setup as setup
    from .show.readable import chinese as chinese
    from .show.review import review_html as review_html
    from .show.views import (
        agrees as agrees,
    )
    from .show.views import (
        findings_html as findings_html,
    )
    from .show.views import (
        growth_view as growth_view,
    )
    from .show.views import (
        implied_previous as implied_previous,
    )
    from .show.views import (
        quality_summary as quality_summary,
    )
    from .show.views import (
        topic_findings as topic_findings,
    )
    from .show.widgets import Explorer as Explorer

#: Each public name and the module it comes from (a module itself when the name is a module).
_PUBLIC = {
    "compare_with_peers": "audit.compare",
    "load_report": "audit.report",
    "report_years": "audit.report",
    "briefing": "show.briefing",
    "changes_html": "show.changes",
    "compare_intro": "show.compare",
    "compare_more": "show.compare",
    "compare_say": "show.compare",
    "compare_view": "show.compare",
    "only_view": "show.compare",
    "PALETTE": "show.charts",
    "chart_inputs": "show.charts",
    "draw_chart": "show.charts",
    "finish_chart": "show.charts",
    "largest_changes_chart": "show.charts",
    "section_counts_chart": "show.charts",
    "period_words": "show.format",
    "fill": "show.narrative",
    "say": "show.narrative",
    "summary": "show.narrative",
    "takeaways": "show.narrative",
    "setup": "show.notebook",
    "chinese": "show.readable",
    "review_html": "show.review",
    "agrees": "show.views",
    "findings_html": "show.views",
    "growth_view": "show.views",
    "implied_previous": "show.views",
    "quality_summary": "show.views",
    "topic_findings": "show.views",
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
