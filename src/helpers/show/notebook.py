"""Set-up shared by every notebook, so no notebook repeats it."""
from __future__ import annotations

import pandas as pd
from IPython import get_ipython
from IPython.core.pylabtools import print_figure
from IPython.display import HTML, display
from matplotlib.figure import Figure

from .charts import set_theme
from .narrative import reset_footnotes

STYLE = """<style>
.narrative { line-height: 1.8; }
.narrative .fig { border-bottom: 1px dotted #1f4e79; cursor: help; }
.narrative sup a, ol.sources a { text-decoration: none; }
ol.sources { font-size: 0.85em; color: #444; }
ol.sources mark, .figure-card mark, .findings mark { background: #fde9a9; }
.findings li { margin-bottom: 0.8em; }
.findings li.error b { color: #a12a24; }
.findings li.warn b { color: #9a6a00; }
.figure-card { border-left: 3px solid #1f4e79; padding: 0.3em 0.8em; margin: 0.5em 0; }
.figure-card .en { color: #777; font-size: 0.85em; }
.jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th { text-align: left; }
</style>"""


def setup() -> None:
    """Prepare a notebook: chart theme with a CJK font, figures shown as PNG, footnotes from 1.

    The font charts use is :func:`helpers.show.fonts.find_cjk_font`.
    """
    set_theme()
    shell = get_ipython()
    if shell is not None:  # charts are pyplot-free Figures: show them as PNG when they are a cell's result
        shell.display_formatter.formatters["image/png"].for_type(
            Figure, lambda fig: print_figure(fig, "png", bbox_inches="tight", dpi=150))
    reset_footnotes()
    pd.set_option("display.max_colwidth", 80)
    pd.set_option("display.max_rows", 200)
    display(HTML(STYLE))
