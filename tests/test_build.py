"""amrbook build: self-contained HTML, PDF, xlsx, cache, atomicity, and nothing hard-coded."""
from __future__ import annotations

import contextlib
import csv
import importlib.metadata
import io
import json
import re
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import nbformat
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from conftest import broken_figures, change_figure, lone_marks, only_notebooks, require_tool, rewrite, unwrapped
from helpers.audit.report import load_report
from helpers.errors import AmrbookError
from helpers.tables.load import load_indicators
from helpers import paths
from helpers.audit.diff import snapshot
from helpers.publish.build import build, stamp_text
from helpers.publish.export import HEADERS, safe_cell
from helpers.publish.lock import build_lock
from helpers.report.sources import source_for
from helpers.cli import main
from reliability.fakes import script
from helpers.publish.execute import NotebookError


pytestmark = pytest.mark.slow


@pytest.fixture
def workspace(built):
    """The session's workspace (notebooks copy and outputs) and its cold build; tests that change it restore it."""
    return built.root, built.result


def test_cold_build_makes_every_output(built):
    notebooks = sorted(p.stem for p in (built.root / "notebooks").glob("*.ipynb") if p.stem != "review")  # by hand
    notebooks.remove("compare")        # 从化 alone: no other bureau's 2023 report to compare with (test_compare.py)
    assert not built.result.up_to_date and built.result.executed == notebooks
    for name in ["briefing.html", "briefing.pdf", "indicators.xlsx", "manifest.json"]:
        assert (built.pristine / name).stat().st_size > 0
    pages = sorted(p.stem for p in (built.pristine / "notebooks").glob("*.html"))
    assert pages == [n for n in notebooks if n != "briefing"]


def test_briefing_html_is_self_contained_chinese_and_traceable(built):
    html = (built.pristine / "briefing.html").read_text(encoding="utf-8")
    assert '<html lang="zh">' in html
    assert not re.findall(r'(?:src|href)="(?:https?:)?//', html), "nothing may load from the network"
    assert "<script" not in html
    # code hidden: no editor blocks, no source
    assert "class=\"jp-CodeMirrorEditor" not in html and "class=\"highlight" not in html
    assert "import helpers" not in html
    assert re.search(r'<img[^>]+src="data:image/png;base64,', html)
    assert re.search(r'<nav[^>]*class="toc"', html) and "一致性核对" in html
    assert "@font-face" in html and re.search(r"data:font/woff2?;base64,", html)
    # 71.59% carries its source sentence on hover, and the sentence's one entry in the 原文出处 appendix
    # marks every figure the briefing cites from it (509 and 71.59 both: the mediation rate is 509 / base)
    assert re.search(r'<span class="fig" title="[^"]*调解成功率为71.59%[^"]*">71.59%<sup>', html)
    assert "调解协议<mark>509宗</mark>,调解成功率为<mark>71.59%</mark>" in html


def test_notebook_pages_show_code(built):
    page = (built.pristine / "notebooks" / "02_consumer_protection.html").read_text("utf-8")
    assert "hb.draw_chart(r" in re.sub(r"<[^>]+>", "", page) and '<html lang="zh">' in page
    assert "逐项查看指标原文" in page                          # the explorer's static version
    assert "application/vnd.jupyter.widget-view+json" not in page


def test_pdf_is_a4_with_real_chinese_text(built):
    require_tool("pdftotext", "poppler-utils reads the PDF back")
    pdf = built.pristine / "briefing.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Page size:\s+59[45](?:\.\d+)? x 84[12](?:\.\d+)? pts \(A4\)", info)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "调解成功率" in text and "71.59%" in text
    # no figure broken from its unit across lines (the title ended "…2023" with "年" below, "1275.48" / "元")
    assert broken_figures(pdf) == []
    # nor a footnote mark alone at the start of a line (数据说明 printed "…14434宗）" with "9" below)
    assert lone_marks(pdf) == []


def _page_texts(pdf: Path) -> list[str]:
    """The text of each page of a PDF, as poppler reads it (pages are separated by form feeds)."""
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1]


