"""Which LMS a course grades in, and where its secrets live: one setting in ``nbgrader_config.py``.

``c.DgmlabLms.platform`` names the LMS ``dgmlab push <hw>`` sends marks to: ``"canvas"`` (its REST API,
``c.DgmlabCanvas``, :mod:`.lms`), ``"moodle"`` (its web services, ``c.DgmlabMoodle``, :mod:`.moodle`) or ``"lti"``
(LTI 1.3 Assignment and Grade Services, which Canvas, Moodle, Blackboard and Brightspace all speak, ``c.DgmlabLti``,
:mod:`.lti`). How to reach each is that LMS's own class; the secrets (an API token, the tool's private key) are
never in the course folder (which is copied, zipped and shared with TAs) nor printed
(:mod:`.lms_secrets`).
"""
from __future__ import annotations

from traitlets import Enum
from traitlets.config import Configurable

from ..layout import Course, CourseError

PLATFORMS = ("canvas", "moodle", "lti")


class DgmlabLms(Configurable):
    """Which LMS the course's marks go to."""

    platform = Enum(list(PLATFORMS), default_value="canvas",
                    help='The LMS `dgmlab push` sends marks (and, with --feedback, feedback files) to: "canvas" '
                         '(c.DgmlabCanvas), "moodle" (c.DgmlabMoodle) or "lti" (LTI 1.3 grade services, '
                         'c.DgmlabLti). `dgmlab push --lti` / `--moodle` / `--canvas` choose for one run.'
                    ).tag(config=True)


def course_platform(course: Course) -> str:
    return course.settings(DgmlabLms).platform


def homework_platform(course: Course, hw: str) -> str:
    """The LMS ``dgmlab push <hw>`` sends ``hw``'s marks to when the run names none: ``c.DgmlabLms.platform``, unless
    that is Canvas or Moodle and only the other one's assignments (``c.DgmlabCanvas.assignments``,
    ``c.DgmlabMoodle.assignments``) name ``hw``: a term graded partly in each."""
    platform = course_platform(course)
    if platform == "lti":
        return platform
    from . import lms, moodle

    named = [p for p, module in (("canvas", lms), ("moodle", moodle)) if hw in module.settings(course).assignments]
    return named[0] if len(named) == 1 else platform


class Pushed:
    """What ``dgmlab push`` did: the marks (:class:`dgmlab.grading.lms.push_marks.Pushed`) and, with ``--feedback``, the
    feedback files (:class:`dgmlab.grading.lms.feedback_return.Returned`)."""

    def __init__(self, marks, files=None):
        self.marks, self.files = marks, files

    @property
    def conflicts(self) -> list:
        return self.marks.conflicts

    @property
    def skipped(self) -> list:
        return self.marks.skipped + (self.files.skipped if self.files is not None else [])

    def lines(self, force: bool = False) -> list:
        return self.marks.lines(force) + (self.files.lines() if self.files is not None else [])


def push(course: Course, hw: str, platform: str | None = None, force: bool = False, feedback: bool = False):
    """``dgmlab push``: ``hw``'s final marks to the course's LMS (``platform``, else :func:`homework_platform`), and
    with ``feedback`` each student's own feedback files to their submission."""
    from ..report import analysis as A

    platform = platform or homework_platform(course, hw)
    if feedback and platform == "lti":
        raise CourseError("LTI 1.3's grade services carry a score and a comment, no files: return feedback files "
                          "with --canvas or --moodle (the LMS's own API), or hand them out from feedback/")
    data = A.collect(course, [hw])
    if platform == "lti":
        from . import lti

        return Pushed(lti.push(course, hw, force=force, data=data))
    if platform == "moodle":
        from . import moodle

        return Pushed(*moodle.push(course, hw, force=force, data=data, feedback=feedback))
    from . import lms

    marks = lms.push(course, hw, force=force, data=data)
    if not feedback:
        return Pushed(marks)
    from . import feedback_return

    kept = frozenset() if force else frozenset(s for s, _ in marks.conflicts)  # their summary says dgmlab's mark
    return Pushed(marks, feedback_return.to_canvas(course, hw, data=data, kept=kept))
