"""The build under failure: no browser, full disk, read-only outputs, Ctrl-C, concurrent builds,
and injected markup or formulas in the data."""
from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook

from conftest import private_build, rewrite
from helpers.publish.build import build

PY = sys.executable
INJECTED = '<script>alert(1)</script><img src=x onerror="document.title=\'pwned\'">{{ 7*7 }} **bold**'


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("reliability")
    with private_build(root, pdf=False):
        yield root


def snapshot(target: Path) -> dict:
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(target.rglob("*")) if p.is_file()}


def cli(*args, timeout=300):
    return subprocess.run([PY, "-m", "helpers.cli", *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ}, check=False)


def test_no_browser_still_builds_the_html_and_says_how_to_get_the_pdf(workspace, monkeypatch, capsys):
    from helpers.publish import pdf
    from helpers.cli import main

    monkeypatch.setattr(pdf, "NAMES", [])
    monkeypatch.setattr(pdf, "LOCATIONS", [])
    monkeypatch.delenv("AMRBOOK_BROWSER", raising=False)
    assert main(["build", "--year", "2023", "--force"]) == 0
    target = workspace / "outputs" / "2023"
    assert (target / "briefing.html").exists() and not (target / "briefing.pdf").exists()
    err = capsys.readouterr().err
    assert "no PDF" in err and "apt-get install --no-install-recommends chromium" in err


@pytest.mark.parametrize(("code", "message"), [(errno.ENOSPC, "No space left on device"),
                                               (errno.EROFS, "Read-only file system")])
def test_a_failed_write_names_the_file_and_keeps_the_last_good_outputs(workspace, monkeypatch, capsys, code,
                                                                       message):
    from helpers.publish import export
    from helpers.cli import main

    target = workspace / "outputs" / "2023"
    before = snapshot(target)

    def full(year, path):
        raise OSError(code, message, str(path))

    monkeypatch.setattr(export, "write_xlsx", full)
    assert main(["build", "--year", "2023", "--force", "--no-pdf"]) == 2
    err = capsys.readouterr().err
    assert re.search(rf"amrbook: error: .*indicators.xlsx: {message}", err) and "Traceback" not in err
    assert snapshot(target) == before
    assert not list(target.parent.glob(".tmp-*"))


def test_ctrl_c_mid_build_exits_130_and_keeps_outputs(workspace):
    target = workspace / "outputs" / "2023"
    before = snapshot(target)
    proc = subprocess.Popen([PY, "-m", "helpers.cli", "build", "--year", "2023", "--force", "--no-pdf"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    time.sleep(6)                                   # kernels are running notebooks by now
    os.killpg(proc.pid, signal.SIGINT)              # what Ctrl-C sends to the terminal's process group
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert snapshot(target) == before
    assert not list(target.parent.glob(".tmp-*"))


def test_two_builds_at_once_do_not_corrupt_each_other(workspace):
    (workspace / "outputs" / "2023" / "manifest.json").unlink()     # both have work to do
    procs = [subprocess.Popen([PY, "-m", "helpers.cli", "build", "--year", "2023", "--no-pdf"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [p.communicate(timeout=300) + (p.returncode,) for p in procs]
    assert [r[2] for r in results] == [0, 0], results
    assert any("up to date" in r[0] for r in results)               # the second waited, then found nothing to do
    manifest = json.loads((workspace / "outputs" / "2023" / "manifest.json").read_text(encoding="utf-8"))
    for name, digest in manifest["outputs"].items():
        assert hashlib.sha256((workspace / "outputs" / "2023" / name).read_bytes()).hexdigest() == digest


@pytest.fixture
def injected(workspace, data_copy):
    """A data copy whose report sentence and CSV note carry markup and formulas."""
    raw = data_copy / "raw" / "2023_conghua_amr.txt"
    text = raw.read_text(encoding="utf-8")
    anchor = "16名执法人员参加综合法律知识网上考试"         # the last figure: no span after it moves
    text = text.replace(anchor, anchor.replace("执法人员", INJECTED + "执法人员"), 1)
    raw.write_text(text, encoding="utf-8")
    old = re.search(r"sha256: (\w+)", (data_copy / "raw" / "sources.yml").read_text(encoding="utf-8")).group(1)
    rewrite(data_copy / "raw" / "sources.yml", old, hashlib.sha256(raw.read_bytes()).hexdigest())
    rewrite(data_copy / "indicators" / "2023.csv", "推动执法队伍建设,今年", '推动执法队伍建设,"=HYPERLINK(""http://x"")"')
    build(2023, pdf=True)
    return workspace / "outputs" / "2023"


def test_injected_markup_is_text_in_html_pdf_and_xlsx(injected):
    page = (injected / "notebooks" / "06_capacity.html").read_text(encoding="utf-8")
    briefing = (injected / "briefing.html").read_text(encoding="utf-8")
    for html in (page, briefing):
        assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "{{ 7*7 }}" in html and "**bold**" in html      # Jinja and Markdown syntax shown as written
    browser = shutil.which("chromium") or shutil.which("google-chrome")
    if browser:  # the page as a browser sees it: no script ran, the title is untouched
        with tempfile.TemporaryDirectory() as profile:
            flags = ["--headless", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}",
                     "--virtual-time-budget=2000", "--dump-dom"]
            if os.geteuid() == 0:
                flags.insert(1, "--no-sandbox")
            dom = subprocess.run([browser, *flags, (injected / "notebooks" / "06_capacity.html").as_uri()],
                                 capture_output=True, text=True, timeout=120, check=True).stdout
        assert "<title>06_capacity</title>" in dom and "pwned" not in dom.split("</title>")[0]
        assert "<img src=\"x\"" not in dom and "&lt;script&gt;alert(1)" in dom
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(injected / "briefing.pdf"), "-"], capture_output=True, text=True,
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
            pytest.skip("mounting tmpfs needs root (CI runs as root)")
        mounted.append(target)
        shutil.copytree(source, target, dirs_exist_ok=True)
        return target

    yield make
    for target in mounted:
        subprocess.run(["umount", "-l", str(target)], check=False)


def _build_into(outputs: Path):
    return subprocess.run([PY, "-m", "helpers.cli", "build", "--year", "2023", "--force", "--no-pdf"],
                          capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "AMRBOOK_OUTPUTS": str(outputs)})


def test_a_really_read_only_outputs_folder(tmpfs):
    outputs = tmpfs("readonly", 256)
    before = snapshot(outputs / "2023")
    subprocess.run(["mount", "-o", "remount,ro", str(outputs)], check=True)
    result = _build_into(outputs)
    assert result.returncode == 2, result.stderr
    assert "Read-only file system" in result.stderr and str(outputs) in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(outputs / "2023") == before


def test_a_really_full_disk(tmpfs):
    outputs = tmpfs("full", 512)                 # room for the cache, not for a second set of pages
    before = snapshot(outputs / "2023")
    result = _build_into(outputs)
    assert result.returncode == 2, result.stderr
    assert "No space left on device" in result.stderr and "Traceback" not in result.stderr
    assert snapshot(outputs / "2023") == before
    assert not list(outputs.glob(".tmp-*"))