def test_every_pdf_page_has_the_running_header_page_number_and_stamp(built):
    require_tool("pdftotext", "poppler-utils reads the PDF back")
    manifest = json.loads((built.pristine / "manifest.json").read_text(encoding="utf-8"))
    stamp = manifest["stamp"]
    title = f"{source_for('conghua', 2023).publisher}2023年"                   # the header names the report
    pages = _page_texts(built.pristine / "briefing.pdf")
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        flat = re.sub(r"\s+", "", page)                         # poppler drops or keeps the spaces around CJK
        assert f"第{number}页/共{len(pages)}页" in flat, (number, page[-200:])
        assert title in flat and stamp["inputs"] in flat and f"amrbook{stamp['version']}" in flat
    # the stamp is the build's: its date, the first 12 hex digits of the hash of every input, the version
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", stamp["built_at"]) and re.fullmatch(r"[0-9a-f]{12}",
                                                                                           stamp["inputs"])
    assert stamp["version"] == importlib.metadata.version("amrbook")


def test_the_html_pages_carry_the_same_stamp(built):
    stamp = json.loads((built.pristine / "manifest.json").read_text(encoding="utf-8"))["stamp"]
    for page in [built.pristine / "briefing.html", *(built.pristine / "notebooks").glob("*.html")]:
        footer = re.search(r'<footer class="amr-stamp">([^<]*)</footer>', page.read_text(encoding="utf-8"))
        assert footer and footer.group(1) == stamp_text(stamp), page


