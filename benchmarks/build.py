"""Benchmark: `amrbook build` against the naive way of producing the same pages.

Naive: for each notebook, `jupyter nbconvert --execute --to html` in sequence (one process and
one fresh kernel each), then print the briefing with the same headless browser. Measured in
one run, each in a fresh temporary outputs folder and a copy of the notebooks:

  naive      the nbconvert loop (execute and render), then the print
  cold       first build (empty cache)
  unchanged  second build with nothing changed (whole process, as `make briefing` runs it)
  one        build after editing one notebook's text

Runs offline. Stock nbconvert pages load require.js and MathJax from a CDN; where the network
hangs instead of failing, Chromium waits for them until the print times out. The naive print is
therefore made with every host lookup failing at once (`--host-resolver-rules=MAP * ~NOTFOUND`):
the page renders in full, without those scripts, as on a machine whose lookups fail fast. That
is the naive print at its quickest (online it also downloads the scripts), so the comparison
favours the naive way. The execute-and-render parts are also compared on their own: the
nbconvert loop against the cold build without its PDF step (`timings_s.pdf` of its manifest).

The machine may be shared: beside each wall time the CPU time (user + system) of the command and
everything it started (kernels, browser) is printed, which load changes much less.

The floor is what no build can avoid: one kernel started with the imports every notebook needs
(`helpers.publish.kernels.IMPORTS`), and the print of the briefing.

`--profile` adds where the seconds of the cold build and of the one-notebook rebuild go: in the
main process each step of `prepare` (load, numbered tables, xlsx, change log, font subset), the
rendering of each page, the wait for kernels and the PDF (the build's own `timings_s`); in each
kernel its start, its imports, and each notebook with its `hb.setup()` cell and every cell (the
cell timing nbclient records in the executed notebooks).

    .venv/bin/python benchmarks/build.py [--jobs 2] [--profile]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from cputime import adopt_orphans, children_cpu

from helpers import paths
from helpers.publish.pdf import find_browser, print_pdf

BIN = Path(sys.executable).parent
OFFLINE = ("--host-resolver-rules=MAP * ~NOTFOUND",)  # the CDN scripts fail at once instead of hanging


class Clock:
    """Wall and CPU seconds (user + system of this process and of every process it started, the browser's helpers
    included: :mod:`cputime`) since creation."""

    def __init__(self):
        self.wall, self.cpu = time.perf_counter(), self._cpu()

    @staticmethod
    def _cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime + children_cpu()

    def lap(self) -> tuple[float, float]:
        """(wall, cpu) since the last lap, and start the next."""
        wall, cpu = time.perf_counter(), self._cpu()
        lap = (wall - self.wall, cpu - self.cpu)
        self.wall, self.cpu = wall, cpu
        return lap


def timed(command: list[str], env: dict) -> tuple[float, float]:
    clock = Clock()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return clock.lap()


def built(notebooks: Path) -> list[Path]:
    """The notebooks of ``notebooks`` a build executes (not review.ipynb, a tool run by hand)."""
    saved = os.environ.get("AMRBOOK_NOTEBOOKS")
    os.environ["AMRBOOK_NOTEBOOKS"] = str(notebooks)
    try:
        return paths.built_notebooks()
    finally:
        if saved is None:
            del os.environ["AMRBOOK_NOTEBOOKS"]
        else:
            os.environ["AMRBOOK_NOTEBOOKS"] = saved


def naive(notebooks: Path, out: Path, env: dict) -> tuple[tuple[float, float], tuple[float, float]]:
    """Return (wall, cpu) of the nbconvert loop and of the print."""
    clock = Clock()
    for nb in built(notebooks):
        subprocess.run([str(BIN / "jupyter"), "nbconvert", "--execute", "--to", "html", "--output-dir", str(out),
                        str(nb)], env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    render = clock.lap()
    print_pdf(out / "briefing.html", out / "briefing.pdf", find_browser(), flags=OFFLINE)
    return render, clock.lap()


def floor(notebooks: Path, briefing: Path, out: Path, env: dict) -> tuple[tuple[float, float], tuple[float, float]]:
    """(wall, cpu) of one kernel started with the imports every notebook needs, and of one print of the briefing."""
    from jupyter_client.manager import KernelManager

    from helpers.publish.kernels import IMPORTS

    clock = Clock()
    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(notebooks), env=env, stderr=subprocess.DEVNULL)
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=300)
    reply = kc.execute_interactive(IMPORTS, timeout=300, output_hook=lambda _msg: None)
    assert reply["content"]["status"] == "ok", reply["content"]
    kc.stop_channels()
    km.shutdown_kernel(now=True)
    kernel = clock.lap()
    print_pdf(briefing, out / "floor.pdf")
    return kernel, clock.lap()


def profile(label: str, outputs: Path, wall: float) -> None:
    """Print where a build's seconds went: its own timings_s, and each cell of each notebook it executed."""
    manifest = json.loads((outputs / "conghua" / "2023" / "manifest.json").read_text(encoding="utf-8"))
    timings = manifest["timings_s"]
    print(f"\n{label}: {wall:.2f} s wall; executed {len(manifest['executed'])}, cached {len(manifest['cached'])}")
    print("  main process")
    # the PDF prints in a thread beside the notebooks: only the wait for it after them counts here
    # briefing.docx is written within execute_and_render, as soon as the briefing has run
    accounted = sum(timings.get(k, 0.0) for k in ("inputs", "execute_and_render", "waiting_for_pdf", "index", "zip"))
    print(f"    {'start, imports, manifest and swap (the rest)':44s} {wall - accounted:7.2f} s")
    for key in ["inputs", *sorted(k for k in timings if k.startswith(("prepare", "render", "waiting"))), "pdf", "docx",
                "index", "zip"]:
        if key in timings:
            print(f"    {key:44s} {timings[key]:7.2f} s")
    renders = sum(v for k, v in timings.items() if k.startswith("render."))
    print(f"    {'render (all pages)':44s} {renders:7.2f} s")
    print("  kernels (the main process works meanwhile: these overlap)")
    for key in sorted(k for k in timings if k.startswith("kernel ")):
        number, name = key.split(" ", 2)[1:]
        line = f"    kernel {number} {name:37s} {timings[key]:7.2f} s"
        cached = sorted((outputs / ".cache").glob(f"conghua-2023-{name}-*.ipynb"))
        if cached:
            cells = [c for c in nbformat.read(cached[0], as_version=4).cells if c.cell_type == "code"]
            seconds = [_cell_seconds(c) for c in cells]
            setup = sum(s for c, s in zip(cells, seconds) if "hb.setup()" in c.source)
            line += f"   setup() cell {setup:5.2f}   cells: " + " ".join(f"{s:.2f}" for s in seconds)
        print(line)


