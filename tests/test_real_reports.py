"""Five real published report openings (tests/data/reports/) go through `amrbook add` and
`amrbook accept --all` unedited, each in its own temporary copy of data/ (issue 18 item 6)."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from helpers import paths
from helpers.audit.report import load_report
from helpers.cli import main
from helpers.report.sources import raw_text

REPORTS = Path(__file__).parent / "data" / "reports"
LISTED = yaml.safe_load((REPORTS / "sources.yml").read_text(encoding="utf-8"))["reports"]

# What drafting gives on each, inspected by hand (figures found, matched, proposed):
# - jinnan: 22 figures; 3 matched, all right: 998件 作出行政处罚 -> admin_penalty_cases (alias, 件 for 宗),
#   337.55万元 罚没款金额 -> penalty_confiscation_amount (alias), 34件 三类医疗器械经营许可证新办许可 ->
#   class3_device_licences (label); its bureau-wide 挽回经济损失264.7911万余元 and 受理投诉举报15505件 take
#   no id of the 消委会 or the 12315 centre. 19 proposed (三类 of 三类医疗器械 is read as a figure: the extractor's).
# - shaoxing 5 (一本 of 一本账 is the extractor's), guangdong 5, jiading 6, shizhu 4: nothing in the
#   catalog of 从化 counts the same things, so everything is proposed.
EXPECTED = {"shaoxing": (5, 0), "guangdong": (5, 0), "jinnan": (22, 3), "jiading": (6, 0), "shizhu": (4, 0)}


def test_the_listed_reports_are_the_stored_texts():
    assert {r["bureau"] for r in LISTED} == set(EXPECTED)
    assert len({r["province"] for r in LISTED}) == 5 and {r["level"] for r in LISTED} == {"县", "区", "市", "省"}
    assert {r["year"] for r in LISTED} == {2022, 2023, 2024} and "工作总结" in {r["type"] for r in LISTED}
    for report in LISTED:
        assert hashlib.sha256((REPORTS / report["file"]).read_bytes()).hexdigest() == report["sha256"], report["file"]


@pytest.mark.slow
@pytest.mark.parametrize("report", LISTED, ids=[r["bureau"] for r in LISTED])
def test_add_then_accept_all_unedited_gives_a_valid_table(report, data_copy, capsys):
    slug, year = report["bureau"], report["year"]
    given = [] if report["title_in_text"] else ["--year", str(year), "--type", report["type"]]
    assert main(["add", str(REPORTS / report["file"]), "--bureau", slug, "--name", report["name"], *given]) == 0
    out = capsys.readouterr().out
    found, matched = EXPECTED[slug]
    assert f"{found} figures, {matched} matched to catalog ids, {found - matched} with a proposed" in out
    declared = [s for s in yaml.safe_load(paths.sources_file().read_text("utf-8"))["sources"] if s["bureau"] == slug]
    assert (declared[0]["year"], declared[0]["type"], declared[0]["sha256"]) == (year, report["type"], report["sha256"])
    assert main(["accept", "--bureau", slug, "--year", str(year), "--all"]) == 0
    table = load_report(slug, year).indicators
    assert len(table) == found
    text = raw_text(slug, year)
    assert all(text[r.start:r.end] == r.as_written for r in table.itertuples())
    assert load_report(None, 2023).indicators.shape[0] == 96          # 从化 2023 unchanged beside them
