"""The claim audit: every sentence of a page that asserts a result says which, and says it truly.

Each generated sentence that compares or judges carries ``data-claim`` (what it is about: a
rule of checks.yml, a figure's 同比, a rank's position, a metric, a figure's period, the counts
of a title) and ``data-status`` (the result it states). Here drafted years flip the results,
every recorded claim on every page is re-computed from the :class:`Report` (with arithmetic of
its own, not the code that chose the wording), and no sentence without a record may hold a
comparison or judgement word.

The drafted years, made from the 2023 report of 从化 as a user adds a year (conftest):

* 2024 — the two problems of 2023 resolved and new ones made:
  - council: 560 mediations of 2210 received, stated 25.34% (560 / 2210 × 100 = 25.339…, within
    the tolerance 0.005 of 25.34: mediation_rate_reconciles fails → holds);
  - 12315: 4051 mediations, below 9189 + 5245 = 14434 (hotline_mediations_within_cases fails → holds);
  - 600 simple-procedure cases of 500 (simple_procedure_within_cases holds → fails), 2300 completed
    of 2210 received (council_completed_within_received holds → fails), 2330 invention patents of
    1700 (invention_within_patents holds → fails), 30 special-equipment cases closed of 25 filed
    (special_equipment_closed_within_filed holds → fails), 10400 food entities against parts that
    still add up to 10359 (food_entities_sum holds → fails);
  - the annual-report rank 二 of 十一 (2 × 3 = 6 ≤ 11: top third; 2023's 六: 6 × 3 = 18 > 11 and
    ≤ 22: middle);
  - the headline figures: cases 439 → 500 (up), amount 434.12万 → 512.34万 (up), complaints
    2247 → 2210 (down), stated rate 71.59% → 25.34% (down), report rate 95.76% → 96.12% (up),
    food entities 10359 → 10400 (up), patents 1643 → 1700 (up), pledge financing 5.2503亿 →
    6.1234亿 (up).
* 2025 — the 2023 figures again beside 2024: every flip above back, every headline change the
  other sign.

Beside 2024 stands a 2024 report of 花都 (test_compare's made-up text, of that year), so 从化 2024's
briefing and compare notebook hold comparison claims: its stated mediation rate 25.34% is now below
花都's 65.5% (65.5 − 25.34 = 40.16 > 0.05 × 65.5 = 3.28), where 2023's 71.59% was above it.
"""
from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import REAL_NOTEBOOKS, drafted_second_year
from test_compare import add_huadu

from helpers.audit.report import load_report
from helpers.show.narrative import JUDGEMENT_WORDS

FLIPS_2024 = {"council_mediation_agreements": "560宗", "council_complaints_received": "2210宗",
              "council_mediation_success_rate": "25.34%", "hotline_mediation_agreements": "4051宗",
              "admin_penalty_cases_simple": "600宗", "admin_penalty_cases": "500宗",
              "council_complaints_completed": "2300宗", "invention_patents_granted": "2330件",
              "patents_granted": "1700件", "special_equipment_cases_closed": "30宗", "food_entities_total": "10400家",
              "annual_report_rate_rank": "二", "penalty_confiscation_amount": "512.34万元",
              "annual_report_rate": "96.12%", "ip_pledge_financing": "6.1234亿元"}
#: The rules the 2024 figures flip, and their result in 2023 (and 2025) and in 2024.
FLIPPED = {"mediation_rate_reconciles": ("fails", "holds"), "hotline_mediations_within_cases": ("fails", "holds"),
           "simple_procedure_within_cases": ("holds", "fails"), "council_completed_within_received": ("holds", "fails"),
           "invention_within_patents": ("holds", "fails"), "special_equipment_closed_within_filed": ("holds", "fails"),
           "food_entities_sum": ("holds", "fails")}
HEADLINE = ["admin_penalty_cases", "penalty_confiscation_amount", "council_complaints_received",
            "council_mediation_success_rate", "annual_report_rate", "food_entities_total", "patents_granted",
            "ip_pledge_financing"]
#: Every page: the briefing and each notebook (the audit reads them all, so each build executes them all).
NOTEBOOKS = sorted(p.stem for p in REAL_NOTEBOOKS.glob("*.ipynb")
                   if json.loads(p.read_text(encoding="utf-8"))["metadata"].get("amrbook", {}).get("build", True))
JUDGEMENT = re.compile("|".join(JUDGEMENT_WORDS))


# --- what a claim asserts, re-computed from the report ------------------------------------------

