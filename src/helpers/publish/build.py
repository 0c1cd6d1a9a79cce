"""``amrbook build``: execute the notebooks and render the briefing, fast, cached and atomic.

1. Inputs are hashed (data files, ``helpers`` source and templates, each notebook, the
   parameters). An unchanged build is recognised from ``manifest.json`` and starts no kernel.
2. Notebooks whose key has no cached executed copy run on a pool of warm kernels (``jobs``
   workers; each kernel imports ``helpers`` once and clears its namespace with ``%reset -f``
   before each notebook), so a change to one notebook re-executes only that one. While they
   run, this process validates the data, writes the xlsx and subsets the font (from every
   character the inputs contain), then renders each page as soon as its notebook is done.
3. Everything is rendered into a temporary folder next to ``outputs/<bureau>/<year>/`` and moved into
   place only when complete; a failure leaves the previous outputs untouched. A lock file
   keeps two builds from writing at once.
4. Every notebook is read and checked (JSON, format, a ``parameters`` cell) before any kernel
   starts, so a broken one is named at once.
5. A build killed outright (SIGKILL, power loss) cannot remove its temporary folders; the next
   build does, under the lock (see :func:`helpers.publish.lock.clear_leftovers`). The kernel pool
   is :mod:`helpers.publish.kernels`.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import queue
import shutil
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .. import paths
from ..errors import AmrbookError, DataError
from ..paths import sha256_of
from .kernels import Runner
from .lock import build_lock, clear_leftovers
from .manifest import package_versions, read_manifest, set_aside, write_manifest

if TYPE_CHECKING:  # pragma: no cover - pandas and the data are loaded only when there is work to do
    from ..audit.report import Report
    from .pdf import Printer

# The rest is imported when a build has work to do, so an up-to-date check stays well under 1 s.

BRIEFING = "briefing"
#: Seconds one notebook cell may run (``amrbook build --cell-timeout``).
CELL_TIMEOUT = 300
PACKAGE_FILES = ("**/*.py", "**/templates/**/*", "**/*.css")
#: The build cache's folder where a build hands the reports it loaded to its kernels.
HANDOVER_DIR = "reports"
#: Outputs a build takes over from the previous one when every input of theirs is unchanged: kind -> files.
KEPT = {
    "briefing": ("briefing.html", "briefing.pdf", "briefing.docx"),
    "indicators.xlsx": ("indicators.xlsx",),
}


@dataclass
class BuildResult:
    """What a build did."""

    target: Path
    up_to_date: bool = False
    executed: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    pdf_note: str = ""
    #: Why briefing.docx was not made ("" when it was): the rest of the build stands without it.
    docx_note: str = ""
    browser: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    #: The executed copy of each notebook (in the build cache), by name.
    notebooks: dict[str, Path] = field(default_factory=dict)
    #: What every page says about the build: built_at, inputs (short hash), version (of amrbook).
    stamp: dict[str, str] = field(default_factory=dict)
    #: The data this build rests on, and what changed since the previous build and year (publish.changelog).
    snapshot: dict = field(default_factory=dict)
    changes: dict = field(default_factory=dict)
    #: Thematic notebooks not run because the report has no figure of their topic: name -> why, in Chinese
    #: (for the index page; also in manifest.json as ``skipped``).
    skipped: dict[str, str] = field(default_factory=dict)
    #: What the build found damaged and set aside or redid (a manifest, a cached notebook), in words.
    notes: list[str] = field(default_factory=list)
    #: Outputs taken over from the previous build, their inputs unchanged (:data:`KEPT`): not made again.
    kept: list[str] = field(default_factory=list)
    #: The key of every input of each kind of output of :data:`KEPT` (:func:`_output_keys`).
    output_keys: dict[str, str] = field(default_factory=dict)
    #: The stamp the briefing's pages carry: this build's, or that of the build that made the kept briefing.
    briefing_stamp: dict[str, str] = field(default_factory=dict)
    #: ``[number, title]`` of each numbered figure and table, whose numbers are ``csv/<number>.csv``.
    figures: list[list[str]] = field(default_factory=list)


def stamp_text(stamp: dict[str, str]) -> str:
    """Write a build stamp for a page: ``生成于 2026-11-25 09:30 · 输入 1a2b3c4d5e6f · amrbook 0.1.0``."""
    return f"生成于 {stamp['built_at']} · 输入 {stamp['inputs']} · amrbook {stamp['version']}"


def _stamp(hashes: dict) -> dict[str, str]:
    """The build date, a short hash of every input (as recorded in manifest.json) and the package version."""
    from importlib import metadata

    try:
        version = metadata.version("amrbook")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        version = "未安装"
    return {
        "built_at": datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M"),
        "inputs": _key(hashes)[:12],
        "version": version,
    }


def _hash_files(files: list[Path], root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): sha256_of(p) for p in sorted(files) if p.is_file()}


def input_hashes(known_face: str = "") -> dict[str, dict[str, str]]:
    """Return the sha256 of every build input: data files, package source and templates, notebooks, and the
    CJK font face charts and pages are drawn with (:func:`~helpers.show.fonts.recorded_face`; ``known_face`` as
    recorded by the previous build)."""
    from ..show.fonts import recorded_face

    package = [p for pattern in PACKAGE_FILES for p in paths.PACKAGE_DIR.glob(pattern)]
    return {
        "data": _hash_files(paths.data_files(), paths.data_dir()),
        "helpers": _hash_files(package, paths.PACKAGE_DIR),
        "notebooks": _hash_files(paths.built_notebooks(), paths.notebooks_dir()),
        "font": {"face": recorded_face(known_face)},
    }


def _key(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def notebook_keys(hashes: dict, parameters: dict) -> dict[str, str]:
    """Cache key of each notebook: its own hash, all data and package hashes, and the parameters."""
    shared = _key(hashes["data"], hashes["helpers"], hashes.get("font"), parameters)
    return {Path(name).stem: _key(shared, digest) for name, digest in hashes["notebooks"].items()}


def _progress(total: int):
    if total and sys.stderr.isatty():
        from tqdm import tqdm

        return tqdm(total=total, desc="executing notebooks", unit="nb", file=sys.stderr)
    return None


def font_text() -> str:
    """Every character a page can show, known before anything runs: the text of the data files,
    the notebooks and the package's own strings (labels, messages, templates)."""
    files = [
        *paths.data_dir().rglob("*.yml"),
        *paths.data_dir().rglob("*.csv"),
        *paths.raw_dir().rglob("*.txt"),
        *paths.built_notebooks(),
        *paths.PACKAGE_DIR.rglob("*.py"),
        *paths.PACKAGE_DIR.rglob("*.j2"),
    ]
    return "".join(p.read_text(encoding="utf-8", errors="ignore") for p in files)


