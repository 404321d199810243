"""``dgmlab collect <hw> <zip>``: an LMS's "download submissions" zip into ``submitted/<student>/<hw>/``.

What the zips look like:

- Canvas: a flat list of ``<sortable name>[_LATE]_<user id>_<submission id>_<original name>`` (the sortable
  name lower case, without spaces: ``lovelaceada``); a file uploaded again within a submission gets ``-1``,
  ``-2`` before its extension (``hw5_explicit-1.ipynb``); a text entry is ``<sortable name>_<user id>_text.html``;
  the zip holds no submission time.
- Moodle: ``<Full Name>_<participant id>_assignsubmission_file_/<original name>`` (a folder per student), or the
  same prefix on a flat file name. The number is the assignment's *participant id* (Moodle's
  ``get_uniqueid_for_user``, a row of its ``assign_user_mapping`` table, made per assignment), not the user id.

**Who handed in what comes only from the LMS.** The part of an entry's name after the LMS's fields is the name the
student gave the file: a student can make it look like anything, a classmate's whole entry name included. So the
zip's format is decided once for the whole download (``lms``, else :func:`detect_lms` from its structure, refusing
when it cannot tell), each entry is read as that format only (:func:`parse_entry`), and the student is the one
the LMS's own fields name: Canvas's user id before the submission id, Moodle's folder (or flat prefix). An entry
that is not named as that format is listed, never placed; so is a Canvas entry whose name also reads as another
student's user id (Canvas keeps a name ending in ``_<digits>``: :func:`.download_names.canvas_entry`).

Each student is found by the id that LMS owns, in the course's id map (``lms_ids.csv``, :mod:`.id_map`; nbgrader's
``lms_user_id`` for the one platform it is read as): Canvas's user id; for Moodle the participant id the map records
for the homework's assignment, or the participant id's user id, from a mapping the instructor gives
(``--moodle-mappings CSV``, :func:`read_moodle_mappings`) or fetched from the course's Moodle
(``mod_assign_get_user_mappings``, :func:`dgmlab.grading.lms.moodle.user_mappings`, when ``c.DgmlabMoodle`` names
the homework's assignment); the participant id is never looked up as a user id. An entry whose ids are no
student's is listed, not placed; it is matched by name only when the instructor asks (``confirm``, ``collect
--match-names``) and confirms that match, and only to the one roster student of that name with no id on that LMS
(:func:`match`); the id is then recorded in the map. Two students of one name are never told apart by it, and
entries of two LMS ids never go into one folder. Their
notebook, whatever they called it (``<Lastname>_<Firstname>_Assgn2.ipynb``, ``hw5 (1).ipynb``), becomes
``<hw>.ipynb``; of several uploads of one file the latest attempt (highest submission id, then highest
``-N``) is kept; a handed-in graded file (:data:`GRADED_FILES`) keeps its graded name, and a PDF (a scanned
derivation, the notebook printed) or an image (a written answer photographed, per question) its own
(:func:`upload_name`), where ``dgmlab grade`` shows it beside the answers (of the question its name names, if it
names one: :mod:`..hand.question_files`; the listing says which). A ``regrade.md`` (a student's regrade requests,
:mod:`..hand.regrades`) is placed under that name. The notebook's own name is checked against the
name the homework asks for (``c.DgmlabCollect.notebook_names``, :mod:`.hand_in_names`) and a different one listed,
never refused. Every entry that is not placed is listed with the reason, never dropped silently. A student
who dropped the course (``c.DgmlabTerm.dropped``) has their files placed and kept like anyone's, and is listed
as dropped: nothing grades them.

**Bounded and all-or-nothing.** What one student may hand in and what the whole zip may unpack to are limited
(:class:`DgmlabCollect`, ``c.DgmlabCollect`` in ``nbgrader_config.py``); entries that are links, absolute or
``..`` names, duplicated names, archives inside the zip or compressed like a zip bomb are listed, never unpacked.
Every entry is read (its size and checksum checked) into a staging folder beside ``submitted/`` first; only
when the whole download was read are the students' folders replaced, so a damaged zip changes nothing. A
student's folder that held something else before is moved to ``.dgmlab/replaced/<hw>/<time>/<student>/`` and
listed, never deleted.

A submission time, when known (a CSV, or Canvas's API: :mod:`.lms`), goes into the folder's ``timestamp.txt``,
which nbgrader's autograde reads into the gradebook, where the late policy (:mod:`dgmlab.grading.term.deadlines`)
finds it.
"""
from __future__ import annotations

