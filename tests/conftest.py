"""Shared fixtures: a scratch copy of data/, a private workspace, and the session's one build."""
from __future__ import annotations

import csv
import os
import random
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from helpers import paths
from helpers.publish import import_jsonschema
from helpers.publish.forkserver import SERVER_ENV, Server

# Test modules import nbformat, and nbformat jsonschema: imported as the package imports it (without the `iri`
# grammar), 1.8 -> 0.2 CPU-s in each pytest process, before any test module is collected.
import_jsonschema()

# Property tests: `dev` for the edit loop, `ci` (what `make test` and CI run) with many more
# examples, because 100-150 random examples missed real crashes of the loader. Choose with
# HYPOTHESIS_PROFILE; the seed is printed in the header (`--hypothesis-seed=N` replays a run).
settings.register_profile("dev", max_examples=100, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture])
settings.register_profile("ci", max_examples=1000, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REAL_DATA = paths.PROJECT_ROOT / "data"
REAL_NOTEBOOKS = paths.PROJECT_ROOT / "notebooks"


SEED_VARIABLE = "AMRBOOK_HYPOTHESIS_SEED"   # hands the session's seed to the pytest-xdist workers


@pytest.hookimpl(tryfirst=True)   # before hypothesis's own pytest_configure reads the option
def pytest_configure(config) -> None:
    """Give every run a hypothesis seed, chosen here unless ``--hypothesis-seed=N`` names one, so the
    header always prints the seed that replays the run. The xdist workers take the session's seed."""
    if config.getoption("hypothesis_seed", None) is None:
        config.option.hypothesis_seed = os.environ.get(SEED_VARIABLE) or str(random.SystemRandom().randrange(2**32))
    os.environ[SEED_VARIABLE] = str(config.option.hypothesis_seed)


def pytest_report_header(config) -> str:
    return (f"hypothesis profile {settings.get_current_profile_name()}: {settings().max_examples} examples per property; "
            f"seed {config.option.hypothesis_seed} (replay with --hypothesis-seed={config.option.hypothesis_seed})")


#: Session or module fixtures that build the briefing: every test using one (directly or through a
#: fixture of its module) runs in the same pytest-xdist worker, so each build is made once and no
#: two tests change its workspace at the same time.
SHARED_BUILDS = ("built", "built_workspace")
#: Module fixtures that build, draft or start a server (each several seconds of CPU): the tests of one module
#: using one run in one worker together, so the fixture is made once a run, not once in each worker (test_claims'
#: two drafted years, built with every notebook, were built by both workers).
MODULE_BUILDS = ("drafted", "good_build", "three_years_data", "five_built", "shared_lab")


#: What the scheduler counts a test as, against 1 for any other (a shared build's group counts one more
#: :data:`SLOW_COST`): a slow test builds, executes notebooks or starts a browser or server, seconds of CPU where
#: most others take a fraction of one.
SLOW_COST = 20


def pytest_xdist_make_scheduler(config, log):
    """``make test``'s scheduler: one test at a time to whichever worker is free, except that the
    tests of each shared build go to one worker together. (xdist's own ``--dist loadgroup`` marks
    groups by rewriting node ids, which pytest 9 no longer allows.) The heaviest work goes first (the
    groups of the shared builds, then the slow tests, by :func:`_cost`): a long test started last would
    keep one worker busy while the other has nothing left to do."""
    from collections import OrderedDict

    from xdist.scheduler import LoadScopeScheduling

    class SharedBuildsTogether(LoadScopeScheduling):
        heaviest_first = False

        def _split_scope(self, nodeid: str) -> str:
            file, _, test = nodeid.partition("::")
            return _shared_build(file, test.split("[")[0]) or nodeid

        def _assign_work_unit(self, node) -> None:
            if not self.heaviest_first:     # the first assignment: the queue is complete, in collection order
                self.workqueue = OrderedDict(sorted(self.workqueue.items(), key=lambda item: -_cost(*item)))
                self.heaviest_first = True
            super()._assign_work_unit(node)

    return SharedBuildsTogether(config, log)


def _cost(scope: str, nodeids) -> int:
    """The work of a scope of the scheduler, in tests: :data:`SLOW_COST` for each slow one, and once more for
    the build a group of tests shares."""
    slow = sum(_slow(*nodeid.split("[")[0].split("::")[:2]) for nodeid in nodeids)
    return len(nodeids) + (SLOW_COST - 1) * slow + (SLOW_COST if scope not in nodeids else 0)


def _slow(file: str, test: str = "") -> bool:
    """Whether the test ``test`` of ``file`` is marked slow (itself, or its module by ``pytestmark``)."""
    import ast

    if file not in _SLOW:
        tree = ast.parse((paths.PROJECT_ROOT / file).read_text(encoding="utf-8"))
        marked = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)
                  and any(ast.unparse(d).endswith("mark.slow") for d in node.decorator_list)}
        if any(isinstance(node, ast.Assign) and ast.unparse(node).startswith("pytestmark = ")
               and ast.unparse(node.value).endswith("mark.slow") for node in tree.body):
            marked.add("")                  # every test of the module
        _SLOW[file] = marked
    return bool({"", test} & _SLOW[file])


