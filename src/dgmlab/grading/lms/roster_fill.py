"""The course's id map (:mod:`.id_map`) filled from the LMSs' own rosters: ``dgmlab lti roster`` (NRPS's members,
their LTI user id), ``dgmlab ids canvas`` (the course's students, their Canvas user id), ``dgmlab ids moodle`` (the
course's enrolled students, their Moodle user id, and each configured assignment's participant ids).

A member is matched to a student only by an id the LMS owns (:func:`fill`): the platform id the map has for them
already, or their SIS id (Canvas's ``sis_user_id``, Moodle's ``idnumber``, LTI's ``lis_person_sourcedid``), which
is the student's when the map records it as their ``sis`` or when it is their nbgrader id. An e-mail address
matches only where the instructor asked for it (``c.DgmlabLti.roster_match = "email"``), letter for letter (the
domain's case aside), and only once the instructor confirms each match (``confirm``). Two members matching one
student record neither; an id the map has for a student that differs is kept unless ``force`` (each listed with
both ids)."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..inert import terminal
from ..layout import Course, CourseError
from . import id_map, lms, lms_secrets, lti, moodle


@dataclass(frozen=True)
class Member:
    """One learner as an LMS's roster gives them."""

    uid: str  # their id on that LMS
    sis: str = ""
    email: str = ""
    name: str = ""

    def text(self, column: str) -> str:
        return (f"{self.name or '?'} ({id_map.label(column)} {self.uid}" + (f", SIS id {self.sis}" if self.sis else "")
                + (f", {self.email}" if self.email else "") + ")")


@dataclass
class Filled:
    where: str  # the roster, as the listing names it
    column: str
    written: list = field(default_factory=list)  # id_map.Change
    same: list = field(default_factory=list)  # students whose id was recorded already
    refused: list = field(default_factory=list)  # why an id was not recorded (IdConflict's message, two members)
    unmatched: list = field(default_factory=list)  # members no id of theirs names a student by
    unconfirmed: list = field(default_factory=list)  # e-mail matches the instructor did not confirm
    not_in_lms: list = field(default_factory=list)  # students of the course the roster does not list

    def lines(self) -> list:
        out = [f"{self.where}: {len(self.written)} ids recorded in {id_map.FILE}, {len(self.same)} already there"]
        out += [terminal(f"  {c.text()}") for c in self.written]
        for title, items in ((f"NOT RECORDED ({len(self.refused)})", self.refused),
                             (f"members matched to no student by an id the LMS owns ({len(self.unmatched)}; record "
                              f"their SIS id, or their {id_map.label(self.column)}, with dgmlab ids import)",
                              self.unmatched),
                             (f"e-mail matches not confirmed ({len(self.unconfirmed)}): not recorded",
                              self.unconfirmed),
                             (f"students the roster does not list ({len(self.not_in_lms)})", self.not_in_lms)):
            if items:
                out.append(title + ":")
                out += [terminal(f"  {x}") for x in items]
        return out

    @property
    def failed(self) -> bool:
        return bool(self.refused)


def same_email(a: str, b: str) -> bool:
    """Whether two addresses are one: letter for letter, the domain's case aside (a mailbox's own part may be
    case-sensitive, RFC 5321 2.4: ``AMARA@x.edu`` is not ``amara@x.edu``)."""
    a, b = (a or "").strip(), (b or "").strip()
    if "@" not in a or "@" not in b:
        return False
    (la, da), (lb, db) = a.rsplit("@", 1), b.rsplit("@", 1)
    return la == lb and da.lower() == db.lower()


def _roster(course: Course) -> dict:
    """``{student: e-mail}`` of nbgrader's student table."""
    from .. import nbgrader_gradebook

    db = course.root / "gradebook.db"
    if not db.exists():
        raise CourseError(f"no gradebook at {db}: add the students first (nbgrader db student import roster.csv)")
    with nbgrader_gradebook.open_gradebook_file(db) as gb:
        return {st.id: (st.email or "") for st in gb.students}


def fill(course: Course, members, column: str, where: str, force: bool = False, by_email: bool = False,
         confirm=None) -> Filled:
    """Record each of ``members`` (:class:`Member`) as ``column``'s id of the student an id the LMS owns names (see
    the module's docstring); ``by_email``: an e-mail address may propose a match, recorded only when ``confirm(
    student, what) -> bool`` says yes."""
    emails = _roster(course)
    ids = id_map.IdMap.load(course)
    students = set(emails) | set(ids.students())
    out = Filled(where, column)
    claims: dict = {}
    for m in members:
        owner, how = ids.who(column, m.uid), "id"
        if owner is None:
            owner, how = id_map.sis_owner(ids, students, m.sis), "SIS id"
        if owner is None and by_email and m.email:
            found = [sid for sid, e in emails.items() if same_email(e, m.email)]
            owner, how = (found[0], "e-mail") if len(found) == 1 else (None, "")
        if owner is None:
            out.unmatched.append(m.text(column))
            continue
        claims.setdefault(owner, []).append((m, how))
    for sid in sorted(claims):
        (m, how), *more = claims[sid]
        if more:
            out.refused.append(f"{sid}: {len(more) + 1} members match {sid} ("
                               + "; ".join(f"{x.text(column)} by {h}" for x, h in claims[sid])
                               + "): which one is the student cannot be told, none recorded")
            continue
        if how == "e-mail" and (confirm is None or not confirm(sid, m.text(column))):
            out.unconfirmed.append(f"{sid} <- {m.text(column)}")
            continue
        try:
            changes = ids.set(sid, column, m.uid, force)
        except id_map.IdConflict as exc:
            out.refused.append(str(exc))
            continue
        (out.written.extend(changes) if changes else out.same.append(sid))
    out.not_in_lms = sorted(set(emails) - set(claims))
    if out.written:
        ids.save()
    return out


