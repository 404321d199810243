"""``dgmlab collect <hw> <zip>``: an LMS's "download submissions" zip into ``submitted/<student>/<hw>/``.

What the zips look like:

- Canvas: a flat list of ``<sortable name>[_LATE]_<user id>_<submission id>_<original name>`` (the sortable
  name lower case, without spaces: ``lovelaceada``); a file uploaded again within a submission gets ``-1``,
  ``-2`` before its extension (``hw5_explicit-1.ipynb``); the zip holds no submission time.
- Moodle: ``<Full Name>_<id>_assignsubmission_file_/<original name>`` (a folder per student), or the same
  prefix on a flat file name.

Each student is found in nbgrader's student table by the LMS id (``--lms-user-id``), else by name. Their
notebook, whatever they called it (``<Lastname>_<Firstname>_Assgn2.ipynb``, ``hw5 (1).ipynb``), becomes
``<hw>.ipynb``; of several uploads of one file the latest attempt (highest submission id, then highest
``-N``) is kept; a handed-in graded file (:data:`GRADED_FILES`) keeps its graded name, and a PDF (a scanned
derivation, the notebook printed) its own (:func:`pdf_name`), where ``dgmlab grade`` shows it beside the
answers. Every entry that is not placed is listed with the reason, never dropped silently. A submission time, when known (a CSV, or Canvas's
API: :mod:`.lms`), goes into the folder's ``timestamp.txt``, which nbgrader's autograde reads into the
gradebook, where the late policy (:mod:`dgmlab.grading.term.deadlines`) finds it.
"""
from __future__ import annotations

import csv
import datetime as _dt
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ..layout import Course, CourseError

# the files each homework grades besides its notebook (by the homework id's prefix), as docs/student_path.md
# lists them and the probes read them (tests/grading/lms/test_intake.py checks these names against the probes')
GRADED_FILES = {
    "hw1": ["generator_weights.pt"],
    "hw2": ["p5_generator_weights.pt"],
    "hw3": [],
    "hw4": ["baseline_generator_weights.pt", "cgan_generator_weights.pt", "hw4_results.json"],
    "hw5": ["p1_pixelcnn_weights.pt", "p2_realnvp_weights.pt"],
}
MAX_FILE_BYTES = 256 * 2 ** 20  # an entry larger than this is listed, not extracted

CANVAS = re.compile(r"^(?P<name>[^_/]+?)(?P<late>_LATE)?_(?P<user>\d+)_(?P<sub>\d+)_(?P<original>.+)$")
CANVAS_NO_SUBMISSION_ID = re.compile(r"^(?P<name>[^_/]+?)(?P<late>_LATE)?_(?P<user>\d+)_(?P<original>.+)$")
MOODLE = re.compile(r"^(?P<name>.+?)_(?P<user>\d+)_assignsubmission_(?:file|onlinetext)_(?:/(?P<inner>.+)|(?P<flat>[^/]+))$")
AGAIN = re.compile(r"^(?P<stem>.*?)(?:-(?P<n>\d+)| \((?P<p>\d+)\))?(?P<ext>\.[^.]*)?$")  # x-2.pt, x (2).pt
TORONTO = re.compile(r"^[^_]+_[^_]+_Assgn\d+$", re.I)  # <Lastname>_<Firstname>_Assgn2


@dataclass
class Entry:
    path: str  # in the zip
    lms: str  # "canvas" or "moodle"
    name: str  # the LMS's name for the student
    user: str  # the LMS's user id
    submission: int  # Canvas's submission id (0 for Moodle)
    original: str  # the file's name as the student uploaded it
    late_flag: bool = False  # Canvas put _LATE in the name

    @property
    def base(self) -> tuple:
        """The uploaded name without the LMS's ``-N`` / `` (N)``, and N (0 for the first upload)."""
        m = AGAIN.match(self.original)
        n = int(m.group("n") or m.group("p") or 0)
        return m.group("stem") + (m.group("ext") or ""), n


