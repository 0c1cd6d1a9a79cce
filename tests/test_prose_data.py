"""narrative.yml, charts.yml and check notes: every id resolves, no figure is typed by hand."""
from __future__ import annotations

import re

import pytest
import yaml

from conftest import drop_indicator, line_no, rewrite

from helpers.show.sources import Footnotes
from helpers.audit.report import load_report
from helpers.errors import AmrbookError, DataError
from helpers.show import charts
from helpers.tables.indicators import indicator_table
from helpers import paths
from helpers.show.narrative import say, takeaways
from helpers.audit.template import figures_in
from helpers.show.narrative import summary


def _load(name):
    return yaml.safe_load((paths.data_dir() / name).read_text(encoding="utf-8"))


def _templates():
    narrative = _load("narrative.yml")
    notes = [c["note"] for c in _load("checks.yml")["checks"] if c.get("note")]
    findings = [c["finding"] for c in _load("charts.yml")["charts"].values() if c.get("finding")]
    points = [p["text"] for p in narrative["main_points"]]
    return [t for template in [narrative["summary"], *narrative["takeaways"].values(), *notes, *findings, *points]
            for t in _texts(template)]


def _texts(template) -> list[str]:
    """Every text of a template: itself, each part of a list, each variant of a conditional part."""
    if isinstance(template, list):
        return [t for part in template for t in _texts(part)]
    if isinstance(template, dict):
        return [t for status, text in template.items() if status != "when" for t in _texts(text)]
    return [template]


def test_every_placeholder_is_an_indicator_or_a_metric():
    known = set(indicator_table("conghua", 2023).reset_index()["id"]) | set(load_report("conghua", 2023).metrics.reset_index()["id"])
    for template in _templates():
        unknown = set(figures_in(template)) - known
        assert not unknown, f"unknown ids {unknown} in {template[:40]}…"


def test_no_figure_is_typed_in_prose():
    table = indicator_table("conghua", 2023).reset_index()
    figures = {m for w in table["as_written"] for m in re.findall(r"\d+(?:\.\d+)?", w)}
    for template in _templates():
        bare = re.sub(r"\{[^}]*\}", "", template)
        numbers = set(re.findall(r"\d+(?:\.\d+)?(?![月年])", bare))   # months and years are not figures
        assert not numbers & figures, f"typed figures {numbers & figures} in {template[:40]}…"


def test_every_topic_has_a_takeaway_and_they_render():
    topics = set(indicator_table("conghua", 2023).reset_index()["topic"])
    for topic in topics | {"overview"}:
        text = str(takeaways(load_report("conghua", 2023), topic, Footnotes()))
        assert "{" not in text and text
    assert "罚没金额434.12万元" in str(summary(load_report("conghua", 2023), Footnotes()))
    with pytest.raises(AmrbookError, match="no takeaway for 'weather'"):
        takeaways(load_report("conghua", 2023), "weather", Footnotes())


@pytest.mark.parametrize("name", sorted(_load("charts.yml")["charts"]))
def test_every_named_chart_draws(name):
    charts.set_theme()
    fig = charts.draw_chart(load_report("conghua", 2023), name)
    assert fig.axes[0].get_title(loc="left") == _load("charts.yml")["charts"][name]["title"]


def test_unknown_chart_name():
    with pytest.raises(AmrbookError, match="no chart named 'pie'"):
        charts.draw_chart(load_report("conghua", 2023), "pie")


@pytest.mark.parametrize(("old", "new", "anchor", "cause"), [
    ("    title: 区消委会投诉处理情况\n", "", "  council_complaints:", "missing title"),
    ("    kind: indicators\n    title: 区消委会投诉处理情况", "    kind: pie\n    title: 区消委会投诉处理情况",
     "    kind: pie", "kind must be indicators or metrics, not 'pie'"),
    ("council_complaints_completed, council_mediation", "council_complaints_complete, council_mediation",
     "    ids: [council_complaints_received, council_complaints_complete",
     "'council_complaints_complete' is not an indicator in catalog.yml"),
])
def test_a_broken_chart_entry_names_its_line(data_copy, old, new, anchor, cause):
    path = data_copy / "charts.yml"
    rewrite(path, old, new)
    with pytest.raises(DataError) as info:
        charts.draw_chart(load_report("conghua", 2023), "council_complaints")
    assert [str(p) for p in info.value.problems] == [f"{path}: line {line_no(path, anchor)}, chart council_complaints: "
                                                     f"{cause}"]


