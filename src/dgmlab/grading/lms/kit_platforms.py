"""The kit's own LMS plug-ins (:class:`~.platform.LmsPlatform`), declared by the grader's wheel under
``dgmlab.lms`` (grader/pyproject.toml) like a course's own: Canvas's REST API (:mod:`.lms`), Moodle's web services (:mod:`.moodle`) and
LTI 1.3's grade services (:mod:`.lti`). Each is that module's functions behind the one interface."""
from __future__ import annotations

from . import feedback_return
from .platform import LmsPlatform, Pushed


class Canvas(LmsPlatform):
    title = "Canvas"
    sends_files = True
    zip_format = "canvas"

    def assignments(self, course):
        from . import lms

        return lms.settings(course).assignments

    def submission_times(self, course, hw):
        from . import lms

        return lms.submission_times(course, hw)

    def push(self, course, hw, *, data, force=False, feedback=False):
        from . import lms

        marks = lms.push(course, hw, force=force, data=data)
        if not feedback:
            return Pushed(marks)

        kept = frozenset() if force else frozenset(s for s, _ in marks.conflicts)  # their summary says dgmlab's mark
        return Pushed(marks, feedback_return.to_canvas(course, hw, data=data, kept=kept))


class Moodle(LmsPlatform):
    title = "Moodle"
    sends_files = True
    zip_format = "moodle"

    def assignments(self, course):
        from . import moodle

        return moodle.settings(course).assignments

    def submission_times(self, course, hw):
        from . import moodle

        return moodle.submission_times(course, hw)

    def push(self, course, hw, *, data, force=False, feedback=False):
        from . import moodle

        return Pushed(*moodle.push(course, hw, force=force, data=data, feedback=feedback))


class Lti(LmsPlatform):
    title = "LTI 1.3"
    every_homework = True  # its line items serve every homework

    def push(self, course, hw, *, data, force=False, feedback=False):
        from . import lti

        return Pushed(lti.push(course, hw, force=force, data=data))
