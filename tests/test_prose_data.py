"""narrative.yml, charts.yml and check notes: every id resolves, no figure is typed by hand."""
from __future__ import annotations

import re

import pytest
import yaml

from helpers import AmrbookError, charts, compute_metrics, indicator_table, paths, takeaways
from helpers.show.narrative import figures_in, summary


def _load(name):
    return yaml.safe_load((paths.data_dir() / name).read_text(encoding="utf-8"))


def _templates():
    narrative = _load("narrative.yml")
    notes = [c["note"] for c in _load("checks.yml")["checks"] if c.get("note")]
    return [narrative["summary"], *narrative["takeaways"].values(), *notes]


def test_every_placeholder_is_an_indicator_or_a_metric():
    known = set(indicator_table(2023)["id"]) | set(compute_metrics(2023)["id"])
    for template in _templates():
        unknown = set(figures_in(template)) - known
        assert not unknown, f"unknown ids {unknown} in {template[:40]}…"


def test_no_figure_is_typed_in_prose():
    table = indicator_table(2023)
    figures = {m for w in table["as_written"] for m in re.findall(r"\d+(?:\.\d+)?", w)}
    for template in _templates():
        bare = re.sub(r"\{[^}]*\}", "", template)
        numbers = set(re.findall(r"\d+(?:\.\d+)?(?![月年])", bare))   # months and years are not figures
        assert not numbers & figures, f"typed figures {numbers & figures} in {template[:40]}…"


def test_every_topic_has_a_takeaway_and_they_render():
    topics = set(indicator_table(2023)["topic"])
    for topic in topics | {"overview"}:
        text = str(takeaways(2023, topic))
        assert "{" not in text and text
    assert "罚没金额434.12万元" in str(summary(2023))
    with pytest.raises(AmrbookError, match="no takeaway for 'weather'"):
        takeaways(2023, "weather")


@pytest.mark.parametrize("name", sorted(_load("charts.yml")["charts"]))
def test_every_named_chart_draws(name):
    charts.set_theme()
    fig = charts.chart(2023, name)
    assert fig.axes[0].get_title(loc="left") == _load("charts.yml")["charts"][name]["title"]


def test_unknown_chart_name():
    with pytest.raises(AmrbookError, match="no chart named 'pie'"):
        charts.chart(2023, "pie")
