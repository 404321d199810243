"""A submission's ``timestamp.txt`` (``submitted/<student>/<hw>/timestamp.txt``): the time it was handed in, which
nbgrader's autograde reads (``nbgrader.utils.parse_utc``) into the gradebook and the late policy takes from there.

``dgmlab collect`` writes it as ISO 8601 with its UTC offset (:data:`FORMAT`, ``2026-11-21T15:00:00+00:00``), which
nbgrader reads as written. A file placed by hand may hold a form nbgrader misreads: ``2026-11-21 10:00:00.000000
-0500`` (nbgrader takes ``-0500`` as -500 seconds, so 10:08:20 UTC, not 15:00 UTC) or ``2026-11-21 10:00:00 -05:00``
(the offset dropped: 10:00 UTC). :func:`misread` tells such a file from the rest by comparing nbgrader's reading with
the time the text writes; ``dgmlab autograde`` grades no submission whose file it misreads and ``dgmlab report``
lists each (:func:`problems`), both saying what to write instead. A time with no offset is UTC to nbgrader (and to
this check): write the offset.
"""
from __future__ import annotations

import datetime as _dt
import warnings
from pathlib import Path

import dateutil.parser

NAME = "timestamp.txt"
FORMAT = "2026-11-21T15:00:00+00:00"  # what collect writes (an example): ISO 8601, seconds, the UTC offset


def misread(text: str) -> str:
    """Why nbgrader would read ``text`` (a ``timestamp.txt``'s) as another time than it writes, or cannot read it,
    saying what to write instead; ``""`` when it reads it as written (or the text names no offset, UTC to both)."""
    from .. import nbgrader_app

    written = text.strip()
    try:
        theirs = nbgrader_app.nbgrader_utc(written)
    except (ValueError, OverflowError, TypeError) as exc:
        return (f"nbgrader cannot read {written[:80]!r} as a time ({type(exc).__name__}): write the time handed in "
                f"as ISO 8601 with its UTC offset, e.g. {FORMAT}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a zone name dateutil does not know (EST): nbgrader looks it up itself
        try:
            meant = dateutil.parser.parse(written)
        except (ValueError, OverflowError):
            return ""
    if meant.tzinfo is None or meant.utcoffset() is None:
        return ""
    utc = meant.astimezone(_dt.timezone.utc)
    if utc.replace(tzinfo=None) == theirs:
        return ""
    return (f"it reads {written[:80]!r}, which nbgrader takes as {theirs:%Y-%m-%d %H:%M:%S} UTC, not the "
            f"{utc:%Y-%m-%d %H:%M:%S} UTC it writes: write {utc.isoformat()} in its place (ISO 8601 with its UTC "
            "offset, as dgmlab collect writes it)")


def problem(folder: Path) -> str:
    """Why the ``timestamp.txt`` of the submission in ``folder`` is misread (:func:`misread`, naming the file), or
    ``""`` (none there, or read as written)."""
    path = folder / NAME
    if not path.is_file() or path.is_symlink():
        return ""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return f"{path} cannot be read as text ({type(exc).__name__}): write the time as {FORMAT}"
    why = misread(text)
    return f"{path}: {why}" if why else ""


def problems(course, hws) -> list:
    """``(hw, student, why)`` of each submission of ``hws`` whose ``timestamp.txt`` nbgrader misreads."""
    return [(hw, sid, why) for hw in hws for sid in course.submitted(hw)
            for why in [problem(course.folder("submitted", hw, sid))] if why]
