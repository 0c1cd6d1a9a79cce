"""Set-up shared by every notebook, so no notebook repeats it."""

from __future__ import annotations

import pandas as pd
from IPython import get_ipython
from IPython.core.pylabtools import print_figure
from IPython.display import HTML, display
from matplotlib.figure import Figure

from .charts import set_theme
from .format import grouped
from .sources import Footnotes
from .style import style_css


def setup() -> Footnotes:
    """Prepare a notebook: chart theme with a CJK font, charts shown as PNG, numbers in tables written
    by :func:`helpers.show.format.grouped` (separators, no scientific notation); return its footnotes.

    The font charts use is :func:`helpers.show.fonts.find_cjk_font`. The returned
    :class:`~helpers.show.sources.Footnotes` numbers the footnotes of :func:`helpers.show.narrative.say`
    from 1 on through the notebook: ``notes = hb.setup()``, then ``hb.say(r, template, notes)``.
    """
    set_theme()
    shell = get_ipython()
    if (
        shell is not None
    ):  # charts are pyplot-free Figures: show them as PNG when they are a cell's result
        shell.display_formatter.formatters["image/png"].for_type(
            Figure, lambda fig: print_figure(fig, "png", bbox_inches="tight", dpi=150)
        )
        shell.display_formatter.formatters["text/html"].for_type(pd.DataFrame, table_html)
    pd.set_option("display.float_format", grouped)  # 5,116 and 165.9544, never 5.116000e+03
    pd.set_option("display.max_colwidth", 80)
    pd.set_option("display.max_rows", 200)
    display(HTML(f"<style>{style_css()}</style>"))
    return Footnotes()


def table_html(frame: pd.DataFrame) -> str:
    """A table as a notebook shows it: pandas' own HTML, with ``—`` for a missing value.

    pandas writes ``NaN`` for a missing value whatever ``display.float_format`` says (its notebook
    HTML fixes the ``na_rep``), so :func:`setup` shows tables through this.

    Examples
    --------
    >>> page = table_html(pd.DataFrame({"上年实际": [float("nan")]}))
    >>> "<td>—</td>" in page, "NaN" in page
    (True, False)
    """
    return frame.to_html(
        na_rep="—",
        max_rows=pd.get_option("display.max_rows"),
        max_cols=pd.get_option("display.max_columns"),
        show_dimensions=pd.get_option("display.show_dimensions"),
        notebook=True,
    )
