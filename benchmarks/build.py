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

    .venv/bin/python benchmarks/build.py [--jobs 2]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from helpers import paths
from helpers.publish.pdf import find_browser, print_pdf

BIN = Path(sys.executable).parent
OFFLINE = ("--host-resolver-rules=MAP * ~NOTFOUND",)  # the CDN scripts fail at once instead of hanging


def timed(command: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def naive(notebooks: Path, out: Path, env: dict) -> tuple[float, float]:
    """Return the seconds of the nbconvert loop and of the print."""
    t0 = time.perf_counter()
    for nb in sorted(notebooks.glob("*.ipynb")):
        subprocess.run([str(BIN / "jupyter"), "nbconvert", "--execute", "--to", "html", "--output-dir", str(out),
                        str(nb)], env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t1 = time.perf_counter()
    print_pdf(out / "briefing.html", out / "briefing.pdf", find_browser(), flags=OFFLINE)
    return t1 - t0, time.perf_counter() - t1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="amrbook-bench-") as tmp:
        tmp = Path(tmp)
        shutil.copytree(paths.notebooks_dir(), tmp / "notebooks")
        env = {**os.environ, "AMRBOOK_OUTPUTS": str(tmp / "outputs"), "AMRBOOK_NOTEBOOKS": str(tmp / "notebooks")}
        (tmp / "naive").mkdir()
        render_s, print_s = naive(tmp / "notebooks", tmp / "naive", env)
        build = [str(BIN / "amrbook"), "build", "--year", "2023", "--jobs", str(args.jobs)]
        cold = timed(build, env)
        manifest = json.loads((tmp / "outputs" / "2023" / "manifest.json").read_text(encoding="utf-8"))
        cold_pdf = manifest["timings_s"].get("pdf", 0.0)
        unchanged = timed(build, env)
        path = tmp / "notebooks" / "06_capacity.ipynb"
        nb = nbformat.read(path, as_version=4)
        nb.cells[0].source += "\n\n（修订）"
        nbformat.write(nb, path)
        one = timed(build, env)
    naive_s = render_s + print_s
    count = len(list(paths.notebooks_dir().glob("*.ipynb")))
    print(f"notebooks: {count}, jobs: {args.jobs}, cores: {os.cpu_count()}; offline: the naive print resolves no "
          "host (its CDN scripts fail at once)")
    print(f"naive execute+render (nbconvert --execute per notebook): {render_s:6.2f} s")
    print(f"naive print of the briefing:                            {print_s:6.2f} s")
    print(f"naive total:                                            {naive_s:6.2f} s")
    print(f"cold build:                                             {cold:6.2f} s  ({cold / naive_s:.2f}x naive)")
    print(f"cold build without its PDF step ({cold_pdf:.2f} s):            {cold - cold_pdf:6.2f} s  "
          f"({(cold - cold_pdf) / render_s:.2f}x naive execute+render)")
    print(f"unchanged rebuild:                                      {unchanged:6.2f} s  ({unchanged / naive_s:.3f}x naive)")
    print(f"one notebook changed:                                   {one:6.2f} s  ({one / naive_s:.2f}x naive)")


if __name__ == "__main__":
    main()
