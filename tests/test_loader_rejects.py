"""Broken indicator tables are refused with every problem named: file, CSV line, column, cause."""
from __future__ import annotations

import pytest

from conftest import line_no, rewrite
from helpers.errors import DataError
from helpers.tables.load import load_catalog, load_indicators

HEADER = "year,id,value,unit,as_written,start,end,qualifier,period,section,note"
# line 2 of 2023.csv is the first figure of the report: 439宗 at characters 1230-1234
FIRST_ROW = "2023,admin_penalty_cases,439,宗,439宗,1230,1234,exact,2023,一(三) 规范行政执法,"


def problems_of(year: int = 2023) -> list[str]:
    with pytest.raises(DataError) as info:
        load_indicators("conghua", year)
    return [str(p) for p in info.value.problems]


def csv_of(data):
    return data / "indicators" / "conghua" / "2023.csv"


def test_wrong_column_name(data_copy):
    rewrite(csv_of(data_copy), HEADER, HEADER.replace("as_written", "written"))
    found = problems_of()
    assert any("2023.csv: line 1: unknown column 'written'" in p for p in found)
    assert any("2023.csv: line 1: missing column 'as_written'" in p for p in found)


def test_duplicate_id(data_copy):
    # the second row (16宗, simple procedure) relabelled with the first row's id
    rewrite(csv_of(data_copy), "2023,admin_penalty_cases_simple,", "2023,admin_penalty_cases,")
    found = problems_of()
    assert "line 2, column id: duplicate (year, id) = (2023, admin_penalty_cases)" in " ".join(found)
    assert "line 3, column id: duplicate (year, id) = (2023, admin_penalty_cases)" in " ".join(found)


def test_span_mismatch_says_where_the_figure_really_is(data_copy):
    rewrite(csv_of(data_copy), FIRST_ROW, FIRST_ROW.replace("1230,1234", "1231,1235"))
    (problem,) = problems_of()
    assert problem.endswith("2023.csv: line 2, column start: span 1231:1235 reads '39宗(', not '439宗'; "
                            "'439宗' first occurs at 1230")


def test_value_that_does_not_follow_from_the_text(data_copy):
    rewrite(csv_of(data_copy), ",4341200,", ",434.12,")     # 万 forgotten: should be 434.12 × 10^4
    (problem,) = problems_of()
    assert "line 4, column value: 434.12 but '434.12万元' means 4341200" in problem


def test_all_problems_are_reported_together(data_copy):
    path = csv_of(data_copy)
    rewrite(path, FIRST_ROW, FIRST_ROW.replace(",439,", ",many,"))
    rewrite(path, "2023,admin_penalty_cases_simple,16,", "2023,admin_penalty_cases_simple,-16,")
    rewrite(path, ",exact,2023,一(三) 规范行政执法,\n", ",certain,2023,一(三) 规范行政执法,\n")
    found = problems_of()
    joined = "\n".join(found)
    assert "line 2, column value: 'many' is not a number" in joined
    assert "line 3, column value: '-16' must not be negative" in joined
    assert "column qualifier: 'certain' must be one of exact, approx, lower_bound, upper_bound" in joined
    assert all("2023.csv: line " in p for p in found)


def test_unknown_id_and_wrong_unit_are_provenance_problems(data_copy):
    path = csv_of(data_copy)
    rewrite(path, "council_losses_recovered", "council_money_back")
    rewrite(path, "2023,hotline_losses_recovered,1688000,元,", "2023,hotline_losses_recovered,1688000,万元,")
    found = "\n".join(problems_of())
    assert "line 12, column id: 'council_money_back' is not in catalog.yml" in found
    assert "line 16, column unit: '万元' but the catalog gives '元' for hotline_losses_recovered" in found


def test_qualifier_must_match_the_words_around_the_figure(data_copy):
    rewrite(csv_of(data_copy), ",approx,2023-12,", ",exact,2023-12,")
    (problem,) = problems_of()
    assert "column qualifier: 'exact' but the text around '2900余人次' implies 'approx'" in problem


