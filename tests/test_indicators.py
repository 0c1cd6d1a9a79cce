"""The 2023 indicator table: complete, exact, and traceable to the report."""
from __future__ import annotations

import re

import pytest

from helpers.tables.indicators import indicator_table
from helpers.tables.load import load_catalog, load_indicators
from helpers.report.sources import raw_text
from helpers.tables.load import COLUMNS


@pytest.fixture(scope="module")
def table():
    return indicator_table("conghua", 2023).reset_index()


def test_every_figure_is_loaded_and_valid(table):
    # 96 figures counted by hand in the report, section by section:
    # 一(三) 17 + 一(四) 15 + 一(五) 39 + 一(六) 20 + 一(七) 5 = 96
    assert len(table) == 96
    assert table.groupby("section", sort=False).size().tolist() == [17, 15, 39, 20, 5]
    assert list(load_indicators("conghua", 2023).columns) == COLUMNS


@pytest.mark.parametrize(("id_", "value", "unit"), [
    ("admin_penalty_cases", 439, "宗"),
    ("penalty_confiscation_amount", 4341200, "元"),       # 434.12万元 = 434.12 × 10^4
    ("ip_pledge_financing", 525030000, "元"),             # 5.2503亿元 = 5.2503 × 10^8
    ("valid_trademarks", 22530, "件"),                    # 2.2530万件 = 2.2530 × 10^4
    ("ip_fund_amount", 2583750, "元"),                    # 258.375万元
    ("council_mediation_success_rate", 71.59, "%"),
    ("city_district_count", 11, "个"),                    # 十一个
    ("annual_report_rate_rank", 6, "rank"),               # 排名第六
    ("key_product_categories", 8, "类"),                  # 八类
    ("joint_mediation_cases", 1, "宗"),                   # 一宗
    ("special_equipment_inspectors", 2900, "人次"),       # 2900余人次
])
def test_values_in_base_units(table, id_, value, unit):
    row = table.set_index("id").loc[id_]
    assert row["value"] == pytest.approx(value, rel=1e-12)
    assert row["unit"] == unit


def test_spans_start_at_the_number_and_read_as_written(table):
    text = raw_text("conghua", 2023)
    for row in table.itertuples():
        assert text[row.start:row.end] == row.as_written
        assert re.match(r"[\d一二两三四五六七八九十]", text[row.start])
    rank = table.set_index("id").loc["annual_report_rate_rank"]
    assert text[rank.start - 3:rank.end] == "排名第六"      # the span is 六, after 第
    district = table.set_index("id").loc["city_district_count"]
    assert text[district.start] == "十"


def test_qualifiers_and_periods(table):
    by_id = table.set_index("id")
    assert by_id.loc["special_equipment_inspectors", "qualifier"] == "approx"   # 2900余
    assert (table["qualifier"] == "approx").sum() == 1
    assert by_id.loc["patents_granted", "period"] == "2023-11"                   # 截至11月
    assert by_id.loc["trademark_applications", "period"] == "2023-Q3"            # 截至第三季度
    assert by_id.loc["food_entities_total", "period"] == "as_of_report"          # 截至目前
    assert by_id.loc["special_equipment_cases_filed", "period"] == "2023-12"     # 截至12月底


def test_repeated_labels_get_distinct_ids(table):
    # 立案25宗 twice: the special-equipment campaign and the e-bike campaign
    filed_25 = table[table["as_written"] == "25宗"]
    assert sorted(filed_25["id"]) == ["ebike_campaign_cases_filed", "special_equipment_cases_filed"]
    assert table["id"].is_unique


def test_catalog_and_table_describe_the_same_indicators(table):
    catalog = load_catalog()
    assert set(catalog.index) == set(table["id"])
    assert (catalog.loc[table["id"], "unit"].to_numpy() == table["unit"].to_numpy()).all()


def test_catalog_section_is_the_heading_the_figure_stands_under(table):
    text = raw_text("conghua", 2023)
    headings = [(m.start(), m.group(1)) for m in re.finditer(r"^\(([一二三四五六七]+)\)", text, re.M)]
    part_one_end = text.index("二、2023年度")
    for row in table.itertuples():
        assert row.start < part_one_end
        heading = [h for pos, h in headings if pos < row.start][-1]
        assert row.section.startswith(f"一({heading})"), row.id


def test_source_sentence_contains_the_figure(table):
    for row in table.itertuples():
        assert row.as_written in row.source_sentence
    by_id = table.set_index("id")
    assert by_id.loc["council_mediation_success_rate", "source_sentence"].startswith("2023年,区消委会共受理")
