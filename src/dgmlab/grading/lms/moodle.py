"""Marks (and feedback files) to Moodle through its web services' REST protocol.

Configured as ``c.DgmlabMoodle`` in ``nbgrader_config.py``: the site's address and each homework's assignment (the
number in its address, ``mod/assign/view.php?id=<n>``: the course module, whose assignment ``core_course_get_course_
module`` names). The token of a web service user allowed ``core_course_get_course_module``,
``mod_assign_get_assignments``, ``mod_assign_get_grades``, ``mod_assign_save_grade`` (and, for ``dgmlab collect``,
``mod_assign_get_user_mappings`` and ``mod_assign_get_submissions``) comes from ``MOODLE_TOKEN`` or
``c.DgmlabMoodle.token_file`` (outside the course, mode 600); it travels in the POST body only, so no address
printed or logged holds it. Students are matched by their Moodle user id (the ``id=`` of the user's profile address) in the
course's id map (:func:`dgmlab.grading.lms.id_map.platform_ids`).

``dgmlab collect`` reads the participant ids of an assignment's download (:func:`user_mappings`,
``mod_assign_get_user_mappings``) when this names the homework's assignment, and with ``--moodle`` each submission's
time (:func:`submission_times`, ``mod_assign_get_submissions``).

``dgmlab push --moodle <hw>`` (:func:`push`) first compares the assignment's Maximum grade (:func:`grade_maximum`)
with the homework's points and sends nothing when they differ; it reads the current grades
(``mod_assign_get_grades``) and saves each final mark with the grade summary as the feedback comment, in one
``mod_assign_save_grade`` call per student, which with ``--feedback`` carries the student's own feedback files too
(uploaded to a draft area through ``webservice/upload.php``, then given as ``plugindata[files_filemanager]``). Every
save carries the comment (Moodle's comment plugin saves what the call gives, so a save without one would blank it).
A mark still pending is not sent, nor its files (listed as held back); a student whose mark changed in Moodle is kept gets no save at all, so neither
files nor a summary saying dgmlab's mark. What was sent is kept in
``.dgmlab/push/moodle/<hw>.json``; a mark changed in Moodle since (or set there before any push) is kept unless
``force`` (:func:`dgmlab.grading.lms.push_marks.changed_there`). Moodle answers a refused call with HTTP 200 and a JSON
``{"exception", "errorcode", "message"}``: a :class:`CourseError` naming the function and what Moodle said.
"""
from __future__ import annotations

import datetime as datetime_module
from dataclasses import dataclass
from pathlib import Path

from traitlets import Dict, Unicode
from traitlets.config import Configurable

from ..layout import Course, CourseError
from . import feedback_return, lms_secrets
from .push_marks import Lms, Pushed, Skip, Student, check_maximum, push_marks

TOKEN_ENV = "MOODLE_TOKEN"
FORMAT_PLAIN = 2  # Moodle's FORMAT_PLAIN, for the feedback comment


class DgmlabMoodle(Configurable):
    """Where the course's Moodle is and which assignment is which homework."""

    url = Unicode("", help="The Moodle site's address, e.g. https://moodle.university.edu").tag(config=True)
    assignments = Dict(help="{homework: the number in the Moodle assignment's address, mod/assign/view.php?id=<n>}"
                       ).tag(config=True)
    token_file = Unicode("", help=f"A file outside the course (mode 600) holding the web service token, where "
                                  f"{TOKEN_ENV} is not set").tag(config=True)


def settings(course: Course) -> DgmlabMoodle:
    return course.settings(DgmlabMoodle)


def flatten(params: dict, prefix: str = "") -> dict:
    """Moodle's REST parameters: nested dicts and lists as ``name[key][0]`` fields."""
    out = {}
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, dict):
            out.update(flatten(value, name))
        elif isinstance(value, (list, tuple)):
            out.update(flatten(dict(enumerate(value)), name))
        else:
            out[name] = value
    return out