_SLOW: dict[str, set[str]] = {}


def _shared_build(file: str, test: str) -> str | None:
    """The shared build (of :data:`SHARED_BUILDS`) the test ``test`` of ``file`` uses, if any, else the
    module build (of :data:`MODULE_BUILDS`, named with its file) it uses, if any."""
    import ast

    uses = _FIXTURE_USES.get(file)
    if uses is None:
        tree = ast.parse((paths.PROJECT_ROOT / file).read_text(encoding="utf-8"))
        uses = {node.name: {a.arg for a in node.args.args} for node in ast.walk(tree)
                if isinstance(node, ast.FunctionDef)}
        for name, args in uses.items():         # through the module's own fixtures, one level down
            args |= {b for a in list(args) for b in uses.get(a, set()) if b in SHARED_BUILDS + MODULE_BUILDS}
        _FIXTURE_USES[file] = uses
    used = uses.get(test, set())
    shared = next((b for b in SHARED_BUILDS if b in used), None)
    module = next((b for b in MODULE_BUILDS if b in used), None)
    if shared or not module:
        return shared
    # a module build another test of the file uses together with a shared build goes where that one is
    return next((b for args in uses.values() if module in args for b in SHARED_BUILDS if b in args),
                f"{file}::{module}")


_FIXTURE_USES: dict[str, dict[str, set[str]]] = {}


@pytest.fixture
def data_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Copy data/ to a temp dir and point the workbook at it (AMRBOOK_DATA)."""
    target = tmp_path / "data"
    shutil.copytree(REAL_DATA, target)
    monkeypatch.setenv("AMRBOOK_DATA", str(target))
    return target


@dataclass
class Built:
    """The session's one cold build of 2023 (:func:`built`)."""

    root: Path                      # holds notebooks/ (a copy) and outputs/, where the build went
    result: object                  # its helpers.publish.build.BuildResult
    pristine: Path                  # a copy of outputs/2023 as that build made it, for read-only checks
    executed: dict = field(default_factory=dict)    # each executed notebook, by name


