"""A report is (bureau, year): load_report, its immutability, its one lookup, and the bureaus of sources.yml."""
from __future__ import annotations

import math
import pickle
from collections import Counter

import pytest

from conftest import rewrite
from helpers import datafile
from helpers.audit.report import load_report, report_years
from helpers.audit.status import Missing
from helpers.cli import main
from helpers.errors import AmrbookError, DataError
from helpers.report.sources import bureau
from helpers.show.words import missing_words


def test_the_default_bureau_is_declared_in_sources_yml():
    assert bureau().slug == "conghua" and bureau().name == "广州市从化区市场监督管理局" and bureau().level == "区"
    r = load_report(None, 2023)
    assert r.bureau.slug == "conghua" and r is load_report("conghua", 2023)       # one cached report
    assert report_years() == report_years("conghua") == [2023]


def test_the_2023_report_of_conghua_is_unchanged_by_the_move():
    r = load_report("conghua", 2023)
    # 96 figures (see test_indicators), 45 metrics declared in metrics.yml, 37 findings:
    # 35 rules hold, the 40514 mediations error and the 71.59% warning
    assert (len(r.indicators), len(r.metrics), len(r.findings)) == (96, 45, 37)
    assert r.findings["severity"].value_counts().to_dict() == {"ok": 35, "error": 1, "warn": 1}


def test_a_report_is_immutable_for_whoever_holds_it():
    r = load_report("conghua", 2023)
    table = r.indicators
    table.loc["admin_penalty_cases", "value"] = 1.0           # an analyst assigns into a table they were given
    metrics = r.metrics
    metrics.loc["average_penalty_per_case", "value"] = 1.0
    assert r.indicators.at["admin_penalty_cases", "value"] == 439
    assert load_report("conghua", 2023).indicators.at["admin_penalty_cases", "value"] == 439
    assert load_report("conghua", 2023).metrics.at["average_penalty_per_case", "value"] == pytest.approx(
        4341200 / 439)                                        # 434.12万元 / 439宗 = 9888.84 元
    with pytest.raises(AttributeError):
        r.year = 2024


def test_metrics_have_their_id_once_as_the_index():
    metrics = load_report("conghua", 2023).metrics
    assert metrics.index.name == "id" and "id" not in metrics.columns
    assert metrics.reset_index()["id"].tolist() == list(metrics.index)


def test_one_lookup_for_an_indicator_and_a_metric():
    r = load_report("conghua", 2023)
    cases = r["admin_penalty_cases"]
    assert (cases.kind, cases.value, cases.unit, cases.label, cases.period, cases.as_written) == (
        "indicator", 439.0, "宗", "查办行政处罚案件", "2023", "439宗")
    assert cases.sentences == ["据统计,2023年,我局查办行政处罚案件439宗(含简易程序16宗),罚没金额434.12万元。"]
    share = r.lookup("simple_procedure_share")                # 16 / 439 × 100 = 3.6446 %
    assert (share.kind, share.unit) == ("metric", "%") and share.value == pytest.approx(3.6446, abs=1e-4)
    assert share.sentences == cases.sentences and share.substituted == "16 / 439 * 100"
    with pytest.raises(AmrbookError, match="neither an indicator of the catalog nor a metric"):
        r["no_such_figure"]


def test_a_catalog_indicator_the_report_lacks_is_looked_up_as_missing(data_copy):
    from conftest import drop_indicator

    drop_indicator(data_copy, 2023, "council_complaints_received")
    r = load_report("conghua", 2023)
    gone = r["council_complaints_received"]
    assert math.isnan(gone.value) and gone.label == "区消委会受理消费投诉" and gone.missing == Missing.NOT_IN_TABLE
    assert "council_complaints_received" not in r and "admin_penalty_cases" in r
    # a metric over it (completed / received × 100) has no value: a code too, worded by the show layer
    rate = r["council_completion_rate"]
    assert math.isnan(rate.value) and rate.missing == Missing.NO_VALUE
    assert (missing_words(gone.missing, r.year), missing_words(rate.missing, r.year)) == (
        "2023年指标表中没有", "衍生指标无法计算")
    assert r["admin_penalty_cases"].missing == "" and r["simple_procedure_share"].missing == ""


