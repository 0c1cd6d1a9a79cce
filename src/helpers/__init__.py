"""Analysis workbook for the annual reports of Chinese market-regulation bureaus.

In a notebook::

    import helpers as hb
    hb.setup()                                   # chart theme with a CJK font, footnotes
    hb.indicator_table(year)                         # every figure, labelled, with its sentence
    hb.say(year, "罚没{penalty_confiscation_amount}")   # narration filled from data, with sources
    hb.chart(year, "mediation_reconciliation")       # a chart of data/charts.yml (a Figure)
    hb.views.topic_findings(year, "consumer_protection")
"""
from . import charts, checks, growth, metrics, views
from .checks import run_checks
from .errors import AmrbookError, DataError, Problem
from .growth import growth_table, stated_growth
from .load import load_catalog, load_indicators
from .metrics import compute_metrics, explain
from .charts import chart
from .narrative import say, summary, takeaways
from .notebook import setup
from .numbers import parse_figure
from .sources import raw_text, sentence_at
from .tables import indicator_table
from .widgets import Explorer

__all__ = ["AmrbookError", "DataError", "Explorer", "Problem", "chart", "charts", "checks", "compute_metrics", "explain",
           "growth", "growth_table", "indicator_table", "load_catalog", "load_indicators", "metrics",
           "parse_figure", "raw_text", "run_checks", "say", "sentence_at", "setup", "stated_growth", "summary", "takeaways", "views"]