@pytest.fixture(scope="session", autouse=True)
def kernel_server(request, tmp_path_factory):
    """Every build of a session that runs builds forks its kernels from one fork server per worker
    (:mod:`helpers.publish.forkserver`): the suite starts some sixty kernels, each of which imported pandas,
    matplotlib, seaborn and helpers anew (about 2.4 s of CPU). Builds whose environment differs from the server's
    in a variable read at import (a test's own HOME or PYTHONPATH) start their kernels as usual. The server's log
    (each kernel forked, each request refused and why) is ``kernel-server.log`` in the worker's pytest folder."""
    if not any(item.get_closest_marker("slow") for item in request.session.items):
        yield None  # the edit loop (`-m "not slow"`) runs no build that would use it
        return
    folder = Path(tempfile.mkdtemp(prefix="amrbook-kernels-"))  # short: a socket's path has at most 107 bytes
    try:
        server = Server(folder, log=tmp_path_factory.getbasetemp() / "kernel-server.log")
    except RuntimeError:  # no server: every kernel starts as usual (test_forkserver's tests say why they fail)
        shutil.rmtree(folder, ignore_errors=True)
        yield None
        return
    with server:
        os.environ[SERVER_ENV] = server.path
        yield server
        del os.environ[SERVER_ENV]
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def private_workspace(tmp_path_factory) -> Path:
    """Point outputs and notebooks at a private folder for the whole session (with a copy of the
    notebooks), so no test ever writes into the real outputs/ or notebooks/."""
    root = tmp_path_factory.mktemp("workspace")
    shutil.copytree(REAL_NOTEBOOKS, root / "notebooks")
    mp = pytest.MonkeyPatch()
    mp.setenv("AMRBOOK_OUTPUTS", str(root / "outputs"))
    mp.setenv("AMRBOOK_NOTEBOOKS", str(root / "notebooks"))
    yield root
    mp.undo()


@pytest.fixture(scope="session")
def built(private_workspace) -> Built:
    """One cold build of 2023 (with its PDF) shared by the build, notebook and reliability tests.

    Each notebook is executed once here. Tests that change the notebooks or outputs of the
    workspace restore them; read-only checks look at :attr:`Built.pristine` and
    :attr:`Built.executed`, which no later build touches.
    """
    import nbformat

    from helpers.publish.build import build

    # one kernel runs the nine notebooks: a second would import pandas, matplotlib and helpers again (~2.7 CPU-s)
    # to save wall time the other pytest-xdist worker's tests use anyway; builds with two kernels are tested
    # elsewhere (test_build's failing notebook, test_bureaus, the fault harness's `amrbook build`)
    result = build("conghua", 2023, jobs=1, pdf=True)
    pristine = shutil.copytree(result.target, private_workspace / "pristine")
    executed = {name: nbformat.read(path, as_version=4) for name, path in result.notebooks.items()
                if name not in result.skipped}      # compare: 从化 alone has no other bureau to compare with
    return Built(private_workspace, result, pristine, executed)


def only_notebooks(root: Path, monkeypatch: pytest.MonkeyPatch, *names: str) -> Path:
    """Point the workbook at a notebooks folder under ``root`` holding copies of ``names`` alone.

    A build test executes only the notebooks it asserts on (the briefing is always built, so
    it is always there): each notebook left out is a kernel run saved.
    """
    folder = root / "notebooks"
    folder.mkdir(parents=True)
    for name in {"briefing", *names}:
        shutil.copy(REAL_NOTEBOOKS / f"{name}.ipynb", folder)
    monkeypatch.setenv("AMRBOOK_NOTEBOOKS", str(folder))
    return folder


def missing_in_ci_fails(message: str) -> None:
    """Stop a test whose precondition is missing: a failure in CI (``CI`` set), a skip with the
    reason elsewhere. CI installs and provides everything, so a missing browser, tool, seed or
    privilege there is a broken set-up, never a reason to pass quietly."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def require_tool(name: str, why: str) -> str:
    """Return the path of a command the test needs (:func:`missing_in_ci_fails` without it)."""
    found = shutil.which(name)
    if not found:
        missing_in_ci_fails(f"{name} is not installed ({why}); `make test` installs it")
    return found


def broken_figures(pdf: Path) -> list[tuple[str, str]]:
    """Pairs of lines of a printed PDF (pdftotext, reading order) where a figure was broken across the two:
    a line ending in a digit or a decimal point and the next beginning with its ``.``, ``%`` or unit
    (``1275.48`` / ``元``, ``22.6`` / ``5%``, ``2023`` / ``年``). A table's cells are lines of their own, so a
    line ending in a footnote mark followed by a cell starting with a number is no break and not counted."""
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    lines = [line.strip() for line in text.splitlines()]
    return [(a, b) for a, b in zip(lines, lines[1:])
            if re.search(r"\d\.?$", a) and re.match(r"[.%‰宗件家户元万亿年个项人次场]", b)]


def unwrapped(page: str) -> str:
    """A rendered page without the ``<span class="nb">`` that keep a figure on one line
    (:func:`helpers.show.format.unbroken_html`): its text as the page's code wrote it."""
    return re.sub(r'<span class="nb">(.*?)</span>', r"\1", page)


