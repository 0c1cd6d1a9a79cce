"""Arbitrary input never crashes the loader: it loads, or raises DataError naming the file."""
from __future__ import annotations

import shutil

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import DataError, load_indicators, paths

HEADER = "year,id,value,unit,as_written,start,end,qualifier,period,note\n"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    target = tmp_path_factory.mktemp("prop") / "data"
    shutil.copytree(paths.data_dir(), target)
    return target


def _load(data_dir, monkeypatch, content: bytes):
    monkeypatch.setenv("AMRBOOK_DATA", str(data_dir))
    (data_dir / "indicators" / "2023.csv").write_bytes(content)
    try:
        load_indicators(2023)
    except DataError as exc:
        assert all("2023.csv" in str(p) for p in exc.problems)


@given(st.text(max_size=400))
def test_arbitrary_unicode_file(data_dir, monkeypatch, text):
    _load(data_dir, monkeypatch, text.encode("utf-8"))


cell = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12)


@given(st.lists(st.lists(cell, min_size=10, max_size=10), max_size=6))
def test_arbitrary_rows_under_a_valid_header(data_dir, monkeypatch, rows):
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    _load(data_dir, monkeypatch, (HEADER + buffer.getvalue()).encode("utf-8"))


@given(st.binary(max_size=300))
def test_arbitrary_bytes(data_dir, monkeypatch, data):
    _load(data_dir, monkeypatch, data)