import csv
import datetime as _dt
import filecmp
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from traitlets import Dict, Integer
from traitlets.config import Configurable

from ..hand import question_files
from ..inert import terminal
from ..layout import Course, CourseError
from ..term.deadlines import parse_time
from . import hand_in_names, hand_in_rules, id_map, moodle
from .download_names import FORMATS, SHAPES, Entry, canvas_entry, canvas_pins, detect_lms, parse_entry
from .download_zip import MIB, inert, open_zip, read_entry, screen
from .roster_match import index_of, match, roster_index, roster_names  # noqa: F401 (index_of: read here too)

# the files each homework grades besides its notebook (by the homework id's prefix), as docs/student_guide.md
# lists them and the probes read them (tests/grading/lms/test_intake.py checks these names against the probes')
GRADED_FILES = {
    "hw1": ["generator_weights.pt"],
    "hw2": ["p5_generator_weights.pt"],
    "hw3": [],
    "hw4": ["baseline_generator_weights.pt", "cgan_generator_weights.pt", "hw4_results.json"],
    "hw5": ["p1_pixelcnn_weights.pt", "p2_realnvp_weights.pt"],
}
UPLOADS = (".pdf", ".png", ".jpg", ".jpeg")  # kept under their own (safe) name for the grader to read
REGRADE_FILE = "regrade.md"  # a student's regrade requests, one "## <question id>" section each
ARCHIVES = (".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar")  # never unpacked
TORONTO = re.compile(r"^[^_]+_[^_]+_Assgn\d+$", re.I)  # <Lastname>_<Firstname>_Assgn2


class DgmlabCollect(Configurable):
    """What ``dgmlab collect`` takes from an LMS's download zip. A file over a limit is listed (naming the student
    and the file), not placed; a zip over ``max_total_bytes`` is refused whole."""

    max_files = Integer(20, help="Files placed per student: the notebook, the graded files, and PDFs and images "
                                 "(per-question uploads). The notebook and graded files come first; uploads "
                                 "beyond this, in name order, are listed.").tag(config=True)
    max_student_bytes = Integer(512 * MIB, help="Bytes placed per student, all files together (the notebook and "
                                                "graded files counted first).").tag(config=True)
    max_file_bytes = Integer(256 * MIB, help="Bytes of one file, unpacked (a larger entry is not read).").tag(
        config=True)
    max_ratio = Integer(100, help="An entry over 1 MiB unpacked that is compressed more than this many times (a "
                                  "zip bomb: 40 PDFs of zeros, 2 MiB each, are 102 KiB zipped) is not read.").tag(
        config=True)
    max_total_bytes = Integer(16 * 2 ** 30, help="The whole zip unpacked, as its entries declare (each entry is "
                                                 "held to its declared size), counting only entries that would be "
                                                 "read (not those refused one by one: over max_file_bytes or "
                                                 "max_ratio, links, bad or repeated names): a larger zip is "
                                                 "refused, nothing placed.").tag(config=True)
    notebook_names = Dict(
        {"hw5": "<Lastname>_<Firstname>_Assgn2.ipynb"},
        help="The name each homework's handout asks the notebook to have, by homework id or its prefix before '_' "
             "('hw5' for hw5_explicit): <Lastname> and <Firstname> are the student's names in nbgrader's student "
             "table, compared case-insensitively (dgmlab.grading.lms.hand_in_names). Checked at collect and "
             "reported (collect's listing, dgmlab report), never refused: the notebook is graded as <hw>.ipynb "
             "whatever its name. A homework without an entry asks for its own notebook's name, <hw>.ipynb (as "
             "dgmlab.check() tells students); one set to '' has no rule. hw5's is its handout's "
             "(Toronto, Crowdmark).").tag(config=True)