def _cell_seconds(cell) -> float:
    """Seconds a code cell ran, from the timing metadata nbclient records."""
    from datetime import datetime

    times = cell.metadata.get("execution", {})
    if "iopub.execute_input" not in times or "shell.execute_reply" not in times:
        return 0.0
    start, end = (datetime.fromisoformat(times[k].replace("Z", "+00:00"))
                  for k in ("iopub.execute_input", "shell.execute_reply"))
    return (end - start).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--profile", action="store_true", help="where the seconds of the cold and one-notebook "
                                                                "builds go, step by step and cell by cell")
    args = parser.parse_args()
    adopt_orphans()  # the browser's helpers' CPU time is counted too
    with tempfile.TemporaryDirectory(prefix="amrbook-bench-") as tmp:
        tmp = Path(tmp)
        shutil.copytree(paths.notebooks_dir(), tmp / "notebooks")
        env = {**os.environ, "AMRBOOK_OUTPUTS": str(tmp / "outputs"), "AMRBOOK_NOTEBOOKS": str(tmp / "notebooks")}
        (tmp / "naive").mkdir()
        render, printing = naive(tmp / "notebooks", tmp / "naive", env)
        build = [str(BIN / "amrbook"), "build", "--year", "2023", "--jobs", str(args.jobs)]
        cold = timed(build, env)
        manifest = json.loads((tmp / "outputs" / "conghua" / "2023" / "manifest.json").read_text(encoding="utf-8"))
        cold_pdf = manifest["timings_s"].get("pdf", 0.0)
        if args.profile:
            profile("cold build", tmp / "outputs", cold[0])
        unchanged = timed(build, env)
        again = json.loads((tmp / "outputs" / "conghua" / "2023" / "manifest.json").read_text(encoding="utf-8"))
        if again != manifest:  # not recognised as up to date: say why, the figure is not an unchanged check
            print(f"unchanged rebuild REBUILT: executed {again['executed']}; cold build's pdf_note: "
                  f"{manifest['pdf_note']!r}", file=sys.stderr)
        path = tmp / "notebooks" / "06_capacity.ipynb"
        nb = nbformat.read(path, as_version=4)
        nb.cells[0].source += "\n\n（修订）"
        nbformat.write(nb, path)
        one = timed(build, env)
        if args.profile:
            profile("one notebook changed (06_capacity)", tmp / "outputs", one[0])
        kernel, print_s = floor(tmp / "notebooks", tmp / "outputs" / "conghua" / "2023" / "briefing.html", tmp, env)
    naive_s = (render[0] + printing[0], render[1] + printing[1])
    count = len(built(paths.notebooks_dir()))
    print(f"\nnotebooks: {count}, jobs: {args.jobs}, cores: {os.cpu_count()}, load average at the end: "
          f"{os.getloadavg()[0]:.1f}; offline: the naive print resolves no host (its CDN scripts fail at once)")
    print(f"{'':55s} {'wall':>8s} {'ratio':>7s} {'cpu':>8s} {'ratio':>7s}")

    def row(label: str, figures: tuple[float, float], base: tuple[float, float] | None = naive_s) -> None:
        ratios = f"{figures[0] / base[0]:6.3f}x {figures[1]:7.2f}s {figures[1] / base[1]:6.3f}x" if base else \
            f"{'':7s} {figures[1]:7.2f}s"
        print(f"{label:55s} {figures[0]:7.2f}s {ratios}")

    row("naive execute+render (nbconvert --execute per notebook)", render, None)
    row("naive print of the briefing", printing, None)
    row("naive total", naive_s, None)
    row("cold build", cold)
    print(f"cold build without its PDF step ({cold_pdf:.2f} s wall): {cold[0] - cold_pdf:7.2f}s "
          f"({(cold[0] - cold_pdf) / render[0]:.3f}x naive execute+render)")
    row("unchanged rebuild", unchanged)
    row("one notebook changed", one)
    row("floor: one kernel start with its imports", kernel)
    row("floor: one print of the briefing", print_s)
    row("floor total", (kernel[0] + print_s[0], kernel[1] + print_s[1]))


if __name__ == "__main__":
    main()
