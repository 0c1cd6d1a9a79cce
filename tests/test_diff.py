"""变更说明: what changed since the previous build and the previous year (helpers.audit.diff, `amrbook diff`)."""
from __future__ import annotations

import copy
import json
import re
import shutil

import nbformat
import pytest

from conftest import change_figure, drafted_second_year, only_notebooks, unwrapped
from helpers.audit.report import load_report
from helpers.audit.diff import compare, snapshot
from helpers.cli import main
from helpers.publish.changelog import change_log
from helpers.show.changes import change_table, changes_html

PENALTIES = "admin_penalty_cases"


def _corrected(data) -> tuple[str, str]:
    """Correct the penalty-case count in the data copy by ten, as a revised report would; return (old, new) as written."""
    row = load_report("conghua", 2023).indicators.loc[PENALTIES]
    old = row["as_written"]
    new = f"{int(row['value']) + 10}{row['unit']}"          # 439宗 -> 449宗: same length, so no other span moves
    change_figure(data, 2023, old, new)
    return old, new


def test_compare_lists_changed_added_and_removed_figures_and_status_changes(data_copy):
    before = snapshot(load_report("conghua", 2023))
    old, new = _corrected(data_copy)
    after = copy.deepcopy(snapshot(load_report("conghua", 2023)))
    gone = list(after["figures"])[-1]                      # the report's last figure no longer stated
    removed = after["figures"].pop(gone)
    rule = next(iter(after["findings"]))
    after["findings"][rule]["severity"] = "skipped" if before["findings"][rule]["severity"] != "skipped" else "ok"
    rows = compare(before, after, "上次").to_dict("records")
    assert [(r["change"], r["kind"], r["id"]) for r in rows] == [
        ("value", "figure", PENALTIES), ("removed", "figure", gone), ("status", "finding", rule)]
    changed = next(r for r in rows if r["change"] == "value")
    assert (changed["before"], changed["after"]) == (old, new)
    sentence, (start, end) = changed["sentence"], changed["at"]
    assert sentence[start:end] == new and f"查办行政处罚案件{new}" in sentence
    assert next(r for r in rows if r["change"] == "removed")["sentence"] == removed["sentence"]
    added = compare(after, before, "x")
    assert added[added["change"] == "added"]["id"].tolist() == [gone]


def test_an_unchanged_year_has_no_changes():
    assert compare(snapshot(load_report("conghua", 2023)), snapshot(load_report("conghua", 2023)), "x").empty


def test_the_previous_year_is_compared_when_data_holds_it(data_copy):
    # a 2024 whose penalty count differs and whose last figure was dropped
    last = list(snapshot(load_report("conghua", 2023))["figures"])[-1]
    drafted_second_year(data_copy, 2024, figures={PENALTIES: "400宗"}, drop=(last,))
    changes = change_log(load_report("conghua", 2024))["previous_year"]
    assert changes["against"] == "2023年" and not changes["note"]
    by_id = {r["id"]: r for r in changes["rows"]}
    assert (by_id[PENALTIES]["before"], by_id[PENALTIES]["after"]) == (load_report("conghua", 2023).indicators.at[
        PENALTIES, "as_written"], "400宗")
    assert by_id[last]["change"] == "removed"


def test_first_build_and_single_year_say_why_nothing_is_compared(tmp_path, monkeypatch):
    monkeypatch.setenv("AMRBOOK_OUTPUTS", str(tmp_path))
    r = load_report("conghua", 2023)
    log = change_log(r)
    assert "这是该年度的首次生成" in log["previous_build"]["note"] and "没有2022年的数据" in log["previous_year"]["note"]
    html = changes_html(r, log).data
    # one sentence, for readers: no build jargon, no file names
    assert html == '<p class="changes">此前没有已发布的版本，本版无修订。</p>'
    assert not re.search(r"data/|生成|\.csv|\.json", html)


