"""Analysis workbook for the annual reports of Chinese market-regulation bureaus.

The public functions most analysts need are re-exported here::

    import helpers
    frame = helpers.indicator_table(2023)      # every figure, labelled, with its sentence
"""
from .errors import AmrbookError, DataError, Problem
from .load import load_catalog, load_indicators
from .numbers import parse_figure
from .sources import raw_text, sentence_at
from .tables import indicator_table

__all__ = ["AmrbookError", "DataError", "Problem", "indicator_table", "load_catalog", "load_indicators",
           "parse_figure", "raw_text", "sentence_at"]
