"""The course's map from each student to their id on each platform: ``lms_ids.csv`` in the course folder.

One row per student (the nbgrader id, column ``student``) and one column per id an LMS owns:

- ``sis``: the student's SIS id (Canvas's ``sis_user_id``, Moodle's ``idnumber``, LTI's ``lis_person_sourcedid``),
  when it is not the nbgrader id itself;
- ``lti``: the LTI 1.3 user id (``sub``, NRPS's ``user_id``);
- ``canvas``: Canvas's user id; ``moodle``: Moodle's user id (the ``id=`` of the profile's address);
- ``moodle_participant:<hw>``: the participant id Moodle gives the student in ``<hw>``'s assignment (the number in
  its download's folder names; one per assignment);
- ``<plug-in>``: the user id on a course's own LMS plug-in (docs/plugins.md), the column named as its entry point
  (``brightspace``), for each installed one: its push and collect read it as the kit's platforms read theirs.

It is filled by ``dgmlab lti roster``, ``dgmlab ids canvas`` and ``dgmlab ids moodle`` (the LMSs' own roster calls,
matched on the SIS id only) and ``dgmlab ids import CSV`` (the same columns, any subset), and read by ``collect``,
``push`` and the exports, each for the platform it talks to (:func:`platform_ids`). A plain CSV, so that it can be
read, reviewed and diffed; written whole to a temporary file and renamed over the old one, and never over a file
that changed since it was read. An id already recorded is never replaced by another without ``force``, and no id is
given to two students of one column (:class:`IdConflict` names the student and both ids).

Courses from before this map kept one id per student in nbgrader's ``lms_user_id``: it is still read, as the id of
one platform only, ``c.DgmlabIds.nbgrader_lms_user_id`` (by default the course's ``c.DgmlabLms.platform``), for a
student the map has no id of that platform for, and never where the map gives that id to another student.
"""
from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from traitlets import Unicode
from traitlets.config import Configurable

from .. import plugins
from ..layout import Course, CourseError

FILE = "lms_ids.csv"
USER_IDS = ("sis", "lti", "canvas", "moodle")  # the user ids, in the file's column order
PARTICIPANT = "moodle_participant:"  # + homework id: Moodle's per-assignment participant id
PLATFORMS = ("canvas", "moodle", "lti")
NUMERIC = ("canvas", "moodle")  # ids that are whole numbers (and participant ids)
LABEL = {"sis": "SIS id", "lti": "LTI user id", "canvas": "Canvas user id", "moodle": "Moodle user id"}


class DgmlabIds(Configurable):
    """How the id map reads courses from before it."""

    nbgrader_lms_user_id = Unicode("", help='Which platform\'s id nbgrader\'s lms_user_id holds, read for a student '
                                            'the id map (lms_ids.csv) has no id of that platform for: "canvas", '
                                            '"moodle", "lti", an installed LMS plug-in\'s name, "none" (never read), '
                                            'or "" (the default): c.DgmlabLms.platform\'s.').tag(config=True)


class IdConflict(CourseError):
    """An id the map would change, or give to a second student: refused without ``force``."""


@dataclass(frozen=True)
class Change:
    student: str
    column: str
    before: str | None  # None: none recorded
    after: str | None  # None: taken away (given to another student with force)

    def text(self) -> str:
        what = label(self.column)
        if self.before is None:
            return f"{self.student}: {what} {self.after}"
        if self.after is None:
            return f"{self.student}: {what} {self.before} removed"
        return f"{self.student}: {what} {self.before} -> {self.after}"


def label(column: str) -> str:
    if column.startswith(PARTICIPANT):
        return f"Moodle participant id in {column[len(PARTICIPANT):]}"
    return LABEL.get(column, f"{column} user id")


def plugin_platforms() -> list:
    """The installed LMS plug-ins whose user ids the map keeps beside the kit's (:data:`USER_IDS`), by their names."""
    return [name for name in plugins.names(plugins.LMS) if name not in USER_IDS and name != "student"]


def is_platform(name: str) -> bool:
    """Whether ``name`` is a platform whose user ids the map keeps: the kit's or an installed LMS plug-in's."""
    return name in PLATFORMS or name in plugin_platforms()


def participant_column(hw: str) -> str:
    return f"{PARTICIPANT}{hw}"


def path_of(course: Course) -> Path:
    return course.root / FILE


def _check_column(column: str) -> None:
    if column in USER_IDS or (column.startswith(PARTICIPANT) and re.fullmatch(r"[A-Za-z0-9_.-]+",
                                                                             column[len(PARTICIPANT):])):
        return
    if column in plugin_platforms():
        return
    raise CourseError(f"{column!r} is not a column of {FILE}: student, {', '.join(USER_IDS)}, "
                      f"{PARTICIPANT}<homework id> or an installed LMS plug-in's name "
                      f"({', '.join(plugin_platforms()) or 'none installed'})")


