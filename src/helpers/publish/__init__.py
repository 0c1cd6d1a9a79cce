"""Stage 5, publishing: executing notebooks, rendering pages, the PDF, the Excel export and the build.

Every module of this stage that imports ``nbformat`` first calls :func:`import_jsonschema`, which imports
``jsonschema`` (``nbformat`` imports it) without ``rfc3987_syntax``: when that package is installed
(``jupyter-events`` brings it), ``jsonschema`` imports it to check the ``iri`` formats, and the import
compiles an Earley grammar, about 1 s of CPU in every build before any kernel may start. No notebook schema
uses those formats, and ``nbformat`` validates without a format checker. Importing the stage itself imports
neither: an up-to-date build (:mod:`helpers.publish.build`, :mod:`~helpers.publish.manifest`) needs no
``jsonschema``, whose import alone takes a quarter of a second.
"""

from __future__ import annotations

import sys


def import_jsonschema() -> None:
    """Import ``jsonschema`` without the ``iri`` grammar (above); call it before importing ``nbformat``."""
    if "jsonschema" in sys.modules:
        return
    had = "rfc3987_syntax" in sys.modules
    if not had:
        # None in sys.modules makes importing it raise ImportError, which jsonschema expects
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  # typeshed says a module
    try:
        import jsonschema  # noqa: F401
    finally:
        if not had:
            del sys.modules["rfc3987_syntax"]  # a later import of it works as usual