@dataclass
class Collected:
    hw: str
    lms: str = ""  # the format the zip was read as
    placed: list = field(default_factory=list)  # (student, file in the submission folder, zip entry)
    unplaced: list = field(default_factory=list)  # (zip entry, why)
    superseded: list = field(default_factory=list)  # (zip entry, the later upload kept instead)
    no_time: list = field(default_factory=list)  # students without a known submission time
    late_flagged: list = field(default_factory=list)  # students the LMS marked late (Canvas's _LATE)
    replaced: list = field(default_factory=list)  # (student, where the folder that was there before is kept)
    questions: dict = field(default_factory=dict)  # (student, placed PDF or image) -> which question, in words
    misnamed: list = field(default_factory=list)  # (student, what differs from c.DgmlabCollect.notebook_names)
    no_report: list = field(default_factory=list)  # (student, what is wrong with c.DgmlabHandIn.report_names's PDF)
    by_name: list = field(default_factory=list)  # (student, the LMS's account) placed by a confirmed name match
    recorded: list = field(default_factory=list)  # id_map.Change of the ids those matches recorded
    dropped: list = field(default_factory=list)  # placed students who dropped the course (c.DgmlabTerm.dropped)

    def lines(self) -> list:
        out = [f"collected {len({s for s, _, _ in self.placed})} submissions of {self.hw} ({len(self.placed)} files)"
               + (f", read as a {self.lms.title()} download" if self.lms else "")]
        for s, f, e in self.placed:
            under = self.questions.get((s, f))
            out.append(terminal(f"  {s}/{self.hw}/{f} <- {e}" + (f" ({under})" if under else "")))
        if self.by_name:
            out.append(f"placed by name, as confirmed ({len(self.by_name)}); their ids are recorded in {id_map.FILE}:")
            out += [terminal(f"  {s}: {what}") for s, what in self.by_name]
        if self.misnamed:
            out.append(f"notebook names not as {self.hw} asks, or not checked ({len(self.misnamed)}); each is graded "
                       f"as {self.hw}.ipynb all the same:")
            out += [terminal(f"  {s}: {why}") for s, why in self.misnamed]
        if self.no_report:
            out.append(f"report PDFs not as {self.hw} asks ({len(self.no_report)}); listed, not refused:")
            out += [terminal(f"  {s}: {why}") for s, why in self.no_report]
        if self.replaced:
            out.append(f"replaced folders that held another submission ({len(self.replaced)}): the earlier one kept")
            out += [terminal(f"  {s}/{self.hw}/ was moved to {kept}") for s, kept in self.replaced]
        if self.superseded:
            out.append(f"earlier uploads, replaced by a later one ({len(self.superseded)}):")
            out += [terminal(f"  {e}: {why}") for e, why in self.superseded]
        if self.unplaced:
            out.append(f"NOT PLACED ({len(self.unplaced)}): look at each, place it by hand if it should be graded")
            out += [terminal(f"  {e}: {why}") for e, why in self.unplaced]
        if self.dropped:
            out.append(terminal(f"dropped the course (c.DgmlabTerm.dropped), files kept but not graded "
                                f"({len(self.dropped)}): {', '.join(self.dropped)}"))
        if self.no_time:
            out.append(terminal(f"no submission time for {', '.join(self.no_time)}: lateness cannot be judged "
                                "(give --times CSV or --canvas)"))
        return out


def upload_name(original: str) -> str:
    """The name a handed-in PDF or image gets in the submission folder: its own, letters, digits, ``.``, ``_`` and
    ``-`` only, the extension in lower case (``My derivation (scan).PDF`` -> ``My_derivation__scan_.pdf``)."""
    base = original.rsplit("/", 1)[-1]
    ext = next(e for e in UPLOADS if base.lower().endswith(e))
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", base[:-len(ext)]).lstrip(".") or "answers"
    return f"{stem[:100]}{ext}"


def read_times(path, tz) -> dict:
    """``{student or LMS user id: aware time}`` from a CSV with the columns ``student`` (nbgrader id or LMS user
    id) and ``submitted_at`` (ISO; without an offset, a wall-clock time in ``tz``)."""
    out = {}
    with Path(path).open(encoding="utf-8", newline="") as f:
        for i, row in enumerate(csv.DictReader(f), start=2):
            try:
                out[row["student"].strip()] = parse_time(row["submitted_at"], tz)
            except (KeyError, ValueError, AttributeError) as exc:
                raise CourseError(f"{path}, line {i}: expected the columns student,submitted_at with an ISO time "
                                  f"({exc})") from exc
    return out


