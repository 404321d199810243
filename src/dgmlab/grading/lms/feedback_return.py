"""Each student's feedback files returned to their own LMS submission (``dgmlab push --feedback``).

The files are what the kit wrote as feedback in ``feedback/<student>/<hw>/``: nbgrader's feedback HTML of each of
the homework's notebooks (``<notebook>.html``) and ``dgmlab report``'s grade summary (``grade_summary.html``)
(:func:`feedback_files`). Nothing else in that folder is sent: autograde copies the files a student handed in
(their PDFs, photos) there too, and those are the student's own, not feedback. A student's files are found from the nbgrader id that the LMS id maps to in the course's
id map (:mod:`.id_map`), in that student's own folder only: a link (to a classmate's folder, or anywhere) is refused, never
followed, so no file of another student can reach a submission.

To Canvas (:func:`to_canvas`), each file is a submission comment with an attachment, by Canvas's three-step upload
(:mod:`.canvas_upload`: the comment's file slot under the submission's *user* id, the file posted to the address
Canvas gives, without the API token, its redirect back to Canvas followed with the token, then the submission
updated with the file's id). Moodle's feedback files go with the
mark (:mod:`.moodle`). What was attached is kept in ``.dgmlab/push/feedback/<lms>_<hw>.json`` (each file's SHA-256),
so pushing again attaches only files that changed.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..inert import terminal
from ..layout import Course, CourseError
from ..report import final_mark as final_mark_module
from ..report.grade_summary import FILE
from .canvas_upload import upload_comment


def feedback_names(course: Course, hw: str) -> set:
    """The names of the files the kit writes as ``hw``'s feedback: ``<notebook>.html`` of each notebook nbgrader's
    gradebook knows for it (nbgrader's generate_feedback), and the grade summary's HTML."""
    from .. import nbgrader_gradebook

    names = {f"{FILE}.html"}
    db = course.root / "gradebook.db"
    if db.exists():
        with nbgrader_gradebook.open_gradebook_file(db) as gb:
            try:
                names |= {f"{nb.name}.html" for nb in gb.find_assignment(hw).notebooks}
            except nbgrader_gradebook.MissingEntry:
                pass
    return names


def feedback_files(course: Course, hw: str, student: str) -> list[Path]:
    """The feedback files of ``student``'s ``hw`` (those of :func:`feedback_names` in
    ``feedback/<student>/<hw>/``, sorted): regular files of that folder itself, never a file the student handed in.
    A link on the way there or in it is a :class:`CourseError` (never followed)."""
    root = course.folder("feedback")
    folder = course.folder("feedback", hw, student)
    for p in (root / student, folder):
        if p.is_symlink():
            raise CourseError(f"{p} is a link: feedback is read from the student's own folder only (replace it "
                              "with the folder itself)")
    if not folder.is_dir():
        return []
    names = feedback_names(course, hw)
    out = []
    for p in sorted(folder.iterdir()):
        if p.name not in names:
            continue
        if p.is_symlink() or not p.is_file():
            raise CourseError(f"{p} is a link or not a regular file: feedback is read from the student's own files "
                              "only (replace it with the file itself)")
        out.append(p)
    return out


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Returned:
    hw: str
    where: str
    attached: list = field(default_factory=list)  # (student, file name)
    unchanged: list = field(default_factory=list)  # students whose files were attached before, unchanged
    skipped: list = field(default_factory=list)  # (student, why)
    pending: list = field(default_factory=list)  # (student, why): mark pending, no file sent (:func:`held_back`)

    def lines(self) -> list:
        out = [f"feedback files of {self.hw} attached in {self.where}: {len(self.attached)}"
               + (f" ({len(self.unchanged)} students' unchanged since the last push)" if self.unchanged else "")]
        out += [terminal(f"  {s}: {name}") for s, name in self.attached]
        if self.pending:
            out.append(f"feedback held back, mark pending ({len(self.pending)}; the push once it is final sends it):")
            out += [terminal(f"  {s}: {why}") for s, why in self.pending]
        if self.skipped:
            out.append(f"feedback not returned ({len(self.skipped)}):")
            out += [terminal(f"  {s}: {why}") for s, why in self.skipped]
        return out


def record_path(course: Course, lms: str, hw: str) -> Path:
    return course.root / ".dgmlab" / "push" / "feedback" / f"{lms}_{hw}.json"


def read_record(course: Course, lms: str, hw: str) -> dict:
    path = record_path(course, lms, hw)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def write_record(course: Course, lms: str, hw: str, record: dict) -> None:
    path = record_path(course, lms, hw)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1, sort_keys=True), encoding="utf-8")


def page_problems(course: Course, hw: str, student: str, missing_too: bool = True, names=None) -> list[str]:
    """What is wrong with ``student``'s feedback pages of ``hw``: each notebook's page that says part of it was left
    out (:func:`dgmlab.grading.preprocessors.feedback_page.left_out`: an answer nbconvert could not draw), and with
    ``missing_too`` each notebook with no page at all (``[]`` when nothing is). ``names``: :func:`feedback_names` of
    ``hw``, where the caller has them (read from the gradebook otherwise)."""
    from ..preprocessors.feedback_page import left_out

    folder = course.folder("feedback", hw, student)
    out = []
    for name in sorted((feedback_names(course, hw) if names is None else set(names)) - {f"{FILE}.html"}):
        page = folder / name
        if not page.is_file() or page.is_symlink():
            if missing_too:
                out.append(f"no feedback page {name} (its notebook was not handed in, or autograde could not make "
                           "the page: its output says why)")
            continue
        said = left_out(page)
        if said:
            out.append(f"{name} was made without part of it: {said}")
    return out


def held_back(subs) -> dict:
    """``{student: why}`` of those of ``subs`` whose mark is pending (an answer still to grade by hand): none of their
    feedback files is sent, as no mark is (docs/instructor_guide.md: a pending mark is never pushed), since the
    pages and the grade summary would show a mark that is not final. Their files are not recorded as sent, so the
    push once the mark is final sends them."""
    out = {}
    for sub in subs:
        mark = final_mark_module.final_mark(sub)
        if not mark.final:
            out[sub.student] = mark.pending
    return out


def to_send(course: Course, hw: str, student: str, sent: dict) -> tuple[list, str]:
    """``student``'s feedback files not attached before (``sent``: {file name: SHA-256} of what was), and why none
    are to send ("" when some are)."""
    files = feedback_files(course, hw, student)
    if not files:
        return [], (f"no feedback files in {course.folder('feedback', hw, student)} (dgmlab autograde writes them; "
                    "dgmlab report adds the grade summary)")
    return [p for p in files if sent.get(p.name) != digest(p)], ""


def to_canvas(course: Course, hw: str, token: str | None = None, data=None, kept=frozenset()) -> Returned:
    """Attach each graded student's new feedback files to their Canvas submission as comments; none for a student in
    ``kept`` (whose mark changed in Canvas was kept): the pages and the grade summary show dgmlab's mark; none for a
    student whose mark is pending (:func:`held_back`)."""
    from ..report import analysis
    from . import id_map, lms

    data = data if data is not None else analysis.collect(course, [hw])
    ids = id_map.platform_ids(course, "canvas")
    target = lms.assignment(course, hw, token)
    in_canvas = {str(s.user_id): s for s in target.get_submissions()}
    record = read_record(course, "canvas", hw)
    out = Returned(hw, "Canvas")
    subs = [s for s in data.submissions if s.hw == hw]
    pending = held_back(subs)
    for sid in sorted({s.student for s in subs}):
        if sid in pending:  # nothing for a pending mark: the pages and the summary show no final mark
            out.pending.append((sid, pending[sid]))
            continue
        uid = ids.get(sid)
        if not uid:
            out.skipped.append((sid, f"no Canvas user id in {id_map.FILE} (dgmlab ids canvas, or dgmlab ids import)"))
            continue
        theirs = in_canvas.get(uid)
        if theirs is None:
            out.skipped.append((sid, f"Canvas has no submission record for user {uid}"))
            continue
        try:
            files, why = to_send(course, hw, sid, record.get(sid, {}))
        except CourseError as exc:
            out.skipped.append((sid, str(exc)))
            continue
        if why:
            out.skipped.append((sid, why))
            continue
        if sid in kept:  # the feedback pages and the summary show dgmlab's score, not the mark Canvas keeps
            out.skipped.append((sid, "no feedback files: Canvas's own mark was kept and they show dgmlab's "
                                     "(--force sends both)"))
            continue
        if not files:
            out.unchanged.append(sid)
        out.skipped += [(sid, why) for why in page_problems(course, hw, sid)]  # listed; what there is is sent
        for path in files:
            try:
                ok, got = upload_comment(theirs, path)
            except Exception as exc:
                ok, got = False, f"{type(exc).__name__}: {exc}"
            if not ok:
                out.skipped.append((sid, f"Canvas did not take {path.name} ({str(got)[:200]})"))
                continue
            record.setdefault(sid, {})[path.name] = digest(path)
            record[sid]["_at"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
            write_record(course, "canvas", hw, record)  # after each file: a crash keeps what was attached
            out.attached.append((sid, path.name))
    return out
