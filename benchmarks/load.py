"""Benchmark: loading and validating a year's indicator table.

Prints the time of ``load_indicators`` (schema + provenance checks against the raw report) and
of a bare ``pandas.read_csv`` of the same file, and their ratio: the price of validation; then the
cell checks alone (types, allowed values, uniqueness: ``_coerce`` and ``_cell_problems``) on the
whole table and on its first 5 rows (the size the property tests validate 1000 times).

Before/after replacing the pandera schema (2026-11-30, same 2-core machine, CPU time, median of
50; the "before" on a loaded machine): cell checks 18 ms -> 2.4 ms on 96 rows, 16 ms -> 1.7 ms on
5 rows (the checks after ``_coerce``: ~10 ms of pandera and its failure cases -> 0.13 ms);
``load_indicators`` on 96 rows 30 ms -> 11 ms.
"""
from __future__ import annotations

import argparse
import statistics
import time

import pandas as pd

from helpers import paths
from helpers.report.sources import bureau, raw_text
from helpers.tables.load import _cell_problems, _coerce, _read_csv, load_indicators


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bureau", help="a bureau of data/raw/sources.yml (default: its default_bureau)")
    parser.add_argument("--year", type=int, default=2023)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    slug = bureau(args.bureau).slug
    raw_text(slug, args.year)  # the decoded report is cached after the first read; measure steady state
    rows = len(load_indicators(slug, args.year))
    validated = _best(lambda: load_indicators(slug, args.year), args.repeat)
    naive = _best(lambda: pd.read_csv(paths.indicators_file(slug, args.year)), args.repeat)
    print(f"rows: {rows}")
    print(f"load_indicators (cells + provenance): {validated * 1e3:.1f} ms  ({validated / rows * 1e6:.0f} µs/row)")
    print(f"bare pandas.read_csv:                  {naive * 1e3:.1f} ms")
    print(f"validation costs {validated / naive:.1f}x a bare read")
    path = paths.indicators_file(slug, args.year)
    table, _ = _read_csv(path)
    for count in (len(table), 5):
        cells = table.iloc[:count]
        checks = _best(lambda: _checked(cells, path), args.repeat)  # noqa: B023 - called in this iteration
        print(f"cell checks, {count} rows:                {checks * 1e3:.2f} ms")


def _checked(cells: pd.DataFrame, path) -> None:
    frame = cells.copy()
    _cell_problems(frame, cells, path, _coerce(frame, path))


if __name__ == "__main__":
    main()