def read_moodle_mappings(path) -> dict:
    """``{Moodle participant id: Moodle user id}`` of one assignment, from a CSV with the columns ``participant``
    (the number in the download's folder names) and ``userid`` (what ``mod_assign_get_user_mappings`` returns as
    each mapping's ``id`` and ``userid``)."""
    out, seen = {}, {}
    try:
        with Path(path).open(encoding="utf-8", newline="") as f:
            for i, row in enumerate(csv.DictReader(f), start=2):
                try:
                    participant, uid = str(int(row["participant"])), str(int(row["userid"]))
                except (KeyError, ValueError, TypeError) as exc:
                    raise CourseError(f"{path}, line {i}: expected the columns participant,userid with whole "
                                      f"numbers ({inert(exc)})") from None
                if out.get(participant, uid) != uid or seen.get(uid, participant) != participant:
                    raise CourseError(f"{path}, line {i}: participant {participant} or user {uid} is mapped twice, "
                                      "differently: each participant id is one user's (export the mappings again)")
                out[participant], seen[uid] = uid, participant
    except OSError as exc:
        raise CourseError(f"cannot read --moodle-mappings {path} ({inert(exc)})") from None
    return out


def _moodle_mappings(course: Course, hw: str):
    """The participant ids' user ids from the course's Moodle when ``c.DgmlabMoodle`` names ``hw``'s assignment,
    else ``None``."""
    s = moodle.settings(course)
    if not s.url or hw not in s.assignments:
        return None
    return moodle.user_mappings(course, hw)


def _notebook_rank(hw: str, e: Entry) -> tuple:
    stem = Path(e.base[0]).stem
    return (stem == hw, bool(TORONTO.match(stem)), e.submission, e.base[1])


def choose(hw: str, sid: str, entries: list, graded: list, limits: DgmlabCollect, out: Collected) -> dict:
    """``{file name in the submission folder: (Entry, ZipInfo)}`` of one student's entries: their notebook as
    ``<hw>.ipynb``, graded files, PDFs and images, the latest of each, within the per-student limits; the rest
    listed in ``out``."""
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
    elif not any(x[0].base[0].lower() == REGRADE_FILE for x in entries):  # regrade.md alone: a later request
        out.unplaced.append((f"{sid}'s submission", f"no notebook (.ipynb) in the zip for {sid}"))
    for x in entries:
        if x in notebooks:
            continue
        name, _ = x[0].base
        if name.lower().endswith(ARCHIVES):
            leftover.append((x, "an archive inside the zip: not unpacked (unpack it and place its files by hand)"))
            continue
        if name.lower().endswith(UPLOADS):  # a PDF or image handed in with the notebook: kept for the grader to read
            name = upload_name(name)
        elif name.lower() == REGRADE_FILE:  # regrade requests (..hand.regrades), read as text by dgmlab report
            name = REGRADE_FILE
        elif name not in graded:
            leftover.append((x, f"not a file {hw} grades ({', '.join(graded) or 'the notebook only'}), a PDF or "
                                "an image"))
            continue
        prev = chosen.get(name)
        if prev is None or (x[0].submission, x[0].base[1]) > (prev[0].submission, prev[0].base[1]):
            chosen[name], later, older = x, x, prev
        else:
            later, older = prev, x
        if older is None:
            pass
        elif (older[0].submission, older[0].base[1]) == (later[0].submission, later[0].base[1]):
            leftover.append((older, f"another file named {name}: {later[0].path} is placed as {name}"))
        else:
            out.superseded.append((older[0].path, f"{sid}: {later[0].path} is later"))
    out.unplaced += [(x[0].path, f"{sid}: {why}, not placed") for x, why in leftover]
    order = [f"{hw}.ipynb", *graded]  # what is graded first, then the uploads by name
    kept, size = {}, 0
    for name in sorted(chosen, key=lambda n: (order.index(n) if n in order else len(order), n)):
        e, info = chosen[name]
        if len(kept) >= limits.max_files:
            out.unplaced.append((e.path, f"{sid}: {name} would be file {len(kept) + 1}: over "
                                         f"c.DgmlabCollect.max_files = {limits.max_files} per student, not placed"))
        elif size + info.file_size > limits.max_student_bytes:
            out.unplaced.append((e.path, f"{sid}: {name} ({info.file_size} bytes) would bring {sid}'s files to "
                                         f"{size + info.file_size} bytes: over c.DgmlabCollect.max_student_bytes = "
                                         f"{limits.max_student_bytes}, not placed"))
        else:
            kept[name] = chosen[name]
            size += info.file_size
    return kept


