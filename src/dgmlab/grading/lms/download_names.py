"""How Canvas and Moodle name the entries of their "download submissions" zip (the shapes are described in
:mod:`.intake`): each entry's LMS fields read as one LMS's (:func:`parse_entry`), which LMS made a whole zip
(:func:`detect_lms`), and which entry names are refused outright (:func:`unsafe_name`). Only the LMS's own fields
name the student; the rest of a name is the student's to choose."""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..layout import CourseError

FORMATS = ("canvas", "moodle")

# Canvas: what follows the sortable name (with and without the attachment id), written once; parse_entry takes the
# name up to the first _ (CANVAS_NAME), canvas_readings every split
CANVAS_TAILS = (re.compile(r"(?P<late>_LATE)?_(?P<user>\d+)_(?P<sub>\d+)_(?P<original>[^/]+)$"),
                re.compile(r"(?P<late>_LATE)?_(?P<user>\d+)_(?P<original>[^/]+)$"))
CANVAS_NAME = r"[^_/]+?"
CANVAS, CANVAS_NO_SUBMISSION_ID = (re.compile(rf"^(?P<name>{CANVAS_NAME}){t.pattern}") for t in CANVAS_TAILS)
# what Canvas writes after "<name>[_LATE]_<user id>_" for a text entry and a website URL (no attachment id); an
# upload so named after another _<digits> is held back as well, and collect places no HTML in any case
CANVAS_TEXT_ENTRIES = ("text.html", "link.html")
# Moodle: the first _<id>_assignsubmission_<plugin>_ is the LMS's (the full name before it, the student's file or
# folder after it: a folder in the submission named like a classmate's prefix comes later)
MOODLE = re.compile(r"^(?P<name>[^/]+?)_(?P<user>\d+)_assignsubmission_(?:file|onlinetext)_(?P<rest>.+)$")
CANVAS_PREFIX = re.compile(r"^[^_/]+?(?:_LATE)?_\d+_\d+_")  # what only Canvas writes first
SHAPES = {"canvas": "<sortable name>[_LATE]_<user id>_<submission id>_<file>",
          "moodle": "<Full Name>_<id>_assignsubmission_file_/<file>"}
AGAIN = re.compile(r"^(?P<stem>.*?)(?:-(?P<n>\d+)| \((?P<p>\d+)\))?(?P<ext>\.[^.]*)?$")  # x-2.pt, x (2).pt


@dataclass
class Entry:
    path: str  # in the zip
    lms: str  # "canvas" or "moodle"
    name: str  # the LMS's name for the student
    user: str  # the LMS's number: Canvas's user id; Moodle's participant id (not the user id: see :mod:`.intake`)
    submission: int  # Canvas's submission id (0 for Moodle)
    original: str  # the file's name as the student uploaded it
    late_flag: bool = False  # Canvas put _LATE in the name

    @property
    def base(self) -> tuple:
        """The uploaded name without the LMS's ``-N`` / `` (N)``, and N (0 for the first upload)."""
        m = AGAIN.match(self.original)
        n = int(m.group("n") or m.group("p") or 0)
        return m.group("stem") + (m.group("ext") or ""), n


def parse_entry(path: str, lms: str) -> Entry | None:
    """The LMS's naming of one zip entry read as ``lms``'s (``"canvas"`` or ``"moodle"``), or None when it is not
    named so. Only the LMS's fields name the student: Canvas's first name field, user id and submission id (the
    student's file name follows them), Moodle's folder (or, flat, the first ``_<id>_assignsubmission_``)."""
    if lms == "canvas":
        if "/" in path:
            return None  # Canvas's zips are flat
        for pattern in (CANVAS, CANVAS_NO_SUBMISSION_ID):
            m = pattern.match(path)
            if m:
                return Entry(path, "canvas", m.group("name"), m.group("user"),
                             int(m.groupdict().get("sub") or 0), m.group("original"), bool(m.group("late")))
        return None
    if lms != "moodle":
        raise ValueError(f"lms is one of {', '.join(FORMATS)}, not {lms!r}")
    m = MOODLE.match(path)
    original = m.group("rest").rsplit("/", 1)[-1] if m else ""
    if not original:
        return None
    return Entry(path, "moodle", m.group("name"), m.group("user"), 0, original)


def canvas_readings(path: str) -> list:
    """Every way the Canvas entry name ``path`` splits into ``<name>[_LATE]_<user id>_<attachment id>_<file>`` or
    ``<name>[_LATE]_<user id>_<file>`` (:data:`CANVAS_TAILS`, the name any non-empty text) with ids as Canvas writes
    them (no leading 0). Canvas does not keep a sortable name from ending in ``_<digits>`` and the file name
    is the student's: so ``x_1003_1004_<attachment id>_<file>``, written for user 1004 named ``x_1003``, reads as
    user 1003 as well (:func:`parse_entry` takes the first). :func:`canvas_entry` says which is placed."""
    if "/" in path:
        return []
    out = []
    for i in range(1, len(path)):
        name = path[:i]
        if path[i] != "_":
            continue
        for tail in CANVAS_TAILS:
            m = tail.match(path, i)
            # a name ending in _LATE is read, as late, at the _ before it
            if m and (m.group("late") or not name.endswith("_LATE") or len(name) == 5) \
                    and all(_canvas_id(m.groupdict().get(k) or "1") for k in ("user", "sub")):
                out.append(Entry(path, "canvas", name, m.group("user"), int(m.groupdict().get("sub") or 0),
                                 m.group("original"), bool(m.group("late"))))
    return out