class Moodle:
    """A web service client of one Moodle site (``requests``)."""

    def __init__(self, url: str, token: str, session=None):
        import requests

        self.url, self._token = url.rstrip("/"), token
        self.session = session or requests.Session()

    def _safe(self, text) -> str:
        return str(text).replace(self._token, "<token>")

    def _answer(self, what: str, response):
        if response.status_code != 200:
            raise CourseError(f"Moodle at {self.url} answered HTTP {response.status_code} to {what}")
        try:
            got = response.json()
        except ValueError:
            raise CourseError(f"Moodle at {self.url} answered {what} with no JSON (is the REST protocol enabled? Site "
                              "administration > Server > Web services > Manage protocols)") from None
        if isinstance(got, dict) and ("exception" in got or "error" in got):
            code = got.get("errorcode", "")
            hint = {"invalidtoken": ": the token is wrong or expired (Site administration > Server > Web services > "
                                    "Manage tokens)",
                    "accessexception": ": the token's service lacks this function, or its user this capability"
                    }.get(code, "")
            raise CourseError(self._safe(f"Moodle refused {what}: {code or got.get('exception')}: "
                                         f"{got.get('message') or got.get('error')}{hint}"))
        return got

    def call(self, function: str, **params):
        import requests

        form = {"wstoken": self._token, "wsfunction": function, "moodlewsrestformat": "json", **flatten(params)}
        try:
            response = self.session.post(f"{self.url}/webservice/rest/server.php", data=form, timeout=120)
        except requests.RequestException as exc:
            raise CourseError(self._safe(f"could not reach Moodle at {self.url} ({type(exc).__name__})")) from None
        return self._answer(function, response)

    def upload(self, path: Path, itemid: int = 0) -> int:
        """Put ``path`` in a draft file area (a new one when ``itemid`` is 0); the area's item id."""
        import requests

        try:
            with path.open("rb") as f:
                response = self.session.post(f"{self.url}/webservice/upload.php",
                                             data={"token": self._token, "filearea": "draft", "itemid": itemid},
                                             files={"file_1": (path.name, f)}, timeout=300)
        except requests.RequestException as exc:
            raise CourseError(self._safe(f"could not upload {path.name} to Moodle ({type(exc).__name__})")) from None
        got = self._answer(f"the upload of {path.name}", response)
        if not isinstance(got, list) or not got or "itemid" not in got[0]:
            raise CourseError(f"Moodle's upload of {path.name} gave no draft item id: {str(got)[:200]}")
        return int(got[0]["itemid"])


def client(course: Course, session=None) -> Moodle:
    s = settings(course)
    if not s.url:
        raise CourseError("set c.DgmlabMoodle.url in nbgrader_config.py (docs/instructor_guide.md, 'Moodle')")
    token = lms_secrets.token(course, TOKEN_ENV, s.token_file, "c.DgmlabMoodle.token_file",
                              "Moodle web service token")
    return Moodle(s.url, token, session)


def course_module(course: Course, hw: str, moodle: Moodle) -> dict:
    """The course module ``c.DgmlabMoodle.assignments`` names for ``hw`` (``core_course_get_course_module``), which
    must be an assignment."""
    s = settings(course)
    if hw not in s.assignments:
        raise CourseError(f'set c.DgmlabMoodle.assignments["{hw}"] in nbgrader_config.py: the number in the Moodle '
                          "assignment's address, mod/assign/view.php?id=<number> (docs/instructor_guide.md, 'Moodle')")
    cm = moodle.call("core_course_get_course_module", cmid=int(s.assignments[hw])).get("cm", {})
    if cm.get("modname") != "assign":
        raise CourseError(f'c.DgmlabMoodle.assignments["{hw}"] = {s.assignments[hw]} is a Moodle {cm.get("modname")}, '
                          "not an assignment: give the number in the assignment's own address")
    return cm


def assignment_id(course: Course, hw: str, moodle: Moodle) -> int:
    """The instance id (what ``mod_assign`` functions take) of ``hw``'s assignment, from the course module id
    ``c.DgmlabMoodle.assignments`` names (``core_course_get_course_module``)."""
    return int(course_module(course, hw, moodle)["instance"])


def grade_maximum(moodle: Moodle, cm: dict) -> float | None:
    """The assignment's Maximum grade (negative: a scale's id; 0: no grade), as ``core_course_get_course_module``
    gives it to a user who may manage the course's activities (``grade``), else from ``mod_assign_get_assignments``."""
    if cm.get("grade") not in (None, ""):
        return float(cm["grade"])
    got = moodle.call("mod_assign_get_assignments", courseids=[int(cm["course"])])
    for c in got.get("courses", []):
        for a in c.get("assignments", []):
            if int(a.get("id", -1)) == int(cm["instance"]) and a.get("grade") is not None:
                return float(a["grade"])
    return None


