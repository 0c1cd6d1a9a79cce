"""Arithmetic and comparison expressions over indicator and metric ids, as written in YAML.

``metrics.yml`` and ``checks.yml`` declare meaning as expressions such as
``council_complaints_completed / council_complaints_received * 100`` or
``food_producers + food_workshops + food_sellers + catering_units == food_entities_total``.
They are parsed with :mod:`ast` and only numbers, names, ``+ - * /``, parentheses,
comparisons and ``and``/``or`` are allowed: a YAML file can never run code.
"""
from __future__ import annotations

import ast
import math
import operator
from dataclasses import dataclass
from functools import cached_property

_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
_COMPARE = {ast.Eq: "==", ast.LtE: "<=", ast.Lt: "<", ast.GtE: ">=", ast.Gt: ">"}
_ALLOWED = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.USub, ast.UAdd, ast.Name, ast.Load, ast.Constant,
            ast.Compare, ast.BoolOp, ast.And, ast.Or, *_BINARY, *_COMPARE)


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
        try:
            tree = ast.parse(str(self.text), mode="eval")
        except SyntaxError as exc:
            raise FormulaError(f"cannot parse {self.text!r}: {exc.msg}") from None
        for node in ast.walk(tree):
            if not isinstance(node, _ALLOWED) or (isinstance(node, ast.Constant)
                                                  and not isinstance(node.value, (int, float))):
                raise FormulaError(f"{self.text!r}: {type(node).__name__} is not allowed "
                                   "(only numbers, ids, + - * /, comparisons, and/or)")
        return tree

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
                raise FormulaError(f"{self.text!r}: unknown id {node.id!r}")
            return values[node.id]
        if isinstance(node, ast.UnaryOp):
            value = self._eval(node.operand, values)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp):
            left, right = self._eval(node.left, values), self._eval(node.right, values)
            if isinstance(node.op, ast.Div) and right == 0:
                raise FormulaError(f"{self.text!r}: division by zero ({ast.unparse(node.right)} is 0)")
            return _BINARY[type(node.op)](left, right)
        if isinstance(node, ast.BoolOp):
            results = [self._eval(v, values) for v in node.values]
            return all(results) if isinstance(node.op, ast.And) else any(results)
        operands = [self._eval(n, values) for n in [node.left, *node.comparators]]
        return all(self._compare(_COMPARE[type(op)], a, b)
                   for op, a, b in zip(node.ops, operands, operands[1:]))

    def _compare(self, op: str, a: float, b: float) -> bool:
        tol = self.tolerance + 1e-9 * max(abs(a), abs(b), 1)
        if op == "==":
            return abs(a - b) <= tol
        if op in ("<=", "<"):
            return a <= b + tol if op == "<=" else a < b + tol
        return a >= b - tol if op == ">=" else a > b - tol