def build(
    bureau: str | None,
    year: int,
    jobs: int = 2,
    force: bool = False,
    pdf: bool = True,
    timeout: int = CELL_TIMEOUT,
) -> BuildResult:
    """Build ``outputs/<bureau>/<year>/``: briefing.html/.pdf, notebooks/*.html, indicators.xlsx, manifest.json.

    Only that report's outputs are written; another report's (another year or bureau) stay as they are.

    Parameters
    ----------
    bureau : str or None
        The bureau's slug (``data/raw/sources.yml``); None for its ``default_bureau``.
    year : int
        The report is loaded (and validated) once, when there is work to do, and handed down.
    jobs : int
        Kernels executing notebooks in parallel.
    force : bool
        Ignore the cache and the up-to-date check.
    pdf : bool
        Print ``briefing.pdf`` (needs a Chromium, Chrome or Edge; without one the HTML is
        still built and ``pdf_note`` says how to get the PDF).
    timeout : int
        Seconds one cell may run; past them the cell is stopped and the build fails, naming it.

    Raises
    ------
    DataError
        If the data do not validate.
    NotebookError
        If a notebook is broken or has no ``parameters`` cell (before any kernel starts), or
        fails; the previous outputs are left as they were.
    """
    return build_reports([(bureau, year)], jobs, force, pdf, timeout)[0]