def _rows(got: dict, aid: int, key: str) -> list:
    """The ``key`` rows (``grades``, ``mappings``, ...) a ``mod_assign_get_*`` answer ``got`` gives assignment ``aid``."""
    return [row for a in got.get("assignments", []) if int(a.get("assignmentid", -1)) == aid for row in a.get(key, [])]


def _ask(course: Course, hw: str, function: str, session=None) -> tuple[int, dict]:
    """``(assignment id, Moodle's answer)`` of ``mod_assign`` ``function`` asked about ``hw``'s assignment."""
    moodle = client(course, session)
    aid = assignment_id(course, hw, moodle)
    return aid, moodle.call(function, assignmentids=[aid])


def _time(seconds) -> datetime_module.datetime:
    return datetime_module.datetime.fromtimestamp(int(seconds), datetime_module.timezone.utc)


def current_grades(moodle: Moodle, aid: int) -> dict:
    """``{Moodle user id: grade}`` of assignment ``aid`` (``None`` for a grade record with no grade, -1)."""
    out = {}
    for g in _rows(moodle.call("mod_assign_get_grades", assignmentids=[aid]), aid, "grades"):
        value = g.get("grade")
        out[str(g["userid"])] = None if value in (None, "") or float(value) < 0 else float(value)
    return out


def user_mappings(course: Course, hw: str, session=None) -> dict:
    """``{participant id: Moodle user id}`` of ``hw``'s assignment (``mod_assign_get_user_mappings``; the token's
    user needs ``mod/assign:revealidentities``). The number in the names of Moodle's download-submissions zip is the
    participant id (the assignment's ``assign_user_mapping`` row), not the user id: ``dgmlab collect`` reads it
    through this."""
    aid, got = _ask(course, hw, "mod_assign_get_user_mappings", session)
    out = {str(int(m["id"])): str(int(m["userid"])) for m in _rows(got, aid, "mappings")}
    if not out:
        warned = "; ".join(str(w.get("message", w)) for w in got.get("warnings", []))
        raise CourseError(f"Moodle gave no participant mappings for {hw}'s assignment {aid}"
                          + (f" ({warned})" if warned else "") + ": give the token's user mod/assign:"
                          "revealidentities, or give collect --moodle-mappings CSV (columns participant,userid)")
    return out


def submission_times(course: Course, hw: str, session=None) -> dict:
    """``{Moodle user id: aware time}`` of each submission of ``hw``'s assignment handed in (status ``submitted``,
    its latest attempt's ``timemodified``: ``mod_assign_get_submissions``), for ``dgmlab collect --moodle``: Moodle's
    download zip carries no times. A draft (``status`` ``draft`` or ``new``) has none."""
    aid, got = _ask(course, hw, "mod_assign_get_submissions", session)
    out = {}
    for sub in _rows(got, aid, "submissions"):
        if sub.get("status") == "submitted" and sub.get("timemodified"):
            when, key = _time(sub["timemodified"]), str(int(sub["userid"]))
            out[key] = max(out.get(key, when), when)  # a student's latest attempt
    return out


def extensions(course: Course, hw: str, session=None) -> tuple[int, dict]:
    """``(assignment id, {Moodle user id: aware time})``: each extension Moodle grants on ``hw``'s assignment (a
    user flag's ``extensionduedate``, ``mod_assign_get_user_flags``; 0 is none), for ``dgmlab overrides --moodle``."""
    aid, got = _ask(course, hw, "mod_assign_get_user_flags", session)
    return aid, {str(int(f["userid"])): _time(f["extensionduedate"]) for f in _rows(got, aid, "userflags")
                 if int(f.get("extensionduedate") or 0) > 0}


def _record_path(course: Course, hw: str) -> Path:
    return course.root / ".dgmlab" / "push" / "moodle" / f"{hw}.json"


