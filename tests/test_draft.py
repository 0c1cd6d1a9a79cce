"""Drafting a year's table from a report: the 2023 report as oracle, and a reworded synthetic year."""
from __future__ import annotations

import os

import pytest

from helpers.errors import AmrbookError
from helpers.tables.load import load_indicators
from helpers import paths
from helpers.cli import main
from helpers.report.period import Period
from helpers.tables.draft import draft, infer_period, similarity, write_draft

COLUMNS = ["id", "value", "unit", "as_written", "start", "end", "qualifier", "period", "section"]


def test_drafting_the_2023_report_gives_the_curated_table():
    drafted = draft(2023, paths.raw_dir() / "conghua" / "2023_conghua_amr.txt", "conghua")
    curated = load_indicators("conghua", 2023)
    drafted["value"] = drafted["value"].astype(float)
    assert drafted[COLUMNS].to_dict("records") == curated[COLUMNS].to_dict("records")


# A made-up next-year report, worded differently from 2023, with one figure of a new kind.
SYNTHETIC = (
    "2024年,我局共查办各类行政处罚案件512宗(其中简易程序20宗),罚没款501.3万元。\n"
    "截至目前,全区食品生产经营主体达11020家,其中餐饮单位5600家。\n"
    "截至10月,全区发明专利授权260件。\n"
    "全年新建电动汽车充电桩300个。\n"
)


def test_a_reworded_new_year_maps_to_catalog_ids(tmp_path):
    report = tmp_path / "2024.txt"
    report.write_text(SYNTHETIC, encoding="utf-8")
    frame = draft(2024, report)
    rows = {r["as_written"]: r for r in frame.to_dict("records")}
    assert rows["512宗"]["id"] == "admin_penalty_cases"
    assert rows["20宗"]["id"] == "admin_penalty_cases_simple"
    assert rows["501.3万元"]["id"] == "penalty_confiscation_amount" and rows["501.3万元"]["value"] == "5013000"
    assert rows["11020家"]["id"] == "food_entities_total" and rows["11020家"]["period"] == "as_of_report"
    assert rows["5600家"]["id"] == "catering_units"
    assert rows["260件"]["id"] == "invention_patents_granted" and rows["260件"]["period"] == "2024-10"
    assert rows["300个"]["id"] == "" and "已提议新指标" in rows["300个"]["note"]     # nothing like it in 2023
    # its proposed entry: the clause 全年新建电动汽车充电桩 without 全年; no topic keyword -> the fallback
    proposal = {p["id"]: p for p in frame.attrs["proposals"]}[rows["300个"]["proposal"]]
    assert (proposal["label_zh"], proposal["unit"], proposal["topic"]) == ("新建电动汽车充电桩", "个", "capacity")
    assert rows["300个"]["period"] == "2024"


@pytest.mark.parametrize(("text", "period"), [
    ("截至11月,专利授权1643件。", "2023-11"),
    ("截至第三季度,商标申请量2611件。", "2023-Q3"),
    ("截至12月底,立案25宗。", "2023-12"),
    ("截至目前,共检查23家次。", "as_of_report"),
    ("近期联合调解一宗纠纷。", "recent"),
    ("截至目前,一网通平台联办30个事项;全年办理30宗。", "2023"),      # 全年 in its clause wins
    ("审核通过2024年度项目38项。", "2024"),                             # a plan for a later year
    ("四是清理。截至目前,吊销2个。五是出具资信证明31份。", "2023"),   # a list marker ends the cut-off
])
def test_infer_period(text, period):
    start = text.rindex(next(w for w in ["1643", "2611", "25", "23", "一宗", "30宗", "38", "31"] if w in text))
    assert str(infer_period(text, start, 2023)) == period and infer_period(text, start, 2023) == Period.parse(period)


def test_similarity():
    assert similarity("查办行政处罚案件", "查办行政处罚案件") == 1.0
    assert similarity("查办行政处罚案件", "电梯抽查") == 0.0


def test_draft_never_touches_the_curated_table(data_copy):
    curated = (data_copy / "indicators" / "conghua" / "2023.csv").read_bytes()
    target, _ = write_draft("conghua", 2023, paths.raw_dir() / "conghua" / "2023_conghua_amr.txt")
    assert target.name == "2023.draft.csv"
    assert (data_copy / "indicators" / "conghua" / "2023.csv").read_bytes() == curated
    with pytest.raises(AmrbookError, match="2023.draft.csv exists; --force replaces the draft"):
        write_draft("conghua", 2023, paths.raw_dir() / "conghua" / "2023_conghua_amr.txt")
    write_draft("conghua", 2023, paths.raw_dir() / "conghua" / "2023_conghua_amr.txt", force=True)


def test_extract_and_draft_cli(data_copy, tmp_path, capsys):
    report = tmp_path / "r.txt"
    report.write_text(SYNTHETIC, encoding="gb18030")
    assert main(["extract", str(report), "--format", "csv"]) == 0
    assert "512宗" in capsys.readouterr().out
    assert main(["draft", "--year", "2024", str(report)]) == 0
    out = capsys.readouterr().out
    assert "7 figures, 6 matched" in out and "unmatched: 300个" in out
    assert main(["extract", str(tmp_path / "missing.txt")]) == 2