def build_reports(
    reports: list[tuple[str | None, int]],
    jobs: int = 2,
    force: bool = False,
    pdf: bool = True,
    timeout: int = CELL_TIMEOUT,
) -> list[BuildResult]:
    """Build several reports (``amrbook build --all``) with one pool of kernels, each as :func:`build` does.

    Every report is planned first (up-to-date check, notebooks read, data validated, change log) and its
    notebooks queued on the one pool, so the kernels start once and run the notebooks of every report
    back to back; each report's pages are rendered as its notebooks finish and swapped into place alone.

    Raises
    ------
    As :func:`build`, for the first report that fails; the reports before it are in place.
    """
    started = time.perf_counter()
    from ..report.sources import (
        bureau as find_bureau,
    )  # a slug checked against sources.yml, nothing loaded yet
    from .pdf import Printer

    chosen = [(find_bureau(bureau).slug, int(year)) for bureau, year in reports]
    printer = Printer()  # one browser prints every report's briefing: it starts at the first print
    with build_lock(paths.outputs_dir()):
        cache = paths.build_cache_dir()
        cache.mkdir(parents=True, exist_ok=True)
        handover = _handover_dir(cache)
        runner = Runner(
            [],
            jobs,
            timeout,
            cache / "kernels.log",
            start=False,
            env={paths.HANDOVER_ENV: str(handover)},
        )
        try:
            plans = [_plan(slug, year, force, pdf, runner, started) for slug, year in chosen]
            runner.close()
            # what planning loaded (the libraries, the reports) stays to the end: the collections that
            # rendering triggers leave it out instead of scanning it each time (a tenth of this process's CPU)
            gc.freeze()
            to_build = [plan for plan in plans if not plan.result.up_to_date]
            for plan in to_build:
                _complete(plan, runner, pdf, printer, last=plan is to_build[-1])
        except BaseException:
            printer.kill()  # a failed or interrupted build leaves no browser behind, and does not wait for it
            raise
        finally:
            gc.unfreeze()
            printer.close()  # a browser left from an earlier report (the last one's briefing was kept)
            runner.stop()
    return [plan.result for plan in plans]


@dataclass
class _Plan:
    """One report of a build, between planning and completion."""

    result: BuildResult
    r: Report | None = None
    hashes: dict = field(default_factory=dict)
    build_key: str = ""
    results: queue.Queue = field(
        default_factory=queue.Queue
    )  # its notebooks, as the pool finishes them
    cached: dict = field(
        default_factory=dict
    )  # name -> its executed notebook, read from the cache and checked
    damaged: object = None  # the problem of a manifest that could not be read: set aside once the build has its own
    started: float = 0.0
    #: The previous build's manifest (None: none, or unreadable): outputs whose inputs it records unchanged are kept.
    previous: dict | None = None
    #: Each notebook's cache key (:func:`notebook_keys`).
    keys: dict = field(default_factory=dict)
    #: The data folder's version (:func:`helpers.paths.data_version`) the report was loaded from.
    data: tuple = ()


def _plan(slug: str, year: int, force: bool, pdf: bool, runner: Runner, started: float) -> _Plan:
    """Check one report (up to date?), read its notebooks, load its data and change log, queue its notebooks."""
    target = paths.report_outputs_dir(slug, year)
    plan = _Plan(BuildResult(target), started=started)
    result = plan.result
    target.parent.mkdir(parents=True, exist_ok=True)
    clear_leftovers(
        target.parent
    )  # staging and retired folders sit beside the outputs of each year
    cache = paths.build_cache_dir()
    manifest_file = target / "manifest.json"
    try:
        old = read_manifest(manifest_file)
    except DataError as exc:  # set aside once this build has its own; never trusted, never blocking
        old, plan.damaged = None, exc.problems[0]
    # the face the previous build found, taken as found while its files are unchanged; --force searches again
    recorded_face = (
        "" if force else ((old or {}).get("inputs") or {}).get("font", {}).get("face", "")
    )
    # what the report will be loaded from, read before its inputs are hashed: a data file changed from here on is
    # seen before the swap (_data_kept), never keyed as the old data
    plan.data = paths.data_version()
    hashes, parameters = input_hashes(recorded_face), {"bureau": slug, "year": year}
    keys = notebook_keys(hashes, parameters)
    build_key = _key(keys, pdf)
    cached_file = {
        name: cache / f"{slug}-{year}-{name}-{key[:20]}.ipynb" for name, key in keys.items()
    }
    result.notebooks = cached_file
    if (
        not force
        and old
        and old.get("build_key") == build_key
        and _outputs_intact(target, old)
        and not (pdf and old.get("pdf_note"))
        and not old.get("docx_note")
    ):  # missing: try again
        result.up_to_date = True
        result.skipped = old.get("skipped", {})
        from .index import share, zip_path

        if not zip_path(target).exists():  # the zip alone was removed
            share(target)
        result.timings["total"] = time.perf_counter() - started
        return plan
    # the kernels start (and import) while this process reads the notebooks and loads the data
    # the briefing's copy is also named by the change log it shows, known once the data are loaded; a notebook the
    # previous build skipped from the same key (the same notebook, data, package and parameters) is skipped again
    skipped_before = _skipped_before(old, keys, parameters)
    announced = {
        name
        for name in keys
        if name not in skipped_before
        and (force or not any(cache.glob(f"{cached_file[name].stem}*.ipynb")))
    }
    runner.start(len(announced), hashes["font"]["face"])
    plan.previous, plan.keys = (None if force else old), keys  # --force takes over nothing
    from .execute import (
        prepare,
    )  # every notebook, before any kernel starts: a broken one is named at once

    log_file = (
        cache / f"{slug}-{year}-changes.json"
    )  # the briefing reads the build's change log here
    notebooks = {
        name: prepare(
            paths.notebooks_dir() / f"{name}.ipynb",
            {**parameters, "change_log": str(log_file)} if name == BRIEFING else parameters,
        )
        for name in sorted(keys)
    }
    result.timings["inputs"] = time.perf_counter() - started  # hashed, notebooks read and checked
    plan.r = _Steps(result.timings)("prepare.changes", _changes, slug, year, result, log_file)
    _hand_over(plan.r)
    # the briefing shows the change log: its executed copy holds for that log only
    log_key = _key(result.changes)[:12]
    cached_file[BRIEFING] = cached_file[BRIEFING].with_name(
        f"{cached_file[BRIEFING].stem}-{log_key}.ipynb"
    )
    result.skipped = skipped_notebooks(plan.r, notebooks)
    plan.cached = (
        {}
        if force
        else {
            name: nb
            for name in keys
            if name not in result.skipped
            and (nb := _read_cached(cached_file[name], result)) is not None
        }
    )
    # the slowest notebooks first, so the two workers finish together
    todo = sorted(
        (
            (name, nb)
            for name, nb in notebooks.items()
            if name not in result.skipped and name not in plan.cached
        ),
        key=lambda item: item[0] != BRIEFING,
    )
    result.executed = sorted(name for name, _ in todo)
    # workers for what the announcement missed: a cached copy found damaged, the briefing of another change log
    runner.start(
        sum(1 for name in result.executed if name not in announced), hashes["font"]["face"]
    )
    result.cached = sorted(plan.cached)
    runner.submit(todo, plan.results)
    result.stamp = _stamp(hashes)
    plan.hashes, plan.build_key = hashes, build_key
    return plan


