"""Templates with ``{id}`` placeholders, as written in data files and notebooks.

``narrative.yml`` takeaways, check notes in ``checks.yml`` and ``hb.say`` in notebooks write prose
such as ``"受理投诉{council_complaints_received}，完成率{council_completion_rate:.1f}"``. This
module holds their grammar, so the audit can validate notes and the presentation layer can fill
them, with one definition of what a placeholder may be.
"""

from __future__ import annotations

import re

from ..errors import AmrbookError
from ..tables.load import ID_PATTERN

#: The number formats a placeholder may ask for: decimals (``.0f`` … ``.6f``), optionally after a
#: thousands separator (``,.2f``), or the separator alone (``,``). Anything else (widths such
#: as ``>300000000``, which would allocate gigabytes, fills, ``%``) is refused.
SPEC = re.compile(r",?(\.[0-6]f)?")
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


class TemplateError(AmrbookError):
    """A template with a placeholder that cannot be filled; the message says which and why."""


def check_spec(field: str, spec: str) -> None:
    """Refuse a number format outside :data:`SPEC`.

    Raises
    ------
    TemplateError
    """
    if not SPEC.fullmatch(spec):
        raise TemplateError(
            f"{{{field}:{spec}}}: format {spec!r} is not allowed "
            "(use .Nf with N from 0 to 6, optionally after a ',')"
        )


def parse_template(
    template: str, what: str = "an indicator or metric id"
) -> list[tuple[str, str | None, str]]:
    """Split a template into ``(literal, id, spec)`` parts, as :meth:`string.Formatter.parse` does.

    ``{{`` and ``}}`` stand for braces; each ``{id}`` or ``{id:spec}`` must name a snake_case
    id (``what`` it must be, for the message) and use a format of :data:`SPEC`: an attribute
    (``{errors.x}``), an index (``{x[0]}``) or a conversion (``{x!r}``) is refused.

    Raises
    ------
    TemplateError
        Naming the character position of a lone brace, an empty or malformed placeholder or a
        refused format.

    Examples
    --------
    >>> parse_template("共{a}宗，占{b:.1f}。{{x}}")
    [('共', 'a', ''), ('宗，占', 'b', '.1f'), ('。{x}', None, '')]
    """
    parts, literal, pos = [], [], 0
    for token in _TOKEN.finditer(template):
        literal.append(template[pos : token.start()])
        pos = token.end()
        text = token.group()
        if text in ("{{", "}}"):
            literal.append(text[0])
            continue
        where = f"character {token.start() + 1}"
        if token.group(1) is None:
            raise TemplateError(
                f"lone {text!r} at {where} (write {text * 2} for the character itself)"
            )
        field, _, spec = token.group(1).partition(":")
        if not re.fullmatch(ID_PATTERN, field.strip()):
            raise TemplateError(f"{text} at {where}: a placeholder must be {what}")
        check_spec(field.strip(), spec)
        parts.append(("".join(literal), field.strip(), spec))
        literal = []
    literal.append(template[pos:])
    return [*parts, ("".join(literal), None, "")]


def figures_in(template) -> list[str]:
    """Return the ids a template refers to (to check templates without rendering them).

    A conditional template (a list of parts, each plain text or a mapping ``when:`` with one variant
    per result) refers to the ids of every variant, each once.

    Examples
    --------
    >>> figures_in(["{a}比", {"when": "check:r", "holds": "{b}", "fails": "{a}{c}"}])
    ['a', 'b', 'c']

    Raises
    ------
    TemplateError
        If the template is malformed (:func:`parse_template`).
    """
    if isinstance(template, list):
        return list(dict.fromkeys(i for part in template for i in figures_in(part)))
    if isinstance(template, dict):
        return list(
            dict.fromkeys(
                i for key, text in template.items() if key != "when" for i in figures_in(text)
            )
        )
    return [field for _, field, _ in parse_template(template) if field]
