"""Arbitrary input never crashes the loader: it loads, or raises DataError naming the file.

Where the time goes (ci profile, 1000 examples each): arbitrary text and bytes are refused by
the CSV reader in well under 1 ms an example; rows under a valid header reach the cell
checks (~2 ms an example; pandera's schema cost ~15);
cells of real rows reach the provenance check against the report
too (~15 ms an example on 5 rows; a whole valid table costs ~30 ms). Every failure hypothesis
found is kept as an @example.
"""
from __future__ import annotations

import re
import shutil

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from helpers.errors import DataError
from helpers.tables.load import load_indicators
from helpers import paths

HEADER = "year,id,value,unit,as_written,start,end,qualifier,period,section,note\n"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    target = tmp_path_factory.mktemp("prop") / "data"
    shutil.copytree(paths.data_dir(), target)
    return target


def _load(data_dir, monkeypatch, content: bytes):
    monkeypatch.setenv("AMRBOOK_DATA", str(data_dir))
    path = data_dir / "indicators" / "conghua" / "2023.csv"
    path.write_bytes(content)
    try:
        load_indicators("conghua", 2023)
    except DataError as exc:
        lines = len(re.split(rb"\r\n|\r|\n", content))
        for problem in exc.problems:
            assert problem.file == path
            assert problem.line is None or 1 <= problem.line <= lines, problem  # a line of the file


@given(st.text(max_size=400))
@example(text='"')                          # pandas: EOF inside string
@example(text='year,id\n"a\nb",1\n"')        # an unclosed quote after a multi-line record
def test_arbitrary_unicode_file(data_dir, monkeypatch, text):
    _load(data_dir, monkeypatch, text.encode("utf-8"))


cell = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12)


@given(st.lists(st.lists(cell, min_size=10, max_size=10), max_size=6))
@example(rows=[["1E100", "", "", "", "", "", "", "", "", ""]])   # pandas: cannot safely cast float64 to int64
@example(rows=[["2023", "x", "1", "宗", "1宗", "12345678901234567890", "2", "exact", "2023", ""]])  # uint64
@example(rows=[["2023", "x", "inf", "宗", "1宗", "1", "-inf", "exact", "2023", "\x01"]])
def test_arbitrary_rows_under_a_valid_header(data_dir, monkeypatch, rows):
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    _load(data_dir, monkeypatch, (HEADER + buffer.getvalue()).encode("utf-8"))


@given(st.binary(max_size=300))
@example(data=b'"')
def test_arbitrary_bytes(data_dir, monkeypatch, data):
    _load(data_dir, monkeypatch, data)


REAL_ROWS = 5  # the first rows of the real table: enough to reach every check, cheap to validate


@given(st.integers(0, REAL_ROWS - 1), st.integers(0, 9), st.text(max_size=25) | st.sampled_from(
    ["1E100", "-1", "1e400", "nan", "1.5", "12345678901234567890", "", "2023-13", "0", '"', "a,b"]))
@example(row=0, column=5, value="1240")           # start after end: one problem, not one per column
@example(row=0, column=9, value="two\nlines")     # a multi-line note moves the following lines
def test_one_cell_of_real_rows_replaced(data_dir, monkeypatch, row, column, value):
    import csv
    import io

    real = (paths.PROJECT_ROOT / "data" / "indicators" / "conghua" / "2023.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(real, newline="")))[:REAL_ROWS + 1]
    rows[row + 1][column] = value
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    _load(data_dir, monkeypatch, buffer.getvalue().encode("utf-8"))


# --- YAML data files ----------------------------------------------------------------------

scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
           | st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=10))
documents = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=6), inner, max_size=4), max_leaves=25)


def _depth(value) -> int:
    children = list(value.values()) if isinstance(value, dict) else value if isinstance(value, list) else None
    return 0 if children is None else 1 + max(map(_depth, children), default=0)


@given(documents)
@example(value={"a": [[[[[[[[[[1]]]]]]]]]]})      # 11 levels: refused
@example(value=None)                               # null alone: the file is empty
def test_read_yaml_reads_what_pyyaml_reads(tmp_path, value):
    import yaml

    from helpers.datafile import MAX_YAML_DEPTH, read_yaml

    path = tmp_path / "data.yml"
    path.write_text(yaml.safe_dump(value, allow_unicode=True), encoding="utf-8")
    if _depth(value) > MAX_YAML_DEPTH:
        with pytest.raises(DataError, match="levels deep"):
            read_yaml(path)
    elif value is None:  # a document of null alone declares nothing: the one problem of the whole file
        with pytest.raises(DataError, match="the file is empty"):
            read_yaml(path)
    else:
        assert read_yaml(path) == yaml.safe_load(path.read_text(encoding="utf-8"))


@given(st.text(max_size=300))
@example(text="a: &x 1\nb: *x\n")
@example(text="a: !!binary aGk=\n")
@example(text="x: 99999999999999999999" + "9" * 5000)
def test_read_yaml_of_any_text_returns_or_names_the_file(tmp_path, text):
    from helpers.datafile import read_yaml

    path = tmp_path / "data.yml"
    path.write_text(text, encoding="utf-8", newline="")
    try:
        read_yaml(path)
    except DataError as exc:
        assert all(p.file == path for p in exc.problems)
