"""Arithmetic and comparison expressions over indicator and metric ids, as written in YAML.

``metrics.yml`` and ``checks.yml`` declare meaning as expressions such as
``council_complaints_completed / council_complaints_received * 100`` or
``food_producers + food_workshops + food_sellers + catering_units == food_entities_total``.
They are parsed with :mod:`ast` and only numbers, names, ``+ - * /``, parentheses,
comparisons and ``and``/``or`` are allowed: a YAML file can never run code.

Every bound is checked before the work it bounds: a formula has at most :data:`MAX_FORMULA_CHARS`
characters and nests at most :data:`MAX_DEPTH` levels (so neither parsing nor evaluating can
exhaust the stack), every constant is a finite float, and a result that is not finite (an
overflow: ``a * 1e308 * 1e308``) is a :class:`FormulaError`, never ``inf``.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise

from ..report.units import Unit

_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_COMPARE = {ast.Eq: "==", ast.LtE: "<=", ast.Lt: "<", ast.GtE: ">=", ast.Gt: ">"}
_ALLOWED = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.USub,
    ast.UAdd,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.Compare,
    ast.BoolOp,
    ast.And,
    ast.Or,
    *_BINARY,
    *_COMPARE,
)
MAX_FORMULA_CHARS = 1000  # parsing is recursive in CPython: a bound on the text bounds its depth
#: How a constant is written: decimal digits, a point, an exponent. Python would also read 0x64, 0o144, 0b1100100
#: and 1_0_0 as 100, which a reader of metrics.yml would not.
DECIMAL = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
MAX_DEPTH = 50  # levels of the parsed tree (a + b * (c - d) has 4); evaluation recurses this deep


class FormulaError(ValueError):
    """An expression that cannot be parsed or evaluated; the message says why."""


@dataclass(frozen=True)
class Formula:
    """A parsed expression.

    Parameters
    ----------
    text : str
        The expression as written in YAML.
    tolerance : float
        Comparisons ``a == b`` hold when ``|a - b| <= tolerance``; ``a <= b`` when
        ``a <= b + tolerance`` (so stated figures rounded to two decimals can match).

    Raises
    ------
    FormulaError
        If ``text`` is not a valid expression of the allowed kind.
    """

    text: str
    tolerance: float = 0.0

    def __post_init__(self) -> None:
        self.tree  # noqa: B018 - parse now so a bad formula fails when it is read

    @cached_property
    def tree(self) -> ast.Expression:
        """The parsed expression."""
        text = str(self.text)
        if len(text) > MAX_FORMULA_CHARS:
            raise FormulaError(
                f"{self.shown}: longer than {MAX_FORMULA_CHARS} characters ({len(text)}); "
                "split it into metrics"
            )
        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError as exc:
            raise FormulaError(f"cannot parse {self.shown}: {exc.msg}") from None
        except (RecursionError, MemoryError):
            raise FormulaError(f"cannot parse {self.shown}: nested too deeply") from None
        stack: list[tuple[ast.AST, int]] = [(tree, 0)]
        while stack:  # iterative: the depth is what is being checked
            node, depth = stack.pop()
            if depth > MAX_DEPTH:
                raise FormulaError(
                    f"{self.shown}: nested more than {MAX_DEPTH} levels deep; split it into metrics"
                )
            if isinstance(node, ast.Constant) and type(node.value) not in (int, float):
                raise FormulaError(f"{self.shown}: {self._part(node)} is not a number")
            if isinstance(node, ast.Constant) and not DECIMAL.fullmatch(
                ast.get_source_segment(text, node) or ""
            ):
                raise FormulaError(
                    f"{self.shown}: the constant {self._part(node)} is not written as a decimal number "
                    "(digits, a point, an exponent: 100, 0.5, 1e4)"
                )
            if not isinstance(node, _ALLOWED):
                raise FormulaError(
                    f"{self.shown}: {type(node).__name__} is not allowed "
                    "(only numbers, ids, + - * /, comparisons, and/or)"
                )
            if isinstance(node, ast.Constant) and not _finite(node.value):
                written = ast.get_source_segment(text, node) or str(node.value)
                raise FormulaError(
                    f"{self.shown}: the constant {_cut(written)}"
                    " is not a finite number a float can hold"
                )
            stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
        return tree

    def as_number(self) -> Formula:
        """This formula, when it computes a number (a metric's): no comparison, no and/or.

        Raises
        ------
        FormulaError
            Naming the comparison or and/or (``a > b`` would be the number 1 or 0).
        """
        found = _comparison_in(self.tree)
        if found is not None:
            raise FormulaError(
                f"{self.shown}: {self._part(found)} is a comparison or and/or, not a number: "
                "a metric computes a number (a rule that must hold belongs in checks.yml)"
            )
        return self

    def as_assertion(self) -> Formula:
        """This formula, when it asserts something (a check's): a comparison, or comparisons joined
        by and/or, of which each side is a number, naming at least one id.

        Raises
        ------
        FormulaError
            Naming the part that is a number where a comparison must be (``a + b`` would "hold"
            whenever it is not 0), a comparison used as a number, or an assertion of no id.
        """
        stack: list[ast.AST] = [self.tree.body]
        while stack:
            node = stack.pop()
            if isinstance(node, ast.BoolOp):
                stack.extend(node.values)
                continue
            if not isinstance(node, ast.Compare):
                raise FormulaError(
                    f"{self.shown}: {self._part(node)} is a number, not a comparison: a check "
                    "asserts a comparison (==, <=, <, >=, >), or comparisons joined by and/or"
                )
            for side in (node.left, *node.comparators):
                found = _comparison_in(side)
                if found is not None:
                    raise FormulaError(
                        f"{self.shown}: {self._part(found)} is a comparison used as a number "
                        "(true is 1, false 0); compare numbers only"
                    )
        if not self.names:
            raise FormulaError(
                f"{self.shown}: names no indicator or metric, so it cannot fail; "
                "a check compares figures of the report"
            )
        return self

    def unit_clash(self, units: dict[str, str]) -> str | None:
        """Say where the formula adds or compares figures of two units, or None.

        Only what can be known from the ids alone is judged: a sum or difference of ids (``a + b``,
        ``a``), as one side of a comparison or as an operand of ``+``/``-``. A side with a constant,
        ``*`` or ``/`` (a rate, ``value``) has no unit here. ``units`` gives each id's unit (ids it
        lacks have none). Figures of two units may be added or compared when they measure the same thing
        (:attr:`helpers.report.units.Unit.measure`).
        """

        def same(a: str, b: str) -> bool:
            return Unit(a).measure == Unit(b).measure

        def unit_of(node: ast.AST) -> tuple[str, str] | None:  # (unit, an id of it), when known
            if isinstance(node, ast.Name):
                return (units[node.id], node.id) if node.id in units else None
            if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
                left, right = unit_of(node.left), unit_of(node.right)
                if left and right and not same(left[0], right[0]):
                    raise FormulaError(f"adds {_both(left, right)}")
                return left if left and right else None
            return None

        try:
            for node in ast.walk(self.tree):
                if isinstance(node, ast.Compare):
                    sides = [unit_of(side) for side in (node.left, *node.comparators)]
                    for left, right in pairwise(sides):
                        if left and right and not same(left[0], right[0]):
                            return f"compares {_both(left, right)}"
                elif isinstance(node, ast.BinOp):
                    unit_of(node)
        except FormulaError as exc:
            return str(exc)
        return None

    def _part(self, node: ast.AST) -> str:
        """The text of a part of the formula, quoted for a message; ``it`` for the whole."""
        part = ast.get_source_segment(str(self.text), node) or ""
        return "it" if part == str(self.text).strip() else _cut(part)

    @property
    def shown(self) -> str:
        """The formula quoted for a message, cut to its first 60 characters when longer."""
        return _cut(str(self.text))

    @cached_property
    def names(self) -> tuple[str, ...]:
        """The ids the expression refers to, in order of first appearance."""
        seen = dict.fromkeys(n.id for n in ast.walk(self.tree) if isinstance(n, ast.Name))
        return tuple(seen)

    def evaluate(self, values: dict[str, float]) -> float | bool:
        """Evaluate the expression.

        Parameters
        ----------
        values : dict
            A value for every name in :attr:`names`.

        Returns
        -------
        float or bool
            A number for arithmetic, a bool for a comparison.

        Raises
        ------
        FormulaError
            On a missing name or a division by zero, naming the divisor.
        """
        return self._eval(self.tree.body, values)

    def substitute(self, values: dict[str, float]) -> str:
        """Return the expression with each id replaced by its value (``509 / 2247 * 100``).

        Numbers are written plainly (no separators, up to 4 decimals, ``nan`` for a missing
        value); how a reader sees them is the presentation layer's business.
        """
        formula = self

        class Put(ast.NodeTransformer):
            def visit_Name(self, node: ast.Name) -> ast.AST:
                return ast.Name(id=formula.plain(values.get(node.id, math.nan)), ctx=ast.Load())

        return ast.unparse(Put().visit(ast.parse(self.text, mode="eval")))

    @staticmethod
    def plain(value: float) -> str:
        """Write a number plainly: ``2247``, ``71.59``, ``0.3333``, ``nan``.

        Examples
        --------
        >>> Formula.plain(2247.0), Formula.plain(1 / 3), Formula.plain(float("nan"))
        ('2247', '0.3333', 'nan')
        """
        if value is None or math.isnan(value):
            return "nan"
        if float(value).is_integer():
            return str(int(value))
        return f"{value:.4f}".rstrip("0").rstrip(".")

    def sides(self, values: dict[str, float]) -> list[list[float]]:
        """Return the operands of each comparison in the expression (for reporting a failure).

        ``a <= b`` gives ``[[a, b]]``; ``x == p or x == q`` gives ``[[x, p], [x, q]]``.
        """
        compares = [n for n in ast.walk(self.tree) if isinstance(n, ast.Compare)]
        return [[self._eval(n, values) for n in [c.left, *c.comparators]] for c in compares]

    def _eval(self, node: ast.AST, values: dict[str, float]):
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in values:
                raise FormulaError(f"{self.shown}: unknown id {node.id!r}")
            if isinstance(values[node.id], float) and math.isinf(values[node.id]):
                raise FormulaError(
                    f"{self.shown}: {node.id} is {values[node.id]}, not a finite number"
                )
            return values[node.id]
        if isinstance(node, ast.UnaryOp):
            value = self._eval(node.operand, values)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp):
            left, right = self._eval(node.left, values), self._eval(node.right, values)
            if isinstance(node.op, ast.Div) and right == 0:
                raise FormulaError(
                    f"{self.shown}: division by zero ({ast.unparse(node.right)} is 0)"
                )
            result = _BINARY[type(node.op)](left, right)
            if not _finite(result):
                raise FormulaError(
                    f"{self.shown}: {ast.unparse(node)} overflows (its value is not a finite number)"
                )
            return result
        if isinstance(node, ast.BoolOp):
            results = [self._eval(v, values) for v in node.values]
            return all(results) if isinstance(node.op, ast.And) else any(results)
        assert isinstance(node, ast.Compare)  # the last node type _ALLOWED admits
        operands = [self._eval(n, values) for n in [node.left, *node.comparators]]
        return all(
            self._compare(_COMPARE[type(op)], a, b)
            for op, a, b in zip(node.ops, operands, operands[1:])
        )

    def _compare(self, op: str, a: float, b: float) -> bool:
        tol = self.tolerance + 1e-9 * max(abs(a), abs(b), 1)
        if op == "==":
            return abs(a - b) <= tol
        if op in ("<=", "<"):
            return a <= b + tol if op == "<=" else a < b + tol
        return a >= b - tol if op == ">=" else a > b - tol


def _both(left: tuple[str, str], right: tuple[str, str]) -> str:
    return (
        f"{left[1]} (in {left[0]}) with {right[1]} (in {right[0]}): figures of two units; "
        "a check compares, and a sum adds, money with money, percentages with percentages, counts "
        "with counts"
    )


def _comparison_in(tree: ast.AST) -> ast.AST | None:
    """The first comparison or and/or in ``tree``, or None."""
    return next((n for n in ast.walk(tree) if isinstance(n, (ast.Compare, ast.BoolOp))), None)


def _cut(text: str, limit: int = 60) -> str:
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}… ({len(text)} characters)"


def _finite(value) -> bool:
    """Whether ``value`` is a number a float holds finitely (a 400-digit integer is not)."""
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False