def _canvas_id(digits: str) -> bool:
    return not digits.startswith("0")  # Canvas writes an id as a number


def _prefix(r: Entry) -> str:
    return r.name + ("_LATE" if r.late_flag else "")  # what Canvas writes once per user id in a download


def _candidates(path: str, student_of) -> list:
    """The readings of ``path`` that may be Canvas's: one as Canvas writes an entry (with an attachment id, or a
    text or URL entry: :data:`CANVAS_TEXT_ENTRIES`), known student or not (one missing from the id map, a late add,
    would otherwise place their file as the classmate their name reads as), :func:`parse_entry`'s, and any other
    whose user id is a student's (``student_of(user id)``: a student id or ``None``; every entry's attachment id
    reads as a user id without one)."""
    first = parse_entry(path, "canvas")
    return [r for r in canvas_readings(path)
            if r.submission or r.original in CANVAS_TEXT_ENTRIES or r == first or student_of(r.user)]


def canvas_pins(paths, student_of) -> dict:
    """``{user id: "<name>[_LATE]"}`` that the Canvas download of entry names ``paths`` shows: Canvas writes one
    sortable name (and late flag) per user id in a download, so an entry whose every :func:`_candidates` reading
    is one user's under one name pins that user's name, and a reading that gives a pinned user another name is
    not Canvas's (which can pin more, to the end). Only entries :func:`parse_entry` reads pin: Canvas's own reading
    of one whose name is empty (``_<user id>_...``) or anonymous (``anon_<id>_...``) may be none of them. Empty when
    the names contradict that (no entry is then told apart by them)."""
    cands = [c for c in (_candidates(p, student_of) for p in paths if parse_entry(p, "canvas")) if c]
    pins: dict = {}
    grown = True
    while grown:
        grown = False
        for c in cands:
            live = {(r.user, _prefix(r)) for r in c if pins.get(r.user, _prefix(r)) == _prefix(r)}
            if not live:
                return {}
            if len(live) == 1 and next(iter(live))[0] not in pins:
                pins.update(live)
                grown = True
    return pins


def canvas_entry(path: str, student_of, pins: dict) -> tuple:
    """``(reading, "")``: the one reading of the Canvas entry name ``path`` that can be Canvas's, or ``(None,
    why)`` when whose it is cannot be told, or ``(None, "")`` when no reading is Canvas's. A reading is struck when
    ``pins`` (:func:`canvas_pins`) gives its user another name; the entry is held back when the readings left have
    two user ids, or when a struck one named a student (``student_of``): an entry made to read as a classmate's."""
    cands = _candidates(path, student_of)
    live = [r for r in cands if pins.get(r.user, _prefix(r)) == _prefix(r)]
    users = {r.user for r in live}
    named = sorted({r.user for r in cands if r not in live and student_of(r.user)} - users, key=int)
    if len(users) == 1 and not named:
        first = parse_entry(path, "canvas")  # else one as Canvas writes an entry
        return min(live, key=lambda r: not (r == first or r.submission or r.original in CANVAS_TEXT_ENTRIES)), ""
    if not cands:
        return None, ""
    order = [cands[0].user, *sorted({r.user for r in cands} - {cands[0].user}, key=int)]
    ids = " and ".join(f"user id {u} ({student_of(u) or 'no student'})" for u in order)
    why = (f"it gives user id {' and '.join(named)} another name than their other entries have: a Canvas name "
           "ending in _<digits> makes it read as a classmate's" if named else
           "a Canvas name ending in _<digits> can make one student's entry read as a classmate's, so whose it is "
           "cannot be told")
    return None, (f"Canvas's name for it reads as {ids}: {why}; not placed. Check in Canvas (SpeedGrader) which of "
                  f"them handed in this file, then copy it by hand into submitted/<that student>/<hw>/")


def detect_lms(names) -> str:
    """Which LMS's download the entry ``names`` are, from the whole zip's structure, else a :class:`CourseError`
    asking for ``--lms``. A student chooses only the tail of their own entries' names: they can make one fit the
    other format as well, never make it lose their LMS's prefix. So the zip is the format that every LMS-named entry
    fits, and that some entry fits in a way the other format cannot account for: Canvas's when a name does not
    read as Moodle's; Moodle's when a name does not start as Canvas's (``<name>_<user id>_<submission id>_``)."""
    names = list(names)
    fits = {lms: {n for n in names if parse_entry(n, lms) is not None} for lms in FORMATS}
    named = fits["canvas"] | fits["moodle"]
    if not named:
        raise CourseError(f"no entry is named as Canvas ({SHAPES['canvas']}) or Moodle ({SHAPES['moodle']}) name "
                          "submissions: is this an LMS's download-submissions zip?")
    only = {"canvas": any(n not in fits["moodle"] for n in named),
            "moodle": any(not CANVAS_PREFIX.match(n) for n in named)}
    possible = [lms for lms in FORMATS if fits[lms] == named and only[lms]]
    if len(possible) != 1:
        raise CourseError(f"cannot tell whether this zip is a Canvas or a Moodle download ({len(fits['canvas'])} of "
                          f"its {len(names)} files are named as Canvas names them, {len(fits['moodle'])} as Moodle "
                          "does): say which with --lms canvas or --lms moodle")
    return possible[0]


def unsafe_name(path: str) -> str:
    """Why the zip entry name ``path`` is refused (an absolute path, a ``..`` part: no LMS writes these), or
    ``""``. Nothing is ever written under a name from the zip, but such an entry is listed, not read."""
    if path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", path):
        return "an absolute path"
    if ".." in re.split(r"[/\\]", path):
        return "a '..' part in the name"
    return ""
