"""In which order, and under which name, a question's grading page shows the answers.

**Order.** Each question has its own stable pseudo-random order: students sorted by a keyed hash (HMAC-SHA256 with
the course's ``grading-order`` key, made on first use in ``.dgmlab/``) of the homework, the question and their id.
It is the same at every load of the page and for every TA of the course, different from one question to the next,
and unrelated to names: the first answers graded (graded more generously in large studies of graders, e.g. Wang, Pei
& Li, SSRN 4603146) and the alphabet favour nobody in particular. PrairieLearn's manual grading does the same.

**Names.** Anonymous by default: each student is shown by the pseudonym the anonymized dashboard gives them
(:class:`..student_pseudonyms.Pseudonyms`); ``dgmlab grade --names`` shows the ids.
"""
from __future__ import annotations

import hashlib
import hmac

from ..layout import Course
from ..student_pseudonyms import Pseudonyms

KEY = "grading-order"


def fair_order(course: Course, hw: str, grade_id: str, students) -> list:
    """``students`` in question ``grade_id``'s order (see the module)."""
    key = course.secret(KEY)

    def rank(student: str) -> bytes:
        return hmac.new(key, f"{hw}\0{grade_id}\0{student}".encode("utf-8"), hashlib.sha256).digest()
    return sorted(students, key=rank)


def labels(course: Course, students, anonymous: bool = True) -> dict:
    """``{student: what the page calls them}``: their pseudonym (``student-7f3a``), or their id."""
    if not anonymous:
        return {s: s for s in students}
    return Pseudonyms.for_course(course).mapping(students)
