"""What an LMS plug-in is: where ``dgmlab collect`` gets submissions and ``dgmlab push`` sends marks (docs/plugins.md).

A platform is a subclass of :class:`LmsPlatform` registered under the entry-point group ``dgmlab.lms``
(:mod:`dgmlab.grading.plugins`); the kit's own are Canvas, Moodle and LTI 1.3 (:mod:`.kit_platforms`, declared by the
grader's wheel like any other). Plug-in authors import it from :mod:`dgmlab.grading.plugin_api`. The commands reach a platform only through :func:`platform` and
:func:`installed`. Its settings are its own ``Configurable`` in ``nbgrader_config.py`` (``c.DgmlabCanvas``); a
platform adds no command-line options (``--lms NAME`` chooses it).

A push goes through :func:`dgmlab.grading.lms.push_marks.push_marks` with the platform's
:class:`~dgmlab.grading.lms.push_marks.Lms` (the mark the LMS shows, how one student's mark is sent), after
:func:`~dgmlab.grading.lms.push_marks.check_maximum` (the column's maximum is the homework's points): that loop keeps
the rules every LMS shares (no overwriting a mark changed there, a record of what was sent).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Mapping

from .. import plugins
from ..layout import Course, CourseError


class Pushed:
    """What ``dgmlab push`` did: the marks (:class:`dgmlab.grading.lms.push_marks.Pushed`) and, with ``--feedback``,
    the feedback files (anything with ``skipped`` and ``lines()``, :class:`dgmlab.grading.lms.feedback_return.Returned`)."""

    def __init__(self, marks, files=None):
        self.marks, self.files = marks, files
        self.before = []  # what the push did first, said first (lms_config.push: the hand-in deductions it took)

    @property
    def conflicts(self) -> list:
        return self.marks.conflicts

    @property
    def skipped(self) -> list:
        return self.marks.skipped + (self.files.skipped if self.files is not None else [])

    def lines(self, force: bool = False) -> list:
        return self.before + self.marks.lines(force) + (self.files.lines() if self.files is not None else [])


class LmsPlatform(ABC):
    """An LMS: the registry sets ``name`` (the entry point's); the rest is the class's."""

    name: str = ""
    title: str = ""  # as messages name it ("Canvas")
    sends_files: bool = False  # `dgmlab push --feedback` can attach feedback files there
    every_homework: bool = False  # it serves every homework of a course that grades there (LTI's line items)
    zip_format: str | None = None  # collect reads its download zip in this shape (dgmlab.grading.lms.download_names)

    def assignments(self, course: Course) -> Mapping:
        """``{homework: the LMS's assignment}`` as the course's settings name them; which homework goes where in a
        term graded in two LMSs (:func:`dgmlab.grading.lms.lms_config.homework_platform`)."""
        return {}

    @abstractmethod
    def push(self, course: Course, hw: str, *, data, force: bool = False, feedback: bool = False) -> Pushed:
        """Send ``hw``'s final marks (``data``: :func:`dgmlab.grading.report.analysis.collect` of it) and, with
        ``feedback`` (only asked when :attr:`sends_files`), each student's feedback files; a mark changed there since
        the last push is kept unless ``force``."""

    def submission_times(self, course: Course, hw: str) -> dict:
        """``{student id or LMS user id: aware time}`` of ``hw``'s submissions (``dgmlab collect --canvas``)."""
        raise CourseError(f"{self.title or self.name} gives no submission times here: give dgmlab collect --times CSV")

    def collect(self, course: Course, hw: str, download, *, times: dict, mappings: dict | None = None, confirm=None):
        """Place the submissions of ``download`` (the file the command names; None when it names none, for a plug-in
        that fetches them itself) in ``submitted/<student>/<hw>/``; returns what was placed (``lines()``, and
        ``unplaced``, a list: exit 1 when not empty). By default the kit's intake reads it as a :attr:`zip_format`
        zip (:func:`dgmlab.grading.lms.intake.collect`)."""
        if self.zip_format is None:
            raise CourseError(f"{self.title or self.name} gives no download that dgmlab collect reads: collect the "
                              "zip of the LMS the students handed in to (--lms canvas or --lms moodle)")
        from . import intake

        return intake.collect(course, hw, download, times=times, lms=self.zip_format, mappings=mappings,
                              confirm=confirm)


def installed() -> list:
    """The names of the installed LMS plug-ins."""
    return plugins.names(plugins.LMS)


def platform(name: str) -> LmsPlatform:
    """The installed LMS plug-in ``name`` (a :class:`CourseError` listing the installed ones when none is)."""
    return plugins.load(plugins.LMS, name, LmsPlatform, "LMS")