def clean(column: str, value) -> str:
    """``value`` as the map keeps it, or a :class:`CourseError` saying what an id of ``column`` looks like."""
    text = str(value if value is not None else "").strip()
    if column in NUMERIC or column.startswith(PARTICIPANT):
        if not re.fullmatch(r"[0-9]{1,18}", text):
            raise CourseError(f"{label(column)} {text[:40]!r} is not a whole number")
        return str(int(text))
    if not text or len(text) > 255 or not text.isprintable():  # LTI: sub is at most 255 ASCII characters
        raise CourseError(f"{label(column)} {text[:40]!r} is empty, longer than 255 characters or not printable")
    return text


class IdMap:
    """The map as read from ``lms_ids.csv`` (empty when there is none); :meth:`set` changes it, :meth:`save` writes
    it."""

    def __init__(self, path: Path, rows: dict, digest: str | None):
        self.path, self._rows, self._digest = path, rows, digest

    @classmethod
    def load(cls, course: Course) -> IdMap:
        path = path_of(course)
        if not path.exists():
            return cls(path, {}, None)
        raw = path.read_bytes()
        return cls(path, read_rows(io.StringIO(raw.decode("utf-8-sig")), path), hashlib.sha256(raw).hexdigest())

    def students(self) -> list:
        return sorted(self._rows)

    def columns(self) -> list:
        extra = sorted({c for row in self._rows.values() for c in row if c not in USER_IDS})
        return [*USER_IDS, *extra]

    def get(self, student: str, column: str) -> str | None:
        return self._rows.get(student, {}).get(column)

    def column(self, column: str) -> dict:
        """``{student: id}`` of one column."""
        return {sid: row[column] for sid, row in self._rows.items() if row.get(column)}

    def who(self, column: str, value: str) -> str | None:
        """The student ``column``'s ``value`` is recorded for."""
        return next((sid for sid, row in self._rows.items() if row.get(column) == value), None)

    def set(self, student: str, column: str, value, force: bool = False) -> list:
        """Record ``student``'s ``column`` id; the :class:`Change` list (empty when it was recorded already). Another
        id recorded for the student, or this id recorded for another student, is an :class:`IdConflict` naming the
        student(s) and both ids, unless ``force`` (then the other student's is removed, and listed)."""
        _check_column(column)
        if not student or not str(student).strip():
            raise CourseError(f"a row of {FILE} without a student id")
        value = clean(column, value)
        before, other = self.get(student, column), self.who(column, value)
        if before == value:
            return []
        problems = []
        if before is not None:
            problems.append(f"{student} has {label(column)} {before} in {FILE}, the new one is {value}")
        if other is not None and other != student:
            problems.append(f"{label(column)} {value} is {other}'s in {FILE}, not {student}'s")
        if problems and not force:
            raise IdConflict("; ".join(problems) + ": not changed (--force changes it, if the LMS is right)")
        changes = []
        if other is not None and other != student:
            del self._rows[other][column]
            changes.append(Change(other, column, value, None))
        self._rows.setdefault(student, {})[column] = value
        changes.append(Change(student, column, before, value))
        return changes

    def text(self) -> str:
        out = io.StringIO()
        cols = self.columns()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["student", *cols])
        for sid in self.students():
            w.writerow([sid, *(self._rows[sid].get(c, "") for c in cols)])
        return out.getvalue()

    def save(self) -> Path:
        """Write the map (a temporary file renamed over the old one); refused when the file changed since it was
        read (someone edited it meanwhile): nothing written, read it again."""
        now = hashlib.sha256(self.path.read_bytes()).hexdigest() if self.path.exists() else None
        if now != self._digest:
            raise CourseError(f"{self.path} changed since it was read (edited meanwhile?): not overwritten; run the "
                              "command again")
        data = self.text().encode("utf-8")
        fd, tmp = tempfile.mkstemp(prefix=f".{FILE}.", dir=self.path.parent)  # mode 600: the instructor's alone
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._digest = hashlib.sha256(data).hexdigest()
        return self.path


