"""amrbook build: self-contained HTML, PDF, xlsx, cache, atomicity, and nothing hard-coded."""
from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
import threading
from pathlib import Path

import nbformat
import pytest
from openpyxl import load_workbook

from conftest import change_figure, private_build
from helpers import AmrbookError, paths
from helpers.publish.build import build, build_lock
from helpers.cli import main
from helpers.publish.execute import NotebookError


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A private outputs folder and a copy of the notebooks, with one cold build done."""
    root = tmp_path_factory.mktemp("build")
    with private_build(root) as result:
        yield root, result


def test_cold_build_makes_every_output(workspace):
    root, result = workspace
    target = root / "outputs" / "2023"
    assert not result.up_to_date and len(result.executed) == 8
    for name in ["briefing.html", "briefing.pdf", "indicators.xlsx", "manifest.json"]:
        assert (target / name).stat().st_size > 0
    assert sorted(p.stem for p in (target / "notebooks").glob("*.html")) == [
        "00_overview", "01_enforcement", "02_consumer_protection", "03_business_environment",
        "04_market_safety", "05_ip_and_standards", "06_capacity"]


def test_briefing_html_is_self_contained_chinese_and_traceable(workspace):
    html = (workspace[0] / "outputs" / "2023" / "briefing.html").read_text(encoding="utf-8")
    assert '<html lang="zh">' in html
    assert not re.findall(r'(?:src|href)="(?:https?:)?//', html), "nothing may load from the network"
    assert "<script" not in html
    # code hidden: no editor blocks, no source
    assert "class=\"jp-CodeMirrorEditor" not in html and "class=\"highlight" not in html
    assert "import helpers" not in html
    assert re.search(r'<img[^>]+src="data:image/png;base64,', html)
    assert re.search(r'<nav[^>]*class="toc"', html) and "需要核实的数字" in html
    assert "@font-face" in html and "data:font/woff;base64," in html
    # 71.59% carries its source sentence on hover and in a footnote with the figure marked
    assert re.search(r'<span class="fig" title="[^"]*调解成功率为71.59%[^"]*">71.59%<sup>', html)
    assert "调解协议509宗,调解成功率为<mark>71.59%</mark>" in html


def test_notebook_pages_show_code(workspace):
    page = (workspace[0] / "outputs" / "2023" / "notebooks" / "02_consumer_protection.html").read_text("utf-8")
    assert "hb.chart(year" in re.sub(r"<[^>]+>", "", page) and '<html lang="zh">' in page
    assert "逐项查看指标原文" in page                          # the explorer's static version
    assert "application/vnd.jupyter.widget-view+json" not in page


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed (make installs it)")
def test_pdf_is_a4_with_real_chinese_text(workspace):
    pdf = workspace[0] / "outputs" / "2023" / "briefing.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Page size:\s+59[45](?:\.\d+)? x 84[12](?:\.\d+)? pts \(A4\)", info)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "调解成功率" in text and "71.59%" in text


def test_xlsx_has_indicators_with_sentences_metrics_and_checks(workspace):
    book = load_workbook(workspace[0] / "outputs" / "2023" / "indicators.xlsx")
    assert book.sheetnames == ["说明", "指标", "衍生指标", "一致性核对"]
    rows = list(book["指标"].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert len(body) == 96 and "source_sentence" in header
    first = dict(zip(header, body[0]))
    assert first["as_written"] == "439宗" and "查办行政处罚案件439宗" in first["source_sentence"]
    assert book["一致性核对"].max_row == 38        # header + 37 findings


def test_manifest_records_inputs_versions_and_timings(workspace):
    manifest = json.loads((workspace[0] / "outputs" / "2023" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["inputs"]["data"]["raw/2023_conghua_amr.txt"] == paths.sha256_of(
        paths.data_dir() / "raw" / "2023_conghua_amr.txt")
    assert {"pandas", "nbconvert", "matplotlib"} <= set(manifest["packages"])
    assert {"prepare", "execute_and_render", "pdf"} <= set(manifest["timings_s"])
    assert "briefing.html" in manifest["outputs"]


def test_unchanged_rebuild_starts_no_kernel(workspace, monkeypatch):
    from jupyter_client.manager import KernelManager

    def refuse(*args, **kwargs):
        raise AssertionError("a kernel was started for an unchanged build")

    monkeypatch.setattr(KernelManager, "start_kernel", refuse)
    assert build(2023).up_to_date


def test_changing_one_notebook_re_executes_only_that_one(workspace):
    path = workspace[0] / "notebooks" / "06_capacity.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source += "\n\n（本页已修订。）"
    nbformat.write(nb, path)
    result = build(2023)
    assert result.executed == ["06_capacity"]
    assert len(result.cached) == 7
    page = (workspace[0] / "outputs" / "2023" / "notebooks" / "06_capacity.html").read_text("utf-8")
    assert "本页已修订" in page


@contextlib.contextmanager
def failing_cell(notebook: Path, source: str):
    """Append a code cell to a notebook for the duration of a test."""
    good = notebook.read_bytes()
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(source))
    nbformat.write(nb, notebook)
    try:
        yield
    finally:
        notebook.write_bytes(good)


def test_a_failing_notebook_names_the_cell_and_keeps_the_last_good_outputs(workspace):
    target = workspace[0] / "outputs" / "2023"
    before = {p: p.read_bytes() for p in target.rglob("*") if p.is_file()}
    with failing_cell(workspace[0] / "notebooks" / "03_business_environment.ipynb", 'raise ValueError("测试用的错误")'):
        with pytest.raises(NotebookError, match=r"03_business_environment.ipynb: code cell \d+ "
                                                r"\(raise ValueError.*\): ValueError: 测试用的错误"):
            build(2023)
    assert {p: p.read_bytes() for p in target.rglob("*") if p.is_file()} == before
    assert not list(target.parent.glob(".tmp-*"))


def test_a_notebook_writing_to_stderr_fails_the_build_and_no_page_shows_it(workspace):
    target = workspace[0] / "outputs" / "2023"
    before = {p: p.read_bytes() for p in target.rglob("*") if p.is_file()}
    warning = 'import warnings; warnings.warn("假警告：字体回退")'
    with failing_cell(workspace[0] / "notebooks" / "06_capacity.ipynb", warning):
        with pytest.raises(NotebookError, match=r"06_capacity.ipynb: code cell \d+ \(import warnings.*\) wrote to "
                                                r"stderr .*UserWarning: 假警告：字体回退"):
            build(2023)
    assert {p: p.read_bytes() for p in target.rglob("*") if p.is_file()} == before


def test_no_rendered_page_contains_stderr_output(workspace):
    pages = list((workspace[0] / "outputs" / "2023").rglob("*.html"))
    assert len(pages) == len(list((workspace[0] / "notebooks").glob("*.ipynb")))
    for page in pages:
        html = page.read_text(encoding="utf-8")
        # nbconvert's lab template marks a stderr stream output with this attribute (its CSS names it too)
        assert 'data-mime-type="application/vnd.jupyter.stderr"' not in html, page
        assert "findfont" not in html and "Warning:" not in html, page


def test_cli_build_failure_exits_non_zero_without_traceback(workspace, capsys):
    with failing_cell(workspace[0] / "notebooks" / "06_capacity.ipynb", "1 / 0"):
        assert main(["build", "--year", "2023", "--no-pdf"]) == 2
    err = capsys.readouterr().err
    assert "06_capacity.ipynb: code cell" in err and "ZeroDivisionError" in err and "Traceback" not in err


def test_a_second_build_waits_for_the_lock(workspace):
    root = workspace[0] / "outputs"
    errors = []
    with build_lock(root):
        def other():
            try:
                with build_lock(root, wait=0.5):
                    pass
            except AmrbookError as exc:
                errors.append(str(exc))
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    assert errors and "another build has held the lock" in errors[0]
    with build_lock(root, wait=0.5):     # released: free again
        pass


def test_no_figure_is_hard_coded(workspace, data_copy):
    # change 439宗 to 400宗 in a copy of data/: the briefing must follow
    change_figure(data_copy, 2023, "439宗", "400宗")
    build(2023, pdf=False)
    html = (workspace[0] / "outputs" / "2023" / "briefing.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", "", html)
    assert "查办行政处罚案件400宗" in text
    assert "439宗" not in text          # the changed raw sentence is quoted too
