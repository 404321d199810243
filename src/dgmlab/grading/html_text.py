"""Text for the dashboard's HTML: numbers as an instructor reads them, everything else escaped."""
from __future__ import annotations

import html


def _fmt(x, nd=2) -> str:
    return "–" if x is None else f"{round(float(x), nd):g}"


def _e(text) -> str:
    return html.escape(str(text), quote=True)
