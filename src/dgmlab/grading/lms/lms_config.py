"""Which LMS a course grades in, and where its secrets live: one setting in ``nbgrader_config.py``.

``c.DgmlabLms.platform`` names the LMS ``dgmlab push <hw>`` sends marks to, an installed plug-in
(:mod:`.platform`, docs/plugins.md); the kit's are ``"canvas"`` (its REST API,
``c.DgmlabCanvas``, :mod:`.lms`), ``"moodle"`` (its web services, ``c.DgmlabMoodle``, :mod:`.moodle`) or ``"lti"``
(LTI 1.3 Assignment and Grade Services, which Canvas, Moodle, Blackboard and Brightspace all speak, ``c.DgmlabLti``,
:mod:`.lti`). How to reach each is that LMS's own class; the secrets (an API token, the tool's private key) are
never in the course folder (which is copied, zipped and shared with TAs) nor printed
(:mod:`.lms_secrets`).
"""
from __future__ import annotations

from traitlets import Unicode
from traitlets.config import Configurable

from ..layout import Course, CourseError
from . import hand_in_names
from . import platform as platform_module
from .platform import Pushed

PLATFORMS = ("canvas", "moodle", "lti")  # the kit's own; a course installs more (docs/plugins.md)

__all__ = ["DgmlabLms", "PLATFORMS", "Pushed", "course_platform", "homework_platform", "push"]


class DgmlabLms(Configurable):
    """Which LMS the course's marks go to."""

    platform = Unicode("canvas",
                       help='The LMS `dgmlab push` sends marks (and, with --feedback, feedback files) to: an installed '
                            'LMS plug-in (entry points "dgmlab.lms"; docs/plugins.md): the kit\'s are "canvas" '
                            '(c.DgmlabCanvas), "moodle" (c.DgmlabMoodle) and "lti" (LTI 1.3 grade services, '
                            'c.DgmlabLti). `dgmlab push --lms NAME` (or --canvas, --moodle, --lti) chooses for one run.'
                       ).tag(config=True)


def course_platform(course: Course) -> str:
    return course.settings(DgmlabLms).platform


def homework_platform(course: Course, hw: str) -> str:
    """The LMS ``dgmlab push <hw>`` sends ``hw``'s marks to when the run names none: ``c.DgmlabLms.platform``, unless
    that one serves only the homeworks its settings name (Canvas's and Moodle's assignments) and exactly one other
    installed LMS's settings name ``hw``: a term graded partly in each."""
    name = course_platform(course)
    if platform_module.platform(name).every_homework:
        return name
    named = [n for n in platform_module.installed() if hw in platform_module.platform(n).assignments(course)]
    return named[0] if len(named) == 1 else name


def push(course: Course, hw: str, platform: str | None = None, force: bool = False, feedback: bool = False):
    """``dgmlab push``: ``hw``'s final marks to the course's LMS (``platform``, an installed LMS plug-in's name, else
    :func:`homework_platform`), and with ``feedback`` each student's own feedback files to their submission."""
    from ..report import analysis

    lms = platform_module.platform(platform or homework_platform(course, hw))
    if feedback and not lms.sends_files:
        raise CourseError(f"{lms.title or lms.name} takes no files from dgmlab push, a mark and a comment only: "
                          "return feedback files through an LMS that takes them (--canvas, --moodle), or hand them "
                          "out from feedback/")
    deducted = hand_in_names.deduct(course, [hw])  # as dgmlab report does: no mark is read before the hand-in deductions
    got = lms.push(course, hw, data=analysis.collect(course, [hw]), force=force, feedback=feedback)
    got.before = deducted
    return got