def test_a_cold_load_report_parses_catalog_yml_once(data_copy, monkeypatch):
    # a fresh data copy: no definition parsed for it yet
    read = Counter()
    original = datafile._yaml_text
    monkeypatch.setattr(datafile, "_yaml_text", lambda path: read.update([path.name]) or original(path))
    load_report("conghua", 2023)
    assert read == {"catalog.yml": 1, "metrics.yml": 1, "checks.yml": 1, "sources.yml": 1,
                    "matching.yml": 1}            # the catalog's `body:` values are checked against matching.yml
    load_report("conghua", 2023)                              # cached: nothing parsed again
    assert sum(read.values()) == 5
    rewrite(data_copy / "catalog.yml", "查办行政处罚案件", "查办行政处罚案件数")   # a new version of the catalog
    assert load_report("conghua", 2023)["admin_penalty_cases"].label == "查办行政处罚案件数"
    assert read["catalog.yml"] == 2 and read["sources.yml"] == 1


def test_an_unknown_bureau_is_refused_listing_the_known_ones(capsys):
    assert main(["indicators", "--bureau", "tianhe", "--year", "2023"]) == 2
    assert capsys.readouterr().err == ("amrbook: error: unknown bureau 'tianhe': "
                                       f"{bureau.__globals__['paths'].sources_file()} declares "
                                       "conghua (广州市从化区市场监督管理局)\n")
    with pytest.raises(AmrbookError, match="unknown bureau 'tianhe'"):
        load_report("tianhe", 2023)


@pytest.mark.parametrize(("old", "new", "cause"), [
    ("default_bureau: conghua", "default_bureau: tianhe",
     "default_bureau must name a bureau of `bureaus` (conghua), not 'tianhe'"),
    ("    level: 区", "    level: 镇", "level must be one of 县、区、市、省, not '镇'"),
    ("    bureau: conghua", "    bureau: tianhe", "bureau 'tianhe' is not in `bureaus` (conghua)"),
])
def test_a_wrong_bureau_in_sources_yml_is_named(data_copy, old, new, cause):
    from helpers.report.sources import load_sources

    rewrite(data_copy / "raw" / "sources.yml", old, new)
    with pytest.raises(DataError) as info:
        load_sources()
    assert [p.cause for p in info.value.problems] == [cause]


def test_a_report_handed_over_by_a_build_is_taken_while_the_data_are_unchanged(data_copy, tmp_path, monkeypatch):
    from helpers import paths
    from helpers.audit import report as report_module

    r = load_report("conghua", 2023)
    report_module.hand_over(r, tmp_path)
    monkeypatch.setenv(paths.HANDOVER_ENV, str(tmp_path))
    loads = []
    monkeypatch.setattr(report_module, "_load", lambda *args: loads.append(args) or r)
    handed = load_report(None, 2023)                   # the default bureau, conghua
    assert loads == [] and handed is not r and handed.indicators.equals(r.indicators)
    assert load_report("conghua", 2022) is r and len(loads) == 1      # no report of 2022 handed over: loaded
    rewrite(data_copy / "catalog.yml", "查办行政处罚案件", "查办行政处罚案件数")   # the data change: loaded anew
    assert load_report("conghua", 2023) is r and len(loads) == 2


def test_a_handed_over_file_others_could_write_is_not_unpickled(data_copy, tmp_path, monkeypatch):
    # unpickling can run code: a file another user could have written is passed over (review), whatever the umask
    # the build wrote it under (it writes 0600)
    from helpers import paths
    from helpers.audit import report as report_module

    r = load_report("conghua", 2023)
    file = report_module.hand_over(r, tmp_path)
    assert file.stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv(paths.HANDOVER_ENV, str(tmp_path))
    loads = []
    monkeypatch.setattr(report_module, "_load", lambda *args: loads.append(args) or r)
    file.chmod(0o666)
    assert load_report("conghua", 2023) is r and len(loads) == 1        # passed over: loaded
    file.chmod(0o600)
    assert load_report("conghua", 2023) is not r and len(loads) == 1    # taken


@pytest.mark.parametrize("handed", [b"garbage\n", b"\0\0\0", pickle.dumps(5), pickle.dumps((1, 2, 3)),
                                    pickle.dumps(("version", "not a report"))])
def test_a_damaged_handover_is_passed_over_and_the_report_loaded_anew(data_copy, tmp_path, monkeypatch, handed):
    # AMRBOOK_REPORTS left set in a shell (or naming another folder) holding something else under the
    # name a build uses: every command that loads a report ended in a traceback (ValueError: invalid
    # literal for int(), UnpicklingError, TypeError: cannot unpack non-iterable int) (hostile3)
    from helpers import paths

    (tmp_path / "conghua-2023.pickle").write_bytes(handed)
    monkeypatch.setenv(paths.HANDOVER_ENV, str(tmp_path))
    r = load_report("conghua", 2023)
    assert len(r.indicators) == 96                                      # loaded from data/, validated
    assert main(["check", "--year", "2023"]) == 0
