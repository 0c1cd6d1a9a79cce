"""Issue 20, the input classes: every walk over user data is iterative and memoised, every
number finite or refused, every read bounded, every printed character survives the output
encoding. One test per case of docs/reliability.md (the class headings there name these)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import rewrite
from helpers.audit import metrics as metrics_module
from helpers.audit.formula import MAX_DEPTH, Formula, FormulaError
from helpers.audit.metrics import MetricDef, compute_metrics

PY = sys.executable


def run(*args, env=None, **kw):
    return subprocess.run([PY, "-m", "helpers.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, check=False, **kw)


def _metric(ident: str, formula: str) -> str:
    return (f"  - id: {ident}\n    label_zh: 测试\n    label_en: test\n    formula: {formula}\n"
            "    unit: 宗\n    kind: total\n")


def _add_metrics(data: Path, entries: str) -> None:
    rewrite(data / "metrics.yml", "\n# Growth rates", "\n" + entries + "# Growth rates")


# --- every graph walk memoised, every recursion iterative ------------------------------------------

class _Counted(Formula):
    """A formula that counts how often its names are asked for (each walk step asks once)."""

    asked = 0

    @property
    def names(self):  # type: ignore[override]
        _Counted.asked += 1
        return super().names


def test_metrics_sharing_inputs_are_walked_once_each_not_exponentially():
    # fib_i = fib_{i-1} + fib_{i-2}: the old recursive leaf walk asked 2**40 times; a memoised
    # walk asks each of the 40 formulas once in the walk and once for its leaves (80 in all).
    defs = [MetricDef("fib_0", "", "", _Counted("x"), "宗", "total"),
            MetricDef("fib_1", "", "", _Counted("x"), "宗", "total")]
    defs += [MetricDef(f"fib_{i}", "", "", _Counted(f"fib_{i - 1} + fib_{i - 2}"), "宗", "total")
             for i in range(2, 40)]
    _Counted.asked = 0
    order, cycles = metrics_module._walk(defs)
    leaves = metrics_module._leaf_inputs(order)
    assert cycles == [] and [d.id for d in order] == [f"fib_{i}" for i in range(40)]
    assert leaves["fib_39"] == ["x"]
    assert _Counted.asked == 2 * 40


def test_forty_fibonacci_metrics_and_a_chain_of_two_thousand_compute(data_copy):
    # admin_penalty_cases is 439 in 2023.csv. fib_0 = fib_1 = 439, so fib_39 = 439 * F(40)
    # = 439 * 102334155 = 44924694045. chain_i = chain_{i-1} + 1 from chain_0 = 439:
    # chain_1999 = 439 + 1999 = 2438 (2000 levels: the old recursive walk hit the stack limit).
    entries = _metric("fib_0", "admin_penalty_cases") + _metric("fib_1", "admin_penalty_cases")
    entries += "".join(_metric(f"fib_{i}", f"fib_{i - 1} + fib_{i - 2}") for i in range(2, 40))
    entries += _metric("chain_0", "admin_penalty_cases")
    entries += "".join(_metric(f"chain_{i}", f"chain_{i - 1} + 1") for i in range(1, 2000))
    _add_metrics(data_copy, entries)
    table = compute_metrics(2023).set_index("id")
    assert table.at["fib_39", "value"] == 439 * 102334155
    assert table.at["chain_1999", "value"] == 2438 and table.at["chain_1999", "status"] == "ok"
    assert [r["id"] for r in table.at["fib_39", "inputs"]] == ["admin_penalty_cases"]


def test_a_long_circular_chain_is_named_without_recursion(data_copy):
    # loop_0 -> loop_1 -> ... -> loop_2999 -> loop_0: one cycle, named from where it closes
    entries = "".join(_metric(f"loop_{i}", f"loop_{(i + 1) % 3000}") for i in range(3000))
    _add_metrics(data_copy, entries)
    result = run("metrics", "--year", "2023", env={"AMRBOOK_DATA": str(data_copy)})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "circular definition: loop_0 -> loop_1 -> loop_2 ->" in result.stderr
    assert result.stderr.count("circular definition") == 1


@pytest.mark.parametrize("text, cause", [
    ("(" * 10000 + "a" + ")" * 10000, "longer than 1000 characters (20001)"),
    ("+".join(["a"] * 100000), "longer than 1000 characters (199999)"),
    ("-" * (MAX_DEPTH + 1) + "a", f"nested more than {MAX_DEPTH} levels deep"),
])
def test_a_formula_nested_too_deep_is_refused_before_it_recurses(text, cause):
    with pytest.raises(FormulaError) as caught:
        Formula(text)
    assert cause in str(caught.value) and len(str(caught.value)) < 200


# --- every number finite, or refused --------------------------------------------------------------

@pytest.mark.parametrize("text, cause", [
    ("1" * 400 + " * a", "is not a finite number a float can hold"),   # was OverflowError
    ("a * 1e999", "the constant '1e999' is not a finite number"),
])
def test_a_constant_a_float_cannot_hold_is_refused(text, cause):
    with pytest.raises(FormulaError) as caught:
        Formula(text)
    assert cause in str(caught.value)


def test_an_overflowing_metric_is_undefined_never_ok(data_copy):
    # 439 * 1e308 = 4.39e310 > the largest float (1.8e308): inf, which used to be "ok"
    _add_metrics(data_copy, _metric("too_big", "admin_penalty_cases * 1e308 * 1e308"))
    row = compute_metrics(2023).set_index("id").loc["too_big"]
    assert row["status"].startswith("undefined: ") and "overflows" in row["status"]
    assert row["value"] != row["value"]  # NaN: no value, never inf


def test_an_infinite_value_never_holds_a_comparison():
    with pytest.raises(FormulaError, match="b is inf, not a finite number"):
        Formula("a == b").evaluate({"a": 439.0, "b": float("inf")})
