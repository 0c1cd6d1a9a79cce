"""The mutation harness: every input file, structurally damaged, through every command that reads it.

For each kind of input file (catalog.yml, the indicator tables, metrics.yml, checks.yml,
charts.yml, narrative.yml, raw/sources.yml, the raw report text, a notebook, a previous build's
manifest.json) hypothesis draws a :class:`~mutants.Mutation` (drop, duplicate, retype,
non-finite, huge, deep, empty, header-only, NUL, odd codecs, truncation: see ``mutants.py``)
and one ``amrbook`` command that reads that file, runs the command on a workspace holding the
mutant, and asserts what docs/reliability.md promises of any input:

* the exit status is 0 or 2 (1 too for ``check --strict``), and nothing escapes ``main`` (no
  traceback);
* a refusal (exit 2) is ``amrbook: error: …``, each problem once, each naming an input file and a
  line or position in it (a problem of the whole file — empty, over the size limit, a raw report
  whose sha256 differs — names the file alone);
* the data folder is byte-identical afterwards (the mutant stays as it was), except the draft a
  ``draft`` writes; the previous outputs are intact, except a successful build's own;
* an accepted file never yields an infinite or overflowed figure (``inf``, ``Infinity``).

Commands run in-process (``helpers.cli.main``, stdout and stderr captured, every cache cleared,
as in a fresh process); :func:`test_a_sample_through_a_real_process` runs a few through
``python -m helpers.cli`` as well.

How many mutants: the ``ci`` profile's 1000 examples are a budget shared by cost under the 150 s
that ``make test`` may take: :data:`SHARE` gives each test its part (about 200 mutants a run),
the ``dev`` profile a tenth (at least 2 each), and ``AMRBOOK_MUTANTS=N`` N times as many.
Every failure found is an ``@example`` of the test that draws its kind of mutant, fixed as an
instance of its class (docs/reliability.md).
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shlex
import shutil
import signal
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from cli_process import amrbook
from conftest import REAL_DATA, REAL_NOTEBOOKS, drafted_second_year
from reliability.mutants import (BYTE_OPS, HUGE, LINE_OPS, NONFINITE, RETYPED, Mutation)

# --- the budget ---------------------------------------------------------------------------

#: Each test's share of the profile's examples (ci: 1000 — but `make test` has 150 s on two cores
#: for everything). A cheap command on a mutant costs 0.1-0.4 s of CPU, a build of the briefing
#: alone 5-10 s, a real process 1-2 s: the ci profile runs about 200 mutants a run (30 per cheap
#: file type, 20 manifests, 3 builds, 5 processes), a new draw each run since the seed is random.
#: In exploration they found every defect listed in the examples below within 150 mutants per
#: file type. ``AMRBOOK_MUTANTS=10`` multiplies every share (a deeper run: about 2000 mutants).
SHARE = {"catalog": 0.03, "table": 0.04, "metrics": 0.03, "checks": 0.02, "sources": 0.02, "raw": 0.03,
         "manifest": 0.02, "build": 0.003, "process": 0.005}
SCALE = float(os.environ.get("AMRBOOK_MUTANTS", "1"))
#: A command that runs this long is hung (no command on these small inputs takes a tenth of it): the
#: harness stops it and fails, rather than stall the suite. It bounds a hang; it measures nothing.
HANG_S = 300


def budget(share: str):
    """Hypothesis settings giving a test its :data:`SHARE` of the profile's examples (at least 2)."""
    # Under CI the draw is fixed (derandomize): a submission is judged on the same ~200 mutants every run,
    # and a new find reaches a developer's run (random draws, AMRBOOK_MUTANTS for depth), not a landing.
    # A build or a process per example: a failing one is reported as drawn, not shrunk (shrinking a build
    # mutant ran more than five minutes of builds; a Mutation is already small: an operator, a place, a value).
    phases = [p for p in Phase if p is not Phase.shrink or share not in ("build", "process")]
    return settings(max_examples=max(2, round(settings().max_examples * SHARE[share] * SCALE)), deadline=None,
                    derandomize=bool(os.environ.get("CI")), phases=phases,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large, HealthCheck.large_base_example])