def _skipped_before(old: dict | None, keys: dict[str, str], parameters: dict) -> set[str]:
    """The notebooks the previous build (its manifest ``old``) skipped whose cache key is unchanged.

    Whether a notebook is skipped rests on its metadata, the data (the report's topics, the other bureaus'
    reports of the year) and the package, all in its key: no kernel is started for it before the report is
    loaded (:func:`skipped_notebooks` decides then; a notebook it runs after all gets a worker then).
    """
    recorded = (old or {}).get("inputs")
    skipped = (old or {}).get("skipped")
    if not isinstance(recorded, dict) or not isinstance(skipped, dict):
        return set()
    try:
        before = notebook_keys(recorded, parameters)
    except KeyError:  # a manifest without some kind of input: predict nothing
        return set()
    return {name for name in skipped if name in keys and before.get(name) == keys[name]}


def _complete(plan: _Plan, runner: Runner, pdf: bool, printer: Printer, last: bool) -> None:
    """Render a planned report as its notebooks finish, write its manifest and swap its outputs into place.

    Its briefing is printed by ``printer`` (a :class:`~helpers.publish.pdf.Printer`), which is closed after
    the print of the ``last`` report of the build.
    """
    result, r = plan.result, plan.r
    assert r is not None, "a report that is not up to date was planned with its data loaded"
    staging = result.target.with_name(f".tmp-{r.year}-{os.getpid()}-{threading.get_ident()}")
    try:
        _produce(r, runner, plan, staging, pdf, printer, last)
        _write_manifest(r.bureau.slug, r.year, staging, plan.hashes, plan.build_key, result)
        _data_kept(plan)
        if plan.damaged:
            result.notes.append(
                f"{plan.damaged}; set aside as {set_aside(result.target / 'manifest.json')}; built afresh"
            )
        _swap(staging, result.target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    from .index import share

    t0 = time.perf_counter()
    share(result.target)
    result.timings["zip"] = time.perf_counter() - t0
    result.timings["total"] = time.perf_counter() - plan.started


def _data_kept(plan: _Plan) -> None:
    """Fail the report's build when a file of the data folder changed while its notebooks ran (a
    notebook cell that writes a curated table, or another command): its outputs could mix two
    versions of the data. Its executed notebooks are dropped from the cache and the last good
    outputs stay as they were."""
    changed = paths.data_changes(plan.data, paths.data_version())
    if changed:
        for cached in plan.result.notebooks.values():
            cached.unlink(missing_ok=True)
        raise AmrbookError(
            f"{paths.data_dir()}: {', '.join(changed)} changed while the notebooks of "
            f"{plan.result.target.parent.name} {plan.result.target.name} ran (a notebook, or another "
            "command, wrote it): nothing built, the outputs are as they were. Notebooks read data/, "
            "never write it: if a notebook wrote the file, restore it (git checkout) and run again"
        )


def skipped_notebooks(r: Report, notebooks: dict) -> dict[str, str]:
    """The notebooks the report has nothing for, each with why in words: a thematic one (metadata
    ``amrbook.topic``, a catalog topic) the report has no figure of
    (``{"06_capacity": "本报告没有“能力建设”方面的数字，未生成该笔记本。"}``), and one comparing bureaus
    (``amrbook.compare``) when no other bureau has a report of the year."""
    from ..audit.compare import peers

    topics = r.topics()
    skipped = {}
    for name, nb in notebooks.items():
        if nb.metadata.get("amrbook", {}).get("compare") and not peers(r):
            skipped[name] = f"没有其他机构的{r.year}年报告可比较，未生成该笔记本。"
        topic = nb.metadata.get("amrbook", {}).get("topic")
        if topic and topic not in topics:
            heading = (
                _headings().get(topic) or nb.cells[0].source.lstrip("# ").split("：")[0]
            )  # else its own title
            skipped[name] = f"本报告没有“{heading}”方面的数字，未生成该笔记本。"
    return skipped


def _headings() -> dict[str, str]:
    """The briefing's section heading of each topic (``data/charts.yml``), read when a thematic notebook is
    skipped: the layout's module draws charts, and a build that draws none in this process imports no matplotlib."""
    from ..show.exhibits import load_layout

    return {s["topic"]: s["heading"] for s in load_layout().sections}


def target_dir(bureau: str, year: int) -> Path:
    """The folder a build of ``bureau``'s ``year`` writes: ``outputs/<bureau>/<year>/`` (its zip to share goes
    beside it)."""
    return paths.report_outputs_dir(bureau, year)


def _outputs_intact(target: Path, manifest: dict) -> bool:
    """Whether every output the manifest lists is in ``target`` with the hash it records."""
    outputs = manifest.get("outputs", {})
    return bool(outputs) and _unaltered(target, outputs, outputs)


def _unaltered(target: Path, outputs: dict, files) -> bool:
    """Whether each of ``files`` is a file in ``target`` with the sha256 a manifest's ``outputs`` records."""
    return all(
        f in outputs and (target / f).is_file() and sha256_of(target / f) == outputs[f]
        for f in files
    )


def _read_cached(file: Path, result: BuildResult):
    """The executed notebook cached in ``file``, or None: missing, or damaged (then removed, with a note)."""
    from .execute import NotebookError, read_notebook

    if not file.exists():
        return None
    try:
        nb = read_notebook(file)
        if any(
            c.cell_type == "code" and c.source.strip() and c.execution_count is None
            for c in nb.cells
        ):
            raise NotebookError(f"{file.name}: not executed to the end")
        return nb
    except NotebookError as exc:
        file.unlink(missing_ok=True)
        result.notes.append(f"{file.parent / str(exc)}; removed from the cache and executed again")
        return None


def _handover_dir(cache: Path) -> Path:
    """The folder where this build hands its loaded reports to its kernels, emptied of an earlier build's."""
    folder = cache / HANDOVER_DIR
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    return folder


def _hand_over(r: Report) -> None:
    """Hand the report, and the same bureau's previous year loaded with it, to the kernels (they take each
    while the data are unchanged; see :func:`helpers.audit.report.hand_over`)."""
    from ..audit.report import hand_over, load_report

    folder = paths.build_cache_dir() / HANDOVER_DIR
    hand_over(r, folder)
    if r.year - 1 in paths.indicator_years(r.bureau.slug):
        hand_over(load_report(r.bureau.slug, r.year - 1), folder)


def _changes(bureau: str, year: int, result: BuildResult, log_file: Path) -> Report:
    """Load (and validate) the report, and ``narrative.yml`` with it, once for the whole build, and record its
    snapshot and change log in ``result`` and in ``log_file``, where the briefing's kernel reads it."""
    from ..audit.diff import snapshot
    from ..audit.report import load_report
    from ..show.narrative import load_narrative
    from .changelog import change_log, write_change_log

    r = load_report(bureau, year)
    load_narrative()  # checked here, as the report's definitions are: a typo is named before a notebook runs
    result.snapshot, result.changes = snapshot(r), change_log(r)
    write_change_log(result.changes, log_file)
    return r


def _produce(
    r: Report, runner: Runner, plan: _Plan, staging: Path, pdf: bool, printer: Printer, last: bool
) -> None:
    """Fill ``staging`` while the runner executes: each page when it is ready, the PDF from when the briefing is.

    The font subset comes first, then the outputs of :data:`KEPT` whose inputs are those of the
    previous build (taken over as they are: the briefing's pages, PDF and Word document, or the
    xlsx), then a briefing page kept from an earlier build (its print starts at once, in a thread,
    and briefing.docx is written), the xlsx, the other kept pages, and each executed notebook's page
    as it arrives (the briefing's with its print and Word document as for a kept one); once the
    print has ended, index.html with the figures' CSV files.
    """
    results, cached, result = plan.results, plan.cached, plan.result
    cached_file = result.notebooks
    import nbformat

    from ..show.fonts import find_cjk_font
    from .index import notebook_entry, pager, write_index
    from .pdf import STOP_POLL, NoPdf, Running, print_pdf
    from .render import Page, font_subset_css, kept_page

    t0 = time.perf_counter()
    step = _Steps(result.timings)
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "notebooks").mkdir(parents=True)
    runner.check()  # a notebook that failed meanwhile fails the build now, not after the preparation
    font = find_cjk_font(
        plan.hashes["font"]["face"]
    )  # the face input_hashes found: checked, not searched for
    font_css = step(
        "prepare.font_subset",
        lambda: font_subset_css(font, font_text(), cached_file[BRIEFING].parent),
    )
    runner.check()
    result.output_keys = _output_keys(plan, font_css, pdf)
    kept = step(
        "prepare.kept", _keep, plan.previous, result.target, staging, result.output_keys, pdf
    )
    result.kept = sorted(file for kind in kept for file in KEPT[kind] if (staging / file).exists())
    result.briefing_stamp = (
        plan.previous["briefing_stamp"] if "briefing" in kept and plan.previous else result.stamp
    )
    if "briefing" in kept and plan.previous:
        result.browser = plan.previous.get("browser")
    src, stamp = r.source, stamp_text(result.briefing_stamp)
    title = f"{r.title.removesuffix('报告')} · 数据简报"
    briefing = Page(
        title=title,
        subtitle=[
            f"依据：《{src.title}》",
            "每个数字均可追溯至原文：文末“原文出处”列出全部原句，每个数字链接到它的原句（网页版中指向数字也可看到原句）",
        ],
        hide_code=True,
        stamp=stamp,
    )
    entries = step(
        "prepare.index_entries",
        lambda: [
            notebook_entry(
                name, nbformat.read(paths.notebooks_dir() / f"{name}.ipynb", as_version=4)
            )
            for name in sorted(cached_file)
            if name != BRIEFING and name not in result.skipped
        ],
    )
    printed: dict = {}
    stop_print = (
        threading.Event()
    )  # set when the build fails or is interrupted: the browser is killed at once

    # Whether the print thread runs is told by these two events, not by Thread.is_alive/join: in Python 3.11 a
    # join interrupted by a signal (Ctrl-C, SIGTERM) marks the thread stopped while it still runs, and the
    # build then exited with its browser left running (found by the fault harness in CI)
    print_running, print_done = threading.Event(), threading.Event()

    def print_briefing() -> (
        None
    ):  # in a thread, from when briefing.html is written: it overlaps the notebooks
        print_running.set()
        started = time.perf_counter()
        try:
            printed["browser"] = str(
                print_pdf(
                    staging / "briefing.html",
                    staging / "briefing.pdf",
                    running=Running(header=title, stamp=stamp),
                    stop=stop_print,
                    printer=printer,
                )
            )
            if last:  # the browser exits here, beside the notebooks, not at the end of the build
                printer.close(stop_print)
        except NoPdf as exc:
            printed["note"] = str(exc)
        except Exception as exc:  # raised in the build's own thread, below
            printed["error"] = exc
        finally:
            result.timings["pdf"] = time.perf_counter() - started
            print_done.set()

    print_thread = threading.Thread(target=print_briefing, daemon=True)

    def wait_for_print() -> None:
        """Wait until the print thread has ended (its browser killed or exited); interruptible."""
        if print_thread.ident is not None:  # started: it sets print_running on its first line
            print_running.wait(STOP_POLL * 10)
        while print_running.is_set() and not print_done.wait(STOP_POLL):
            pass

    def render(
        name: str, nb=None
    ) -> None:  # a page rendered before for the same notebook, font and links is kept
        if name == BRIEFING and "briefing" in kept:  # taken over with its PDF and Word document
            return
        page, file = (
            (briefing, staging / "briefing.html")
            if name == BRIEFING
            else (
                Page(stamp=stamp_text(result.stamp), nav=pager(entries, name)),
                staging / "notebooks" / f"{name}.html",
            )
        )
        step(
            f"render.{name}",
            lambda: file.write_text(
                kept_page(
                    cached_file[name], page, font_css, title if name == BRIEFING else name, nb
                ),
                encoding="utf-8",
            ),
        )
        if (
            name == BRIEFING
        ):  # printed in a thread, and written as Word while the other notebooks run
            if pdf:
                print_thread.start()
            step(
                "docx",
                _docx,
                result,
                cached_file[BRIEFING],
                staging / "briefing.docx",
                title,
                briefing.subtitle[0],
                stamp,
                font.family,
            )

    bar = _progress(len(result.executed))
    try:
        if BRIEFING in result.cached:  # its print starts at once
            render(BRIEFING, cached[BRIEFING])
        # the figures' CSV files rest on inputs of the xlsx: taken over with it when they are intact
        figures = (
            step("prepare.kept", _keep_csvs, plan.previous, result.target, staging)
            if "indicators.xlsx" in kept
            else None
        )
        if (
            figures is None
        ):  # the briefing's numbered data, drawn here (charts: matplotlib) only when needed
            from ..show.briefing import numbered_tables

            figures = step("prepare.numbered_tables", numbered_tables, r)
        if "indicators.xlsx" not in kept:
            from .export import write_xlsx

            step(
                "prepare.xlsx",
                write_xlsx,
                r,
                staging / "indicators.xlsx",
                figures=figures,
                changes=result.changes,
            )
        result.figures = [[number, title] for number, title, _ in figures]
        result.timings["prepare"] = time.perf_counter() - t0
        runner.check()
        for name in result.cached:
            if name != BRIEFING:
                render(name, cached[name])
        for _ in result.executed:
            name, outcome = step("waiting_for_kernels", results.get)
            if isinstance(outcome, Exception):
                raise outcome
            tmp = cached_file[name].with_suffix(".tmp")
            nbformat.write(outcome, tmp)
            os.replace(tmp, cached_file[name])
            for stale in cached_file[name].parent.glob(f"{r.bureau.slug}-{r.year}-{name}-*.ipynb"):
                if stale != cached_file[name]:
                    stale.unlink()
            render(name, outcome)
            if bar:
                bar.update(1)
        result.timings["execute_and_render"] = time.perf_counter() - t0
        step(
            "waiting_for_pdf", wait_for_print
        )  # interruptible: Ctrl-C or SIGTERM stops the print below
    except (
        BaseException
    ):  # a failed or interrupted build leaves no browser behind, and does not wait for it
        stop_print.set()
        raise
    finally:
        if bar:
            bar.close()
        wait_for_print()  # after a stop, within STOP_POLL of it: no browser outlives the build
    result.timings.update(runner.timings)
    if "error" in printed:
        raise printed["error"]
    if "briefing" not in kept:
        result.browser, result.pdf_note = printed.get("browser"), printed.get("note", "")
    step(
        "index",
        write_index,
        staging,
        title=title,
        basis=briefing.subtitle[0],
        stamp=stamp_text(result.stamp),
        font_css=font_css,
        notebooks=entries,
        figures=figures,
        notes={"briefing.pdf": result.pdf_note, "briefing.docx": result.docx_note},
        skipped={  # by title: a reader sees no file name
            notebook_entry(
                name, nbformat.read(paths.notebooks_dir() / f"{name}.ipynb", as_version=4)
            ).title: why
            for name, why in result.skipped.items()
        },
    )