@pytest.mark.parametrize(("content", "cause"), [
    (b"", "the file is empty"),
    (b"year;id;value\n2023;x;1\n", "not separated by commas"),
    ("year,id\n2023,中文".encode("gbk"), "not UTF-8"),
])
def test_unreadable_files(data_copy, content, cause):
    csv_of(data_copy).write_bytes(content)
    (problem,) = problems_of()
    assert "2023.csv" in problem and cause in problem


def test_utf8_bom_is_accepted(data_copy):
    path = csv_of(data_copy)
    without_bom = load_indicators("conghua", 2023)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())   # as Excel's "CSV UTF-8" saves it
    assert load_indicators("conghua", 2023).equals(without_bom)


def test_catalog_entry_missing_a_field(data_copy):
    rewrite(data_copy / "catalog.yml", '  label_en: "Administrative penalty cases handled"\n', "")
    line = line_no(data_copy / "catalog.yml", "admin_penalty_cases:")   # the entry missing the field
    with pytest.raises(DataError, match=rf"catalog.yml: line {line}, indicator 'admin_penalty_cases': missing label_en"):
        load_catalog()


def test_catalog_yaml_syntax_error_names_the_line(data_copy):
    rewrite(data_copy / "catalog.yml", '  label_zh: "查办行政处罚案件"', '  label_zh: "查办行政处罚案件')
    with pytest.raises(DataError, match=r"catalog.yml: line \d+, column \d+: YAML syntax error"):
        load_catalog()


@pytest.mark.parametrize(("text", "where", "cause"), [
    ("a: &x [1]\nb: *x\n", "line 1, column 4", "YAML anchor &x: anchors and aliases are not allowed in data files; "
                                                "write the value out"),
    ("a: 1\nb: 2\na: 3\n", "line 3, column 1", "key 'a' appears twice (first at line 1)"),
    ("a: !!python/object/apply:os.system [true]\n", "line 1, column 4",
     "YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed in data files"),
    ("a: 1\n---\nb: 2\n", "line 2, column 1", "a second YAML document (---); a data file holds one"),
    # the root mapping and 9 lists are 10 levels; the 10th "[", at column 3 + 10 = 13, is one too many
    ("a: " + "[" * 11 + "]" * 11 + "\n", "line 1, column 13", "nested more than 10 levels deep"),
    ("? [a, b]\n: 1\n", "line 1, column 3", "a mapping or list used as a key; keys must be plain values"),
    ("day: 2023-13-45\n", "line 1, column 6", "'2023-13-45' is not a valid timestamp: month must be in 1..12"),
    ("a: b\x01c\n", "line 1, column 5", "YAML syntax error: control character U+0001 is not allowed"),
])
def test_yaml_features_data_files_have_no_use_for_are_refused(tmp_path, text, where, cause):
    from helpers.datafile import read_yaml

    path = tmp_path / "data.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as info:
        read_yaml(path)
    assert [str(p) for p in info.value.problems] == [f"{path}: {where}: {cause}"]


def test_yaml_entries_remember_their_lines(tmp_path):
    from helpers.datafile import line_of, read_yaml

    path = tmp_path / "data.yml"
    path.write_text("# comment\nitems:\n  - id: a\n    x: 1\n  - id: b\n", encoding="utf-8")
    doc = read_yaml(path)
    assert doc == {"items": [{"id": "a", "x": 1}, {"id": "b"}]}
    assert (line_of(doc, "items"), line_of(doc["items"], 1), line_of(doc["items"][0], "x")) == (2, 5, 4)