# --- the workspace ------------------------------------------------------------------------

class Workspace:
    """A data folder (2023 and a synthetic 2024), a notebooks folder with the briefing alone, and outputs."""

    def __init__(self, root: Path):
        self.root = root
        self.saved: dict[str, bytes] = {}        # every file as it was, to restore after each mutant

    def __repr__(self) -> str:                  # what hypothesis prints of the fixture: not the files
        return f"Workspace({str(self.root)!r})"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def outputs(self) -> Path:
        return self.root / "outputs"

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    @property
    def env(self) -> dict[str, str]:
        return {"AMRBOOK_DATA": str(self.data), "AMRBOOK_OUTPUTS": str(self.outputs),
                "AMRBOOK_NOTEBOOKS": str(self.notebooks)}

    def tables(self) -> list[Path]:
        """The curated indicator tables (drafts excluded), wherever the data keep them."""
        return sorted(p for p in self.data.glob("indicators/**/*.csv") if not p.name.endswith(".draft.csv"))

    def reports(self) -> list[Path]:
        return sorted(self.data.glob("raw/**/*.txt"))

    def years(self) -> list[int]:
        return sorted({int(p.stem) for p in self.tables()})

    def files(self) -> dict[str, bytes]:
        """Every file of the workspace, by path relative to the root."""
        return {str(p.relative_to(self.root)): p.read_bytes() for p in sorted(self.root.rglob("*")) if p.is_file()}

    def restore(self) -> None:
        """Put every file back as :attr:`saved` has it; remove the files it does not have."""
        saved = self.saved
        now = {str(p.relative_to(self.root)) for p in self.root.rglob("*") if p.is_file()}
        for name in now - set(saved):
            (self.root / name).unlink()
        for name, content in saved.items():
            path = self.root / name
            if name not in now or path.read_bytes() != content:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)


def _short_briefing() -> dict:
    """The briefing notebook without its charts: its parameters, the start (charts.yml's layout), the
    main points and contents (narrative.yml), one topic's takeaways. A build needs the briefing alone,
    and every data file is still read; drawing the charts would only make each build slower."""
    nb = json.loads((REAL_NOTEBOOKS / "briefing.ipynb").read_text(encoding="utf-8"))
    keep = ("year =", "hb.briefing.start(", "hb.briefing.main_points(", "hb.briefing.contents(", "hb.takeaways(")
    cells = [c for c in nb["cells"] if c["cell_type"] == "code" and any(k in "".join(c["source"]) for k in keep)]
    takeaways = [c for c in cells if "hb.takeaways(" in "".join(c["source"])]
    nb["cells"] = [c for c in cells if c not in takeaways[1:]]
    return nb


def _workspace(root: Path, build: bool) -> Workspace:
    ws = Workspace(root)
    shutil.copytree(REAL_DATA, ws.data)
    ws.notebooks.mkdir()
    (ws.notebooks / "briefing.ipynb").write_text(json.dumps(_short_briefing(), ensure_ascii=False, indent=1),
                                                 encoding="utf-8")
    drafted_second_year(ws.data, 2024, figures={"admin_penalty_cases": "400宗"})
    if build:
        run = run_in_process(["build", "--year", str(ws.years()[0]), "--no-pdf"], ws.env)
        assert run.status == 0 and not run.escaped, run
    ws.saved = ws.files()
    return ws


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Workspace:
    """The workspace of the in-process tests (restored after each mutant)."""
    with pytest.MonkeyPatch.context():
        return _workspace(tmp_path_factory.mktemp("mutants"), build=False)


@pytest.fixture(scope="module")
def built_workspace(tmp_path_factory) -> Workspace:
    """A workspace with a build of its first year (the briefing alone, no PDF): a previous build's outputs."""
    with pytest.MonkeyPatch.context():
        return _workspace(tmp_path_factory.mktemp("mutants-built"), build=True)


