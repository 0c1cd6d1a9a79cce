"""Report.lookup reads each table's rows once per report (counted), and hands out a new figure at each call."""
from __future__ import annotations

import pandas as pd

from helpers.audit.report import load_report


def test_lookups_read_each_table_once_per_report_and_give_what_the_tables_say(monkeypatch):
    r = load_report("conghua", 2023)
    r.__dict__.pop("_rows", None)             # as a report fresh from its data (the one cached may have been used)
    calls = []
    to_dict = pd.DataFrame.to_dict
    monkeypatch.setattr(pd.DataFrame, "to_dict", lambda self, *a, **k: calls.append(a) or to_dict(self, *a, **k))
    indicators, metrics = r.indicators, r.metrics
    for _ in range(3):                        # every id of the report, three times over
        figures = {ident: r.lookup(ident) for ident in [*indicators.index, *metrics.index]}
    # the indicator table and the metric table, once each (96 + 45 ids × 3 lookups: 423 rows read from frames before)
    assert calls == [("index",), ("index",)]
    for ident, row in indicators.iterrows():
        f = figures[ident]
        assert (f.kind, f.value, f.unit, f.label, f.period, f.as_written) == (
            "indicator", row["value"], row["unit"], row["label_zh"], row["period"], row["as_written"])
        assert f.inputs[0]["start"] == row["start"] and f.inputs[0]["source_sentence"] == row["source_sentence"]
    for ident, row in metrics.iterrows():
        f = figures[ident]
        assert (f.kind, f.unit, f.label, f.substituted) == ("metric", row["unit"], row["label_zh"], row["substituted"])
        assert f.value == row["value"] or (pd.isna(f.value) and pd.isna(row["value"]))
    # 439宗: a figure is made anew at each lookup, so what one caller does to it reaches no other
    r["admin_penalty_cases"].inputs[0]["value"] = 1.0
    assert r["admin_penalty_cases"].inputs[0]["value"] == 439.0
