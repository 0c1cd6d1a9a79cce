"""Indicator tables joined with what an analyst needs to read them: labels and source sentences."""

from __future__ import annotations

import pandas as pd

from ..report.sources import Sentences, raw_text
from .load import load_catalog, load_indicators


def indicator_table(bureau: str, year: int) -> pd.DataFrame:
    """Return a report's indicators with catalog labels and the sentence each figure comes from.

    Parameters
    ----------
    bureau : str
        The bureau's slug.
    year : int

    Returns
    -------
    pandas.DataFrame
        Indexed by indicator ``id``: the validated columns of
        :func:`helpers.tables.load.load_indicators` plus ``label_zh``, ``label_en``, ``topic``,
        ``source_sentence`` and ``sentence_start`` (where
        that sentence starts in the report, so a figure's place in it is ``start - sentence_start``).
    """
    frame = load_indicators(bureau, year)
    catalog = load_catalog()
    text = raw_text(bureau, year)
    labels = catalog.loc[frame["id"], ["label_zh", "label_en", "topic"]].reset_index(drop=True)
    sentences = Sentences(text)  # one pass over the report for every row, not one per row
    spans = [sentences.span(s, e) for s, e in zip(frame["start"], frame["end"])]
    return (
        pd.concat([frame, labels], axis=1)
        .assign(source_sentence=[text[a:b] for a, b in spans], sentence_start=[a for a, _ in spans])
        .set_index("id")
    )