# ------------------------------------------------------------------ the rosters
def from_lti(course: Course, force: bool = False, confirm=None, session=None) -> Filled:
    """``dgmlab lti roster``: NRPS's active learners' LTI user ids (``user_id``, the ``sub`` of their launches)."""
    by = lti.settings(course).roster_match
    found = lti.members(course, lti.connector(course, session))
    members = [Member(str(m.get("user_id") or ""), str(m.get("lis_person_sourcedid") or ""),
                      str(m.get("email") or ""), str(m.get("name") or "")) for m in found if m.get("user_id")]
    return fill(course, members, "lti", "the LMS's roster (LTI NRPS)", force, by_email=by == "email",
                confirm=confirm)


def from_canvas(course: Course, force: bool = False, token: str | None = None) -> Filled:
    """``dgmlab ids canvas``: the Canvas course's students (Canvas's "list users in course", ``GET
    /api/v1/courses/:id/search_users?enrollment_type[]=student``), their user id by their ``sis_user_id``."""
    from canvasapi import Canvas

    s = lms.settings(course)
    if not s.url or not s.course_id:
        raise CourseError("set c.DgmlabCanvas.url and c.DgmlabCanvas.course_id in nbgrader_config.py "
                          "(docs/instructor_guide.md, 'Canvas')")
    token = token or lms_secrets.token(course, lms.TOKEN_ENV, s.token_file, "c.DgmlabCanvas.token_file",
                                       "Canvas API token (Canvas: Account > Settings > New access token)")
    try:
        users = list(Canvas(s.url.rstrip("/"), token).get_course(s.course_id).get_users(enrollment_type=["student"]))
    except Exception as exc:
        raise CourseError(f"Canvas at {s.url}: could not read course {s.course_id}'s students "
                          f"({type(exc).__name__}: {exc})") from exc
    members = [Member(str(u.id), str(getattr(u, "sis_user_id", None) or ""), "", str(getattr(u, "name", "") or ""))
               for u in users]
    return fill(course, members, "canvas", "Canvas's roster", force)


def from_moodle(course: Course, force: bool = False, session=None) -> list:
    """``dgmlab ids moodle``: the Moodle course's enrolled students (``core_enrol_get_enrolled_users``), their user
    id by their ``idnumber``; then the participant ids of each homework ``c.DgmlabMoodle.assignments`` names
    (``mod_assign_get_user_mappings``), by the user ids the map has. One :class:`Filled` each."""
    s = moodle.settings(course)
    if not s.assignments:
        raise CourseError("set c.DgmlabMoodle.url and c.DgmlabMoodle.assignments in nbgrader_config.py "
                          "(docs/instructor_guide.md, 'Moodle')")
    site = moodle.client(course, session)
    first = sorted(s.assignments)[0]
    cm = site.call("core_course_get_course_module", cmid=int(s.assignments[first])).get("cm", {})
    users = site.call("core_enrol_get_enrolled_users", courseid=int(cm["course"]))
    members = [Member(str(u["id"]), str(u.get("idnumber") or ""), "", str(u.get("fullname") or ""))
               for u in users if any(r.get("shortname") == "student" for r in u.get("roles", []))]
    out = [fill(course, members, "moodle", "Moodle's roster", force)]
    for hw in sorted(s.assignments):
        by_user = {uid: sid for sid, uid in id_map.platform_ids(course, "moodle").items()}
        pairs = moodle.user_mappings(course, hw, session)  # {participant id: user id}
        participants = [Member(pid, "", "", f"Moodle user {uid}") for pid, uid in sorted(pairs.items())]
        # a participant is matched by the student its user id is: put that student's SIS id as the member's
        known = [m for m in participants if pairs[m.uid] in by_user]
        got = _fill_known(course, known, {m.uid: by_user[pairs[m.uid]] for m in known}, id_map.participant_column(hw),
                          f"Moodle's participants in {hw}", force)
        got.unmatched += [m.text(id_map.participant_column(hw)) + ": no student has that Moodle user id"
                          for m in participants if m not in known]
        out.append(got)
    return out


def _fill_known(course: Course, members: list, owner: dict, column: str, where: str, force: bool) -> Filled:
    """Record each member's id as ``column``'s of the student ``owner`` names for it."""
    ids = id_map.IdMap.load(course)
    out = Filled(where, column)
    for m in members:
        try:
            changes = ids.set(owner[m.uid], column, m.uid, force)
        except id_map.IdConflict as exc:
            out.refused.append(str(exc))
            continue
        (out.written.extend(changes) if changes else out.same.append(owner[m.uid]))
    if out.written:
        ids.save()
    return out