@dataclass
class Collected:
    hw: str
    placed: list = field(default_factory=list)  # (student, file in the submission folder, zip entry)
    unplaced: list = field(default_factory=list)  # (zip entry, why)
    superseded: list = field(default_factory=list)  # (zip entry, the later upload kept instead)
    no_time: list = field(default_factory=list)  # students without a known submission time
    late_flagged: list = field(default_factory=list)  # students the LMS marked late (Canvas's _LATE)

    def lines(self) -> list:
        from ..inert import terminal

        out = [f"collected {len({s for s, _, _ in self.placed})} submissions of {self.hw} ({len(self.placed)} files)"]
        for s, f, e in self.placed:
            out.append(terminal(f"  {s}/{self.hw}/{f} <- {e}"))
        if self.superseded:
            out.append(f"earlier uploads, replaced by a later one ({len(self.superseded)}):")
            out += [terminal(f"  {e}: {why}") for e, why in self.superseded]
        if self.unplaced:
            out.append(f"NOT PLACED ({len(self.unplaced)}): look at each, place it by hand if it should be graded")
            out += [terminal(f"  {e}: {why}") for e, why in self.unplaced]
        if self.no_time:
            out.append(terminal(f"no submission time for {', '.join(self.no_time)}: lateness cannot be judged "
                                "(give --times CSV or --canvas)"))
        return out


def parse_entry(path: str) -> Entry | None:
    """The LMS's naming of one zip entry, or None when it follows neither Canvas's nor Moodle's."""
    m = MOODLE.match(path)
    if m:
        return Entry(path, "moodle", m.group("name").split("/")[-1], m.group("user"), 0,
                     (m.group("inner") or m.group("flat")).split("/")[-1])
    if "/" in path.strip("/"):
        return None
    for pattern in (CANVAS, CANVAS_NO_SUBMISSION_ID):
        m = pattern.match(path)
        if m:
            return Entry(path, "canvas", m.group("name"), m.group("user"),
                         int(m.groupdict().get("sub") or 0), m.group("original"), bool(m.group("late")))
    return None


def pdf_name(original: str) -> str:
    """The name a handed-in PDF gets in the submission folder: its own, letters, digits, ``.``, ``_`` and ``-`` only
    (``My derivation (scan).PDF`` -> ``My_derivation__scan_.pdf``)."""
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", original.rsplit("/", 1)[-1][:-4]).lstrip(".") or "answers"
    return f"{stem[:100]}.pdf"


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", (text or "").lower())


def roster_index(course: Course) -> dict:
    """``{("lms", id) | ("name", key): student id}`` from nbgrader's student table."""
    from nbgrader.api import Gradebook

    db = course.root / "gradebook.db"
    if not db.exists():
        raise CourseError(f"no gradebook at {db}: add the roster first (nbgrader db student import roster.csv, "
                          "with an lms_user_id column)")
    index = {}
    with Gradebook(f"sqlite:///{db}") as gb:
        for st in gb.students:
            if st.lms_user_id:
                index[("lms", str(st.lms_user_id))] = st.id
            if st.first_name or st.last_name:
                index.setdefault(("name", _key(f"{st.last_name}{st.first_name}")), st.id)  # Canvas's sortable
                index.setdefault(("name", _key(f"{st.first_name}{st.last_name}")), st.id)  # Moodle's full name
    return index


def read_times(path, tz) -> dict:
    """``{student or LMS user id: aware time}`` from a CSV with the columns ``student`` (nbgrader id or LMS user
    id) and ``submitted_at`` (ISO; without an offset, a wall-clock time in ``tz``)."""
    from ..term.deadlines import parse_time

    out = {}
    with Path(path).open(encoding="utf-8", newline="") as f:
        for i, row in enumerate(csv.DictReader(f), start=2):
            try:
                out[row["student"].strip()] = parse_time(row["submitted_at"], tz)
            except (KeyError, ValueError, AttributeError) as exc:
                raise CourseError(f"{path}, line {i}: expected the columns student,submitted_at with an ISO time "
                                  f"({exc})") from exc
    return out


def _notebook_rank(hw: str, e: Entry) -> tuple:
    stem = Path(e.base[0]).stem
    return (stem == hw, bool(TORONTO.match(stem)), e.submission, e.base[1])


