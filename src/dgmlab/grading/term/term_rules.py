"""The term's own rules: ``c.DgmlabTerm`` in ``nbgrader_config.py``.

What a course decides over the whole term rather than one homework: how the homeworks make the course total
(weights, letter cutoffs, the precision the registrar gets), who is excused from which homework, who dropped
the course, each student's bank of free late days, and a course-wide accommodation (time added to every due
date of one student). :class:`TermRules` reads and checks them (:func:`term_rules`); a setting that does not
make sense is a :class:`~dgmlab.grading.layout.CourseError` naming it and saying what to write.

Where each rule acts:

- ``weights``, ``letters``, ``precision``, ``excused``: the course total (:mod:`.course_total`), read by
  ``dgmlab registrar`` (:mod:`dgmlab.grading.report.registrar`).
- ``dropped``: :meth:`dgmlab.grading.layout.Course.dropped`: every listing of the course's students leaves them
  out (autograde, the reports and exports, Canvas pushes); their folders and gradebook rows are kept.
- ``accommodations``, ``late_days``, ``late_days_for``, ``late_days_rule``: the due date a student gets and the late policy
  (:class:`dgmlab.grading.term.deadlines.Deadlines`), so every total shown (grades.csv, the LMS exports, the
  dashboard, the student's summary, a Canvas push) counts them.
"""
from __future__ import annotations

import datetime as _dt
import math

from traitlets import Dict, Integer, List, Unicode
from traitlets.config import Configurable

from ..layout import Course, CourseError
from .times import parse_length

LATE_DAYS_RULES = ("every_late", "where_it_changes_the_mark")  # c.DgmlabTerm.late_days_rule (:mod:`.late_days`)


class DgmlabTerm(Configurable):
    """How the homeworks make a course total, and the rules that hold for a student all term."""

    weights = Dict(help="{homework: weight}: each homework's share of the course total, as a fraction of its own "
                        "points (a homework's mark / its maximum, times its weight, over the sum of the weights "
                        "counted). Homeworks not listed do not count; empty: every homework of the gradebook "
                        "counts, equally.").tag(config=True)
    letters = Dict(help="{letter: lowest total}: letter-grade cutoffs in percent, e.g. {'A': 90, 'B': 80, "
                        "'C': 70, 'D': 60, 'F': 0}; a total (rounded to `precision`) at or above a cutoff gets "
                        "that letter (the highest such). One letter must start at 0. Empty: no letters."
                   ).tag(config=True)
    precision = Integer(2, help="Decimals of the course total in percent that the registrar gets (rounded half "
                                "up); the letter is read from this rounded total.").tag(config=True)
    excused = Dict(help="{homework: [student, ...]}: students excused from a homework: it is left out of their "
                        "total and the weights are renormalised over the homeworks that count.").tag(config=True)
    dropped = List(Unicode(), help="Students who dropped the course (nbgrader ids): left out of grading, the "
                                   "reports and the exports; their files and gradebook rows are kept."
                   ).tag(config=True)
    late_days = Integer(0, help="Free late days each student has over the term: a late homework spends whole days "
                                "from the bank (in homework order, by due date) before its late policy counts the "
                                "days left.").tag(config=True)
    late_days_for = Dict(help="{student: days}: a student's own bank instead of `late_days`.").tag(config=True)
    late_days_rule = Unicode(
        "every_late", help="Which late homeworks spend days from the bank. 'every_late': each late homework spends "
                           "the fewest days that make it on time, or every day left. 'where_it_changes_the_mark': "
                           "the same where the days left make it on time; else only the fewest days that keep the "
                           "most of the mark, none where they keep no more than none would (a homework too late for "
                           "the days left under 'zero' spends nothing), so the days stay for a later homework."
    ).tag(config=True)
    accommodations = Dict(help="{student: '48 hours'}: time added to every due date of the student (a course-wide "
                               "accommodation), on top of the homework's extensions.").tag(config=True)


def _name(setting: str) -> str:
    return f"nbgrader_config.py: c.DgmlabTerm.{setting}"


def _ids(setting: str, value) -> frozenset:
    if not isinstance(value, (list, tuple, set, frozenset)) or not all(isinstance(s, str) for s in value):
        raise CourseError(f"{_name(setting)} must be a list of student ids (nbgrader's ids), not {value!r}")
    return frozenset(value)