# --- running a command --------------------------------------------------------------------

@dataclass
class Run:
    status: int | None
    stdout: str
    stderr: str
    escaped: str = ""          # a traceback that escaped main(), in-process


class Hung(BaseException):
    """Raised in a command that ran past :data:`HANG_S` (a BaseException: no handler of the tool catches it)."""


def _clear_caches() -> None:
    """Forget every cached result of ``helpers`` (as a fresh process would)."""
    for name, module in list(sys.modules.items()):
        if name == "helpers" or name.startswith("helpers."):
            for value in list(vars(module).values()):
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


@contextlib.contextmanager
def _environment(env: dict[str, str]):
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _hung(signum, frame):
    raise Hung(f"still running after {HANG_S} s")


def run_in_process(argv: list[str], env: dict[str, str]) -> Run:
    """Run ``amrbook argv`` in this process with ``env``; capture its output and anything that escapes."""
    from helpers import cli

    out, err = io.StringIO(), io.StringIO()
    escaped, status = "", None
    _clear_caches()
    previous = signal.signal(signal.SIGALRM, _hung)
    signal.alarm(HANG_S)
    try:
        with _environment(env), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = cli.main(argv)
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 2
    except BaseException:  # noqa: BLE001 - whatever escapes is the finding
        escaped = traceback.format_exc()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    return Run(status, out.getvalue(), err.getvalue(), escaped)


def run_in_subprocess(argv: list[str], env: dict[str, str]) -> Run:
    done = amrbook(*argv, env={**os.environ, **env}, timeout=HANG_S)
    return Run(done.returncode, done.stdout, done.stderr)


# --- what every run must satisfy ----------------------------------------------------------

PROBLEMS_HEAD = re.compile(r"amrbook: error: (\d+) problems? in the data:$")
#: How a message names a place in a file: a line, row, column, byte, character or offset, a
#: notebook cell or a JSON path into the file (cells[3].source).
POSITION = re.compile(r"\b(?:line|row|column|byte|character|offset|position|cell|entry|item|source)s? \d+"
                      r"|\w\[\d+\]|\bat \d+\b|\.ipynb: (?:top level|[\w.\[\]]+): "
                      r"|: field [^:\s]+: ")  # a key path of a JSON record: its position
#: Problems of a whole file, which no line can locate: nothing in it, too large, a raw report whose
#: bytes changed, a document of the wrong shape altogether, or something the file lacks.
WHOLE_FILE = re.compile(r"\bempty\b|larger than [\d,]+ bytes|sha256 is [0-9a-f]{64}|raw source file not found"
                        r"|no build of (?:\S+ )?\d+ yet|^\S+: expected a mapping (?:with the key|of indicator id)"
                        r"|no source listed for (?:bureau \S+ and )?year|no metric '\w+'|holds no (?:data snapshot|change log)"
                        r"|manifest\.json: not what a build writes: top level: "  # a manifest of the wrong shape altogether
                        r"|no cell tagged `parameters`; tag the cell that sets year")  # a notebook with no such cell
#: The longest a message may be: it quotes what is wrong, never a whole value of any size.
MAX_MESSAGE = 1000
#: Overflowed or infinite figures: never to be shown as a result.
INFINITE = re.compile(r"(?<![\w.])-?(?:inf|Infinity)(?![\w])")


def messages(stderr: str) -> list[str]:
    """The problems of a refusal: the items of ``N problems in the data:``, or the one message."""
    lines = stderr.rstrip("\n").split("\n")
    if PROBLEMS_HEAD.match(lines[0]):
        items: list[str] = []
        for line in lines[1:]:
            if line.startswith("  - "):
                items.append(line[4:])
            elif items:
                items[-1] += "\n" + line
        return items
    return ["\n".join(lines)[len("amrbook: error: "):]]


