"""Which roster student a zip entry of an LMS's download belongs to: by the LMS user id recorded in nbgrader's
student table, else by the name only when exactly one roster student has that name and no LMS user id
(:func:`match`); two students of one name, or a namesake with another id, are never guessed between."""
from __future__ import annotations

import re

from ..layout import Course, CourseError


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", (text or "").lower())


def roster_index(course: Course) -> dict:
    """``{("lms", user id): student id, ("name", key): student id, ("named", key): ((student id, user id), ...)}``
    from nbgrader's student table. ``("name", key)`` is only there when exactly one student has that name (Canvas's
    sortable ``<last><first>`` or Moodle's ``<first><last>``, :func:`_key`) and that student has no LMS user id: the
    one a name may match (:func:`match`). ``("named", key)`` lists every student of the name, for the listing."""
    from nbgrader.api import Gradebook

    db = course.root / "gradebook.db"
    if not db.exists():
        raise CourseError(f"no gradebook at {db}: add the roster first (nbgrader db student import roster.csv, "
                          "with an lms_user_id column)")
    with Gradebook(f"sqlite:///{db}") as gb:
        return index_of((st.id, st.first_name or "", st.last_name or "", str(st.lms_user_id or ""))
                        for st in gb.students)


def index_of(students) -> dict:
    """:func:`roster_index` of ``students``: ``(student id, first name, last name, LMS user id or "")`` each."""
    index, named = {}, {}
    for sid, first, last, uid in students:
        if uid:
            index[("lms", uid)] = sid
        if first or last:
            for key in {_key(f"{last}{first}"), _key(f"{first}{last}")}:  # Canvas's sortable, Moodle's full name
                named.setdefault(key, []).append((sid, uid))
    for key, who in named.items():
        index[("named", key)] = tuple(who)
        if len(who) == 1 and not who[0][1]:
            index[("name", key)] = who[0][0]
    return index


def match(index: dict, user: str | None, name: str, lms: str) -> tuple:
    """``(student id, "")`` of the roster student an entry belongs to, or ``(None, why)``. ``user``: the entry's LMS
    user id (``None`` when unknown: a Moodle participant id without a mapping); ``name``: the LMS's name for the
    student. By the user id; else by the name only when the one roster student of that name has no LMS user id."""
    if user and ("lms", user) in index:
        return index[("lms", user)], ""
    key = _key(name)
    if ("name", key) in index:
        return index[("name", key)], ""
    who = index.get(("named", key), ())
    add = f"nbgrader db student add <id> --lms-user-id {user}" if user else \
        "nbgrader db student add <id> --lms-user-id <their Moodle user id>"
    if lms == "moodle" and not user:
        known = ("its Moodle user id is not known (give --moodle-mappings CSV, or set c.DgmlabMoodle so collect "
                 "reads the assignment's participants)")
    else:
        known = f"no student with LMS user id {user} in nbgrader's student table"
    if not who:
        return None, f"{known}, and no student named {name!r} ({add} ...)"
    if len(who) > 1:
        return None, (f"{known}, and {len(who)} students are named {name!r} ({', '.join(s for s, _ in who)}): "
                      f"which one cannot be told by name; record each one's LMS user id ({add} ..., or "
                      f"nbgrader db student add <their id> --lms-user-id ...), then collect again")
    sid, uid = who[0]
    if not user:  # a Moodle participant without a mapping: the name alone cannot say it is them
        return None, (f"{known}; {sid} has the name {name!r} and LMS user id {uid}: a name does not tell whether "
                      f"this is {sid} or a namesake, not placed")
    return None, (f"{known}; {sid} has the name {name!r} but LMS user id {uid}: another person (an auditor, a "
                  f"test student, a namesake), not placed. If this is a student of the course, add them ({add} "
                  "...) and collect again")


def roster_names(course: Course) -> dict:
    """``{student id: (first name, last name)}`` from nbgrader's student table (``{}`` without a gradebook)."""
    from nbgrader.api import Gradebook

    db = course.root / "gradebook.db"
    if not db.exists():
        return {}
    with Gradebook(f"sqlite:///{db}") as gb:
        return {st.id: (st.first_name or "", st.last_name or "") for st in gb.students}
