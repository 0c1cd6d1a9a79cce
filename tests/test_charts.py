"""The chart theme draws real Chinese glyphs or refuses to draw at all."""
from __future__ import annotations

import io
import warnings

import matplotlib
import pytest

from helpers import AmrbookError, charts, fonts, load_catalog
from helpers.charts import format_cn, set_theme
from helpers.fonts import find_cjk_font


def _render(fig) -> None:
    fig.savefig(io.BytesIO(), format="png")


def test_font_is_a_simplified_chinese_face():
    font = set_theme()
    assert font.family in fonts.CJK_FONTS
    assert matplotlib.rcParams["font.sans-serif"][0] == font.family


def test_every_catalog_label_renders_without_missing_glyphs():
    set_theme()
    catalog = load_catalog()
    labels = list(catalog["label_zh"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")           # "Glyph ... missing from font" would raise here
        _render(charts.bar_chart(labels, [float(i + 1) for i in range(len(labels))], unit="宗",
                                 title="全部指标名称", year=2023))
        _render(charts.section_counts(2023, "报告各部分的数字条目"))
        _render(charts.metric_bars(2023, ["council_mediation_success_rate", "council_mediation_rate_of_received"],
                                   "调解成功率核对"))


def test_tofu_would_be_caught(monkeypatch):
    # the same chart with the CJK font taken away must warn: the test above can fail
    set_theme()
    monkeypatch.setitem(matplotlib.rcParams, "font.sans-serif", ["DejaVu Sans"])
    with pytest.warns(UserWarning, match="missing from font"):
        _render(charts.bar_chart(["调解成功率"], [1.0], unit="%", title="核对", year=2023))


def test_no_font_means_a_clear_error_not_tofu(monkeypatch, tmp_path):
    monkeypatch.setenv("AMRBOOK_CJK_FONT", str(tmp_path / "none.otf"))
    with pytest.raises(AmrbookError, match="no such font file"):
        find_cjk_font()
    latin = matplotlib.get_data_path() + "/fonts/ttf/DejaVuSans.ttf"
    monkeypatch.setenv("AMRBOOK_CJK_FONT", latin)
    with pytest.raises(AmrbookError, match="no Chinese glyphs"):
        find_cjk_font()
    monkeypatch.delenv("AMRBOOK_CJK_FONT")
    monkeypatch.setattr(fonts, "FONT_DIRS", [tmp_path])
    with pytest.raises(AmrbookError, match="apt-get install fonts-noto-cjk"):
        find_cjk_font()


@pytest.mark.parametrize(("value", "unit", "text"), [
    (4341200, "元", "434.12万元"),      # 4 341 200 / 10^4 = 434.12
    (525030000, "元", "5.2503亿元"),    # 525 030 000 / 10^8 = 5.2503
    (16000, "元", "1.6万元"),
    (10359, "家", "10359家"),           # counts stay in full below a million
    (71.59, "%", "71.59%"),
    (100.0, "%", "100%"),
    (9888.838, "元", "9888.84元"),
])
def test_chinese_number_format(value, unit, text):
    assert format_cn(value, unit) == text


def test_charts_carry_title_and_source():
    set_theme()
    fig = charts.indicator_bars(2023, ["food_sellers", "catering_units"], "食品主体")
    texts = [t.get_text() for t in fig.texts]
    assert any(t.startswith("数据来源：广州市从化区市场监督管理局") for t in texts)
    assert fig.axes[0].get_title(loc="left") == "食品主体"
    assert [t.get_text().strip() for t in fig.axes[0].texts] == ["4569家", "5354家"]   # values as written


def test_mixed_units_are_refused():
    with pytest.raises(AmrbookError, match="mixes units"):
        charts.indicator_bars(2023, ["food_sellers", "catering_inspections"], "混合")