def _same(a: Path, b: Path) -> bool:
    """Whether folders ``a`` and ``b`` hold the same files with the same bytes."""
    if a.is_symlink() or not a.is_dir():
        return False
    c = filecmp.dircmp(a, b)
    if c.left_only or c.right_only or c.common_dirs or c.common_funny or c.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(a, b, c.common_files, shallow=False)
    return not mismatch and not errors


def _record_named(course: Course, hw: str, lms: str, named: dict, out: Collected) -> None:
    """Record in the id map the ids of the students placed by a confirmed name match (``named``: ``{student: (the
    entry's LMS number, user id or None, the LMS's name)}``); listed in ``out``."""
    if not named:
        return
    ids = id_map.IdMap.load(course)
    for sid, (number, user, name) in sorted(named.items()):
        out.by_name.append((sid, f"{name!r}, " + (f"Moodle participant {number}" + (f", user id {user}" if user else "")
                                                   if lms == "moodle" else f"Canvas user id {number}")))
        pairs = [(id_map.participant_column(hw), number)] + ([("moodle", user)] if user else []) \
            if lms == "moodle" else [("canvas", number)]
        for column, value in pairs:
            try:
                out.recorded += ids.set(sid, column, value)
            except id_map.IdConflict as exc:
                out.unplaced.append((f"{sid}'s ids", f"placed, but not recorded in {id_map.FILE}: {exc}"))
    if out.recorded:
        ids.save()


@dataclass(frozen=True)
class Rules:
    """What one homework's download is held to: its graded files, the course's limits, its notebook name rule."""
    hw: str
    graded: tuple  # the files the homework grades besides its notebook (GRADED_FILES)
    limits: DgmlabCollect
    name_rule: str | None  # c.DgmlabCollect.notebook_names's pattern for hw (None: no rule)


@dataclass(frozen=True)
class _Sorted:
    """A download's entries sorted by the student the LMS's fields name, before any is chosen or read."""
    readable: tuple  # every entry read (checked) before anything is placed, ZipInfo in the zip's order
    per_student: dict  # student -> [(Entry, ZipInfo)]
    user_of: dict  # (student, the entry's LMS number) -> the LMS user id (None: not known)
    named: dict  # student -> (the entry's LMS number, user id, name) of a confirmed name match


def rules_of(course: Course, hw: str, limits: DgmlabCollect | None) -> Rules:
    """``hw`` checked, its graded files, ``limits`` (the course's ``c.DgmlabCollect`` by default) and name rule."""
    (hw,) = course.check_homeworks([hw])
    limits = limits if limits is not None else course.settings(DgmlabCollect)
    try:
        name_rule = hand_in_names.rule_of(limits.notebook_names, hw)
    except hand_in_names.NameRuleError as exc:
        raise CourseError(str(exc)) from None
    return Rules(hw, tuple(GRADED_FILES.get(hw.split("_")[0], [])), limits, name_rule)


def _zip_format(lms: str | None, infos: list) -> str:
    """``lms`` checked, or the format :func:`detect_lms` reads from the entries' names when it is ``None``."""
    if lms is None:
        return detect_lms(i.filename for i in infos)
    if lms not in FORMATS:
        raise CourseError(f"--lms is canvas or moodle, not {lms!r}")
    return lms