def test_xlsx_has_indicators_with_sentences_metrics_and_checks(built):
    book = load_workbook(built.pristine / "indicators.xlsx")
    assert book.sheetnames[:4] == ["说明", "指标", "衍生指标", "一致性核对"]  # then the briefing's figures
    rows = list(book["指标"].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert len(body) == len(load_indicators("conghua", 2023)) and "原文句子" in header
    first = dict(zip(header, body[0]))
    row = load_indicators("conghua", 2023).iloc[0]
    assert (first["编号"], first["原文写法"]) == (row["id"], row["as_written"])     # ids kept in their column
    assert f"查办行政处罚案件{row['as_written']}" in first["原文句子"]
    assert book["一致性核对"].max_row == len(load_report("conghua", 2023).findings) + 1        # the header and every finding


def test_every_xlsx_sheet_is_filtered_frozen_fitted_and_formatted_by_unit(built):
    book = load_workbook(built.pristine / "indicators.xlsx")
    for sheet in book:
        header = [c.value for c in sheet[1]]
        assert all(re.search(r"[\u4e00-\u9fff]", h) for h in header), (sheet.title, header)  # Chinese headers
        assert sheet.freeze_panes == "A2" and all(c.font.bold for c in sheet[1])
        assert sheet.auto_filter.ref == f"A1:{get_column_letter(len(header))}{sheet.max_row}"
    sheet = book["指标"]
    header = [c.value for c in sheet[1]]
    cells = {name: sheet[get_column_letter(header.index(name) + 1)][1:] for name in ("数值", "单位", "原文句子")}
    formats = {(unit.value, value.number_format) for value, unit in zip(cells["数值"], cells["单位"])}
    assert ("元", "#,##0.00") in formats and ("%", '0.00"%"') in formats and ("宗", "#,##0") in formats
    assert {f for u, f in formats if u == "元"} == {"#,##0.00"} and {f for u, f in formats if u == "%"} == {'0.00"%"'}
    assert all(c.alignment.wrap_text for c in cells["原文句子"])
    widths = {name: sheet.column_dimensions[get_column_letter(header.index(name) + 1)].width for name in header}
    assert widths["单位"] < widths["编号"] < widths["原文句子"]            # fitted to what they hold


def _download_csvs(page: Path) -> dict[str, list[list[str]]]:
    """Every 下载数据 link of a page, decoded: ``{"图1": rows of the CSV}`` in page order."""
    links = re.findall(r'download="([^"]+)\.csv" href="data:text/csv;charset=utf-8,([^"]*)"', page.read_text("utf-8"))
    return {label: list(csv.reader(io.StringIO(urllib.parse.unquote(data).removeprefix("\ufeff"), newline="")))
            for label, data in links}


def _same_cell(sheet_value, text: str) -> bool:
    """A sheet cell holds what the CSV cell says: empty as no value, a number as that number to the 16
    significant digits an xlsx file stores (openpyxl writes ``%.16g``: 22.652425456163776 is kept as
    22.65242545616378), text as :func:`safe_cell` writes it (formula-like text behind an apostrophe)."""
    if text == "":
        return sheet_value is None
    if isinstance(sheet_value, (int, float)) and not isinstance(sheet_value, bool):
        return float(f"{float(text):.16g}") == sheet_value
    return sheet_value == safe_cell(text)


def test_every_numbered_figure_has_a_sheet_with_the_numbers_of_its_download_link(built):
    csvs = _download_csvs(built.pristine / "briefing.html")
    book = load_workbook(built.pristine / "indicators.xlsx")
    assert csvs and book.sheetnames[4:-1] == list(csvs)          # one sheet per 图/表, in the page's order
    assert book.sheetnames[-1] == "变更说明"                      # then every revision (none: a header only)
    about = dict(book["说明"].iter_rows(values_only=True))
    for label, rows in csvs.items():
        sheet = list(book[label].iter_rows(values_only=True))
        assert about[label]                                        # 说明 gives each sheet its title
        assert list(sheet[0]) == [HEADERS.get(h, h) for h in rows[0]], label  # ids under their Chinese header
        assert len(sheet) == len(rows), label
        for r, (cells, texts) in enumerate(zip(sheet[1:], rows[1:]), start=2):
            assert len(cells) == len(texts), (label, r)
            for c, (value, text) in enumerate(zip(cells, texts), start=1):
                assert _same_cell(value, text), (label, r, c, value, text)


def test_manifest_records_inputs_versions_timings_and_a_data_snapshot(built):
    manifest = json.loads((built.pristine / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["snapshot"] == snapshot(load_report("conghua", 2023))                         # what the next build compares with
    assert manifest["changes"]["previous_build"]["note"] and not manifest["changes"]["previous_build"]["rows"]
    assert manifest["inputs"]["data"]["raw/conghua/2023_conghua_amr.txt"] == paths.sha256_of(
        paths.data_dir() / "raw" / "conghua" / "2023_conghua_amr.txt")
    assert {"pandas", "nbconvert", "matplotlib"} <= set(manifest["packages"])
    assert {"prepare", "execute_and_render", "pdf"} <= set(manifest["timings_s"])
    assert "briefing.html" in manifest["outputs"]


def test_unchanged_rebuild_starts_no_kernel(workspace, monkeypatch):
    from jupyter_client.manager import KernelManager

    def refuse(*args, **kwargs):
        raise AssertionError("a kernel was started for an unchanged build")

    build("conghua", 2023)                       # whatever earlier tests left in the shared workspace, bring it up to date
    monkeypatch.setattr(KernelManager, "start_kernel", refuse)
    assert build("conghua", 2023).up_to_date


#: What an up-to-date build has no use for: the data's and the pages' libraries, and the font parsers.
HEAVY = ("pandas", "numpy", "matplotlib", "nbformat", "nbconvert", "jsonschema", "jupyter_client", "fontTools",
         "uharfbuzz", "openpyxl", "docx")


def test_an_up_to_date_build_imports_no_heavy_library(workspace):
    """`amrbook build` finding everything unchanged reads manifest.json and hashes the inputs, nothing more: it
    imports none of :data:`HEAVY` (each one counted by its top-level name in ``sys.modules``).

    Before the change it imported fontTools and uharfbuzz (the kernels' CJK face searched for and parsed before
    the up-to-date check) and jsonschema (imported by ``helpers.publish`` itself): 3 of them."""
    build("conghua", 2023)                       # whatever earlier tests left in the shared workspace, bring it up to date
    script = ("import json, sys\nfrom helpers.cli import main\nsys.argv = ['amrbook', 'build', '--year', '2023']\n"
              "try:\n    main()\nexcept SystemExit:\n    pass\n"
              "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    *said, imported = run.stdout.strip().splitlines()
    assert any("up to date" in line for line in said), run.stdout
    assert "helpers" in json.loads(imported)     # the list is the build's own
    assert sorted(set(HEAVY) & set(json.loads(imported))) == []


def test_a_one_notebook_rebuild_draws_nothing_in_the_build_process(workspace):
    """A build whose only change is a thematic notebook takes over the xlsx, the briefing and the figures' CSV
    files (their inputs unchanged): the build's own process imports no chart or document library (matplotlib,
    seaborn, openpyxl, docx: 0.9 s of CPU on a 2-core machine the kernel needs). Before the change it imported
    the first three: to word a skipped notebook, to number the figures again for their CSV files, and for the
    package versions."""
    build("conghua", 2023)                       # whatever earlier tests left in the shared workspace, bring it up to date
    target = workspace[0] / "outputs" / "conghua" / "2023"
    before = {p.name: p.read_bytes() for p in (target / "csv").iterdir()}
    path = workspace[0] / "notebooks" / "06_capacity.ipynb"
    good = path.read_bytes()
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source += "\n\n（只改这一本。）"
    nbformat.write(nb, path)
    script = ("import json, sys\nfrom helpers.publish.build import build\nresult = build('conghua', 2023)\n"
              "print(json.dumps([result.executed, sorted({m.split('.')[0] for m in sys.modules})]))")
    try:
        run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    finally:
        path.write_bytes(good)
    executed, imported = json.loads(run.stdout.strip().splitlines()[-1])
    assert executed == ["06_capacity"] and "pandas" in imported          # the build's own list: it loaded the report
    assert sorted({"matplotlib", "seaborn", "openpyxl", "docx"} & set(imported)) == []
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    # the CSV files, taken over, hold what the previous build wrote, and the index links each under its title
    assert {p.name: p.read_bytes() for p in (target / "csv").iterdir()} == before and len(before) >= 5
    assert sorted(f"{number}.csv" for number, _title in manifest["figures"]) == sorted(before)
    index = unwrapped((target / "index.html").read_text(encoding="utf-8"))
    assert all(f'href="csv/{number}.csv"' in index and title in index for number, title in manifest["figures"])


def test_changing_one_notebook_re_executes_only_that_one(workspace, monkeypatch):
    from helpers.show import fonts

    path = workspace[0] / "notebooks" / "06_capacity.ipynb"
    good = path.read_bytes()
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source += "\n\n（本页已修订。）"
    nbformat.write(nb, path)

    def refuse(*args):
        raise AssertionError("the font folders were searched: the face the previous build recorded was not taken")

    # the kernels and the font subset take the face the previous build recorded, checked against its files (the
    # kernels' environment searched the folders again: a tenth of a second of CPU, more on a cold font cache)
    monkeypatch.setattr(fonts, "_find", refuse)
    try:
        result = build("conghua", 2023)
    finally:
        path.write_bytes(good)
    assert result.executed == ["06_capacity"]
    # every other but review, and compare (从化 alone: nothing to compare with)
    assert result.skipped == {"compare": "没有其他机构的2023年报告可比较，未生成该笔记本。"}
    # one kernel, for 06_capacity: compare, skipped by the previous build from the same key, starts none (it did:
    # never cached, it was counted among the notebooks to run before the report was loaded, and started a second)
    assert sorted(k for k in result.timings if k.startswith("kernel ") and k.endswith(" start")) == ["kernel 1 start"]
    assert len(result.cached) == len(list(path.parent.glob("*.ipynb"))) - 3
    page = (workspace[0] / "outputs" / "conghua" / "2023" / "notebooks" / "06_capacity.html").read_text("utf-8")
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
    target = workspace[0] / "outputs" / "conghua" / "2023"
    before = {p: p.read_bytes() for p in target.rglob("*") if p.is_file()}
    with failing_cell(workspace[0] / "notebooks" / "03_business_environment.ipynb", 'raise ValueError("测试用的错误")'):
        with pytest.raises(NotebookError, match=r"03_business_environment.ipynb: code cell \d+ "
                                                r"\(raise ValueError.*\): ValueError: 测试用的错误"):
            build("conghua", 2023)
    assert {p: p.read_bytes() for p in target.rglob("*") if p.is_file()} == before
    assert not list(target.parent.glob(".tmp-*"))


def test_a_notebook_writing_to_stderr_fails_the_build_and_no_page_shows_it(workspace):
    target = workspace[0] / "outputs" / "conghua" / "2023"
    before = {p: p.read_bytes() for p in target.rglob("*") if p.is_file()}
    warning = 'import warnings; warnings.warn("假警告：字体回退")'
    with failing_cell(workspace[0] / "notebooks" / "06_capacity.ipynb", warning):
        with pytest.raises(NotebookError, match=r"06_capacity.ipynb: code cell \d+ \(import warnings.*\) wrote to "
                                                r"stderr .*UserWarning: 假警告：字体回退"):
            build("conghua", 2023)
    assert {p: p.read_bytes() for p in target.rglob("*") if p.is_file()} == before


def test_no_rendered_page_contains_stderr_output(built):
    pages = list(built.pristine.rglob("*.html"))
    assert len(pages) == len(built.executed) + 1  # and index.html
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


def test_every_dependent_output_follows_a_changed_figure(data_copy, tmp_path, monkeypatch):
    # No figure is typed outside data/: change 439宗 to 400宗 in a copy of data/ (raw text, sources.yml
    # and the table, kept consistent) and every output that rests on it must change.
    before = load_report("conghua", 2023).metrics
    dependents = [m for m, inputs in before["inputs"].items() if "admin_penalty_cases" in {i["id"] for i in inputs}]
    change_figure(data_copy, 2023, "439宗", "400宗")
    after = load_report("conghua", 2023).metrics
    assert dependents and all(after.at[m, "value"] != before.at[m, "value"] for m in dependents)
    monkeypatch.setenv("AMRBOOK_OUTPUTS", str(tmp_path / "outputs"))    # the session's build cache stays as it is
    only_notebooks(tmp_path, monkeypatch, "01_enforcement")          # the pages asserted on, no others
    result = build("conghua", 2023, jobs=1, pdf=False)      # one kernel runs both: one kernel start, not two
    text = re.sub(r"<[^>]+>", "", (result.target / "briefing.html").read_text(encoding="utf-8"))
    assert "查办行政处罚案件400宗" in text and "439宗" not in text      # the quoted raw sentence changed too
    # the enforcement notebook's own takeaway: 4 341 200 元 / 400 宗 = 10 853 元, written 1.0853万元
    takeaway = nbformat.read(result.notebooks["01_enforcement"], as_version=4).cells[-1].outputs[-1]
    assert "平均每宗1.0853万元" in takeaway["data"]["text/plain"]
    page = (result.target / "notebooks" / "01_enforcement.html").read_text(encoding="utf-8")
    assert "1.0853万元" in page and "439宗" not in re.sub(r"<[^>]+>", "", page)
    book = load_workbook(result.target / "indicators.xlsx")
    derived = {r[0]: r for r in book["衍生指标"].iter_rows(values_only=True)}
    header = derived.pop("编号")
    assert all(derived[m][header.index("数值")] == pytest.approx(after.at[m, "value"]) for m in dependents)


def test_the_running_header_and_footer_are_text():
    from helpers.publish.pdf import Running

    templates = Running(header='<img src=x onerror="alert(1)">从化', stamp="<b>生成于</b>").templates()
    assert templates["displayHeaderFooter"] is True
    assert "<img" not in templates["headerTemplate"] and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;从化" in \
        templates["headerTemplate"]
    assert "&lt;b&gt;生成于&lt;/b&gt;" in templates["footerTemplate"]
    assert '<span class="pageNumber"></span>' in templates["footerTemplate"]       # filled in by the browser
    assert '<span class="totalPages"></span>' in templates["footerTemplate"]


def test_no_chinese_font_in_fontconfig_fails_the_pdf_before_the_browser_starts(tmp_path, monkeypatch):
    """Chromium with no font visible to fontconfig waited out its 120 s deadline; now the PDF fails at once."""
    from helpers.publish.pdf import NoPdf, print_pdf

    require_tool("fc-list", "fontconfig says which fonts the browser sees")
    config = tmp_path / "fonts.conf"           # a fontconfig with no font folder: it lists no font at all
    config.write_text(f'<?xml version="1.0"?><fontconfig><cachedir>{tmp_path}/cache</cachedir></fontconfig>',
                      encoding="utf-8")
    monkeypatch.setenv("FONTCONFIG_FILE", str(config))
    started = tmp_path / "started"
    browser = script(tmp_path / "chromium", f"#!/bin/sh\ntouch {started}\n")   # would leave a mark if it were started
    page = tmp_path / "page.html"
    page.write_text("<html lang='zh'><body>页</body></html>", encoding="utf-8")
    with pytest.raises(NoPdf, match=r"fc-list :lang=zh.*sudo apt-get install fonts-noto-cjk"):
        print_pdf(page, tmp_path / "page.pdf", browser=browser, timeout=2)
    assert not started.exists() and not (tmp_path / "page.pdf").exists()
    monkeypatch.delenv("FONTCONFIG_FILE")      # the system's fontconfig lists the CJK face: the browser starts
    with pytest.raises(NoPdf, match="exited with status 0 but wrote no PDF"):
        print_pdf(page, tmp_path / "page.pdf", browser=browser, timeout=2)
    assert started.exists()


def test_a_browser_that_never_answers_is_killed_and_named(tmp_path):
    from helpers.publish.pdf import NoPdf, print_pdf

    pid_file = tmp_path / "pid"
    # starts, keeps the pipe open and never answers, like a hung browser
    browser = script(tmp_path / "silent-chromium", f"#!/bin/sh\nsleep 300 &\necho $! > {pid_file}\nwait\n")
    page = tmp_path / "page.html"
    page.write_text("<html lang='zh'><body>页</body></html>", encoding="utf-8")
    with pytest.raises(NoPdf, match=rf"^{re.escape(str(browser))} did not finish printing page.html within 2 s\n"):
        print_pdf(page, tmp_path / "page.pdf", browser=browser, timeout=2)
    assert not (tmp_path / "page.pdf").exists()
    child = int(pid_file.read_text())
    time.sleep(0.2)
    status = Path(f"/proc/{child}/stat")
    assert not status.exists() or status.read_text().split()[2] == "Z"   # its helper process was killed too


def test_a_build_makes_again_exactly_the_outputs_whose_inputs_changed(data_copy, tmp_path, monkeypatch):
    # Each kind of input is changed in turn; a build re-executes the notebooks whose inputs changed and
    # makes again only the outputs resting on a changed input. Counted: the notebooks executed, the
    # outputs taken over from the previous build (BuildResult.kept), the times the PDF printer ran.
    from helpers.publish import pdf as pdf_module
    from helpers.show.fonts import find_cjk_font

    monkeypatch.setenv("AMRBOOK_OUTPUTS", str(tmp_path / "outputs"))
    notebooks = only_notebooks(tmp_path, monkeypatch, "06_capacity")
    prints = []
    printer = pdf_module.print_pdf
    monkeypatch.setattr(pdf_module, "print_pdf", lambda *args, **kw: prints.append(args[0]) or printer(*args, **kw))
    briefing = ["briefing.docx", "briefing.html", "briefing.pdf"]

    def rebuilt() -> tuple[list[str], list[str], int]:
        prints.clear()
        result = build("conghua", 2023, jobs=1)     # one kernel for both notebooks: one kernel start per build
        assert not result.up_to_date and not result.pdf_note and not result.docx_note
        assert (result.target / "briefing.pdf").is_file() and (result.target / "indicators.xlsx").is_file()
        return sorted(result.executed), result.kept, len(prints)

    def edit(name: str, words: str) -> None:
        nb = nbformat.read(notebooks / f"{name}.ipynb", as_version=4)
        nb.cells[0].source += f"\n\n{words}"
        nbformat.write(nb, notebooks / f"{name}.ipynb")

    both = ["06_capacity", "briefing"]
    assert rebuilt() == (both, [], 1)                                     # cold: everything made, printed once
    first = (tmp_path / "outputs" / "conghua" / "2023" / "briefing.pdf").read_bytes()
    edit("06_capacity", "（修订）")                                        # a notebook: only it runs; the briefing's
    assert rebuilt() == (["06_capacity"], [*briefing, "indicators.xlsx"], 0)   # files and the xlsx taken over
    assert (tmp_path / "outputs" / "conghua" / "2023" / "briefing.pdf").read_bytes() == first
    page = (tmp_path / "outputs" / "conghua" / "2023" / "notebooks" / "06_capacity.html").read_text("utf-8")
    assert "（修订）" in page
    pdf_file = tmp_path / "outputs" / "conghua" / "2023" / "briefing.pdf"
    pdf_file.write_bytes(first[: len(first) // 2])                        # the PDF damaged since: checked against
    edit("06_capacity", "（再修订）")                                       # its manifest, not trusted: the briefing
    assert rebuilt() == (["06_capacity"], ["indicators.xlsx"], 1)         # made and printed again
    assert pdf_file.read_bytes()[-1000:].rstrip().endswith(b"%%EOF")
    edit("briefing", "")                                                   # the briefing notebook: it runs and is
    assert rebuilt() == (["briefing"], ["indicators.xlsx"], 1)            # printed again; the xlsx is taken over
    change_figure(data_copy, 2023, "439宗", "400宗")                       # a data figure: every notebook, every output
    assert rebuilt() == (both, [], 1)
    rewrite(data_copy / "catalog.yml", 'label_zh: "查办行政处罚案件"', 'label_zh: "查处行政处罚案件"')   # the catalog
    assert rebuilt() == (both, [], 1)
    monkeypatch.setenv("AMRBOOK_CJK_FONT", str(find_cjk_font().path))     # the font, now named by the user: charts
    assert rebuilt() == (both, ["indicators.xlsx"], 1)                    # and pages again; the xlsx names no font
    prints.clear()
    assert build("conghua", 2023).up_to_date and not prints               # nothing changed: nothing made


def test_each_kernel_freezes_what_its_imports_loaded_and_keeps_no_history(tmp_path):
    """A warm kernel leaves what ``helpers`` and its libraries loaded out of the garbage collector's later work
    (``gc.freeze`` after :data:`helpers.publish.kernels.IMPORTS`): the full collections of ``%reset -f`` before each
    notebook then scan only what notebooks made, and it collects at :data:`~helpers.publish.kernels.GC_THRESHOLD`
    (Python's 700 allocations took a tenth of the kernels' CPU). Counted, not timed: the kernel's frozen objects (0
    without the freeze; pandas, matplotlib and helpers alone are well over 50,000 objects), its thresholds, and nothing
    of it left in the notebook's namespace. And it keeps no input history: IPython's history database (a commit per
    cell) is neither written nor made in the IPython folder the kernels were given, which the build's cells would
    otherwise fill."""
    from helpers.publish import kernels
    from helpers.publish.kernels import Runner

    probe = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import gc\nprint(gc.get_freeze_count(), 'gc' in dir(), 'helpers' in dir(), "
        "get_ipython().history_manager.enabled, *gc.get_threshold())")])
    ipython = tmp_path / "ipython"
    runner = Runner([("probe", probe), ("again", nbformat.from_dict(probe))], 1, 120, tmp_path / "kernels.log",
                    env={"IPYTHONDIR": str(ipython)})
    try:
        outcomes = dict(runner.results.get(timeout=300) for _ in range(2))
    finally:
        runner.stop()
    for name in ("probe", "again"):
        frozen, *names = outcomes[name].cells[0].outputs[0].text.split()
        assert int(frozen) > 50_000 and names[:3] == ["True", "False", "False"]   # gc: imported by the cell itself
        assert tuple(map(int, names[3:])) == kernels.GC_THRESHOLD != (700, 10, 10)   # Python's own thresholds
    assert ipython.is_dir() and not list(ipython.rglob("history.sqlite"))   # the kernel used the folder, no history


def test_rendering_leaves_what_planning_loaded_out_of_garbage_collection(workspace, monkeypatch):
    """While a build renders its pages, the objects its planning loaded (libraries, the report) are frozen out of
    the garbage collector's scans, and released when the build ends. Counted: the frozen objects when the first
    report is completed (0 without the freeze; pandas and nbformat alone are well over 50,000 objects), and none
    after the build."""
    import gc

    from helpers.publish import build as build_module

    seen = []
    # planned as not up to date, without starting a kernel: this process has loaded pandas and nbformat already
    monkeypatch.setattr(build_module, "_plan", lambda *args: build_module._Plan(build_module.BuildResult(Path("x"))))
    monkeypatch.setattr(build_module, "_complete", lambda plan, runner, *rest, **kw: seen.append(gc.get_freeze_count()))
    build("conghua", 2023)
    assert len(seen) == 1 and seen[0] > 50_000
    assert gc.get_freeze_count() == 0


def test_the_figures_csv_files_are_taken_over_only_whole_and_inside_csv(tmp_path):
    """The CSV files a previous build lists (manifest ``figures``) are taken over only when each is in its outputs
    with the hash recorded there, and only from csv/ (a manifest naming ``../x`` is not followed)."""
    from helpers.publish.build import _keep_csvs

    target, staging = tmp_path / "target", tmp_path / "staging"
    (target / "csv").mkdir(parents=True)
    staging.mkdir()
    (target / "csv" / "表1.csv").write_bytes(b"a,b\r\n1,2\r\n")
    (target / "secret.csv").write_bytes(b"x\r\n")
    outputs = {"csv/表1.csv": paths.sha256_of(target / "csv" / "表1.csv"),
               "secret.csv": paths.sha256_of(target / "secret.csv")}
    previous = {"figures": [["表1", "查办案件"]], "outputs": outputs}
    assert _keep_csvs(previous, target, staging) == [("表1", "查办案件", None)]
    assert (staging / "csv" / "表1.csv").read_bytes() == b"a,b\r\n1,2\r\n"
    assert _keep_csvs({"figures": [["../secret", "x"]], "outputs": {**outputs, "csv/../secret.csv": outputs[
        "secret.csv"]}}, target, tmp_path / "other") is None
    (target / "csv" / "表1.csv").write_bytes(b"a,b\r\n1,3\r\n")            # altered since: made again
    assert _keep_csvs(previous, target, tmp_path / "third") is None
    assert _keep_csvs({"outputs": outputs}, target, tmp_path / "fourth") is None   # an older manifest: no list


def test_force_searches_the_fonts_again_instead_of_taking_the_recorded_face(workspace, monkeypatch):
    """A build takes the CJK face its previous build recorded (checked against its files) instead of searching the
    font folders; ``--force``, which takes over nothing, searches again (a font installed since is found). Counted:
    the face handed to ``input_hashes`` (its search starts from it) by a build and by a forced build."""
    from helpers.publish import build as build_module

    class Planned(Exception):
        pass

    seen = []

    def stop_after_reading(face):
        seen.append(face)
        raise Planned

    build("conghua", 2023)                       # the workspace up to date: its manifest records the face
    monkeypatch.setattr(build_module, "input_hashes", stop_after_reading)
    for force in (False, True):
        with pytest.raises(Planned):
            build("conghua", 2023, force=force)
    assert seen[0] != "" and seen[1] == ""


def test_the_data_lock_is_not_a_build_input(data_copy):
    """The lock file `add` and `accept` take in the data folder is not data: making it changes neither the data
    version nor the inputs' hashes (it changed every notebook's cache key, so the next build ran everything)."""
    from helpers.publish.build import input_hashes

    before, version = input_hashes()["data"], paths.data_version()
    (data_copy / paths.DATA_LOCK).write_text("", encoding="utf-8")
    assert input_hashes()["data"] == before and paths.data_version() == version
