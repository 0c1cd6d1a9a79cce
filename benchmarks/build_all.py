"""Benchmark: the seconds each further report adds to `amrbook build --all`, against one cold build.

A temporary data folder holds 从化's 2023 report and ``--reports - 1`` copies of it under other
bureaus (the same raw text and indicator table: full-size reports, each with every notebook to
run). Measured, each in a fresh outputs folder and an empty build cache:

  one        `amrbook build --bureau conghua --year 2023` (a cold build of one report)
  all        `amrbook build --all` (every report, one pool of kernels)

each ``--repeat`` times, alternately, keeping the least wall and the least CPU time of each (a shared machine's load
only ever adds time; one run of each moved the ratio by 0.15 here), and printed, in wall and in CPU seconds: the
seconds each further report adds, ``(all - one) / (reports - 1)``,
and that as a share of one cold build (the goal is at most 0.3). The naive way, one cold build per report, adds
a whole cold build (1.0) per report.

With the PDF, the briefings `build --all` made are then printed again, twice each way, alone (no build beside
them): with one browser per briefing (as each report's build did before issue 21) and with one browser for
all (``Printer``, as `build --all` does now), in wall and in CPU seconds.

`--steps` then builds every report once more, in this process (``build_reports`` into a fresh outputs folder), and
prints the CPU seconds of this process's own thread (``time.thread_time``: the build's own work, not its kernels' or
browser's) in each step of the reports after the first (which alone pays the imports), on average: the pages
rendered, briefing.docx, the xlsx, the numbered tables, the zip, the manifest, the planning (inputs hashed, notebooks
read, report loaded: ``plan``, which holds ``prepare.changes``).

    .venv/bin/python benchmarks/build_all.py [--reports 3] [--repeat 3] [--jobs 2] [--no-pdf] [--steps]
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cputime import adopt_orphans, children_cpu

from helpers import paths
from helpers.publish.pdf import Printer, Running

BIN = Path(sys.executable).parent


def add_copy(data: Path, slug: str, number: int) -> None:
    """Add bureau ``slug``: a copy of 从化's 2023 report under its own name, raw text and table."""
    (data / "raw" / slug).mkdir()
    shutil.copy(data / "raw" / "conghua" / "2023_conghua_amr.txt", data / "raw" / slug / "2023_conghua_amr.txt")
    (data / "indicators" / slug).mkdir()
    shutil.copy(data / "indicators" / "conghua" / "2023.csv", data / "indicators" / slug / "2023.csv")
    sources = data / "raw" / "sources.yml"
    text = sources.read_text(encoding="utf-8")
    entry = text[text.index("  - file: 2023_conghua_amr.txt"):]
    entry = entry[:entry.index("\n  - ", 1) + 1] if "\n  - " in entry[1:] else entry
    bureau = f"  {slug}:\n    name: 测试用第{number}区市场监督管理局\n    level: 区\n"
    text = text.replace("bureaus:\n", f"bureaus:\n{bureau}", 1)
    sources.write_text(text.rstrip("\n") + "\n" + entry.replace("bureau: conghua", f"bureau: {slug}"),
                       encoding="utf-8")


