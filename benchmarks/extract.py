"""Benchmark: figure extraction throughput, per report and over a folder; precision and recall.

* throughput over a corpus of at least 10 MB (the 2023 report repeated), one core, against a
  naive single regex (``\\d+(?:\\.\\d+)?`` with no units, rules or values: it is fast and wrong);
* milliseconds per report;
* ``--jobs N`` over a folder of report files (processes), against one process;
* precision and recall on the hand-labelled sentences of tests/data/extract_cases.yml;
* adversarial texts of at least 1 MB each (long digit and numeral runs, ``1,111,…``, ``1.1.1…``,
  only 第, only 万, a report line without clause breaks, …): MB/s, the time against the naive
  regex, and the time for 4 MB against 1 MB (about 4 when linear, 16 when quadratic).

    .venv/bin/python benchmarks/extract.py [--mb 10] [--jobs 2] [--files 200] [--adversarial-mb 1]
"""
from __future__ import annotations

import argparse
import re
import tempfile
import time
import tracemalloc
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from pathlib import Path

import yaml

from helpers import paths
from helpers.report.sources import raw_text
from helpers.report.extract import _CLAUSE_BREAK, extract
from helpers.report.encoding import read_report

NAIVE = re.compile(r"\d+(?:\.\d+)?")
FLOOR = 5.0  # MB/s every adversarial text must keep


@cache
def report_line() -> str:
    """The line of the 2023 report with the most figures, without its clause breaks."""
    return _CLAUSE_BREAK.sub("", max(raw_text("conghua", 2023).splitlines(), key=lambda line: len(extract(line))))


#: name -> (head, unit, tail): the text is head + unit repeated to the size asked + tail;
#: unit None is the report line of :func:`report_line`
ADVERSARIAL = {
    "one digit run": ("", "1", ""),
    "one 〇 run": ("", "〇", ""),
    "one 十 run": ("", "十", ""),
    "grouped 1,111,…": ("1", ",111", ""),
    "1.1.1…": ("", "1.", ""),
    "alternating 1a1a…": ("", "1a", ""),
    "only 第": ("", "第", ""),
    "only 万": ("", "万", ""),
    "report line, no clause breaks": ("", None, ""),
    "only “": ("", "“", ""),
    "only 《": ("", "《", ""),
    "only 余": ("", "余", ""),
    "only 宗": ("", "宗", ""),
    "一亿 repeated": ("", "一亿", ""),
    "万人次 repeated": ("", "万人次", ""),
    "digits + 宗 (one 'figure')": ("", "1", "宗"),
    # nothing but figures (a rank every 3 characters): bounded by the cost of each figure found,
    # so measured in figures per second and not held to the floor
    "居 + 第一位 repeated (dense)": ("居", "第一位", ""),
}


def adversarial(name: str, mb: float) -> str:
    head, unit, tail = ADVERSARIAL[name]
    unit = unit or report_line()
    return head + unit * (int(mb * 1e6 / len(unit.encode("utf-8"))) + 1) + tail


def adversarial_table(mb: float) -> float:
    """Print MB/s, time against the naive regex and the 4x scaling of each adversarial text;
    return the lowest MB/s of those held to the floor."""
    print(f"\nadversarial texts ({mb:g} MB each; floor {FLOOR:g} MB/s):")
    print(f"  {'text':32} {'MB/s':>7} {'x naive':>8} {'t(4x)/t(1x)':>12}  figures")
    lowest = float("inf")
    for name in ADVERSARIAL:
        text, big = adversarial(name, mb), adversarial(name, 4 * mb)
        size = len(text.encode("utf-8")) / 1e6
        seconds = best(lambda: extract(text), 3)
        naive = best(lambda: NAIVE.findall(text), 3)
        scaling = best(lambda: extract(big), 2) / seconds
        found = len(extract(text))
        if name.endswith("(dense)"):
            note = f"  ({found / seconds / 1e6:.2f} M figures/s)"
        else:
            lowest = min(lowest, size / seconds)
            note = "" if size / seconds >= FLOOR else "  BELOW THE FLOOR"
        print(f"  {name:32} {size / seconds:7.1f} {seconds / naive:7.1f}x {scaling:12.2f}  {found}{note}")
    return lowest


def best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def count_file(path: Path) -> int:
    text, _ = read_report(path)
    return len(extract(text))


def scores() -> tuple[float, float, int]:
    cases = yaml.safe_load((paths.PROJECT_ROOT / "tests" / "data" / "extract_cases.yml").read_text("utf-8"))
    tp = fp = fn = 0
    for case in cases["cases"]:
        want = {(w, float(v), u) for w, v, u, _ in case["figures"]}
        got = {(f.text, f.value, f.unit) for f in extract(case["text"])}
        tp, fp, fn = tp + len(want & got), fp + len(got - want), fn + len(want - got)
    return tp / max(1, tp + fp), tp / max(1, tp + fn), tp + fn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=10)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--adversarial-mb", type=float, default=1)
    args = parser.parse_args()
    report = raw_text("conghua", 2023) + "\n"
    size = len(report.encode("utf-8"))
    copies = int(args.mb * 1e6 / size) + 1
    corpus = report * copies
    mb = len(corpus.encode("utf-8")) / 1e6

    extract(report)  # warm up
    full = best(lambda: extract(corpus), 2)
    naive = best(lambda: NAIVE.findall(corpus), 3)
    found = len(extract(corpus))
    tracemalloc.start()
    extract(report * 60)
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    per_report = best(lambda: [extract(report) for _ in range(100)], 3) / 100

    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i in range(args.files):
            path = Path(tmp) / f"report_{i:04d}.txt"
            path.write_text(report, encoding="utf-8")
            files.append(path)
        one = best(lambda: [count_file(p) for p in files], 1)
        with ProcessPoolExecutor(args.jobs) as pool:
            list(pool.map(count_file, files[:4]))  # start the workers
            many = best(lambda: list(pool.map(count_file, files, chunksize=16)), 1)

    precision, recall, labelled = scores()
    print(f"corpus: {mb:.1f} MB ({copies} copies of the {size / 1e3:.1f} kB report), {found} figures")
    print(f"extract:      {mb / full:6.1f} MB/s  ({full:.2f} s)")
    print(f"naive regex:  {mb / naive:6.1f} MB/s  ({naive:.2f} s) -> extract takes {full / naive:.1f}x the naive time")
    print(f"per report:   {per_report * 1e3:.2f} ms ({len(extract(report))} figures)")
    print(f"peak memory extracting 1 MB: {peak:.1f} MB (Python allocations, tracemalloc)")
    print(f"folder of {args.files} reports: 1 process {one:.2f} s, {args.jobs} processes {many:.2f} s "
          f"({one / many:.2f}x)")
    print(f"hand-labelled sentences: {labelled} figures, precision {precision:.3f}, recall {recall:.3f}")
    lowest = adversarial_table(args.adversarial_mb)
    print(f"lowest adversarial throughput: {lowest:.1f} MB/s ({'at least' if lowest >= FLOOR else 'BELOW'} "
          f"the {FLOOR:g} MB/s floor)")


if __name__ == "__main__":
    main()
