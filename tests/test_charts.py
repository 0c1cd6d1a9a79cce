"""The chart theme draws real Chinese glyphs or refuses to draw at all."""
from __future__ import annotations

import io
import os
import subprocess
import sys
import warnings

import matplotlib
import pytest

from helpers.audit.report import load_report
from helpers.errors import AmrbookError
from helpers.show import charts, fonts
from helpers.tables.load import load_catalog
from helpers.show.charts import set_theme
from helpers.show.format import number
from helpers.show.fonts import find_cjk_font


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
                                 title="全部指标名称", r=load_report("conghua", 2023)))
        _render(charts.section_counts_chart(load_report("conghua", 2023), "报告各部分的数字条目"))
        _render(charts.metric_bars(load_report("conghua", 2023), ["council_mediation_success_rate", "council_mediation_rate_of_received"],
                                   "调解成功率核对"))


def test_tofu_would_be_caught(monkeypatch):
    # the same chart with the CJK font taken away must warn: the test above can fail
    set_theme()
    monkeypatch.setitem(matplotlib.rcParams, "font.sans-serif", ["DejaVu Sans"])
    with pytest.warns(UserWarning, match="missing from font"):
        _render(charts.bar_chart(["调解成功率"], [1.0], unit="%", title="核对", r=load_report("conghua", 2023)))


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
    assert number(value, unit) == text


def test_charts_carry_title_and_source():
    set_theme()
    fig = charts.indicator_bars(load_report("conghua", 2023), ["food_sellers", "catering_units"], "食品主体")
    texts = [t.get_text() for t in fig.texts]
    assert any(t.startswith("数据来源：广州市从化区市场监督管理局") for t in texts)
    assert fig.axes[0].get_title(loc="left") == "食品主体"
    assert [t.get_text().strip() for t in fig.axes[0].texts] == ["4569家", "5354家"]   # values as written


def test_mixed_units_are_refused():
    with pytest.raises(AmrbookError, match="mixes units"):
        charts.indicator_bars(load_report("conghua", 2023), ["food_sellers", "catering_inspections"], "混合")


# --- a matplotlib font cache built before the CJK fonts were installed -------------------------

# What a machine looks like where matplotlib ran before `apt-get install fonts-noto-cjk`: its
# cached font list has no CJK entry (the reproduction: drop them and json_dump the list).
STALE_CACHE = """
from pathlib import Path
import matplotlib
from matplotlib import font_manager as fm
fm.fontManager.ttflist = [e for e in fm.fontManager.ttflist if "CJK" not in e.name]
fm.json_dump(fm.fontManager, Path(matplotlib.get_cachedir()) / f"fontlist-v{fm.FontManager.__version__}.json")
"""
# Draw a chart with a bold title, either with the workbook's theme or registering the regular file
# alone (what the workbook did before), and say which file a bold face of the family resolves to.
DRAW = """
import io, sys
import seaborn as sns
from matplotlib import font_manager as fm
from helpers.audit.report import load_report
from helpers.show import charts
print("cached CJK entries:", sum("CJK" in e.name for e in fm.fontManager.ttflist))
if sys.argv[1] == "theme":
    font = charts.set_theme()
else:
    font = charts.find_cjk_font()
    fm.fontManager.addfont(str(font.path))
    sns.set_theme(rc={"font.sans-serif": [font.family], "axes.titleweight": "bold"})
fig = charts.bar_chart(["调解成功率"], [1.0], unit="%", title="调解成功率核对", r=load_report("conghua", 2023))
fig.savefig(io.BytesIO(), format="png")
print("bold face:", fm.findfont(fm.FontProperties(family=font.family, weight="bold")))
"""


def _stale_env(tmp_path) -> dict:
    env = {**os.environ, "MPLCONFIGDIR": str(tmp_path / "mpl"), "HOME": str(tmp_path / "home"),
           "XDG_CACHE_HOME": str(tmp_path / "cache")}
    subprocess.run([sys.executable, "-c", STALE_CACHE], env=env, check=True, capture_output=True)
    (cache,) = (tmp_path / "mpl").glob("fontlist-*.json")
    assert "CJK" not in cache.read_text(encoding="utf-8")  # really stale
    return env


def test_a_font_cache_that_predates_the_fonts_still_draws_bold_titles_without_warnings(tmp_path):
    env = _stale_env(tmp_path)
    run = subprocess.run([sys.executable, "-c", DRAW, "theme"], env=env, capture_output=True, text=True,
                         check=False)
    assert run.returncode == 0, run.stderr
    assert "cached CJK entries: 0" in run.stdout                      # matplotlib used the stale cache
    assert run.stderr == "", run.stderr                                # no findfont warning anywhere
    font = find_cjk_font()
    bold_files = [str(p) for w, p in font.weights if w >= 600]
    assert font.has_bold and any(f"bold face: {p}" in run.stdout for p in bold_files), run.stdout


def test_registering_only_the_regular_file_would_warn(tmp_path):
    # the case above can fail: with the regular file alone, the bold title falls back with a warning
    env = _stale_env(tmp_path)
    run = subprocess.run([sys.executable, "-c", DRAW, "regular-only"], env=env, capture_output=True, text=True,
                         check=False)
    assert "findfont: Failed to find font weight bold" in run.stderr, run.stderr


def test_a_family_without_bold_draws_titles_in_its_regular_weight(monkeypatch):
    font = find_cjk_font()
    regular_only = fonts.CJKFont(font.family, font.path, font.index, ((400, font.path),))
    assert not regular_only.has_bold
    set_theme(regular_only)
    assert matplotlib.rcParams["axes.titleweight"] == "normal"
    set_theme()
    assert matplotlib.rcParams["axes.titleweight"] == "bold"


@pytest.mark.parametrize("content", [b"", b"not a font at all\n", "truncated"])
def test_a_font_override_that_is_not_a_font_is_named(tmp_path, monkeypatch, content):
    bad = tmp_path / "bad.ttc"
    bad.write_bytes(find_cjk_font().path.read_bytes()[:4096] if content == "truncated" else content)
    monkeypatch.setenv("AMRBOOK_CJK_FONT", str(bad))
    with pytest.raises(AmrbookError, match=r"AMRBOOK_CJK_FONT=.*bad.ttc: not a font file fontTools can read"):
        find_cjk_font()