def verdict(run: Run, argv: list[str], inputs: set[str], before: dict[str, bytes], after: dict[str, bytes],
            may_write: tuple[str, ...]) -> list[str]:
    """Every way ``run`` breaks the promises above (empty when it keeps them)."""
    wrong = []
    if run.escaped:
        return [f"an exception escaped main():\n{run.escaped}"]
    allowed = {0, 2, 1} if "--strict" in argv else {0, 2}
    if run.status not in allowed:
        wrong.append(f"exit status {run.status}, not one of {sorted(allowed)}")
    if "Traceback" in run.stderr:
        wrong.append("a traceback on stderr")
    if run.status == 2:
        if not run.stderr.startswith("amrbook: error: "):
            wrong.append("exit 2 without an `amrbook: error:` message")
        else:
            found = messages(run.stderr)
            repeated = {m for m in found if found.count(m) > 1}
            if repeated:
                wrong.append(f"the same message {len(found) - len(set(found)) + 1}+ times: {sorted(repeated)[0][:200]}")
            for message in dict.fromkeys(found):
                if len(message) > MAX_MESSAGE:
                    wrong.append(f"a message of {len(message):,} characters: {message[:200]}…")
                if not any(name in message for name in inputs):
                    wrong.append(f"a message naming no input file: {message[:300]}")
                elif not POSITION.search(message) and not WHOLE_FILE.search(message):
                    wrong.append(f"a message naming no line or position: {message[:300]}")
    if run.status == 0 and INFINITE.search(run.stdout):
        wrong.append(f"an infinite figure accepted: …{INFINITE.search(run.stdout).group(0)}… in the output")
    changed = sorted(name for name in set(before) | set(after) if before.get(name) != after.get(name)
                     and not name.startswith(may_write))
    if changed:
        wrong.append(f"files written or removed that the command must leave alone: {changed[:5]}")
    return wrong


# --- the commands that read each kind of file -----------------------------------------------

# Placeholders: {year} the year of the mutated file (or the first), {other} another year, {last} the
# last year, {report} that year's raw report, {metric} the first metric of the real metrics.yml,
# {outputs} the outputs folder.
YEAR_READERS = (
    "indicators --year {year}", "indicators --year {year} --format json", "summary --year {year}",
    "metrics --year {year} --format csv", "explain {metric} --year {year}", "check --year {year}",
    "check --year {year} --strict --format json", "growth", "growth --metrics --format csv",
    "growth --year {last}", "diff --year {year} --against {other}", "draft --year 2099 --force {report}",
)
COMMANDS = {
    "catalog": YEAR_READERS,
    "table": YEAR_READERS,
    "sources": YEAR_READERS,
    "metrics": ("metrics --year {year}", "metrics --year {year} --format json", "explain {metric} --year {year}",
                "check --year {year}", "growth --metrics", "growth --year {last}",
                "diff --year {year} --against {other}"),
    "checks": ("check --year {year}", "check --year {year} --strict --format json", "check --year {year} --format csv",
               "diff --year {year} --against {other}"),
    "raw": ("indicators --year {year}", "summary --year {year}", "check --year {year}", "extract {report}",
            "extract {report} --format csv", "draft --year 2099 --force {report}", "growth"),
    "manifest": ("diff --year {year}", "diff --year {year} --format json", "diff --year {year} --against {outputs}/conghua/{year}",
                 "diff --year {year} --against {outputs}/conghua/{year}/manifest.json"),
    "build": ("build --year {year} --no-pdf",),
}


def first_metric() -> str:
    text = (REAL_DATA / "metrics.yml").read_text(encoding="utf-8")
    return re.search(r"^\s*- id: (\w+)", text, re.M).group(1)


def command(template: str, ws: Workspace, year: int) -> list[str]:
    years = ws.years()
    other = next((y for y in years if y != year), year)
    report = next((p for p in ws.reports() if p.name.startswith(str(year))), ws.reports()[0])
    return shlex.split(template.format(year=year, other=other, last=years[-1], report=report,
                                       metric=first_metric(), outputs=ws.outputs))