@pytest.mark.parametrize(("placeholder", "cause"), [
    ("{", "lone '{' at character {at} (write {{ for the character itself)"),
    ("{admin_penalty_cases:>300000000}", "{admin_penalty_cases:>300000000}: format '>300000000' is not allowed "
                                         "(use .Nf with N from 0 to 6, optionally after a ',')"),
    ("{admin_penalty_cases!r}", "{admin_penalty_cases!r} at character {at}: a placeholder must be an indicator or "
                                "metric id"),
    ("{admin_penalty_casez}", "{admin_penalty_casez} is neither an indicator nor a metric"),
])
def test_a_bad_placeholder_in_narrative_yml_names_file_line_and_placeholder(data_copy, placeholder, cause):
    path = data_copy / "narrative.yml"
    rewrite(path, "    查办行政处罚案件{admin_penalty_cases}", "    查办行政处罚案件" + placeholder)
    # the takeaway's text starts after "查办行政处罚案件" (8 characters), so the placeholder is character 9
    with pytest.raises(DataError) as info:
        takeaways(load_report("conghua", 2023), "enforcement", Footnotes())
    where = f"line {line_no(path, '  enforcement: >-')}, takeaway enforcement"
    assert [str(p) for p in info.value.problems] == [f"{path}: {where}: {cause.replace('{at}', '9')}"]


def test_a_bad_placeholder_typed_in_a_notebook_is_a_clear_error():
    from helpers.show.narrative import say

    with pytest.raises(AmrbookError, match=r"template '共\{admin_penalty_cases:>9\}宗': \{admin_penalty_cases:>9\}: "
                                           r"format '>9' is not allowed"):
        say(load_report("conghua", 2023), "共{admin_penalty_cases:>9}宗", Footnotes())
    with pytest.raises(AmrbookError, match=r"template '共\{宗': lone '\{' at character 2"):
        say(load_report("conghua", 2023), "共{宗", Footnotes())


def test_a_figure_missing_from_the_year_is_marked_in_free_prose_and_curated_prose_gives_way(data_copy):
    from helpers.show.format import missing_marker
    from helpers.show.narrative import load_narrative

    gone = "council_complaints_received"
    drop_indicator(data_copy, 2023, gone)
    r = load_report("conghua", 2023)
    # prose an analyst types: the missing figure is marked, its footnote says why
    text = say(r, load_narrative()["takeaways"]["consumer_protection"], Footnotes())
    assert missing_marker("区消委会受理消费投诉") in str(text) and "［无数据：区消委会受理消费投诉］" in str(text)
    assert gone not in str(text)                                       # the reader sees its label, not its id
    assert "无数据：区消委会受理消费投诉：2023年指标表中没有" in text.html   # its footnote: label and why, in Chinese
    # a metric resting on it has no value: marked too, its footnote saying why
    assert "［无数据：区消委会投诉处理完成率］" in str(text) and "council_completion_rate" not in str(text)
    assert "无数据：区消委会投诉处理完成率：衍生指标无法计算" in text.html
    # the curated takeaway needs every figure it names: without one it lists the figures of the topic the report has
    assert not r.has([gone]) and not r.has(["council_completion_rate"]) and r.has(["hotline_complaints"])
    listed = takeaways(r, "consumer_protection", Footnotes())
    assert str(listed).startswith("报告列出：区消委会处理完成投诉2049宗") and "无数据" not in listed.html
    assert "12315中心受理投诉9189宗" in str(listed) and gone not in listed.html
    # a chart of charts.yml is drawn only where all its inputs exist
    assert gone in charts.chart_inputs("council_complaints") and not r.has(charts.chart_inputs("council_complaints"))
    with pytest.raises(AmrbookError, match=f"chart 'council_complaints' needs {gone}, which conghua 2023 lacks"):
        charts.draw_chart(r, "council_complaints")