def read_rows(f, where) -> dict:
    """``{student: {column: id}}`` of a CSV with a ``student`` column and any of the map's columns (an empty cell:
    no id); a column that is none of them, a bad id, a student twice or an id given to two students is a
    :class:`CourseError` naming the line."""
    reader = csv.DictReader(f)
    head = [h.strip() for h in (reader.fieldnames or [])]
    if "student" not in head:
        raise CourseError(f"{where}: no 'student' column (columns: student, {', '.join(USER_IDS)}, "
                          f"{PARTICIPANT}<hw>)")
    for h in head:
        if h != "student":
            try:
                _check_column(h)
            except CourseError as exc:
                raise CourseError(f"{where}: {exc}") from None
    rows, seen = {}, {}
    for i, raw in enumerate(reader, start=2):
        row = {(k or "").strip(): v for k, v in raw.items()}
        sid = (row.get("student") or "").strip()
        if not sid:
            raise CourseError(f"{where}, line {i}: no student id")
        if sid in rows:
            raise CourseError(f"{where}, line {i}: {sid} has a second row")
        rows[sid] = {}
        for col in head:
            if col == "student" or not (row.get(col) or "").strip():
                continue
            try:
                value = clean(col, row[col])
            except CourseError as exc:
                raise CourseError(f"{where}, line {i}: {exc}") from None
            if (col, value) in seen:
                raise CourseError(f"{where}, line {i}: {label(col)} {value} is given to {seen[(col, value)]} and "
                                  f"{sid}")
            seen[(col, value)] = sid
            rows[sid][col] = value
    return rows


def import_csv(course: Course, path, force: bool = False) -> tuple[list, list]:
    """Merge a CSV of the map's columns (:func:`read_rows`) into the map: ``(changes, refused)``, ``refused`` the
    :class:`IdConflict` messages of ids that differ from those recorded (not changed without ``force``); the rest is
    saved."""
    try:
        with Path(path).open(encoding="utf-8-sig", newline="") as f:
            given = read_rows(f, path)
    except OSError as exc:
        raise CourseError(f"cannot read {path} ({exc.strerror})") from None
    ids = IdMap.load(course)
    changes, refused = [], []
    for sid, row in sorted(given.items()):
        for col, value in row.items():
            try:
                changes += ids.set(sid, col, value, force)
            except IdConflict as exc:
                refused.append(str(exc))
    if changes:
        ids.save()
    return changes, refused


def legacy_platform(course: Course) -> str | None:
    """The platform nbgrader's ``lms_user_id`` is read as (``c.DgmlabIds.nbgrader_lms_user_id``), or ``None``."""
    chosen = course.settings(DgmlabIds).nbgrader_lms_user_id
    if chosen == "none":
        return None
    if chosen:
        if not is_platform(chosen):
            raise CourseError(f"c.DgmlabIds.nbgrader_lms_user_id = {chosen!r} is no platform: {', '.join(PLATFORMS)}, "
                              f"an installed LMS plug-in's name, \"none\" or \"\" (fix nbgrader_config.py)")
        return chosen
    # c.DgmlabLms.platform (dgmlab.grading.lms.lms_config, whose default is "canvas"), read here without importing
    # lms_config, which imports every LMS's module, each of which reads this map
    platform = course.config().get("DgmlabLms", {}).get("platform", "canvas")
    return platform if is_platform(platform) else "canvas"


def nbgrader_ids(course: Course) -> dict:
    """``{student: lms_user_id}`` of nbgrader's student table (``{}`` without a gradebook)."""
    from .. import nbgrader_gradebook

    db = course.root / "gradebook.db"
    if not db.exists():
        return {}
    with nbgrader_gradebook.open_gradebook_file(db) as gb:
        return {st.id: str(st.lms_user_id).strip() for st in gb.students if str(st.lms_user_id or "").strip()}


def platform_ids(course: Course, platform: str, legacy: dict | None = None) -> dict:
    """``{student: user id on platform}``: the map's column, and for a student without one, nbgrader's
    ``lms_user_id`` when it is read as ``platform``'s (:func:`legacy_platform`) and the map gives that id to no
    other student (``legacy``: nbgrader's ids, read here by default)."""
    if not is_platform(platform):
        raise CourseError(f"no platform {platform!r} ({', '.join([*PLATFORMS, *plugin_platforms()])})")
    ids = IdMap.load(course).column(platform)
    if legacy_platform(course) != platform:
        return ids
    legacy = nbgrader_ids(course) if legacy is None else legacy
    taken = set(ids.values())
    counts: dict = {}
    for uid in legacy.values():
        counts[uid] = counts.get(uid, 0) + 1
    for sid, uid in legacy.items():
        if sid not in ids and uid not in taken and counts[uid] == 1:
            ids[sid] = uid
    return ids


def participant_ids(course: Course, hw: str) -> dict:
    """``{student: Moodle participant id in hw's assignment}`` of the map."""
    return IdMap.load(course).column(participant_column(hw))


def sis_owner(ids: IdMap, students, sis: str) -> str | None:
    """The student whose SIS id is ``sis``: the one the map's ``sis`` column gives it to, else the student whose
    nbgrader id is ``sis`` and who has no SIS id of another value recorded (``students``: the nbgrader ids)."""
    sis = (sis or "").strip()
    if not sis:
        return None
    found = ids.who("sis", sis)
    if found is not None:
        return found
    if sis in students and ids.get(sis, "sis") in (None, sis):
        return sis
    return None