def _growth_row(r, ident):
    for table in (r.growth, r.metric_growth):
        if len(table) and ident in set(table["id"]):
            return table[table["id"] == ident].iloc[0]
    return None


def _direction(r, ident) -> str:
    """up/down/same from the two values themselves; a rank is up when its number falls; none if not compared."""
    row = _growth_row(r, ident)
    if row is None or row["comparison"] != "compared":
        return "none"
    move = (row["value"] - row["previous_value"]) * (-1 if row["unit"] == "rank" else 1)
    return "up" if move > 0 else "down" if move < 0 else "same"


def _interval(figure, year) -> tuple[float, float, str]:
    """A measure as the lowest and highest value it may have, and the part of the year it covers: a 超 (lower
    bound) open above, a 不足 (upper bound) open below, a rate with any bounded input open on both sides; 截至12月底
    counts as the whole year."""
    from helpers.report.period import Period

    v = figure.value
    qualifiers = {record["qualifier"] for record in figure.inputs}
    if not qualifiers <= {"exact", "approx"}:
        open_low = figure.kind == "metric" or "upper_bound" in qualifiers
        open_high = figure.kind == "metric" or "lower_bound" in qualifiers
        low, high = (-math.inf if open_low else v), (math.inf if open_high else v)
    else:
        low = high = v
    covers = sorted({str(year) if Period.parse(p).is_year_end(year) else p for p in figure.period.split(", ")})
    return low, high, ",".join(covers)


def _compared(r, ident: str) -> str:
    """higher/lower/similar (within 5% of the larger), or none: a rank, other periods, or bounds that overlap."""
    measure, _, other = ident.partition("/")
    (a_low, a_high, a_covers), (b_low, b_high, b_covers) = (
        _interval(report[measure], r.year) for report in (r, load_report(other, r.year)))
    if r[measure].unit == "rank" or a_covers != b_covers:
        return "none"
    if a_low == a_high and b_low == b_high and abs(a_low - b_low) <= 0.05 * max(abs(a_low), abs(b_low)):
        return "similar"
    return "higher" if a_low > b_high else "lower" if a_high < b_low else "none"


def _truth(r, claim: str) -> str:
    kind, _, ident = claim.partition(":")
    if kind == "compare":
        return _compared(r, ident)
    if kind == "check":
        return r.findings.set_index("check").at[ident, "result"]
    if kind == "growth":
        return _direction(r, ident)
    if kind == "position":
        rank, count = (r[i].value for i in ident.split("/"))
        # thirds of the count: 6 of 11 is in the middle because 11/3 < 6 <= 22/3
        return "top" if rank <= count / 3 else "bottom" if rank > count * 2 / 3 else "middle"
    if kind == "metric":
        return "ok" if r[ident].value == r[ident].value else "missing"
    if kind == "period":     # a figure of another bureau's report in a comparison: <id>@<bureau>
        ident, _, other = ident.partition("@")
        return (load_report(other, r.year) if other else r).indicators.at[ident, "period"]
    if kind == "counts" and ident == "findings":
        severity = list(r.findings["severity"])
        return f"errors={severity.count('error')};warnings={severity.count('warn')}"
    if kind == "counts" and ident == "year_on_year":
        moves = [_direction(r, i) for i in r.growth.loc[r.growth["comparison"] == "compared", "id"]]
        return f"compared={len(moves)};up={moves.count('up')};down={moves.count('down')}"
    raise AssertionError(f"a claim of unknown kind on a page: {claim}")


