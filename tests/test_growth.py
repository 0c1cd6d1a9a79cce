"""Year-on-year growth, on a clearly synthetic second year built in a temp copy of data/."""
from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import add_synthetic_year
from helpers.audit.growth import growth_between, growth_table, stated_growth


def test_one_year_gives_an_empty_table_with_columns():
    frame = growth_table()
    assert frame.empty and "growth_pct" in frame.columns


def test_growth_against_a_synthetic_previous_year(data_copy):
    add_synthetic_year(data_copy, 2022, {
        "admin_penalty_cases": "400宗",        # (439 − 400) / 400 = +9.75 %
        "admin_litigation_cases": "0宗",       # previous zero: no growth figure
        "patents_granted": "1500件",           # 2022 full year against 2023 截至11月
        "invention_patents_granted": "166件",  # what 233 / 1.404 = 165.95 implies
    })
    frame = growth_table().set_index("id")
    assert frame.at["admin_penalty_cases", "growth_pct"] == pytest.approx(9.75)
    assert frame.at["admin_penalty_cases", "change"] == 39
    assert frame.at["admin_penalty_cases", "status"] == "ok"
    assert frame.at["admin_litigation_cases", "status"] == "previous is zero"
    assert math.isnan(frame.at["admin_litigation_cases", "growth_pct"])
    assert frame.at["patents_granted", "status"] == "ok, period differs"
    assert frame.at["food_entities_total", "status"] == "new in 2023"
    stated = stated_growth(2023).iloc[0]
    assert stated["status"] == "consistent"          # 166 within 233/1.4045 … 233/1.4035
    assert stated["implied_previous"] == pytest.approx(165.95, abs=0.005)


def test_a_stated_growth_that_does_not_match_the_previous_year(data_copy):
    add_synthetic_year(data_copy, 2022, {"invention_patents_granted": "150件"})   # 233/150 − 1 = 55.3 %, not 40.4 %
    assert stated_growth(2023).iloc[0]["status"] == "inconsistent"


def _table(values: dict[str, float | None]) -> pd.DataFrame:
    rows = {k: {"value": v, "unit": "宗", "period": "2023", "label_zh": k} for k, v in values.items() if v is not None}
    return pd.DataFrame.from_dict(rows, orient="index", columns=["value", "unit", "period", "label_zh"])


values = st.one_of(st.none(), st.just(0.0), st.floats(min_value=0, max_value=1e12, allow_nan=False))


@given(st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), st.tuples(values, values), min_size=1))
def test_growth_is_a_number_exactly_when_status_is_ok(pairs):
    previous = _table({k: p for k, (p, _) in pairs.items()})
    current = _table({k: c for k, (_, c) in pairs.items()})
    frame = growth_between(previous, current, 2022, 2023)
    for row in frame.itertuples():
        assert not math.isinf(row.growth_pct)
        assert math.isnan(row.growth_pct) == (not row.status.startswith("ok"))
        if row.status.startswith("ok"):
            assert row.growth_pct == pytest.approx((row.value - row.previous_value) / row.previous_value * 100)
        if row.previous_value == 0 and not math.isnan(row.value):
            assert row.status == "previous is zero"