def push(course: Course, hw: str, force: bool = False, data=None, feedback: bool = False, session=None):
    """Save ``hw``'s final marks (and, with ``feedback``, each student's feedback files) in Moodle; the marks'
    :class:`~dgmlab.grading.lms.push_marks.Pushed` and the files' :class:`~.feedback_return.Returned` (``None`` without
    ``feedback``)."""
    from ..report import analysis

    data = data if data is not None else analysis.collect(course, [hw])
    moodle = client(course, session)
    cm = course_module(course, hw, moodle)
    aid, subs = int(cm["instance"]), sorted((s for s in data.submissions if s.hw == hw), key=lambda s: s.student)
    check_maximum("Moodle", hw, grade_maximum(moodle, cm), subs, "Set the assignment's Maximum grade to {points} in "
                  "Moodle (its Settings > Grade, Type: Point)")
    in_moodle = current_grades(moodle, aid)
    out = Pushed(hw, where="Moodle")
    saves = _Saves(course, hw, moodle, aid, feedback, feedback_return.read_record(course, "moodle", hw) if feedback else {},
                   feedback_return.Returned(hw, "Moodle") if feedback else None)
    lms = Lms(id_hint="dgmlab ids moodle reads it from Moodle; or dgmlab ids import CSV, columns student,moodle",
              shown=in_moodle.get, send=saves.send, beside=True, platform="moodle")
    push_marks(course, data, subs, lms, out, _record_path(course, hw), force=force)  # no save while pending
    if saves.files_out is not None:
        saves.files_out.pending += sorted(feedback_return.held_back(subs).items())
    return out, saves.files_out


@dataclass(frozen=True)
class _Saves:
    """One push's grade saves in ``hw``'s Moodle assignment ``aid``: the record of the feedback files sent
    (``files_record``, by student) and what became of them this time (``files_out``; ``None`` without ``feedback``)."""

    course: Course
    hw: str
    moodle: Moodle
    aid: int
    feedback: bool
    files_record: dict
    files_out: feedback_return.Returned | None

    def files_for(self, st: Student) -> list:
        """The student's feedback files to attach (all of them when one is new), or none, listed in files_out."""
        course, hw, files_out = self.course, self.hw, self.files_out
        if not st.send_mark and (st.theirs is None or abs(st.theirs - st.mark.number) > 1e-6):  # Moodle's mark kept
            files_out.skipped.append((st.sid, "no feedback files: Moodle's own mark was kept, and files go in a grade "
                                              "save, with dgmlab's summary as its comment (--force sends all three)"))
            return []
        try:
            new, none_why = feedback_return.to_send(course, hw, st.sid, self.files_record.get(st.sid, {}))
            # the draft area replaces the feedback files Moodle has: all of them go when one is new
            files = feedback_return.feedback_files(course, hw, st.sid) if new else []
        except CourseError as exc:
            files, none_why = [], str(exc)
        if none_why:
            files_out.skipped.append((st.sid, none_why))
        elif not files:
            files_out.unchanged.append(st.sid)
        if not none_why:  # listed; what there is is sent
            files_out.skipped += [(st.sid, why) for why in feedback_return.page_problems(course, hw, st.sid)]
        return files

    def send(self, st: Student) -> None:
        """One save per student: the mark (or, new files only, the same mark again) and always the comment, which
        Moodle's comment plugin would otherwise save blank; a kept Moodle mark gets no save (:meth:`files_for`)."""
        files = self.files_for(st) if self.feedback else []
        if not st.send_mark and not files:
            return
        params = {"assignmentid": self.aid, "userid": int(st.uid), "attemptnumber": -1, "addattempt": 0,
                  "workflowstate": "", "applytoall": 0,  # this student's grade only, even in a group assignment
                  "grade": st.mark.number,
                  "plugindata": {"assignfeedbackcomments_editor": {"text": st.comment, "format": FORMAT_PLAIN}}}
        try:
            if files:
                item = 0
                for p in files:
                    item = self.moodle.upload(p, item)
                params["plugindata"]["files_filemanager"] = item
            self.moodle.call("mod_assign_save_grade", **params)
        except CourseError as exc:
            raise Skip(f"Moodle refused the mark: {exc}") from None
        if files:
            self.files_record.setdefault(st.sid, {}).update({p.name: feedback_return.digest(p) for p in files})
            feedback_return.write_record(self.course, "moodle", self.hw, self.files_record)
            self.files_out.attached += [(st.sid, p.name) for p in files]