def _pages(target: Path) -> dict[str, BeautifulSoup]:
    pages = {"briefing": target / "briefing.html", **{p.stem: p for p in (target / "notebooks").glob("*.html")}}
    return {name: BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser") for name, path in pages.items()}


def _claims(page: BeautifulSoup) -> list[tuple[str, str]]:
    return [(e["data-claim"], e["data-status"]) for e in page.select("[data-claim]")]


def _unrecorded_judgements(page: BeautifulSoup) -> list[str]:
    """Sentences of the page's prose holding a judgement word outside every claim record.

    Prose is what the page says in its own words: Markdown and the text the helpers write. Left
    out: recorded claims, tables (values, not sentences), code and its comments, quotations of the
    report (footnotes, the appendix, the indicator explorer, the revisions note's source column),
    scripts and styles.
    """
    page = BeautifulSoup(str(page), "html.parser")   # a copy: the other tests read the claims
    for e in page.select("[data-claim], table, script, style, ol.sources, details.explorer, blockquote, "
                         ".jp-CodeCell .jp-Cell-inputWrapper, .jp-CodeCell .jp-InputArea, pre.code, .highlight"):
        e.decompose()
    text = page.get_text("\n")
    return [s.strip() for s in re.split(r"[。；\n]", text) if JUDGEMENT.search(s)]


# --- the drafted years and their builds ---------------------------------------------------------

@pytest.fixture(scope="module")
def drafted(tmp_path_factory):
    """A data copy with 2024 (flipped) and 2025 (as 2023) beside 2023, the two built without PDF on one pool
    of kernels (``build_reports``, as ``amrbook build --all`` does): the kernel starts and imports once (one
    kernel: a second one's start and imports cost more CPU than they save wall time beside the other worker)."""
    from helpers.publish.build import build_reports

    root = tmp_path_factory.mktemp("claims")
    data = root / "data"
    shutil.copytree(REAL_NOTEBOOKS.parent / "data", data)
    (root / "notebooks").mkdir()
    for name in NOTEBOOKS:
        shutil.copy(REAL_NOTEBOOKS / f"{name}.ipynb", root / "notebooks")
    with pytest.MonkeyPatch.context() as mp:
        for var, sub in (("AMRBOOK_DATA", "data"), ("AMRBOOK_OUTPUTS", "outputs"), ("AMRBOOK_NOTEBOOKS", "notebooks")):
            mp.setenv(var, str(root / sub))
        drafted_second_year(data, 2024, figures=FLIPS_2024)
        drafted_second_year(data, 2025)
        add_huadu(data, year=2024)
        results = build_reports([("conghua", 2024), ("conghua", 2025)], jobs=1, pdf=False)
        built = {year: result.target for year, result in zip((2024, 2025), results)}    # in the order asked
        reports = {year: load_report("conghua", year) for year in (2023, 2024, 2025)}
        yield {year: (reports[year], _pages(target)) for year, target in built.items()}, reports


@pytest.mark.slow
def test_the_drafted_years_flip_every_result_they_were_made_to_flip(drafted):
    _, reports = drafted
    for year, side in ((2023, 0), (2024, 1), (2025, 0)):
        results = reports[year].findings.set_index("check")["result"]
        assert {c: results[c] for c in FLIPPED} == {c: pair[side] for c, pair in FLIPPED.items()}, year
    # every headline change has a direction in both years, and the other one in 2025
    up_2024 = {i: _direction(reports[2024], i) for i in HEADLINE}
    assert up_2024 == {i: "down" if i in ("council_complaints_received", "council_mediation_success_rate") else "up"
                       for i in HEADLINE}
    assert {i: _direction(reports[2025], i) for i in HEADLINE} == {
        i: {"up": "down", "down": "up"}[d] for i, d in up_2024.items()}


@pytest.mark.slow
def test_every_recorded_claim_on_every_page_is_the_computed_result(drafted, built):
    years, reports = drafted
    pages = {2023: (reports[2023], _pages(built.pristine)), **years}     # 2023: the session's build
    checked, seen = 0, {}
    for year, (r, by_name) in pages.items():
        # 从化 alone in 2023 and 2025: nothing to compare with; 花都 beside it in 2024
        assert set(by_name) == set(NOTEBOOKS) - ({"compare"} if year != 2024 else set()), year
        for name, page in by_name.items():
            for claim, status in _claims(page):
                assert status == _truth(r, claim), f"{year} {name}: {claim} says {status}"
                seen.setdefault(claim, set()).add(status)
                checked += 1
    # the flips reach the pages: each flipped rule is stated as failing in the year it fails (a rule that holds
    # is stated only where a text has wording for it: the two rules 2023 fails), each headline change both ways
    for check in FLIPPED:
        assert "fails" in seen[f"check:{check}"], check
    assert seen["check:mediation_rate_reconciles"] == seen["check:hotline_mediations_within_cases"] == {"holds", "fails"}
    for ident in HEADLINE:
        assert seen[f"growth:{ident}"] == {"up", "down"}, ident
    assert seen["position:annual_report_rate_rank/city_district_count"] == {"top", "middle"}
    # the comparison with 花都, checked above claim by claim: 2024's stated rate below 花都's (see the top)
    assert seen["compare:council_mediation_success_rate/huadu"] == {"lower"}
    assert {s for c, statuses in seen.items() if c.startswith("compare:") for s in statuses} >= {"higher", "lower"}
    print(f"claim audit: {checked} claims checked on {sum(len(p) for _, p in pages.values())} pages, "
          f"{len(FLIPPED)} rule flips and {len(HEADLINE)} headline sign changes tried")


@pytest.mark.slow
def test_no_sentence_without_a_record_judges(drafted, built):
    years, reports = drafted
    pages = {2023: (reports[2023], _pages(built.pristine)), **years}     # 2023: the session's build
    found = {(year, name): _unrecorded_judgements(page) for year, (_, by_name) in pages.items()
             for name, page in by_name.items()}
    unrecorded = {k: v for k, v in found.items() if v}
    assert not unrecorded, "\n".join(f"{k}: {s}" for k, v in unrecorded.items() for s in v)


@pytest.mark.slow
def test_the_briefing_states_the_problems_of_its_year_and_no_other(drafted):
    years, reports = drafted
    from helpers.show import briefing

    b = briefing.start(reports[2023])
    points_2023 = BeautifulSoup(briefing.main_points(b).data, "html.parser").select_one("ol.main-points").get_text()
    # 40514 > 9189 + 5245 = 14434; 509 / 2247 × 100 = 22.65%, 509 / 2049 × 100 = 24.84%, neither 71.59%
    for said in ("40514宗", "9189宗", "5245宗", "14434宗", "71.59%", "22.65%", "24.84%", "509宗", "2247宗", "2049宗"):
        assert said in points_2023
    r, pages = years[2024]
    points = pages["briefing"].select_one("ol.main-points")
    text = points.get_text()
    assert "40514" not in text and "71.59" not in text and "4051宗" not in text and "25.34%" not in text
    failing = set(r.findings.loc[r.findings["result"] == "fails", "check"])
    stated = {c.partition(":")[2] for c, s in _claims(points) if c.startswith("check:") and s == "fails"}
    # at most six points: every one of them a rule that fails, each of them with its numbers
    assert len(points.find_all("li", recursive=False)) == 6 and stated <= failing and len(stated) == 6
    table = {c.partition(":")[2] for c, s in _claims(pages["briefing"].select_one("#fig-findings")) if s == "fails"}
    assert table == failing          # every new problem in the table of findings


# --- fast: the selection in one place, and its refusals ------------------------------------------

def test_a_rank_chooses_its_third_and_the_page_records_it(data_copy):
    from conftest import change_figure
    from helpers.show.narrative import takeaways
    from helpers.show.sources import Footnotes

    # 六 of 十一: 6 × 3 = 18 > 11 and 18 <= 22, the middle third
    said = takeaways(load_report("conghua", 2023), "business_environment", Footnotes())
    assert "处于中游" in said.plain and (
        'data-claim="position:annual_report_rate_rank/city_district_count" data-status="middle"' in said.html)
    change_figure(data_copy, 2023, "六", "二")    # 2 × 3 = 6 <= 11: the top third
    said = takeaways(load_report("conghua", 2023), "business_environment", Footnotes())
    assert "处于前列" in said.plain and "中游" not in said.plain and 'data-status="top"' in said.html


@pytest.mark.parametrize(("template", "message"), [
    ({"when": "check:mediation_rate_reconciles", "hold": "…"}, "unknown status 'hold' (a check claim has holds, "
                                                               "fails, missing, undefined)"),
    ({"when": "trend:admin_penalty_cases", "up": "…"}, "the kind must be one of check, growth, position, metric"),
    ({"when": "growth:admin_penalty_casez", "up": "…"}, "'admin_penalty_casez' is neither an indicator nor a metric"),
    ({"when": "check:no_such_rule", "fails": "…"}, "no rule 'no_such_rule' in checks.yml"),
])
def test_a_conditional_template_typed_in_a_notebook_is_checked(template, message):
    from helpers.errors import AmrbookError
    from helpers.show.narrative import say
    from helpers.show.sources import Footnotes

    with pytest.raises(AmrbookError, match=re.escape(message)):
        say(load_report("conghua", 2023), ["前文。", template], Footnotes())


def test_a_title_of_counts_says_only_the_counts_found(data_copy):
    # noticed in a new-user trial: with no contradiction left, table 1 was titled 「核对发现0处数字互相矛盾、1处…」
    from conftest import change_figure
    from helpers.show.briefing import numbered_tables

    def findings_title() -> str:
        return next(title for label, title, _ in numbered_tables(load_report("conghua", 2023)) if label == "表1")

    # 12315: 40514 mediations > 9189 complaints + 5245 reports = 14434 cases (an error); the stated 71.59% mediation
    # rate reconciles with neither base (a warning)
    assert findings_title() == "核对发现1处数字互相矛盾、1处无法相互印证"
    change_figure(data_copy, 2023, "40514宗", "10514宗")   # 10514 <= 14434: the error is gone, the warning stays
    assert findings_title() == "核对发现1处无法相互印证"