def _output_keys(plan: _Plan, font_css: str, pdf: bool) -> dict[str, str]:
    """The key of every input of each kind of output of :data:`KEPT`.

    The briefing's pages, PDF and Word document rest on the briefing notebook's key (its text, every
    data file, the package's source, the font face, the parameters and the change log it shows), the
    embedded font subset, whether a PDF is printed, and the browser printing it; the xlsx on the data,
    the package's source, the report and the change log.
    """
    r = plan.r
    assert r is not None
    return {
        "briefing": _key(
            plan.keys[BRIEFING],
            plan.result.changes,
            font_css,
            pdf,
            _browser_identity() if pdf else "",
        ),
        "indicators.xlsx": _key(
            plan.hashes["data"], plan.hashes["helpers"], r.bureau.slug, r.year, plan.result.changes
        ),
    }


def _browser_identity() -> str:
    """The browser that prints the PDF, with its size and modification time; "" when there is none."""
    from .pdf import NoBrowser, find_browser

    try:
        browser = find_browser().resolve()
        stat = browser.stat()
    except (NoBrowser, OSError):
        return ""
    return f"{browser}|{stat.st_size}|{stat.st_mtime_ns}"


def _keep(
    previous: dict | None, target: Path, staging: Path, keys: dict[str, str], pdf: bool
) -> set[str]:
    """Take over into ``staging`` each kind of output of :data:`KEPT` that the previous build (its manifest
    ``previous``, its outputs in ``target``) made from the same inputs (``keys``), whole and unaltered (each
    file's sha256 as its manifest records); return those kinds.

    A briefing is taken over only with every file of it, made without a note (a PDF that could not be
    printed, a Word document that failed is made again).
    """
    if not previous:
        return set()
    recorded, outputs = previous.get("output_keys") or {}, previous.get("outputs") or {}
    kept = set()
    for kind, files in KEPT.items():
        wanted = [f for f in files if pdf or f != "briefing.pdf"]
        if (
            recorded.get(kind) != keys[kind]
            or (kind == "briefing" and (previous.get("pdf_note") or previous.get("docx_note")))
            or (kind == "briefing" and not isinstance(previous.get("briefing_stamp"), dict))
            or not _unaltered(target, outputs, wanted)
        ):
            continue
        for f in wanted:
            _link(target / f, staging / f)
        kept.add(kind)
    return kept


