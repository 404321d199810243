"""Which roster student a zip entry of an LMS's download belongs to: by the id that LMS owns, as the course's id map
records it (:mod:`.id_map`: Canvas's user id; for Moodle the assignment's participant id or its user id), never by
name unless the instructor asks and confirms each match (:func:`match`'s ``confirm``), and then only to the one
roster student of that name who has no id on that platform; two students of one name are never guessed between."""
from __future__ import annotations

import re

from ..layout import Course, CourseError
from . import id_map

PLATFORM = {"canvas": "Canvas", "moodle": "Moodle"}


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", (text or "").lower())


def roster_index(course: Course, lms: str = "canvas", hw: str | None = None) -> dict:
    """:func:`index_of` nbgrader's student table (and the map's students) with each one's ``lms`` user id
    (:func:`.id_map.platform_ids`) and, for Moodle, their participant id in ``hw``'s assignment."""
    names = roster_names(course)
    ids = id_map.platform_ids(course, lms)
    if not names and not ids:
        raise CourseError(f"no students: add the roster first (nbgrader db student import roster.csv) and their "
                          f"{PLATFORM.get(lms, lms)} ids ({id_map.FILE}: dgmlab ids import, dgmlab ids {lms})")
    participants = id_map.participant_ids(course, hw) if lms == "moodle" and hw else {}
    students = sorted(set(names) | set(ids) | set(participants))
    return index_of(((sid, *names.get(sid, ("", "")), ids.get(sid, "")) for sid in students), participants)


def index_of(students, participants: dict | None = None) -> dict:
    """``{("lms", user id): student, ("participant", id): student, ("name", key): student, ("named", key): ((student,
    user id), ...)}`` of ``students``: ``(student id, first name, last name, user id on the platform or "")`` each;
    ``participants``: ``{student: Moodle participant id}``. ``("name", key)`` is only there when exactly one student
    has that name (Canvas's sortable ``<last><first>`` or Moodle's ``<first><last>``) and no user id: the one a
    confirmed name match may place. ``("named", key)`` lists every student of the name, for the listing."""
    index, named = {}, {}
    for sid, first, last, uid in students:
        if uid:
            index[("lms", uid)] = sid
        if first or last:
            for key in {_key(f"{last}{first}"), _key(f"{first}{last}")}:  # Canvas's sortable, Moodle's full name
                named.setdefault(key, []).append((sid, uid))
    for sid, pid in (participants or {}).items():
        index[("participant", pid)] = sid
    for key, who in named.items():
        index[("named", key)] = tuple(who)
        if len(who) == 1 and not who[0][1]:
            index[("name", key)] = who[0][0]
    return index


def match(index: dict, user: str | None, name: str, lms: str, participant: str | None = None,
          confirm=None) -> tuple:
    """``(student id, "", by name)`` of the roster student an entry belongs to, or ``(None, why, False)``. ``user``:
    the entry's user id on ``lms`` (``None`` when unknown: a Moodle participant id without a mapping);
    ``participant``: a Moodle entry's participant id; ``name``: the LMS's name for the student. By the ids; a
    participant id and a user id naming two students place neither. Else by name only when ``confirm(student,
    what)`` says yes (the instructor asked for name matching and confirmed this one), and only to the one roster
    student of that name with no user id on ``lms``."""
    by_user = index.get(("lms", user)) if user else None
    by_part = index.get(("participant", participant)) if participant else None
    if by_user and by_part and by_user != by_part:
        return None, (f"{id_map.FILE} gives Moodle participant {participant} to {by_part} but its user id {user} to "
                      f"{by_user}: not placed; correct {id_map.FILE} (dgmlab ids moodle, or by hand)"), False
    if by_user or by_part:
        return by_user or by_part, "", False
    where = PLATFORM.get(lms, lms)
    key = _key(name)
    what = (f"{name!r} (" + (f"Moodle participant {participant}" + (f", user id {user}" if user else "")
                             if lms == "moodle" else f"{where} user id {user}") + ")")
    if ("name", key) in index and confirm is not None and confirm(index[("name", key)], what):
        return index[("name", key)], "", True
    who = index.get(("named", key), ())
    add = (f"dgmlab ids import CSV, a row student,{lms} with " + (f"<their id>,{user}" if user else
                                                                    f"<their id>,<their {where} user id>")
           + (f"; or dgmlab ids {lms}" if lms in ("canvas", "moodle") else ""))
    if lms == "moodle" and not user:
        known = (f"participant {participant} is no student's in {id_map.FILE} and its Moodle user id is not known "
                 "(give --moodle-mappings CSV, or set c.DgmlabMoodle so collect reads the assignment's participants)")
    else:
        known = f"no student has {where} user id {user} in {id_map.FILE}"
    if not who:
        return None, f"{known}, and no student is named {name!r}: record their id ({add}) and collect again", False
    if len(who) > 1:
        return None, (f"{known}, and {len(who)} students are named {name!r} ({', '.join(s for s, _ in who)}): "
                      f"which one cannot be told by name; record each one's {where} id ({add}), then collect "
                      "again"), False
    sid, uid = who[0]
    if uid and not user:  # a Moodle participant without a mapping: the name alone cannot say it is them
        return None, (f"{known}; {sid} has the name {name!r} and {where} user id {uid}: a name does not tell whether "
                      f"this is {sid} or a namesake, not placed"), False
    if uid:
        return None, (f"{known}; {sid} has the name {name!r} but {where} user id {uid}: another person (an "
                      f"auditor, a test student, a namesake), not placed. If this is a student of the course, record "
                      f"their id ({add}) and collect again"), False
    return None, (f"{known}; {sid} has the name {name!r} and no {where} id: a name does not tell who handed it in, "
                  f"not placed. Record {sid}'s id ({add}), or collect again with --match-names to confirm "
                  "it"), False


def roster_names(course: Course) -> dict:
    """``{student id: (first name, last name)}`` from nbgrader's student table (``{}`` without a gradebook)."""
    from .. import nbgrader_gradebook

    db = course.root / "gradebook.db"
    if not db.exists():
        return {}
    with nbgrader_gradebook.open_gradebook_file(db) as gb:
        return {st.id: (st.first_name or "", st.last_name or "") for st in gb.students}