def collect(course: Course, hw: str, zip_path, times: dict | None = None, roster: dict | None = None) -> Collected:
    """Place ``zip_path``'s submissions of ``hw`` in ``submitted/<student>/<hw>/`` (each student's folder
    replaced) and return what was placed and what was not. ``times``: ``{student id or LMS user id: aware
    time}`` (:func:`read_times`, :func:`dgmlab.grading.lms.lms.submission_times`); ``roster``: a
    :func:`roster_index` (by default the gradebook's)."""
    (hw,) = course.check_homeworks([hw])
    graded = GRADED_FILES.get(hw.split("_")[0], [])
    index = roster if roster is not None else roster_index(course)
    times = times or {}
    out = Collected(hw)
    try:
        archive = zipfile.ZipFile(zip_path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise CourseError(f"{zip_path} is not a readable zip ({exc})") from exc
    per_student: dict = {}
    with archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            e = parse_entry(info.filename)
            if e is None:
                out.unplaced.append((info.filename, "named neither as Canvas (<name>_<user id>_<submission id>_"
                                                    "<file>) nor as Moodle (<Full Name>_<id>_assignsubmission_file_/) "
                                                    "names a submission"))
                continue
            sid = index.get(("lms", e.user)) or index.get(("name", _key(e.name)))
            if sid is None:
                out.unplaced.append((info.filename, f"no student with LMS user id {e.user} or name {e.name!r} in "
                                                    f"nbgrader's student table (nbgrader db student add <id> "
                                                    f"--lms-user-id {e.user} ...)"))
                continue
            if info.file_size > MAX_FILE_BYTES:
                out.unplaced.append((info.filename, f"{info.file_size} bytes: more than {MAX_FILE_BYTES} bytes"))
                continue
            per_student.setdefault(sid, []).append((e, info))
        for sid in sorted(per_student):
            entries = per_student[sid]
            chosen, leftover = {}, []
            notebooks = [x for x in entries if x[0].original.lower().endswith(".ipynb")]
            if notebooks:
                best = max(notebooks, key=lambda x: _notebook_rank(hw, x[0]))
                chosen[f"{hw}.ipynb"] = best
                for x in notebooks:
                    if x is best:
                        continue
                    if x[0].base[0] == best[0].base[0]:
                        out.superseded.append((x[0].path, f"{sid}: {best[0].path} is later"))
                    else:
                        leftover.append((x, f"another notebook: {best[0].path} is graded as {hw}.ipynb"))
            else:
                out.unplaced.append((f"{sid}'s submission", f"no notebook (.ipynb) in the zip for {sid}"))
            for x in entries:
                if x in notebooks:
                    continue
                name, _ = x[0].base
                if name.lower().endswith(".pdf"):  # a PDF handed in with the notebook: kept for the grader to read
                    name = pdf_name(name)
                if name in graded or name.endswith(".pdf"):
                    prev = chosen.get(name)
                    if prev is None or (x[0].submission, x[0].base[1]) > (prev[0].submission, prev[0].base[1]):
                        chosen[name], later, older = x, x, prev
                    else:
                        later, older = prev, x
                    if older is not None:
                        out.superseded.append((older[0].path, f"{sid}: {later[0].path} is later"))
                else:
                    leftover.append((x, f"not a file {hw} grades ({', '.join(graded) or 'the notebook only'}) "
                                        "or a PDF"))
            out.unplaced += [(x[0].path, f"{sid}: {why}, not placed") for x, why in leftover]
            if not chosen:
                continue
            dest = course.folder("submitted", hw, sid)
            if dest.exists():
                shutil.rmtree(dest)
            dest.mkdir(parents=True)
            for name, (e, info) in sorted(chosen.items()):
                (dest / name).write_bytes(archive.read(info))
                out.placed.append((sid, name, e.path))
            first = next(iter(chosen.values()))[0]
            when = times.get(sid) or times.get(first.user)
            if when is not None:
                (dest / "timestamp.txt").write_text(when.astimezone(_dt.timezone.utc).isoformat(), encoding="utf-8")
            else:
                out.no_time.append(sid)
            if any(e.late_flag for e, _ in chosen.values()):
                out.late_flagged.append(sid)
    return out