def timed(command: list[str], env: dict) -> tuple[float, float]:
    """(wall, cpu) seconds of a command: the CPU time (user + system) of it and every process it started (kernels,
    the browser and its helpers), which the load of a shared machine changes much less than the wall time."""
    t0, c0 = time.perf_counter(), children_cpu()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0, children_cpu() - c0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--no-pdf", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, choices=range(1, 21), metavar="1..20",
                        help="runs of each build; the least time of each is kept")
    parser.add_argument("--steps", action="store_true", help="CPU of the build's own process in each step, per "
                                                             "further report")
    args = parser.parse_args()
    adopt_orphans()  # the browser's helpers' CPU time is counted too
    with tempfile.TemporaryDirectory(prefix="amrbook-bench-all-") as tmp:
        tmp = Path(tmp)
        shutil.copytree(paths.data_dir(), tmp / "data")
        for number in range(2, args.reports + 1):
            add_copy(tmp / "data", f"copy{number}", number)
        shutil.copytree(paths.notebooks_dir(), tmp / "notebooks")
        env = {**os.environ, "AMRBOOK_DATA": str(tmp / "data"), "AMRBOOK_NOTEBOOKS": str(tmp / "notebooks")}
        flags = ["--jobs", str(args.jobs), *(["--no-pdf"] if args.no_pdf else [])]
        runs: dict[str, list[tuple[float, float]]] = {"one": [], "all": []}
        for _ in range(args.repeat):  # alternately, each into a fresh outputs folder (and so an empty build cache)
            shutil.rmtree(tmp / "one", ignore_errors=True)
            shutil.rmtree(tmp / "all", ignore_errors=True)
            runs["one"].append(timed([str(BIN / "amrbook"), "build", "--bureau", "conghua", "--year", "2023", *flags],
                                     {**env, "AMRBOOK_OUTPUTS": str(tmp / "one")}))
            runs["all"].append(timed([str(BIN / "amrbook"), "build", "--all", *flags],
                                     {**env, "AMRBOOK_OUTPUTS": str(tmp / "all")}))
        one, every = ((min(w for w, _ in runs[k]), min(c for _, c in runs[k])) for k in ("one", "all"))
        built = sorted(str(p.parent.relative_to(tmp / "all")) for p in (tmp / "all").glob("*/*/manifest.json"))
        prints = {} if args.no_pdf else print_both_ways(sorted((tmp / "all").glob("*/*/briefing.html")), tmp)
        steps = own_steps(tmp, env, args) if args.steps else {}
    print(f"reports: {args.reports} ({', '.join(built)}), runs of each: {args.repeat}, jobs: {args.jobs}, "
          f"cores: {os.cpu_count()}, "
          f"pdf: {not args.no_pdf}, load average at the end: {os.getloadavg()[0]:.1f}")
    for i, kind in enumerate(("wall", "cpu")):
        added = (every[i] - one[i]) / (args.reports - 1)
        print(f"{kind}: one cold build {one[i]:6.2f} s; build --all of {args.reports} reports {every[i]:6.2f} s; "
              f"added by each further report {added:6.2f} s ({added / one[i]:.2f}x one cold build; goal <= 0.3; "
              f"one cold build each: 1.00x)")
    if steps:
        print(f"the build's own thread, CPU seconds each further report adds (load average {os.getloadavg()[0]:.1f}):")
        for name, seconds in sorted(steps.items(), key=lambda item: -item[1]):
            print(f"  {name:28s} {seconds:6.3f}")
    for way, runs in prints.items():
        shown = ", ".join(f"{wall:.2f} s wall / {cpu:.2f} s CPU" for wall, cpu in runs)
        print(f"print of the {args.reports} briefings, {way}: {shown}")


def own_steps(tmp: Path, env: dict, args) -> dict[str, float]:
    """CPU seconds (this thread's) of each step of a build in this process, averaged over the reports after the
    first; a step is a ``timings`` step of the build (the pages as one, ``render``) or one of the build's functions
    that is not one (the planning, the zip, the manifest)."""
    from helpers.publish import build, index

    spent: dict[tuple[str, str], float] = {}
    current = [""]  # the report being planned or completed

    def counted(name: str, work):
        def run(*a, **k):
            started = time.thread_time()
            try:
                return work(*a, **k)
            finally:
                key = (current[0], name)
                spent[key] = spent.get(key, 0.0) + time.thread_time() - started
        return run

    def report(work, slug_of):
        def run(*a, **k):
            current[0] = slug_of(*a)
            return work(*a, **k)
        return run

    step, plan, complete = build._Steps.__call__, build._plan, build._complete
    manifest, share = build._write_manifest, index.share
    build._Steps.__call__ = lambda self, name, work, *a, **k: counted(name.split(".")[0] if name.startswith(
        "render.") else name, lambda: step(self, name, work, *a, **k))()
    build._plan = report(counted("plan", plan), lambda slug, *_: slug)
    build._complete = report(complete, lambda p, *_: p.result.target.parent.name)
    build._write_manifest, index.share = counted("manifest", manifest), counted("zip", share)
    chosen = [("conghua", 2023)] + [(f"copy{n}", 2023) for n in range(2, args.reports + 1)]
    os.environ.update(env, AMRBOOK_OUTPUTS=str(tmp / "steps"))
    try:
        build.build_reports(chosen, args.jobs, pdf=not args.no_pdf)
    finally:
        build._Steps.__call__, build._plan, build._complete = step, plan, complete
        build._write_manifest, index.share = manifest, share
    further = [slug for slug, _ in chosen[1:]]
    return {name: sum(spent.get((slug, name), 0.0) for slug in further) / len(further)
            for name in {name for _, name in spent}}


def print_both_ways(briefings: list[Path], tmp: Path) -> dict[str, list[tuple[float, float]]]:
    """(wall, cpu) of printing ``briefings`` with a browser each and with one browser for all, twice each way
    (the first print of each way warms the disk cache alike)."""
    runs: dict[str, list[tuple[float, float]]] = {"one browser per briefing": [], "one browser for all": []}
    for _ in range(2):
        for way, shared in (("one browser per briefing", False), ("one browser for all", True)):
            t0, c0 = time.perf_counter(), children_cpu()
            with Printer() as printer:
                for number, briefing in enumerate(briefings):
                    printer.print(briefing, tmp / f"print-{number}.pdf", running=Running("简报", "生成于"))
                    if not shared:
                        printer.close()   # the next print starts its own browser
            runs[way].append((time.perf_counter() - t0, children_cpu() - c0))
    return runs


if __name__ == "__main__":
    main()
