"""Text for the dashboard's HTML: numbers as an instructor reads them, everything else escaped
(:func:`dgmlab.grading.inert.html`: a student's text, a file name, a reason is never markup)."""
from __future__ import annotations

from .inert import html as _html


def _fmt(x, nd=2) -> str:
    return "–" if x is None else f"{round(float(x), nd):g}"


def _e(text) -> str:
    return _html(text)