def _sort(infos: list, refused: dict, lms: str, index: dict, mappings: dict | None, confirm,
          out: Collected) -> _Sorted:
    """Each entry read as ``lms`` names a submission and given to the student its ids (or a confirmed name match,
    :func:`match`) name; an entry refused, not so named or no student's is listed in ``out.unplaced``."""
    per_student: dict = {}
    user_of: dict = {}
    asked: dict = {}  # (the entry's LMS number, name) -> match's answer: each account is asked about once
    named: dict = {}
    readable = []

    def student_of(uid):
        return index.get(("lms", uid))

    pins = canvas_pins([i.filename for i in infos if id(i) not in refused], student_of) if lms == "canvas" else {}
    for info in infos:
        if id(info) in refused:
            out.unplaced.append((info.filename, refused[id(info)]))
            continue
        readable.append(info)
        e, doubt = parse_entry(info.filename, lms), ""
        if e is not None and lms == "canvas":
            e, doubt = canvas_entry(info.filename, student_of, pins)
        if doubt:
            out.unplaced.append((info.filename, doubt))
            continue
        if e is None:
            out.unplaced.append((info.filename, f"not named as {lms.title()} names a submission ({SHAPES[lms]})"))
            continue
        # Canvas's number is the user id; Moodle's a participant id, whose user id only a mapping tells
        user = e.user if lms == "canvas" else (mappings or {}).get(e.user)
        if (e.user, e.name) not in asked:
            asked[(e.user, e.name)] = match(index, user, e.name, lms, e.user if lms == "moodle" else None, confirm)
        sid, why, by_name = asked[(e.user, e.name)]
        if sid is None:
            number = f"Moodle participant {e.user}" + (f", user id {user}" if user else "") \
                if lms == "moodle" else f"user id {e.user}"
            out.unplaced.append((info.filename, f"{e.name!r} ({number}): {why}"))
            continue
        per_student.setdefault(sid, []).append((e, info))
        user_of[(sid, e.user)] = user
        if by_name:
            named[sid] = (e.user, user, e.name)
    return _Sorted(tuple(readable), per_student, user_of, named)


def _one_account_each(per_student: dict, lms: str, out: Collected) -> dict:
    """``per_student`` without the students whose entries come from two LMS accounts (matched by name: whose is
    whose cannot be told); their entries listed in ``out.unplaced``."""
    kept = {}
    for sid in sorted(per_student):
        numbers = sorted({e.user for e, _ in per_student[sid]})
        if len(numbers) <= 1:
            kept[sid] = per_student[sid]
            continue
        for e, _ in per_student[sid]:
            out.unplaced.append((e.path, f"{sid}: entries of {len(numbers)} different LMS "
                                         f"{'participants' if lms == 'moodle' else 'users'} "
                                         f"({', '.join(numbers)}) match {sid}: none is placed; "
                                         f"check {sid}'s ids in {id_map.FILE} (dgmlab ids) and collect again"))
    return kept


def staging(course: Course, hw: str, zip_path, readable: tuple) -> Path:
    """A new staging folder beside ``submitted/``, once the disk has room for every readable entry."""
    submitted = course.folder("submitted")
    submitted.mkdir(parents=True, exist_ok=True)
    need = sum(i.file_size for i in readable)
    free = shutil.disk_usage(submitted).free
    if need > free:
        raise CourseError(f"{zip_path} needs {need} bytes to stage, {free} are free beside {submitted}: nothing "
                          "was placed")
    return Path(tempfile.mkdtemp(prefix=f".collect-{hw}-", dir=submitted.parent))


def _unpack(archive: zipfile.ZipFile, zip_path, found: _Sorted, chosen: dict, stage: Path) -> None:
    """Every readable entry read whole (a damaged one is a :class:`CourseError`), the chosen ones into
    ``stage/<student>/<name>``."""
    to_stage = {id(info): (sid, name) for sid, files in chosen.items() for name, (_, info) in files.items()}
    for sid in chosen:
        (stage / sid).mkdir()
    for info in found.readable:
        target = to_stage.get(id(info))
        read_entry(archive, info, zip_path, None if target is None else stage / target[0] / target[1])