def _number(setting: str, key, value, low=0.0, high=math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high \
            or math.isnan(value):
        span = f"between {low:g} and {high:g}" if high != math.inf else f"at least {low:g}"
        raise CourseError(f"{_name(setting)}[{key!r}] is {value!r}: write a number {span}")
    return float(value)


class TermRules:
    """``c.DgmlabTerm`` read and checked; :func:`term_rules` reads a course's."""

    def __init__(self, settings: DgmlabTerm | None = None):
        s = settings if settings is not None else DgmlabTerm()
        self.settings = s
        self.weights = {str(hw): _number("weights", hw, w) for hw, w in s.weights.items()}
        if self.weights and not any(self.weights.values()):
            raise CourseError(f"{_name('weights')}: every weight is 0; give the homeworks that count a weight > 0")
        cutoffs = sorted(((_number("letters", k, v, 0, 100), str(k)) for k, v in s.letters.items()), reverse=True)
        if cutoffs and cutoffs[-1][0] != 0:
            raise CourseError(f"{_name('letters')}: the lowest cutoff is {cutoffs[-1][0]:g} ({cutoffs[-1][1]}), so a "
                              "lower total would get no letter: give one letter the cutoff 0 (e.g. 'F': 0)")
        same = {c for c, _ in cutoffs if sum(1 for d, _ in cutoffs if d == c) > 1}
        if same:
            raise CourseError(f"{_name('letters')}: two letters share the cutoff {min(same):g}")
        self.letters = cutoffs  # [(cutoff, letter)], highest first
        if not 0 <= s.precision <= 6:
            raise CourseError(f"{_name('precision')} is {s.precision}: write a number of decimals from 0 to 6")
        self.precision = int(s.precision)
        self.excused = {str(hw): _ids(f"excused[{hw!r}]", ids) for hw, ids in s.excused.items()}
        self.dropped = _ids("dropped", s.dropped)
        if s.late_days < 0:
            raise CourseError(f"{_name('late_days')} is {s.late_days}: write 0 or more days")
        if s.late_days_rule not in LATE_DAYS_RULES:
            raise CourseError(f"{_name('late_days_rule')} is {s.late_days_rule!r}: write one of "
                              f"{', '.join(repr(r) for r in LATE_DAYS_RULES)}")
        self.late_days_rule = s.late_days_rule
        self.late_days_for = {}
        for sid, n in s.late_days_for.items():
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                raise CourseError(f"{_name('late_days_for')}[{sid!r}] is {n!r}: write a whole number of days, 0 "
                                  "or more")
            self.late_days_for[str(sid)] = n
        self.accommodations = {}
        for sid, length in s.accommodations.items():
            try:
                extra = parse_length(length)
            except ValueError as exc:
                raise CourseError(f"{_name('accommodations')}[{sid!r}]: {exc}") from exc
            if extra < _dt.timedelta(0):
                raise CourseError(f"{_name('accommodations')}[{sid!r}] is negative: write the time added, e.g. "
                                  "'48 hours'")
            self.accommodations[str(sid)] = extra

    @property
    def banks_late_days(self) -> bool:
        """Whether any student has free late days."""
        return self.settings.late_days > 0 or any(self.late_days_for.values())

    def bank(self, student: str) -> int:
        """``student``'s free late days over the term."""
        return self.late_days_for.get(student, int(self.settings.late_days))

    def is_excused(self, hw: str, student: str) -> bool:
        return student in self.excused.get(hw, ())

    def accommodation(self, student: str) -> _dt.timedelta:
        """Time added to every due date of ``student`` (0 when none)."""
        return self.accommodations.get(student, _dt.timedelta(0))

    def check_homeworks(self, known) -> None:
        """A homework named in ``weights`` or ``excused`` that the course does not have (``known``) is a
        :class:`CourseError`: a misspelt name would otherwise be pending or count for nobody, silently."""
        known = set(known)
        for setting, names in (("weights", self.weights), ("excused", self.excused)):
            unknown = sorted(set(names) - known)
            if unknown:
                raise CourseError(f"{_name(setting)} names {', '.join(unknown)}, which the course does not have "
                                  f"(it has {', '.join(sorted(known)) or 'no homework'})")


def term_rules(course: Course) -> TermRules:
    """The course's ``c.DgmlabTerm``, read and checked; a setting it does not have (a misspelt name, which
    traitlets would ignore) is a :class:`CourseError` naming the ones it has."""
    config = course.config()
    known = DgmlabTerm.class_trait_names(config=True)
    unknown = sorted(set(config["DgmlabTerm"]) - set(known)) if "DgmlabTerm" in config else []
    if unknown:
        raise CourseError(f"nbgrader_config.py: c.DgmlabTerm has no setting {', '.join(unknown)} (its settings: "
                          f"{', '.join(sorted(known))})")
    return TermRules(course.settings(DgmlabTerm))
