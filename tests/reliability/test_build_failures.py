"""The build under failure: broken notebooks, no or a failing browser, full disk, read-only
outputs, Ctrl-C, SIGTERM and SIGKILL, concurrent builds, and injected markup or formulas in the data."""
from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook

from cli_process import Started, amrbook, start
from conftest import missing_in_ci_fails, only_notebooks, require_tool, rewrite
from reliability.fakes import script
from helpers import paths
from helpers.publish.build import build

INJECTED = '<script>alert(1)</script><img src=x onerror="document.title=\'pwned\'">{{ 7*7 }} **bold**'


pytestmark = pytest.mark.slow


@pytest.fixture
def workspace(built):
    """The session's workspace, built once; every test here leaves its outputs as they were or as a
    successful build leaves them."""
    return built.root


def with_work_to_do(outputs: Path) -> None:
    """Make the next build of 2023 in ``outputs`` render everything again from its cached notebooks
    (no kernel, unlike ``--force``): without a manifest, the outputs are not up to date."""
    (outputs / "conghua" / "2023" / "manifest.json").unlink(missing_ok=True)


def snapshot(target: Path) -> dict:
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(target.rglob("*")) if p.is_file()}


def cli(*args, timeout=300):
    return amrbook(*args, timeout=timeout)


def test_no_browser_still_builds_the_html_and_says_how_to_get_the_pdf(workspace, monkeypatch, capsys):
    from helpers.publish import pdf
    from helpers.cli import main

    monkeypatch.setattr(pdf, "NAMES", [])
    monkeypatch.setattr(pdf, "LOCATIONS", [])
    monkeypatch.delenv("AMRBOOK_BROWSER", raising=False)
    with_work_to_do(workspace / "outputs")
    assert main(["build", "--year", "2023"]) == 0
    target = workspace / "outputs" / "conghua" / "2023"
    assert (target / "briefing.html").exists() and not (target / "briefing.pdf").exists()
    err = capsys.readouterr().err
    assert "no PDF" in err and "apt-get install --no-install-recommends chromium" in err


FIX = "Fix the browser or set AMRBOOK_BROWSER to a working Chromium, Chrome or Edge, then run the build again."


def _browser(tmp_path: Path, kind: str) -> tuple[str, str]:
    """A browser that fails in one way, and how the build must explain it."""
    if kind == "exits 1":
        return "/bin/false", "/bin/false exited with status 1 while printing briefing.html; it printed nothing"
    browser = script(tmp_path / "fake-chromium", "#!/bin/sh\necho 'starting' >&2\necho 'GPU process crashed' >&2\nexit 0\n",
                     0o755 if kind == "exits 0 without a PDF" else 0o644)
    if kind == "exits 0 without a PDF":
        return str(browser), (f"{browser} exited with status 0 but wrote no PDF while printing briefing.html; "
                              "its last output:\n    starting\n    GPU process crashed")
    return str(browser), f"{browser} could not be started: Permission denied"


@pytest.mark.parametrize("kind", ["exits 1", "exits 0 without a PDF", "not executable"])
def test_a_failing_browser_keeps_everything_but_the_pdf(workspace, monkeypatch, capsys, tmp_path, kind):
    from helpers.cli import main

    browser, why = _browser(tmp_path, kind)
    monkeypatch.setenv("AMRBOOK_BROWSER", browser)
    target = workspace / "outputs" / "conghua" / "2023"
    assert main(["build", "--year", "2023"]) == 0
    out, err = capsys.readouterr()
    assert err == f"amrbook: no PDF at {target / 'briefing.pdf'}: {why}\n{FIX}\n"
    assert f"built {target}" in out and ".tmp-" not in out + err
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["pdf_note"] == f"{why}\n{FIX}" and manifest["browser"] is None
    from helpers.audit.report import load_report
    from helpers.show.briefing import numbered_tables

    assert sorted(manifest["outputs"]) == sorted(["briefing.docx", "briefing.html", "index.html", "indicators.xlsx", *(
        f"csv/{label}.csv" for label, _, _ in numbered_tables(load_report("conghua", 2023))), *(
        f"notebooks/{p.stem}.html" for p in sorted((workspace / "notebooks").glob("0*.ipynb")))])
    assert snapshot(target).keys() == {target / name for name in [*manifest["outputs"], "manifest.json"]}
    assert not list(target.parent.glob(".tmp-*"))