# --- the files ----------------------------------------------------------------------------

def target_file(ws: Workspace, kind: str, pick: int) -> tuple[Path, str]:
    """The file of ``kind`` to mutate (``pick`` chooses among several) and its syntax."""
    named = {"catalog": "catalog.yml", "metrics": "metrics.yml", "checks": "checks.yml", "charts": "charts.yml",
             "narrative": "narrative.yml", "sources": "raw/sources.yml"}
    if kind in named:
        return ws.data / named[kind], "yaml"
    if kind == "table":
        return ws.tables()[pick % len(ws.tables())], "csv"
    if kind == "raw":
        return ws.reports()[pick % len(ws.reports())], "text"
    if kind == "notebook":
        return ws.notebooks / "briefing.ipynb", "json"
    if kind == "manifest":
        return ws.outputs / "conghua" / str(ws.years()[0]) / "manifest.json", "json"
    raise AssertionError(kind)


def _year_of(ws: Workspace, file: Path) -> int:
    found = re.match(r"\d{4}", file.name)
    return int(found.group(0)) if found and int(found.group(0)) in ws.years() else ws.years()[0]


def exercise(ws: Workspace, kind: str, mutation: Mutation, template: str, pick: int = 0,
             resign: bool = False, runner=run_in_process) -> None:
    """Write the mutant of ``kind``, run the command, check the verdict, restore the workspace."""
    file, syntax = target_file(ws, kind, pick)
    try:
        mutant = mutation.apply(file.read_bytes(), syntax)
        file.write_bytes(mutant)
        if resign and kind == "raw":  # the raw report changed and sources.yml agrees: what the text now says is checked
            sources = ws.data / "raw" / "sources.yml"
            old = hashlib.sha256(ws.saved[str(file.relative_to(ws.root))]).hexdigest()
            sources.write_text(sources.read_text(encoding="utf-8").replace(old, hashlib.sha256(mutant).hexdigest()),
                               encoding="utf-8")
        year = _year_of(ws, file)
        argv = command(template, ws, year)
        before = ws.files()
        run = runner(argv, ws.env)
        after = ws.files()
        # a draft writes the draft table and the catalog entries it proposes beside it
        drafted = ("data/indicators/conghua/2099.draft.csv", "data/indicators/conghua/2099.proposals.yml")
        may_write = drafted if argv[0] == "draft" else ()
        if argv[0] == "build":
            # a build that succeeds writes its report's folder and the zip of it beside the folder
            built = (f"outputs/conghua/{year}/", f"outputs/conghua/{year}.zip")
            # and a damaged manifest it set aside (docs/reliability.md: set aside with a note, built afresh)
            aside = ("outputs/.damaged/",) if "set aside as" in run.stderr else ()
            may_write = ("outputs/.cache/", "outputs/.build.lock") + (built + aside if run.status == 0 else ())
        inputs = {p.name for p in (ws.data.rglob("*"))} | {p.name for p in ws.notebooks.glob("*")} | {"manifest.json"}
        wrong = verdict(run, argv, inputs, before, after, may_write)
        assert not wrong, (f"\namrbook {shlex.join(argv)}\non {file.relative_to(ws.root)} mutated by {mutation!r}"
                           f"{' (sha256 re-recorded)' if resign else ''}:\n  - " + "\n  - ".join(wrong)
                           + f"\nexit {run.status}; stderr:\n{run.stderr[:3000]}")
    finally:
        ws.restore()


# --- the mutations hypothesis draws ---------------------------------------------------------

anywhere = st.integers(0, 10**6)
bytes_mutations = st.builds(Mutation, st.sampled_from(BYTE_OPS), st.tuples(anywhere),
                            st.sampled_from([None, (0xE4, 0xB8), (0xC0, 0x80), (0xED, 0xA0, 0x80)]))