def test_drafts_next_steps_name_the_file_add_would_write_and_skip_copying_a_recorded_report(data_copy, tmp_path,
                                                                                            capsys):
    # found: drafting the recorded 2024 report printed "copy … file: 2024_2024_….txt" (its own name, prefixed
    # again); `amrbook add` names a raw report <year>_<bureau>.txt, and a recorded one needs no copy
    recorded = paths.raw_dir() / "conghua" / "2023_conghua_amr.txt"
    assert main(["draft", "--year", "2023", "--force", str(recorded)]) == 0
    out = capsys.readouterr().out
    assert "next (the report is recorded in sources.yml):\n  review 2023.draft.csv" in out and "copy" not in out
    report = tmp_path / "2024_conghua_report.txt"
    report.write_text(SYNTHETIC, encoding="utf-8")
    assert main(["draft", "--year", "2024", str(report)]) == 0
    out = capsys.readouterr().out
    assert f"copy the report unchanged to {paths.raw_dir() / 'conghua' / '2024_conghua.txt'}" in out
    assert "file: 2024_conghua.txt\n" in out and "2024_2024" not in out


def test_infer_section_numbers_the_heading_and_names_it_as_curators_did():
    from helpers.tables.draft import infer_section

    text = "一、总体情况\n(一)加强领导。\n（二）以“改革”为要,营造良好营商环境。共办结5宗。\n"
    at = text.index("5宗")
    # the last top heading is 一、, the last sub-heading before the figure is （二）
    assert infer_section(text, at, {}) == "一(二) 以“改革”为要"
    assert infer_section(text, at, {"一(二)": "一(二) 营造营商环境"}) == "一(二) 营造营商环境"
    assert infer_section("共办结5宗。", 3, {}) == "正文"          # no heading at all
    # a top heading alone names the section by its words to the first stop
    assert infer_section("一、破立结合，优化营商环境\n共办结5宗。", 18, {}) == "一、破立结合"


def test_a_draft_path_that_is_a_symbolic_link_is_refused(data_copy, capsys):
    indicators = data_copy / "indicators" / "conghua"
    curated = (indicators / "2023.csv").read_bytes()
    (indicators / "2023.draft.csv").symlink_to("2023.csv")         # ln -s 2023.csv 2023.draft.csv
    assert main(["draft", "--year", "2023", "--force", str(paths.raw_dir() / "conghua" / "2023_conghua_amr.txt")]) == 2
    assert capsys.readouterr().err == (
        f"amrbook: error: {indicators / '2023.draft.csv'}: is a symbolic link (to 2023.csv); a draft is never "
        "written through a link, which could lead to a curated table: remove the link and run again\n")
    assert (indicators / "2023.csv").read_bytes() == curated
    assert (indicators / "2023.draft.csv").is_symlink()


def test_a_draft_path_that_is_a_folder_is_refused(data_copy, capsys):
    (data_copy / "indicators" / "conghua" / "2024.draft.csv").mkdir()
    assert main(["draft", "--year", "2024", str(paths.raw_dir() / "conghua" / "2023_conghua_amr.txt")]) == 2
    assert capsys.readouterr().err == (f"amrbook: error: {data_copy / 'indicators' / 'conghua' / '2024.draft.csv'}: exists and "
                                       "is not a plain file; remove it and run again\n")


def test_the_draft_replaces_its_name_never_a_file_linked_to_it(data_copy):
    indicators = data_copy / "indicators" / "conghua"
    curated = (indicators / "2023.csv").read_bytes()
    os.link(indicators / "2023.csv", indicators / "2023.draft.csv")   # a hard link: a plain file, same data
    target, _ = write_draft("conghua", 2023, paths.raw_dir() / "conghua" / "2023_conghua_amr.txt", force=True)
    assert (indicators / "2023.csv").read_bytes() == curated
    assert target.stat().st_ino != (indicators / "2023.csv").stat().st_ino
    assert target.read_text(encoding="utf-8").startswith("year,id,value,")
    assert sorted(p.name for p in indicators.iterdir()) == ["2023.csv", "2023.draft.csv", "2023.proposals.yml"]  # no temp


def test_drafting_is_linear_in_the_number_of_figures(monkeypatch, tmp_path):
    # Counted, not timed (benchmarks/draft.py times it): the bigrams compared and the passes over
    # a report. With each figure searching from the text's start, `检查企业5家，` x 10000 took
    # over 300 s: its one sentence grew with n, so the bigrams compared per figure did too
    # (n figures x n/2 characters: 16 times the work at 4 times the figures).
    from helpers.tables import draft as module

    compared, passes = [0], [0]
    dice, marks = module._dice, module._Marks.__init__

    def counted_dice(x, y):
        compared[0] += len(x) + len(y)
        return dice(x, y)

    def counted_marks(self, *args, **kw):
        passes[0] += 1
        marks(self, *args, **kw)

    monkeypatch.setattr(module, "_dice", counted_dice)
    monkeypatch.setattr(module._Marks, "__init__", counted_marks)
    work = {}
    for n in (250, 1000):
        report = tmp_path / f"{n}.txt"
        report.write_text("检查企业5家，" * n, encoding="utf-8")
        compared[0] = passes[0] = 0
        assert len(draft(2099, report)) == n
        work[n] = (compared[0], passes[0])
    assert 3.8 <= work[1000][0] / work[250][0] <= 4.2
    assert work[1000][1] == work[250][1]  # a fixed number of passes per report, whatever its length


def test_draft_lists_the_numbers_it_could_not_read_whole(data_copy, tmp_path, capsys):
    from helpers.cli import main

    report = tmp_path / "2024.txt"
    report.write_text("检查企业5家，约三分之一家企业，查处4\u200d39宗。", encoding="utf-8")
    assert main(["draft", "--year", "2024", str(report)]) == 0
    out = capsys.readouterr().out
    assert "wrote " in out and ": 1 figures" in out                       # only 5家 is a figure
    # 检0查1企2业3 5 4家5，6约7三8分9之10一11 …查16处17 4 18 ZWJ 19 3 20: 一家 at 11, 39宗 at 20
    assert "  not read: '一家' at 11: is part of a fraction" in out
    assert "  not read: '39宗' at 20: starts after an invisible character U+200D" in out