def _stamp_times(found: _Sorted, chosen: dict, times: dict, stage: Path, out: Collected) -> None:
    """Each student's submission time into ``stage/<student>/timestamp.txt``, by student id or LMS user id; those
    without one listed in ``out.no_time``, those the LMS marked late in ``out.late_flagged``."""
    for sid, files in chosen.items():
        first = next(iter(files.values()))[0]
        user = found.user_of.get((sid, first.user))  # the LMS user id (a Moodle participant id is not one)
        when = times.get(sid) or (times.get(user) if user else None)
        if when is not None:
            (stage / sid / "timestamp.txt").write_text(when.astimezone(_dt.timezone.utc).isoformat(),
                                                       encoding="utf-8")
        else:
            out.no_time.append(sid)
        if any(e.late_flag for e, _ in files.values()):
            out.late_flagged.append(sid)


def place(course: Course, hw: str, chosen: dict, stage: Path, out: Collected) -> None:
    """Each student's staged folder into ``submitted/<student>/<hw>/``; one that held another submission moved to
    ``.dgmlab/replaced/<hw>/<time>/<student>/`` (``out.replaced``), one holding the same files left as it is. A
    ``regrade.md`` handed in alone (a later attempt, after the marks) joins the submission there, which stays as it
    is, its time included (:func:`_add_regrade`)."""
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    for sid, files in chosen.items():
        dest = course.folder("submitted", hw, sid)
        if set(files) == {REGRADE_FILE} and dest.is_dir() and not dest.is_symlink() and any(dest.iterdir()):
            _add_regrade(course, hw, sid, dest, stage, now, out)
            out.placed += [(sid, name, e.path) for name, (e, _) in sorted(files.items())]
            continue
        if dest.is_dir() and not dest.is_symlink() and not any(dest.iterdir()):
            dest.rmdir()  # an empty folder: nothing to keep
        if dest.exists() or dest.is_symlink():
            if _same(dest, stage / sid):  # collected again, unchanged: left as it is
                out.placed += [(sid, name, e.path) for name, (e, _) in sorted(files.items())]
                continue
            kept = course.root / ".dgmlab" / "replaced" / hw / now / sid
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(dest), str(kept))
            out.replaced.append((sid, kept.relative_to(course.root)))
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(stage / sid), str(dest))
        out.placed += [(sid, name, e.path) for name, (e, _) in sorted(files.items())]


def _add_regrade(course: Course, hw: str, sid: str, dest: Path, stage: Path, now: str, out: Collected) -> None:
    """``regrade.md`` from ``stage`` into the submission folder ``dest``; an earlier, different one moved to
    ``.dgmlab/replaced/<hw>/<time>/<student>/`` (``out.replaced``)."""
    new, old = stage / sid / REGRADE_FILE, dest / REGRADE_FILE
    if old.is_file() and not old.is_symlink() and filecmp.cmp(old, new, shallow=False):
        return
    if old.exists() or old.is_symlink():
        kept = course.root / ".dgmlab" / "replaced" / hw / now / sid
        kept.mkdir(parents=True, exist_ok=True)
        shutil.move(str(old), str(kept / REGRADE_FILE))
        out.replaced.append((sid, kept.relative_to(course.root)))
    shutil.move(str(new), str(old))


def list_questions(course: Course, hw: str, chosen: dict, out: Collected) -> None:
    """Each placed PDF or image with the question its name names (:mod:`..hand.question_files`) in
    ``out.questions``; nothing when the homework has no notebook with question headings."""
    labels = question_files.homework_questions(course, hw).labels
    for sid, files in (chosen.items() if labels else ()):
        for name in files:
            if name.lower().endswith(UPLOADS):
                out.questions[(sid, name)] = question_files.where(name, labels)


def check_names(course: Course, rules: Rules, names: dict | None, chosen: dict, out: Collected) -> None:
    """Each placed notebook's own name checked against ``rules.name_rule`` and recorded for ``dgmlab report``; the
    names that differ listed in ``out.misnamed``."""
    if rules.name_rule is None:
        return
    hw = rules.hw
    names = names if names is not None else roster_names(course)
    checked = {}
    for sid, files in chosen.items():
        if f"{hw}.ipynb" in files:
            checked[sid] = hand_in_names.check(files[f"{hw}.ipynb"][0].base[0], rules.name_rule, *names.get(sid, ("", "")))
    out.misnamed = [(sid, why) for sid, why in checked.items() if why]
    hand_in_names.record(course, hw, checked)