def lone_marks(pdf: Path) -> list[tuple[str, str]]:
    """Pairs of lines of a printed PDF where a footnote mark begins a line alone: a line of nothing but a mark
    (``9``, ``16,17``) after one ending in a full-width closing bracket or punctuation mark (``…14434宗）`` /
    ``9``); a table's label cell ending in "(本年度)" before its number cell is no mark."""
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    lines = [line.strip().replace("\u2060", "") for line in text.splitlines()]
    return [(a, b) for a, b in zip(lines, lines[1:])
            if re.fullmatch(r"[\d,]+", b) and re.search(r"[）」』】〕。，；、：]$", a)]


def rewrite(path: Path, old: str, new: str, count: int = 1) -> None:
    """Replace ``old`` by ``new`` in a text file, failing loudly if ``old`` is not there."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def change_figure(data: Path, year: int, old: str, new: str) -> None:
    """Change one figure of a year's report of 从化 (``conghua``) in a data copy, keeping everything consistent.

    Edits the raw text (``old`` and ``new`` must have the same length, so other spans stay
    valid), records the new sha256 in sources.yml and updates ``as_written`` and ``value`` of
    the row whose ``as_written`` is ``old`` (the first such row).
    """
    import csv
    import hashlib

    from helpers.report.numbers import parse_figure

    assert len(old) == len(new)
    raw = next((data / "raw" / "conghua").glob(f"{year}_*.txt"))
    text = raw.read_text(encoding="utf-8")
    old_sha = hashlib.sha256(raw.read_bytes()).hexdigest()
    table = data / "indicators" / "conghua" / f"{year}.csv"
    rows = list(csv.DictReader(table.open(encoding="utf-8")))
    row = next(r for r in rows if r["as_written"] == old)
    start = int(row["start"])
    assert text[start:start + len(old)] == old
    text = text[:start] + new + text[start + len(old):]
    raw.write_text(text, encoding="utf-8")
    sources = data / "raw" / "sources.yml"
    rewrite(sources, old_sha, hashlib.sha256(raw.read_bytes()).hexdigest())
    row["as_written"] = new
    value = parse_figure(new, before=text[start - 1:start]).value
    row["value"] = format(value.normalize(), "f")
    with table.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def drafted_second_year(data_dir: Path, year: int = 2024, *, figures: dict[str, str] | None = None,
                        words: dict[str, str] | None = None, drop: tuple[str, ...] = ()) -> Path:
    """Add another report year to a data copy, made from the 2023 report the way a user adds a year.

    The rule that makes the year's report from ``raw/2023_conghua_amr.txt``:

    1. each id of ``figures`` gets its figure rewritten (the span its 2023.csv row records now
       reads the new figure as written, e.g. ``{"admin_penalty_cases": "400宗"}``); each id of
       ``drop`` has its figure deleted, so the report no longer states it;
    2. each ``words`` replacement (old -> new, ``old`` must occur exactly once) is made, e.g. a
       cut-off ``截至11月`` becoming ``全年``;
    3. the years 2022, 2023, 2024 of the text become ``year - 1``, ``year``, ``year + 1``.

    Then, as a user would: the text goes to ``raw/conghua/<year>_synthetic_from_2023.txt`` with a
    sources.yml entry (its sha256 computed), ``amrbook draft --year <year>`` runs in a
    subprocess, the draft is checked (every figure of the 2023 table is found again under its id,
    as rewritten; dropped ids are absent), rows the draft could not match are dropped, the draft
    is renamed to ``<year>.csv`` and validated by ``load_indicators``. Never used on the real data/.

    Returns
    -------
    Path
        The new ``indicators/<year>.csv``.
    """
    import pandas as pd
    from cli_process import amrbook

    from helpers.tables.load import COLUMNS, load_indicators

    assert data_dir.resolve() != REAL_DATA.resolve(), "a synthetic year never goes into data/"
    figures = figures or {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AMRBOOK_DATA", str(data_dir))
        rows = _rows_2023()
        text = _rewritten_2023_report(rows, figures, drop)
        for old, new in (words or {}).items():
            assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in the 2023 report"
            text = text.replace(old, new)
        text = re.sub(r"(?<!\d)(2022|2023|2024)(?!\d)", lambda m: str(int(m.group(1)) + year - 2023), text)
        raw = paths.bureau_raw_dir("conghua") / f"{year}_synthetic_from_2023.txt"
        raw.write_text(text, encoding="utf-8")
        with paths.sources_file().open("a", encoding="utf-8") as f:
            f.write(f"  - bureau: conghua\n    file: {raw.name}\n    year: {year}\n    publisher: 合成 (synthetic)\n"
                    f"    title: synthetic {year} report made from the 2023 report\n    encoding: utf-8\n"
                    f"    sha256: {paths.sha256_of(raw)}\n")
        run = amrbook("draft", "--year", str(year), str(raw), env={**os.environ, "AMRBOOK_DATA": str(data_dir)})
        assert run.returncode == 0 and "wrote" in run.stdout, run.stderr
        draft = pd.read_csv(paths.draft_file("conghua", year), dtype=str, keep_default_na=False)
        draft = draft[draft["id"] != ""][COLUMNS]   # the review columns (score, matched_by …) stay in the draft
        expected = {row["id"]: figures.get(row["id"], row["as_written"]) for row in rows if row["id"] not in drop}
        assert dict(zip(draft["id"], draft["as_written"])) == expected
        draft.to_csv(paths.draft_file("conghua", year), index=False, lineterminator="\n")
        os.replace(paths.draft_file("conghua", year), paths.indicators_file("conghua", year))
        load_indicators("conghua", year)
    return data_dir / "indicators" / "conghua" / f"{year}.csv"


def _rows_2023() -> list[dict[str, str]]:
    """The rows of the real 2023 indicator table."""
    with (REAL_DATA / "indicators" / "conghua" / "2023.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _rewritten_2023_report(rows: list[dict[str, str]], figures: dict[str, str], drop: tuple[str, ...]) -> str:
    """The 2023 report with the figures of some ids rewritten and of others deleted (by their spans)."""
    text = (REAL_DATA / "raw" / "conghua" / "2023_conghua_amr.txt").read_text(encoding="utf-8")
    spans = {row["id"]: (int(row["start"]), int(row["end"])) for row in rows}
    edits = {**{ident: "" for ident in drop}, **figures}
    for ident in sorted(edits, key=lambda i: spans[i][0], reverse=True):  # from the end: earlier spans stay valid
        start, end = spans[ident]
        text = text[:start] + edits[ident] + text[end:]
    return text


# Python code that prints, to stderr, the peak resident memory in KiB of the process that runs it. It reads VmHWM of
# /proc/self/status, which belongs to this process's own address space: getrusage(RUSAGE_SELF).ru_maxrss does not,
# since Linux carries it across exec from the parent, so a child started by a pytest worker that once held 1 GB
# reports 1 GB whatever it did itself (seen in CI).
PRINT_OWN_PEAK_KIB = ("print('peak', next(int(line.split()[1]) for line in open('/proc/self/status') "
                      "if line.startswith('VmHWM:')), file=sys.stderr)")


def line_no(path: Path, text: str) -> int:
    """Return the 1-based line of ``path`` where ``text`` first occurs (to name a line without typing it)."""
    content = path.read_text(encoding="utf-8")
    assert text in content, f"{text!r} not in {path}"
    return content[:content.index(text)].count("\n") + 1


def drop_indicator(data: Path, year: int, ident: str) -> None:
    """Remove one indicator's row from a year's table in a data copy (a year whose report lacks the figure)."""
    table = data / "indicators" / "conghua" / f"{year}.csv"
    lines = table.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if f",{ident}," not in line]
    assert len(kept) == len(lines) - 1, f"{ident} is not on exactly one line of {table}"
    table.write_text("".join(kept), encoding="utf-8")