def _manifest(folder, snap, changes=None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = {"built_at": "2026-01-01 08:00", "inputs": "0123456789ab", "version": "0.1.0"}
    (folder / "manifest.json").write_text(json.dumps({"snapshot": snap, "stamp": stamp, "changes": changes or {}},
                                                     ensure_ascii=False), encoding="utf-8")


def test_the_data_since_the_last_build_and_a_rebuild_of_the_same_data_repeats_it(data_copy, tmp_path, monkeypatch):
    monkeypatch.setenv("AMRBOOK_OUTPUTS", str(tmp_path))
    _manifest(tmp_path / "conghua" / "2023", snapshot(load_report("conghua", 2023)))
    old, new = _corrected(data_copy)
    changes = change_log(load_report("conghua", 2023))["previous_build"]
    assert changes["against"] == "2026-01-01 08:00 生成，输入 0123456789ab"
    assert [(r["before"], r["after"]) for r in changes["rows"]] == [(old, new)]
    _manifest(tmp_path / "conghua" / "2023", snapshot(load_report("conghua", 2023)), {"previous_build": changes})    # the build that made that change
    r = load_report("conghua", 2023)
    log = change_log(r)
    assert log["previous_build"] == changes             # a rebuild with the same data says the same
    html = changes_html(r, log).data
    label = r.indicators.at[PENALTIES, "label_zh"]
    assert f"<li>{label}：{old} → {new}（数值修订）</li>" in html and "修订1项" in html
    table = change_table(r, log)       # the workbook's sheet: the same line, with its sentence
    assert table[["项目", "原值", "现值"]].values.tolist() == [[label, old, new]] and new in table.at[0, "原文"]


def test_cli_diff_against_a_build_folder_and_a_year(data_copy, tmp_path, capsys):
    _manifest(tmp_path / "before", snapshot(load_report("conghua", 2023)))
    old, new = _corrected(data_copy)
    assert main(["diff", "--year", "2023", "--against", str(tmp_path / "before"), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["id"], r["before"], r["after"]) for r in rows] == [(PENALTIES, old, new)]
    assert main(["diff", "--year", "2023", "--against", "2023"]) == 0
    assert capsys.readouterr().out == "2023: no changes\n"


@pytest.mark.parametrize(("content", "message"), [
    (None, r"manifest.json: no such file: name a build's manifest.json or its folder"),
    ('{"snapshot": ', r"manifest.json: line 1, column 14: not JSON: Expecting value"),
    ('{"year": 2023}', r"manifest.json: holds no data snapshot \(made by a build older than the change log\)"),
])
def test_cli_diff_against_a_bad_manifest_names_it(tmp_path, capsys, content, message):
    file = tmp_path / "manifest.json"
    if content is not None:
        file.write_text(content, encoding="utf-8")
    assert main(["diff", "--year", "2023", "--against", str(file)]) == 2
    err = capsys.readouterr().err
    assert re.search(message, err) and str(file) in err and "Traceback" not in err


def test_cli_diff_without_a_build_says_how_to_get_one(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AMRBOOK_OUTPUTS", str(tmp_path))
    assert main(["diff", "--year", "2023"]) == 2
    assert "no build of conghua 2023 yet: run `amrbook build --bureau conghua --year 2023` first" in capsys.readouterr().err


@pytest.mark.slow
def test_a_corrected_figure_is_in_the_rebuilt_briefing_manifest_and_amrbook_diff(built, data_copy, tmp_path,
                                                                                monkeypatch, capsys):
    from helpers.publish.build import build

    # the previous build is the session's, of the data as they were
    monkeypatch.setenv("AMRBOOK_OUTPUTS", str(tmp_path / "outputs"))
    shutil.copytree(built.pristine, tmp_path / "outputs" / "conghua" / "2023")
    only_notebooks(tmp_path, monkeypatch)          # the briefing alone: the page asserted on
    old, new = _corrected(data_copy)
    result = build("conghua", 2023, pdf=False)
    manifest = json.loads((result.target / "manifest.json").read_text(encoding="utf-8"))
    rows = manifest["changes"]["previous_build"]["rows"]
    assert [(r["id"], r["before"], r["after"]) for r in rows if r["kind"] == "figure"] == [(PENALTIES, old, new)]
    html = unwrapped((result.target / "briefing.html").read_text(encoding="utf-8"))
    assert f"{old} → {new}（数值修订）" in html
    # computed once, by the build: the briefing's kernel read the log the manifest records, from its file
    briefing = nbformat.read(result.notebooks["briefing"], as_version=4)
    (injected,) = [c.source for c in briefing.cells if "injected-parameters" in c.metadata.get("tags", [])]
    log_file = re.search(r"change_log = '(.+)'", injected).group(1)
    assert json.loads(open(log_file, encoding="utf-8").read()) == manifest["changes"]
    assert any(c.source == "hb.changes_html(r, change_log)" for c in briefing.cells)
    assert main(["diff", "--year", "2023"]) == 0
    out = capsys.readouterr().out
    assert re.search(rf"{PENALTIES}\s+{old}\s+{new}\s+.*查办行政处罚案件{new}", out), out


def test_an_unreadable_previous_manifest_does_not_stop_the_build(tmp_path, monkeypatch):
    monkeypatch.setenv("AMRBOOK_OUTPUTS", str(tmp_path))
    (tmp_path / "conghua" / "2023").mkdir(parents=True)
    (tmp_path / "conghua" / "2023" / "manifest.json").write_text("<<<<<<< HEAD\n", encoding="utf-8")
    changes = change_log(load_report("conghua", 2023))["previous_build"]
    assert changes["rows"] == [] and changes["note"] == (
        f"上次生成的记录无法读取：{tmp_path / 'conghua' / '2023' / 'manifest.json'}: line 1, column 1: not JSON: Expecting value")


def test_outside_a_build_the_briefing_says_where_the_change_log_comes_from():
    assert "变更说明由 amrbook build 生成" in changes_html(load_report("conghua", 2023), None).data


def test_the_change_log_file_the_build_writes_is_what_the_briefing_words(tmp_path):
    from helpers.publish.changelog import write_change_log

    log = {"previous_build": {"against": "", "note": "这是该年度的首次生成，没有可比较的上次生成。", "rows": []},
           "previous_year": {"against": "2022年", "note": "", "rows": []}}
    file = write_change_log(log, tmp_path / "changes.json")
    r = load_report("conghua", 2023)
    assert changes_html(r, file).data == changes_html(r, log).data == '<p class="changes">此前没有已发布的版本，本版无修订。</p>'
    log["previous_build"] = {"against": "2026-01-01 08:00 生成，输入 0123456789ab", "note": "", "rows": []}
    assert changes_html(r, write_change_log(log, tmp_path / "changes.json")).data == (
        '<p class="changes">与上次发布的版本相比，数据没有修订。</p>')