def test_a_missing_pdf_is_tried_again_by_the_next_build(workspace, monkeypatch, capsys):
    from helpers.cli import main

    monkeypatch.setenv("AMRBOOK_BROWSER", "/bin/false")
    assert main(["build", "--year", "2023"]) == 0
    capsys.readouterr()
    assert main(["build", "--year", "2023"]) == 0          # not "up to date": the PDF is still missing
    out, err = capsys.readouterr()
    assert "up to date" not in out and err.startswith("amrbook: no PDF at ")


@pytest.fixture
def notebooks_only(tmp_path, monkeypatch):
    """A copy of the notebooks and an empty outputs folder, where starting a kernel fails the test."""
    from jupyter_client.manager import KernelManager

    def refuse(*args, **kwargs):
        raise AssertionError("a kernel was started although a notebook is broken")

    shutil.copytree(paths.notebooks_dir(), tmp_path / "notebooks")
    monkeypatch.setenv("AMRBOOK_NOTEBOOKS", str(tmp_path / "notebooks"))
    monkeypatch.setenv("AMRBOOK_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setattr(KernelManager, "start_kernel", refuse)
    return tmp_path / "notebooks"


def _untag(path: Path) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        cell["metadata"].pop("tags", None)
    path.write_text(json.dumps(nb, ensure_ascii=False, indent=1), encoding="utf-8")


def _merge_conflict(path: Path) -> None:
    # line 1 of a saved notebook is "{"; a conflict marker at the start of line 2 is column 1
    first, rest = path.read_text(encoding="utf-8").split("\n", 1)
    path.write_text(f"{first}\n<<<<<<< HEAD\n{rest}", encoding="utf-8")


TAGS = "(JupyterLab: the gear icon of the right sidebar → Common Tools → Cell Tags; classic Notebook: View → Cell Toolbar → Tags)"


@pytest.mark.parametrize(("breaks", "message"), [
    # code cell 1 of 06_capacity is its parameters cell (bureau = None, year = 2023): named, since it sets year
    (_untag, f"06_capacity.ipynb: no cell tagged `parameters`; tag code cell 1, which sets year {TAGS}"),
    (_merge_conflict, "06_capacity.ipynb: line 2, column 1: not valid JSON: "
                      "Expecting property name enclosed in double quotes"),
])
def test_a_broken_notebook_is_named_before_any_kernel_starts(notebooks_only, capsys, breaks, message):
    from helpers.cli import main

    breaks(notebooks_only / "06_capacity.ipynb")
    assert main(["build", "--year", "2023", "--no-pdf"]) == 2
    assert capsys.readouterr().err == f"amrbook: error: {message}\n"
    assert not (notebooks_only.parent / "outputs" / "conghua" / "2023").exists()


def test_execute_refuses_an_untagged_notebook_before_a_kernel_starts(notebooks_only, monkeypatch):
    from helpers.publish import execute

    def refuse(*args, **kwargs):
        raise AssertionError("a kernel was started for a notebook without a parameters cell")

    monkeypatch.setattr(execute, "NotebookClient", refuse)
    _untag(notebooks_only / "06_capacity.ipynb")
    with pytest.raises(execute.NotebookError) as caught:
        execute.execute(notebooks_only / "06_capacity.ipynb", {"year": 2023})
    assert str(caught.value) == f"06_capacity.ipynb: no cell tagged `parameters`; tag code cell 1, which sets year {TAGS}"


@pytest.mark.parametrize(("code", "message"), [(errno.ENOSPC, "No space left on device"),
                                               (errno.EROFS, "Read-only file system")])
def test_a_failed_write_names_the_file_and_keeps_the_last_good_outputs(workspace, monkeypatch, capsys, code,
                                                                       message):
    from helpers.publish import export
    from helpers.cli import main

    target = workspace / "outputs" / "conghua" / "2023"

    def full(year, path, figures=(), changes=None):
        raise OSError(code, message, str(path))

    monkeypatch.setattr(export, "write_xlsx", full)
    with_work_to_do(workspace / "outputs")
    before = snapshot(target)
    assert main(["build", "--year", "2023", "--no-pdf"]) == 2
    err = capsys.readouterr().err
    assert re.search(rf"amrbook: error: .*indicators.xlsx: {message}", err) and "Traceback" not in err
    assert snapshot(target) == before
    assert not list(target.parent.glob(".tmp-*"))


def build_in_progress(outputs: Path) -> Started | subprocess.Popen:
    """Start ``build --force`` in a new session and return once its staging folder exists.

    The folder appears once the kernels are starting, and goes only when the build is done,
    so a signal sent now arrives mid-build however fast the machine is.
    """
    assert not list(outputs.glob(".tmp-*")), "a staging folder is left from an earlier test"
    proc = start("build", "--year", "2023", "--force", "--no-pdf", start_new_session=True)
    deadline = time.monotonic() + 120
    while not list(outputs.glob(".tmp-2023-*")):
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the build ended (status {proc.returncode}) before its staging folder appeared:\n{err}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("no staging folder 120 s after the build started")
        time.sleep(0.02)
    return proc


def test_ctrl_c_mid_build_exits_130_and_keeps_outputs(workspace):
    target = workspace / "outputs" / "conghua" / "2023"
    before = snapshot(target)
    proc = build_in_progress(target.parent)
    os.killpg(proc.pid, signal.SIGINT)              # what Ctrl-C sends to the terminal's process group
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err == "amrbook: interrupted; outputs left as they were\n"
    assert snapshot(target) == before
    assert not list(target.parent.glob(".tmp-*"))


def test_sigterm_mid_build_exits_143_and_keeps_outputs(workspace):
    target = workspace / "outputs" / "conghua" / "2023"
    before = snapshot(target)
    proc = build_in_progress(target.parent)
    proc.terminate()                                # what `kill <pid>`, systemd and docker stop send
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err              # 128 + SIGTERM (15), as a shell reports it
    assert err == "amrbook: terminated; outputs left as they were\n"
    assert snapshot(target) == before
    assert not list(target.parent.glob(".tmp-*"))


def test_the_next_build_removes_what_a_sigkilled_build_left(workspace):
    target = workspace / "outputs" / "conghua" / "2023"
    build("conghua", 2023, pdf=False)                          # so that the build after the kill is up to date
    before = snapshot(target)
    proc = build_in_progress(target.parent)
    proc.kill()                                     # SIGKILL: no handler runs, nothing is cleaned up
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert list(target.parent.glob(".tmp-2023-*")), "SIGKILL left no staging folder: the test proves nothing"
    result = cli("build", "--year", "2023", "--no-pdf")
    assert result.returncode == 0 and "up to date" in result.stdout, result.stderr
    assert not list(target.parent.glob(".tmp-*")) and not list(target.parent.glob(".old-*"))
    assert snapshot(target) == before


def test_leftover_staging_and_retired_folders_are_removed_under_the_lock(workspace):
    outputs = workspace / "outputs"
    build("conghua", 2023, pdf=False)                          # so that the build below is up to date
    for leftover in (".tmp-2023-99999-1", ".tmp-2024-99999-1", ".old-2023-99999"):     # beside the bureau's years
        (outputs / "conghua" / leftover / "notebooks").mkdir(parents=True)
        (outputs / "conghua" / leftover / "briefing.html").write_text("stale", encoding="utf-8")
    assert build("conghua", 2023, pdf=False).up_to_date
    assert sorted(p.name for p in outputs.iterdir()) == [".build.lock", ".cache", "conghua"]
    assert sorted(p.name for p in (outputs / "conghua").iterdir()) == ["2023", "2023.zip"]


def test_outputs_retired_by_a_build_killed_mid_swap_are_put_back(workspace):
    outputs = workspace / "outputs"
    build("conghua", 2023, pdf=False)
    before = snapshot(outputs / "conghua" / "2023")
    os.replace(outputs / "conghua" / "2023", outputs / "conghua" / ".old-2023-99999")     # killed between the two renames of the swap
    assert build("conghua", 2023, pdf=False).up_to_date                     # the last good outputs are back, and current
    assert snapshot(outputs / "conghua" / "2023") == before
    assert not list((outputs / "conghua").glob(".old-*"))


def test_two_builds_at_once_do_not_corrupt_each_other(workspace):
    (workspace / "outputs" / "conghua" / "2023" / "manifest.json").unlink()     # both have work to do
    procs = [start("build", "--year", "2023", "--no-pdf") for _ in range(2)]
    results = [p.communicate(timeout=300) + (p.returncode,) for p in procs]
    assert [r[2] for r in results] == [0, 0], results
    assert any("up to date" in r[0] for r in results)               # the second waited, then found nothing to do
    manifest = json.loads((workspace / "outputs" / "conghua" / "2023" / "manifest.json").read_text(encoding="utf-8"))
    for name, digest in manifest["outputs"].items():
        assert hashlib.sha256((workspace / "outputs" / "conghua" / "2023" / name).read_bytes()).hexdigest() == digest


@pytest.fixture
def injected(data_copy, tmp_path, monkeypatch):
    """A build of a data copy whose report sentence and CSV note carry markup and formulas (in its own
    outputs folder, so the session's build cache is left as it is)."""
    raw = data_copy / "raw" / "conghua" / "2023_conghua_amr.txt"
    text = raw.read_text(encoding="utf-8")
    anchor = "16名执法人员参加综合法律知识网上考试"         # the last figure: no span after it moves
    text = text.replace(anchor, anchor.replace("执法人员", INJECTED + "执法人员"), 1)
    raw.write_text(text, encoding="utf-8")
    old = re.search(r"sha256: (\w+)", (data_copy / "raw" / "sources.yml").read_text(encoding="utf-8")).group(1)
    rewrite(data_copy / "raw" / "sources.yml", old, hashlib.sha256(raw.read_bytes()).hexdigest())
    rewrite(data_copy / "indicators" / "conghua" / "2023.csv", "推动执法队伍建设,今年", '推动执法队伍建设,"=HYPERLINK(""http://x"")"')
    monkeypatch.setenv("AMRBOOK_OUTPUTS", str(tmp_path / "outputs"))
    only_notebooks(tmp_path, monkeypatch, "06_capacity")      # the pages asserted on (the sentence is 能力建设's)
    return build("conghua", 2023, jobs=1, pdf=True).target


def test_injected_markup_is_text_in_html_pdf_and_xlsx(injected):
    page = (injected / "notebooks" / "06_capacity.html").read_text(encoding="utf-8")
    briefing = (injected / "briefing.html").read_text(encoding="utf-8")
    for html in (page, briefing):
        assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "{{ 7*7 }}" in html and "**bold**" in html      # Jinja and Markdown syntax shown as written
    browser = require_tool("chromium", "the page is checked as a browser sees it")
    with tempfile.TemporaryDirectory() as profile:  # the page as a browser sees it: no script ran, the title is untouched
        flags = ["--headless", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}",
                 "--virtual-time-budget=2000", "--dump-dom"]
        if os.geteuid() == 0:
            flags.insert(1, "--no-sandbox")
        dom = subprocess.run([browser, *flags, (injected / "notebooks" / "06_capacity.html").as_uri()],
                             capture_output=True, text=True, timeout=120, check=True).stdout
    assert "<title>06_capacity</title>" in dom and "pwned" not in dom.split("</title>")[0]
    assert "<img src=\"x\"" not in dom and "&lt;script&gt;alert(1)" in dom
    pdftotext = require_tool("pdftotext", "poppler-utils reads the PDF back")
    text = subprocess.run([pdftotext, str(injected / "briefing.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "<script>alert(1)</script>" in text.replace("\n", "")
    sheet = load_workbook(injected / "indicators.xlsx")["指标"]
    notes = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert notes == ["'=HYPERLINK(\"http://x\")"]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def _mount(path: Path, options: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    return done.returncode == 0


@pytest.fixture
def tmpfs(workspace, tmp_path):
    """Mount tmpfs folders holding a copy of the last good outputs (root only); unmount after."""
    mounted = []

    def make(name: str, extra_kb: int) -> Path:
        source = workspace / "outputs"
        size_kb = sum(p.stat().st_size for p in source.rglob("*") if p.is_file()) // 1024 + extra_kb
        target = tmp_path / name
        if os.geteuid() != 0 or not _mount(target, f"size={size_kb}k"):
            missing_in_ci_fails("mounting tmpfs needs root (CI runs as root)")
        mounted.append(target)
        shutil.copytree(source, target, dirs_exist_ok=True)
        with_work_to_do(target)
        return target

    yield make
    for target in mounted:
        subprocess.run(["umount", "-l", str(target)], check=False)


def _build_into(outputs: Path):
    return amrbook("build", "--year", "2023", "--no-pdf", timeout=300, env={**os.environ, "AMRBOOK_OUTPUTS": str(outputs)})


def test_a_really_read_only_outputs_folder(tmpfs):
    outputs = tmpfs("readonly", 256)
    before = snapshot(outputs / "conghua" / "2023")
    subprocess.run(["mount", "-o", "remount,ro", str(outputs)], check=True)
    result = _build_into(outputs)
    assert result.returncode == 2, result.stderr
    assert "Read-only file system" in result.stderr and str(outputs) in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(outputs / "conghua" / "2023") == before


def test_a_really_full_disk(tmpfs):
    outputs = tmpfs("full", 512)                 # room for the cache, not for a second set of pages
    before = snapshot(outputs / "conghua" / "2023")
    result = _build_into(outputs)
    assert result.returncode == 2, result.stderr
    assert "No space left on device" in result.stderr and "Traceback" not in result.stderr
    assert snapshot(outputs / "conghua" / "2023") == before
    assert not list(outputs.glob(".tmp-*"))


def test_a_kernel_that_cannot_start_fails_the_build_instead_of_hanging(notebooks_only, monkeypatch, capsys):
    from jupyter_client.manager import KernelManager

    from helpers.cli import main

    def cannot_start(*args, **kwargs):
        raise RuntimeError("No such kernel named python3")

    monkeypatch.setattr(KernelManager, "start_kernel", cannot_start)
    assert main(["build", "--year", "2023", "--no-pdf"]) == 2
    assert capsys.readouterr().err == "amrbook: error: kernel failed: No such kernel named python3\n"
    assert not list((notebooks_only.parent / "outputs").glob(".tmp-*"))


def test_a_typo_in_narrative_yml_is_named_before_a_notebook_runs(data_copy, tmp_path, monkeypatch, capsys):
    # found by a new-user trial: it surfaced only from the briefing's kernel, wrapped as 「briefing.ipynb: code cell 4
    # (hb.briefing.main_points(b)): DataError: …」, after the notebooks had started
    from conftest import line_no, rewrite
    from helpers.cli import main

    monkeypatch.setenv("AMRBOOK_OUTPUTS", str(tmp_path / "outputs"))
    path = data_copy / "narrative.yml"
    rewrite(path, "{admin_penalty_cases}", "{admin_penalty_casesx}")
    assert main(["build", "--year", "2023", "--no-pdf"]) == 2
    err = capsys.readouterr().err
    assert f"narrative.yml: line {line_no(path, 'summary:')}, summary: " in err   # the template's key
    assert "{admin_penalty_casesx} is neither an indicator nor a metric" in err and "ipynb" not in err
    assert not (tmp_path / "outputs" / "conghua" / "2023").exists()
