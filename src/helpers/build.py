"""``amrbook build``: execute the notebooks and render the briefing, fast, cached and atomic.

1. Inputs are hashed (data files, ``helpers`` source and templates, each notebook, the
   parameters). An unchanged build is recognised from ``manifest.json`` and starts no kernel.
2. Notebooks whose key has no cached executed copy run on a pool of warm kernels (``jobs``
   workers; each kernel imports ``helpers`` once and clears its namespace with ``%reset -f``
   before each notebook), so a change to one notebook re-executes only that one.
3. Everything is rendered into a temporary folder next to ``outputs/<year>/`` and moved into
   place only when complete; a failure leaves the previous outputs untouched. A lock file
   keeps two builds from writing at once.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import queue
import shutil
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from . import paths
from .errors import AmrbookError
from .paths import sha256_of

# The rest is imported when a build has work to do, so an up-to-date check stays well under 1 s.

BRIEFING = "briefing"
RESET_TAG = "amrbook-reset"
PACKAGE_FILES = ("*.py", "templates/**/*")


@dataclass
class BuildResult:
    """What a build did."""

    target: Path
    up_to_date: bool = False
    executed: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    pdf_note: str = ""
    timings: dict[str, float] = field(default_factory=dict)


def _hash_files(files: list[Path], root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): sha256_of(p) for p in sorted(files) if p.is_file()}


def input_hashes() -> dict[str, dict[str, str]]:
    """Return the sha256 of every build input: data files, package source and templates, notebooks."""
    package = [p for pattern in PACKAGE_FILES for p in paths.PACKAGE_DIR.glob(pattern)]
    return {"data": _hash_files(list(paths.data_dir().rglob("*")), paths.data_dir()),
            "helpers": _hash_files(package, paths.PACKAGE_DIR),
            "notebooks": _hash_files(list(paths.notebooks_dir().glob("*.ipynb")), paths.notebooks_dir())}


def _key(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def notebook_keys(hashes: dict, parameters: dict) -> dict[str, str]:
    """Cache key of each notebook: its own hash, all data and package hashes, and the parameters."""
    shared = _key(hashes["data"], hashes["helpers"], parameters)
    return {Path(name).stem: _key(shared, digest) for name, digest in hashes["notebooks"].items()}


@contextlib.contextmanager
def build_lock(root: Path, wait: float = 600):
    """Hold an exclusive lock on ``root/.build.lock`` so two builds never write at once."""
    root.mkdir(parents=True, exist_ok=True)
    handle = open(root / ".build.lock", "a+")
    try:
        if os.name == "nt":  # pragma: no cover - Windows
            import msvcrt
            lock = lambda: msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)  # noqa: E731
            unlock = lambda: msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)  # noqa: E731
        else:
            import fcntl
            lock = lambda: fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # noqa: E731
            unlock = lambda: fcntl.flock(handle, fcntl.LOCK_UN)  # noqa: E731
        deadline, told = time.monotonic() + wait, False
        while True:
            try:
                lock()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise AmrbookError(f"{root / '.build.lock'}: another build has held the lock for {wait:.0f} s")
                if not told:
                    print("amrbook: another build is running; waiting for it to finish", file=sys.stderr)
                    told = True
                time.sleep(0.2)
        try:
            yield
        finally:
            unlock()
    finally:
        handle.close()


def _with_reset(nb):
    import nbformat

    cell = nbformat.v4.new_code_cell("%reset -f")
    cell.metadata["tags"] = [RESET_TAG]
    nb.cells.insert(0, cell)
    return nb


def _tidy(nb):
    """Remove the reset cell and number cells from 1, as a fresh kernel would."""
    nb.cells = [c for c in nb.cells if RESET_TAG not in c.metadata.get("tags", [])]
    number = 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            number += 1
            cell.execution_count = number
            for output in cell.outputs:
                if output.output_type == "execute_result":
                    output.execution_count = number
    return nb


def run_notebooks(todo: list[Path], parameters: dict, jobs: int, timeout: int, progress=None) -> dict:
    """Execute notebooks on ``jobs`` warm kernels; return executed notebooks by name.

    Raises
    ------
    NotebookError
        For the first notebook that failed (the others still finish and are returned to the
        cache by the caller on the next run).
    """
    import nbformat
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    from .execute import KERNEL, NotebookError, _failing_cell, inject_parameters

    log = open(paths.outputs_dir() / ".cache" / "kernels.log", "a", encoding="utf-8")  # kernels' own stderr
    work: queue.Queue[Path] = queue.Queue()
    for path in todo:
        work.put(path)
    done: dict = {}
    errors: list[NotebookError] = []

    def worker() -> None:
        km = KernelManager(kernel_name=KERNEL)
        km.start_kernel(cwd=str(paths.notebooks_dir()), env={**os.environ}, stderr=log)
        try:
            while True:
                try:
                    path = work.get_nowait()
                except queue.Empty:
                    return
                nb = _with_reset(inject_parameters(nbformat.read(path, as_version=4), parameters))
                client = NotebookClient(nb, km=km, timeout=timeout, kernel_name=KERNEL,
                                        resources={"metadata": {"path": str(paths.notebooks_dir())}})
                try:
                    client.execute()
                    done[path.stem] = _tidy(nb)
                except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
                    detail = f"{exc.ename}: {exc.evalue}" if isinstance(exc, CellExecutionError) else str(exc)
                    errors.append(NotebookError(f"{path.name}: {_failing_cell(_tidy(nb))}: {detail}"))
                    km.restart_kernel(now=True)
                if progress:
                    progress.update(1)
        finally:
            km.shutdown_kernel(now=True)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(max(1, min(jobs, len(todo))))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log.close()
    if errors:
        raise errors[0]
    return done


def _progress(total: int):
    if total and sys.stderr.isatty():
        from tqdm import tqdm
        return tqdm(total=total, desc="executing notebooks", unit="nb", file=sys.stderr)
    return None


def build(year: int, jobs: int = 2, force: bool = False, pdf: bool = True, timeout: int = 300) -> BuildResult:
    """Build ``outputs/<year>/``: briefing.html/.pdf, notebooks/*.html, indicators.xlsx, manifest.json.

    Parameters
    ----------
    year : int
    jobs : int
        Kernels executing notebooks in parallel.
    force : bool
        Ignore the cache and the up-to-date check.
    pdf : bool
        Print ``briefing.pdf`` (needs a Chromium, Chrome or Edge; without one the HTML is
        still built and ``pdf_note`` says how to get the PDF).
    timeout : int
        Seconds allowed per cell.

    Raises
    ------
    DataError
        If the data do not validate (before anything runs).
    NotebookError
        If a notebook fails; the previous outputs are left as they were.
    """
    started = time.perf_counter()
    root = paths.outputs_dir()
    target = root / str(year)
    result = BuildResult(target)
    with build_lock(root):
        (root / ".cache").mkdir(parents=True, exist_ok=True)
        hashes, parameters = input_hashes(), {"year": year}
        keys = notebook_keys(hashes, parameters)
        build_key = _key(keys, pdf)
        manifest_file = target / "manifest.json"
        if not force and manifest_file.exists():
            old = json.loads(manifest_file.read_text(encoding="utf-8"))
            if old.get("build_key") == build_key and all((target / f).exists() for f in old.get("outputs", {})):
                result.up_to_date = True
                result.timings["total"] = time.perf_counter() - started
                return result
        import nbformat

        from .tables import indicator_table

        indicator_table(year)  # validate the data before starting any kernel
        cache = root / ".cache"
        cached_file = {name: cache / f"{year}-{name}-{key[:20]}.ipynb" for name, key in keys.items()}
        todo = [paths.notebooks_dir() / f"{name}.ipynb" for name, f in cached_file.items()
                if force or not f.exists()]
        result.cached = sorted(set(keys) - {p.stem for p in todo})
        t0 = time.perf_counter()
        bar = _progress(len(todo))
        try:
            executed = run_notebooks(todo, parameters, jobs, timeout, bar)
        finally:
            if bar:
                bar.close()
        for name, nb in executed.items():
            tmp = cached_file[name].with_suffix(".tmp")
            nbformat.write(nb, tmp)
            os.replace(tmp, cached_file[name])
            for stale in cache.glob(f"{year}-{name}-*.ipynb"):
                if stale != cached_file[name]:
                    stale.unlink()
        result.executed = sorted(executed)
        result.timings["execute"] = time.perf_counter() - t0
        notebooks = {name: nbformat.read(f, as_version=4) for name, f in cached_file.items()}
        _render_all(year, notebooks, cache, target, hashes, build_key, pdf, result)
    result.timings["total"] = time.perf_counter() - started
    return result


def _render_all(year, notebooks, cache, target, hashes, build_key, pdf, result) -> None:
    from .charts import find_cjk_font
    from .export import package_versions, write_xlsx
    from .pdf import NoBrowser, print_pdf
    from .render import Page, font_subset_css, render_html, visible_text
    from .sources import source_for

    staging = target.with_name(f".tmp-{year}-{os.getpid()}-{threading.get_ident()}")
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "notebooks").mkdir(parents=True)
    try:
        t0 = time.perf_counter()
        src = source_for(year)
        stamp = datetime.now(timezone.utc).astimezone().strftime("%Y-%m-%d %H:%M")
        briefing = Page(title=f"{src.publisher}{year}年法治政府建设情况 · 数据简报",
                        subtitle=[f"依据：《{src.title}》", f"生成于 {stamp}；每个数字均可追溯至原文（悬停或见脚注）"],
                        hide_code=True)
        pages = {name: briefing if name == BRIEFING else Page() for name in notebooks}
        text = "".join(visible_text(nb, pages[name]) for name, nb in notebooks.items())
        font_css = font_subset_css(find_cjk_font(), text, cache)
        (staging / "briefing.html").write_text(render_html(notebooks[BRIEFING], briefing, font_css, "数据简报"),
                                               encoding="utf-8")
        for name, nb in sorted(notebooks.items()):
            if name != BRIEFING:
                html = render_html(nb, pages[name], font_css, name)
                (staging / "notebooks" / f"{name}.html").write_text(html, encoding="utf-8")
        result.timings["render"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        write_xlsx(year, staging / "indicators.xlsx")
        result.timings["xlsx"] = time.perf_counter() - t0
        browser = None
        if pdf:
            t0 = time.perf_counter()
            try:
                browser = print_pdf(staging / "briefing.html", staging / "briefing.pdf")
            except NoBrowser as exc:
                result.pdf_note = str(exc)
            result.timings["pdf"] = time.perf_counter() - t0
        outputs = {str(p.relative_to(staging)): sha256_of(p) for p in sorted(staging.rglob("*")) if p.is_file()}
        manifest = {"year": year, "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "build_key": build_key, "inputs": hashes, "packages": package_versions(),
                    "browser": str(browser) if browser else None, "pdf_note": result.pdf_note,
                    "executed": result.executed, "cached": result.cached,
                    "timings_s": {k: round(v, 3) for k, v in result.timings.items()}, "outputs": outputs}
        (staging / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        _swap(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _swap(staging: Path, target: Path) -> None:
    """Move the finished build into place; the old outputs are removed only after that."""
    retired = target.with_name(f".old-{target.name}-{os.getpid()}")
    if target.exists():
        os.replace(target, retired)
    os.replace(staging, target)
    shutil.rmtree(retired, ignore_errors=True)
