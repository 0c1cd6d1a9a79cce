"""Benchmark: comparing every report of a year with the other bureaus', as N bureaus report that year.

A temporary data folder holds 从化's 2023 report and N − 1 copies of it under other bureaus, each with its
figures perturbed (the last digit of every whole count written as digits and a counter word, in the raw text
and the table alike, so that each copy still validates against its own text). Measured for N = 2, 4, 8, 16,
each from empty caches, as ``amrbook build --all`` does it in a kernel that runs one report after another:

  table    each report's comparison read from the year's table (``compare_with_peers``: each report loaded
           once, each compared with at most ``PEERS`` bureaus)
  naive    each report loading every other report of the year and compared with each of them
           (``compare_reports`` of the report and all its peers)

and printed: the seconds of each and their ratio (naive / table).

    .venv/bin/python benchmarks/compare.py [--bureaus 2 4 8 16]
"""
from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd

from helpers import paths
from helpers.audit import compare, report
from helpers.audit.compare import compare_reports, compare_with_peers, peers
from helpers.audit.report import load_report

COUNT = re.compile(r"^(\d+)([宗件家户个项次人])$")


def add_copy(data: Path, slug: str, number: int) -> None:
    """Add bureau ``slug``: 从化's 2023 report and table with the last digit of each whole count moved by
    ``number``."""
    text = (data / "raw" / "conghua" / "2023_conghua_amr.txt").read_text(encoding="utf-8")
    table = pd.read_csv(data / "indicators" / "conghua" / "2023.csv", dtype=str, keep_default_na=False)
    chars = list(text)
    for i, row in table.iterrows():
        found = COUNT.match(row["as_written"])
        if not found or row["qualifier"] != "exact" or text[int(row["start"]):int(row["end"])] != row["as_written"]:
            continue
        digits = found.group(1)[:-1] + str((int(found.group(1)[-1]) + number) % 10)
        chars[int(row["start"]):int(row["start"]) + len(digits)] = digits
        table.loc[i, ["value", "as_written"]] = [str(int(digits)), digits + found.group(2)]
    raw = data / "raw" / slug / "2023_conghua_amr.txt"
    raw.parent.mkdir()
    raw.write_text("".join(chars), encoding="utf-8")
    (data / "indicators" / slug).mkdir()
    table.to_csv(data / "indicators" / slug / "2023.csv", index=False)
    sources = data / "raw" / "sources.yml"
    listed = sources.read_text(encoding="utf-8")
    entry = listed[listed.index("  - file: 2023_conghua_amr.txt"):]
    entry = entry[:entry.index("\n  - ", 1) + 1] if "\n  - " in entry[1:] else entry
    entry = re.sub(r"sha256: \w+", f"sha256: {hashlib.sha256(raw.read_bytes()).hexdigest()}",
                   entry.replace("bureau: conghua", f"bureau: {slug}"))
    named = f"bureaus:\n  {slug}:\n    name: 测试用第{number}区市场监督管理局\n    level: 区\n"
    listed = listed.replace("bureaus:\n", named, 1)
    sources.write_text(listed.rstrip("\n") + "\n" + entry, encoding="utf-8")


def by_table(slugs: list[str]) -> int:
    return sum(len(compare_with_peers(load_report(slug, 2023)).pairs) for slug in slugs)


def naive(slugs: list[str]) -> int:
    total = 0
    for slug in slugs:
        r = load_report(slug, 2023)
        total += len(compare_reports([r, *(load_report(other, 2023) for other in peers(r))]).pairs)
    return total


def timed(fn, slugs: list[str]) -> tuple[float, int, int]:
    """Seconds, pairs compared and reports loaded (``load_report``'s cache keeps the last 8), from empty caches."""
    report._load.cache_clear()
    compare._year_table.cache_clear()
    t0 = time.perf_counter()
    pairs = fn(slugs)
    return time.perf_counter() - t0, pairs, report._load.cache_info().misses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bureaus", type=int, nargs="+", default=[2, 4, 8, 16])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="amrbook-bench-compare-") as tmp:
        data = Path(tmp) / "data"
        shutil.copytree(paths.data_dir(), data)
        os.environ["AMRBOOK_DATA"] = str(data)
        slugs = ["conghua"]
        compare_reports([load_report("conghua", 2023)])   # imports and the definitions' caches, outside the timings
        print(f"cores: {os.cpu_count()}; each report is compared with at most {compare.PEERS} bureaus")
        print(f"{'bureaus':>7} {'table s':>8} {'pairs':>6} {'loads':>5} {'naive s':>8} {'pairs':>6} {'loads':>5} "
              f"{'naive/table':>11}")
        for n in sorted(args.bureaus):
            for number in range(len(slugs) + 1, n + 1):
                add_copy(data, f"copy{number}", number)
                slugs.append(f"copy{number}")
            table, table_pairs, table_loads = timed(by_table, slugs)
            slow, slow_pairs, slow_loads = timed(naive, slugs)
            print(f"{n:>7} {table:>8.2f} {table_pairs:>6} {table_loads:>5} {slow:>8.2f} {slow_pairs:>6} "
                  f"{slow_loads:>5} {slow / table:>10.2f}x")


if __name__ == "__main__":
    main()