line_mutations = st.builds(Mutation, st.sampled_from(LINE_OPS), st.tuples(anywhere))
paths_into = st.lists(st.integers(0, 10**4) | st.sampled_from(["id", "formula", "unit", "year", "encoding", "sha256",
                                                               "snapshot", "cells", "source", "metadata"]),
                      max_size=5).map(tuple)
tree_mutations = st.one_of(
    st.builds(Mutation, st.sampled_from(["drop", "dup"]), paths_into),
    st.builds(Mutation, st.just("retype"), paths_into, st.sampled_from(RETYPED)),
    st.builds(Mutation, st.just("nonfinite"), paths_into, st.sampled_from(NONFINITE)),
    st.builds(Mutation, st.just("huge"), paths_into, st.sampled_from(HUGE)),
    st.builds(Mutation, st.just("deep"), paths_into, st.sampled_from([8, 12, 200])),
)
CELL_VALUES = (*RETYPED, *NONFINITE, "long_text", "digits400", "-1", "1.5", "1E100", "NaN", "Infinity", "２３",
               "=1+1", " 439 ", "4\u200d39")
table_mutations = st.one_of(
    st.builds(Mutation, st.sampled_from(["drop_row", "dup_row", "many_rows"]), st.tuples(anywhere)),
    st.builds(Mutation, st.just("drop_column"), st.tuples(anywhere, anywhere)),
    st.builds(Mutation, st.just("cell"), st.tuples(anywhere, anywhere), st.sampled_from(CELL_VALUES)),
)
# Structure first (what the parsers see), bytes and lines next.
yaml_mutations = st.one_of(tree_mutations, tree_mutations, line_mutations, bytes_mutations)
json_mutations = yaml_mutations
csv_mutations = st.one_of(table_mutations, table_mutations, line_mutations, bytes_mutations)
text_mutations = st.one_of(line_mutations, bytes_mutations)


# --- the tests ----------------------------------------------------------------------------
#
# Every failure the harness found is an @example of the test that draws its kind of mutant, with
# what it was: each stays fixed, as an instance of its class (docs/reliability.md).

@budget("catalog")
@given(mutation=yaml_mutations, template=st.sampled_from(COMMANDS["catalog"]))
@example(mutation=Mutation("drop"), template="indicators --year {year}")               # empty: the whole file
@example(mutation=Mutation("retype", value=7.5), template="summary --year {year}")     # a number, not a mapping
def test_catalog_mutants(workspace, mutation, template):
    exercise(workspace, "catalog", mutation, template)


@budget("table")
@given(mutation=csv_mutations, template=st.sampled_from(COMMANDS["table"]), pick=st.integers(0, 10))
@example(mutation=Mutation("drop_line", (0,)), template="summary --year {year}", pick=0)  # found: no header line
#        gave 23 messages, `line 1: unknown column '2023'` twice; now one: line 1 is not a header line
def test_indicator_table_mutants(workspace, mutation, template, pick):
    exercise(workspace, "table", mutation, template, pick)


@budget("metrics")
@given(mutation=yaml_mutations, template=st.sampled_from(COMMANDS["metrics"]))
@example(mutation=Mutation("nonfinite", value="inf"), template="metrics --year {year}")  # the document is .inf
@example(mutation=Mutation("drop"), template="explain {metric} --year {year}")         # no metric at all
@example(mutation=Mutation("empty"), template="growth --metrics")  # found: KeyError 'reason' with no metric
@example(mutation=Mutation("nonfinite", ("metrics", 0, "formula"), "1e999"), template="metrics --year {year}")
#        found: a formula 1e999 gave the metric inf with status ok
@example(mutation=Mutation("huge", (0, 0, 0), "long_text"), template="metrics --year {year}")  # found at merge:
#        a metric id of 100,000 characters was quoted whole in every message naming the metric
@example(mutation=Mutation("huge", (0, 0), "many"), template="explain {metric} --year {year}")  # found: the
#        message for a metric not declared listed all the known ones (62,378 characters for thousands of metrics)
def test_metrics_mutants(workspace, mutation, template):
    exercise(workspace, "metrics", mutation, template)