def _keep_csvs(
    previous: dict | None, target: Path, staging: Path
) -> list[tuple[str, str, None]] | None:
    """Take over into ``staging`` the figures' CSV files of the previous build (manifest ``previous``, outputs in
    ``target``), whose xlsx is taken over (the same data, package, report and change log: the same figures);
    return ``(number, title, None)`` of each, or None when any is missing or altered (they are made again)."""
    from .index import CSV_DIR

    listed = (previous or {}).get("figures")
    outputs = (previous or {}).get("outputs") or {}
    if not listed:
        return None
    files = [f"{CSV_DIR}/{number}.csv" for number, _title in listed]
    if not all(Path(f).parent == Path(CSV_DIR) for f in files) or not _unaltered(
        target, outputs, files
    ):  # files of csv/ only, whatever the manifest says
        return None
    (staging / CSV_DIR).mkdir(exist_ok=True)
    for f in files:
        _link(target / f, staging / f)
    return [(number, title, None) for number, title in listed]


def _link(source: Path, copy: Path) -> None:
    """``copy`` as a hard link to ``source`` (the outputs are replaced whole, never edited), else a copy."""
    try:
        os.link(source, copy)
    except OSError:
        shutil.copy2(source, copy)


def _docx(
    result: BuildResult, executed: Path, file: Path, title: str, basis: str, stamp: str, family: str
) -> None:
    """Write briefing.docx from the executed briefing; a failure is noted and the rest of the build stands."""
    import nbformat

    from .docx import write_docx

    try:
        write_docx(
            nbformat.read(executed, as_version=4),
            file,
            title=title,
            basis=basis,
            stamp=stamp,
            family=family,
        )
    except Exception as exc:
        file.unlink(missing_ok=True)
        result.docx_note = f"{type(exc).__name__}: {exc}"


