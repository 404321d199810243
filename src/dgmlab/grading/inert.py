"""Text from a submission made inert where the instructor reads it: a CSV cell, a terminal line, an HTML page.

What the student wrote is data, never structure. A submission can put any string into what the grader
reports: a failure message its code raised, a file name, a cell's source; and the grader's own structure
(grade ids, points, cell kinds) comes from the gradebook and the instructor's notebooks, never from the
submission (:mod:`.preprocessors.trusted_cells`). Every string that may come from a submission passes here
on its way out:

- :func:`csv_cell`: a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula
  to a spreadsheet (``=HYPERLINK(...)``, ``=cmd|...``): it gets a leading ``'``, as OWASP's CSV injection
  advice says, and a spreadsheet shows the text. A number (``-1.5``) stays a number. A control character or
  bidi override (an escape that retitles the terminal ``cat`` shows it on) is written as its code (``\\x1b``).
- :func:`terminal`: ANSI escape sequences and C0/C1 control characters removed (they move the cursor, clear the
  screen, retitle the window, or hide what follows); newlines and tabs kept only where asked.
- :func:`html`: escaped, quotes included (:func:`html.escape`).
"""
from __future__ import annotations

import csv
import html as _html
import re
from pathlib import Path

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
# CSI (ESC [ ... final byte), OSC (ESC ] ... BEL or ST), other ESC sequences, and their 8-bit forms (C1)
_ANSI = re.compile(r"(\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
                   r"|(\x1b\]|\x9d)[^\x07\x1b\x9c]*(\x07|\x1b\\|\x9c)?"
                   r"|(\x1b[PX^_]|[\x90\x98\x9e\x9f])[^\x1b\x9c]*(\x1b\\|\x9c)?"
                   r"|\x1b[ -/]*[0-~]?")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 but tab and newline, DEL, C1
_SGR = re.compile(r"\x1b\[[0-9;]*m")  # a colour or style (select graphic rendition): notebooks and nbconvert draw it
_CONTROL_BUT_COLOUR = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f-\x9f]")  # C0 but tab, newline, CR, ESC
_CONTROL_ALL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# characters that reorder or hide text on a terminal or in a spreadsheet (bidi overrides, isolates)
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
# what a CSV cell shows as its code (:func:`visible`): C0 but tab and newline, DEL, C1, bidi marks and overrides
_UNSEEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """``text`` with each control character and bidi mark or override written as its code (``\\x1b``,
    ``\\u202e``): what it held stays visible, and nothing in it acts on a terminal or reorders the text."""
    return _UNSEEN.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text)


def csv_cell(value):
    """``value`` safe as one CSV cell: control characters and bidi overrides written as their codes
    (:func:`visible`), then a string a spreadsheet would read as a formula gets a leading ``'``; a number, or a
    string that is just a number (``-1.5``), is returned as it is; ``None`` as ``""``."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = visible(str(value))
    if text.startswith(FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_row(values) -> list:
    """:func:`csv_cell` of each value of a row."""
    return [csv_cell(v) for v in values]


def write_csv(path, rows):
    """Write ``rows`` (the header first) as a CSV file at ``path`` (folders made), each cell through
    :func:`csv_cell`; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(csv_row(r) for r in rows)
    return path


def neutralise_csv_file(path) -> None:
    """Rewrite the comma-separated UTF-8 file ``path`` (nbgrader's grade export) with every cell through
    :func:`csv_cell`, its line endings kept."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    ending = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator=ending).writerows(csv_row(r) for r in csv.reader(lines))
    tmp.replace(path)


def terminal(text, newlines: bool = False) -> str:
    """``text`` safe to print on a terminal: escape sequences and control characters removed (a newline and a
    tab kept with ``newlines``, else each made a space)."""
    text = _BIDI.sub("", _ANSI.sub("", str(text)))
    if newlines:
        return _CONTROL.sub("", text.replace("\r\n", "\n"))
    return _CONTROL_ALL.sub("", text.replace("\t", " ").replace("\n", " "))


def colours_only(text) -> str:
    """``text`` (a kernel's output) with every terminal escape sequence removed but colour and style (``ESC [ ... m``,
    drawn as colour by notebooks and nbconvert), and every control character but tab, newline and carriage return:
    no screen clearing, window title, hyperlink or bell reaches whoever reads the notebook, its page or a terminal."""
    kept = _ANSI.sub(lambda m: m.group(0) if _SGR.fullmatch(m.group(0)) else "", str(text))
    return _CONTROL_BUT_COLOUR.sub("", kept)


def html(text) -> str:
    """``text`` escaped for an HTML page (text or a quoted attribute)."""
    return _html.escape(str(text), quote=True)