@budget("checks")
@given(mutation=yaml_mutations, template=st.sampled_from(COMMANDS["checks"]))
def test_checks_mutants(workspace, mutation, template):
    exercise(workspace, "checks", mutation, template)


@budget("sources")
@given(mutation=yaml_mutations, template=st.sampled_from(COMMANDS["sources"]))
@example(mutation=Mutation("drop", ("sources", 0)), template="indicators --year {year}")  # no source for the year
@example(mutation=Mutation("drop"), template="indicators --year {year}")  # found at merge: an empty file named no line
@example(mutation=Mutation("huge", ("sources", 0, "file"), "long_text"), template="indicators --year {year}")
#        found (ci run, seed 881193192): a `file:` of 100,000 characters gave the OS's `File name too long`,
#        naming no line of sources.yml; every file name from data is checked first (datafile.file_name_problem)
def test_sources_mutants(workspace, mutation, template):
    exercise(workspace, "sources", mutation, template)


@budget("raw")
@given(mutation=text_mutations, template=st.sampled_from(COMMANDS["raw"]), pick=st.integers(0, 10),
       resign=st.booleans())
def test_raw_report_mutants(workspace, mutation, template, pick, resign):
    exercise(workspace, "raw", mutation, template, pick, resign)


@pytest.mark.slow
@budget("manifest")
@given(mutation=json_mutations, template=st.sampled_from(COMMANDS["manifest"]))
@example(mutation=Mutation("nonfinite", value="nan"), template="diff --year {year} --format json")  # NaN: no snapshot
def test_manifest_mutants(built_workspace, mutation, template):
    exercise(built_workspace, "manifest", mutation, template)


@pytest.mark.slow
@budget("build")
@given(kind=st.sampled_from(["charts", "narrative", "notebook", "manifest"]), mutation=json_mutations)
# found: a previous manifest.json holding two JSON documents (JSONDecodeError), or not UTF-8
# (UnicodeDecodeError); every JSON file the build wrote is read by datafile.read_json, and set aside
@example(kind="manifest", mutation=Mutation("dup"))
@example(kind="manifest", mutation=Mutation("bad_utf8", (157,), (0xED, 0xA0, 0x80)))
# found: an empty charts.yml gave five `titles: missing …` naming no line; any empty data YAML is one problem
@example(kind="charts", mutation=Mutation("drop"))
# found: a notebook's metadata of 100,000 characters was quoted whole; no error message quotes a whole value
@example(kind="notebook", mutation=Mutation("huge", ("metadata",), "long_text"))
# found by a random draw (this session, twice): a notebook that is a JSON string was refused naming no place
# (`not a Jupyter notebook of version 4 (its top level has no "nbformat")`); now `top level: text, not an object`
@example(kind="notebook", mutation=Mutation("retype", (), "text"))
# found by a random draw: briefing.ipynb with its parameters cell dropped (the file lacks it: a whole-file
# problem); a notebook that has the cell setting year but untagged is told which code cell to tag
@example(kind="notebook", mutation=Mutation("drop", (1412, "snapshot")))
def test_build_on_mutants(built_workspace, kind, mutation):
    exercise(built_workspace, kind, mutation, COMMANDS["build"][0])


CHEAP = ("catalog", "table", "metrics", "checks", "sources", "raw")


@pytest.mark.slow
@budget("process")
@given(kind=st.sampled_from(CHEAP), data=st.data())
def test_a_sample_through_a_real_process(workspace, kind, data):
    """The same promises with a real ``python -m helpers.cli`` process: its own stdout, stderr and exit."""
    drawn = {"table": csv_mutations, "raw": text_mutations}.get(kind, yaml_mutations)
    exercise(workspace, kind, data.draw(drawn, label="mutation"), data.draw(st.sampled_from(COMMANDS[kind])),
             data.draw(st.integers(0, 10)), resign=data.draw(st.booleans()), runner=run_in_subprocess)
