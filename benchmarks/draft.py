"""Benchmark: ``amrbook draft`` against the number of figures in a report.

Drafts ``检查企业5家，`` repeated n times (one sentence of n figures: the case that made drafting
quadratic) and prints, for each n, the seconds and peak memory (MB, the child process's maximum
resident set) of the current ``helpers.tables.draft.draft`` and of the previous way, the module
as it was at commit fe931ab (each figure searched the text from its start and compared its whole
sentence), with the ratio of the two and of each n to the first. The previous way is run only
up to ``--naive-max`` figures (at 10000 it ran past 300 s and 793 MB).

    .venv/bin/python benchmarks/draft.py [--sizes 1000 2000 10000] [--naive-max 2000]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PREVIOUS = "fe931ab"  # the last commit before drafting was made linear
ROOT = Path(__file__).resolve().parents[1]


def _draft_function(way: str):
    if way == "current":
        from helpers.tables.draft import draft
        return draft
    import types

    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{PREVIOUS}:src/helpers/tables/draft.py"],
                            capture_output=True, text=True, check=True).stdout
    module = types.ModuleType("helpers.tables.draft_previous")
    module.__package__ = "helpers.tables"
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, f"draft.py@{PREVIOUS}", "exec"), module.__dict__)  # noqa: S102 - our own history
    return module.draft


def _one(way: str, n: int) -> None:
    """In a child process: draft n figures the given way; print seconds and peak MB as JSON."""
    draft = _draft_function(way)
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.txt"
        report.write_text("检查企业5家，" * n, encoding="utf-8")
        t0 = time.perf_counter()
        rows = len(draft(2099, report))
        seconds = time.perf_counter() - t0
    assert rows == n, (rows, n)
    # VmHWM is this process's own peak; ru_maxrss would carry the parent's across exec
    with open("/proc/self/status", encoding="ascii") as status:
        peak_kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    print(json.dumps({"seconds": seconds, "mb": peak_kib / 1024}))


def _measure(way: str, n: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--one", way, str(n)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 10000])
    parser.add_argument("--naive-max", type=int, default=2000)
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        _one(args.one[0], int(args.one[1]))
        return
    first = None
    print(f"{'figures':>8} {'KB':>6} {'now s':>8} {'now MB':>7} {'x first':>8} {'before s':>9} {'before MB':>10} "
          f"{'before/now':>10}")
    for n in args.sizes:
        now = _measure("current", n)
        first = first or (n, now["seconds"])
        growth = now["seconds"] / first[1]
        line = (f"{n:>8} {len('检查企业5家，'.encode()) * n / 1024:>6.0f} {now['seconds']:>8.2f} {now['mb']:>7.0f} "
                f"{growth:>7.1f}x")
        if n <= args.naive_max:
            before = _measure("previous", n)
            line += f" {before['seconds']:>9.2f} {before['mb']:>10.0f} {before['seconds'] / now['seconds']:>9.1f}x"
        else:
            line += f" {'(skipped: past 300 s at 10000)':>31}"
        print(line, flush=True)
    print(f"n grows {args.sizes[-1] / args.sizes[0]:.0f}x; linear time grows as much, quadratic by its square")


if __name__ == "__main__":
    main()