@pytest.mark.parametrize(("old", "new", "key", "cause"), [
    ("    encoding: utf-8", "    encoding: utf-9", "    encoding: utf-9",
     "unknown encoding 'utf-9' (e.g. utf-8, gb18030, utf-16)"),
    ("    sha256: 8b38", "    sha256: 8B38", "    sha256: 8B38", "sha256 must be 64 lowercase hex digits"),
    ("  - file: 2023_conghua_amr.txt", "  - file: ../2023_conghua_amr.txt", "  - file: ../",
     "file must be a file name in raw/conghua/, not '../2023_conghua_amr.txt': it is a path, not one name"),
    # a file name from data is checked before any path is made of it (was `File name too long` from the OS,
    # naming no line of sources.yml); 86 characters of 3 bytes each: 86 * 3 = 258 bytes > 255
    ("  - file: 2023_conghua_amr.txt", "  - file: " + "长" * 86, "  - file: 长",
     "file must be a file name in raw/conghua/, not '" + "长" * 86 + "': it is 258 bytes long; a file name has at "
     "most 255 (MAX_NAME_BYTES)"),
    # a year no report can be of (a typing slip) was accepted, then "no source listed" for the real one (hostile3)
    ("    year: 2023", "    year: 20233", "    year: 20233",
     "year: 20233 is not a year a report can be of (from 1949 to 2100)"),
])
def test_a_wrong_sources_entry_names_its_line(data_copy, old, new, key, cause):
    from helpers.report.sources import sources

    path = data_copy / "raw" / "sources.yml"
    rewrite(path, old, new)
    with pytest.raises(DataError) as info:
        sources()
    assert [str(p) for p in info.value.problems] == [f"{path}: line {line_no(path, key)}, source 1: {cause}"]


@pytest.mark.parametrize(("edit", "problem"), [
    (lambda t: t.replace(HEADER, HEADER + ",note"), "line 1: column 'note' appears 2 times"),
    (lambda t: t.replace(FIRST_ROW, FIRST_ROW[:-len(",2023,一(三) 规范行政执法,")]), "line 2: 8 fields where the header has 11"),
    (lambda t: t.replace(FIRST_ROW, FIRST_ROW.replace(",439,", ",inf,")),
     "line 2, column value: 'inf' is not a number"),
])
def test_csv_structure_problems(data_copy, edit, problem):
    path = csv_of(data_copy)
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    assert problems_of() == [f"{path}: {problem}"]


@pytest.mark.parametrize("hidden", ["\\n", "\\u200b", "\\u2028", "\\t", "\\x7f"])
@pytest.mark.parametrize("file, old, field, where", [
    ("catalog.yml", 'label_zh: "查办行政处罚案件"', "label_zh", "indicator 'admin_penalty_cases'"),
    ("raw/sources.yml", "name: 广州市从化区市场监督管理局", "name", "bureau conghua"),
    ("metrics.yml", "label_zh: 平均每宗罚没金额", "label_zh", "metric average_penalty_per_case"),
])
def test_a_label_or_name_on_more_than_one_line_or_with_a_hidden_character_is_named(data_copy, hidden, file, old, field, where):
    # a line break in a catalog label split `amrbook indicators` rows, chart titles and table cells, and a
    # zero-width space hid in a label (`查办\u200b行政处罚案件` is not 查办行政处罚案件 to matching); both were
    # accepted (hostile3). Descriptions and notes may have several lines.
    from helpers.audit.metrics import load_metric_defs
    from helpers.report.sources import load_sources

    path = data_copy / file
    value = old.split(": ", 1)[1].strip('"')
    broken = value[:2] + hidden + value[2:]
    rewrite(path, old, f'{field}: "{broken}"')
    with pytest.raises(DataError) as info:
        {"catalog.yml": load_catalog, "raw/sources.yml": load_sources, "metrics.yml": load_metric_defs}[file]()
    shown = repr(value[:2] + hidden.encode().decode("unicode_escape") + value[2:])   # as YAML reads the escape
    assert [str(p) for p in info.value.problems] == [
        f"{path}: line {line_no(path, field + ': ' + chr(34) + value[:2])}, {where}: {field} must be text on one line, "
        f"not text {shown}"]