def collect(course: Course, hw: str, zip_path, times: dict | None = None, roster: dict | None = None,
            lms: str | None = None, limits: DgmlabCollect | None = None, names: dict | None = None,
            mappings: dict | None = None, confirm=None) -> Collected:
    """Place ``zip_path``'s submissions of ``hw`` in ``submitted/<student>/<hw>/`` and return what was placed and
    what was not. ``lms``: ``"canvas"`` or ``"moodle"`` (default: :func:`detect_lms`); ``times``: ``{student id or
    LMS user id: aware time}`` (:func:`read_times`, :func:`dgmlab.grading.lms.lms.submission_times`); ``roster``: a
    :func:`roster_index` (by default the gradebook's); ``limits``: the course's ``c.DgmlabCollect`` by default;
    ``names``: ``{student id: (first, last)}`` for ``limits.notebook_names``'s rule (:func:`roster_names` by default);
    ``mappings``: for a Moodle zip, ``{participant id: Moodle user id}`` (:func:`read_moodle_mappings`; by default
    the course's Moodle's, when ``c.DgmlabMoodle`` names the homework's assignment, else none: then only the
    participant ids the id map records match); ``confirm``: ``confirm(student, the LMS's account) -> bool``, asked
    before an entry whose ids are no student's is placed by its name (:func:`match`; ``None``: never by name). A
    confirmed match's ids go into the id map (:mod:`.id_map`) once the files are placed.

    Every entry is read into a staging folder first; a damaged one is a :class:`CourseError` and nothing in
    ``submitted/`` changes. Then each student's folder is replaced: one that held another submission is moved to
    ``.dgmlab/replaced/<hw>/<time>/<student>/`` (listed in ``replaced``).

    Each placed PDF or image is listed with the question it goes under (:mod:`..hand.question_files`); each
    notebook's name is checked against the homework's ``notebook_names`` rule (:mod:`.hand_in_names`): a name that
    differs is listed in ``misnamed`` and kept for ``dgmlab report``, the notebook placed all the same."""
    if zip_path is None:  # `dgmlab collect HW` named none: only an LMS plug-in that fetches needs none
        raise CourseError("name the zip the LMS's 'download submissions' gave: dgmlab collect HW ZIP")
    rules = rules_of(course, hw, limits)
    hw, limits = rules.hw, rules.limits
    with open_zip(zip_path) as archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        refused = screen(infos, limits, zip_path)
        lms = _zip_format(lms, infos)
        index = roster if roster is not None else roster_index(course, lms, hw)
        if lms == "moodle" and mappings is None:
            mappings = _moodle_mappings(course, hw)
        out = Collected(hw, lms)
        found = _sort(infos, refused, lms, index, mappings, confirm, out)
        per_student = _one_account_each(found.per_student, lms, out)
        chosen = {sid: choose(hw, sid, per_student[sid], rules.graded, limits, out) for sid in sorted(per_student)}
        chosen = {sid: files for sid, files in chosen.items() if files}
        stage = staging(course, hw, zip_path, found.readable)
        try:
            _unpack(archive, zip_path, found, chosen, stage)
            _stamp_times(found, chosen, times or {}, stage, out)
            place(course, hw, chosen, stage, out)  # every entry read: only now does submitted/ change
        finally:
            shutil.rmtree(stage, ignore_errors=True)
    _record_named(course, hw, lms, {sid: found.named[sid] for sid in chosen if sid in found.named}, out)
    after_placing(course, rules, names, chosen, out)
    return out


def after_placing(course: Course, rules: Rules, names: dict | None, chosen: dict, out: Collected) -> None:
    """What every collect says of the submissions it placed (``chosen``): the students who dropped the course
    (placed as anyone's, their files kept), the question each PDF or image goes under, the notebooks' names and the
    report PDFs against the homework's hand-in rules (kept for ``dgmlab report``)."""
    out.dropped = sorted(set(chosen) & course.dropped())
    list_questions(course, rules.hw, chosen, out)
    check_names(course, rules, names, chosen, out)
    report_names = course.settings(hand_in_rules.DgmlabHandIn).report_names
    out.no_report = hand_in_rules.check_collected(course, rules.hw, report_names, chosen)
