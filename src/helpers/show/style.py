"""The workbook's CSS for its own HTML, kept in one file (``style.css``) for notebooks and pages."""

from __future__ import annotations

from pathlib import Path

STYLE_FILE = Path(__file__).with_name("style.css")


def style_css() -> str:
    """Return the CSS for the workbook's HTML (narration, footnotes, findings, figure cards).

    The same file styles JupyterLab (through :func:`helpers.show.notebook.setup`) and every
    rendered page (the ``amrbook`` template of :mod:`helpers.publish.render`), so the two cannot
    drift apart.
    """
    return STYLE_FILE.read_text(encoding="utf-8")