class _Steps:
    """Time each step of a build into ``timings`` (seconds, summed over repeats of a step)."""

    def __init__(self, timings: dict[str, float]):
        self.timings = timings

    def __call__(self, name: str, work, *args, **kwargs):
        started = time.perf_counter()
        try:
            return work(*args, **kwargs)
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - started


def _write_manifest(
    bureau: str, year: int, staging: Path, hashes: dict, build_key: str, result: BuildResult
) -> None:
    outputs = {
        str(p.relative_to(staging)): sha256_of(p) for p in sorted(staging.rglob("*")) if p.is_file()
    }
    manifest = {
        "bureau": bureau,
        "year": year,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "stamp": result.stamp,
        "build_key": build_key,
        "inputs": hashes,
        "packages": package_versions(),
        "browser": result.browser,
        "pdf_note": result.pdf_note,
        "docx_note": result.docx_note,
        "executed": result.executed,
        "cached": result.cached,
        "kept": result.kept,
        "output_keys": result.output_keys,
        "briefing_stamp": result.briefing_stamp,
        "figures": result.figures,
        "skipped": result.skipped,
        "timings_s": {k: round(v, 3) for k, v in result.timings.items()},
        "outputs": outputs,
        "snapshot": result.snapshot,
        "changes": result.changes,
    }
    write_manifest(staging / "manifest.json", manifest)


def _swap(staging: Path, target: Path) -> None:
    """Move the finished build into place; the old outputs are removed only after that."""
    retired = target.with_name(f".old-{target.name}-{os.getpid()}")
    if target.exists():
        os.replace(target, retired)
    os.replace(staging, target)
    shutil.rmtree(retired, ignore_errors=True)
