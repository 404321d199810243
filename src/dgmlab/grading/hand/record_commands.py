"""``dgmlab grade <hw>``'s record commands: ``--log`` (the audit log, checked), ``--requests``, ``--request`` and
``--answer-request`` (:mod:`.regrades`). Everything printed from the record is inert
(:func:`dgmlab.grading.inert.terminal`)."""
from __future__ import annotations

import os
import sys

from ..inert import terminal
from ..layout import Course, CourseError
from . import audit_log, regrades, rubrics, trained_looks


def wanted(args) -> bool:
    """Whether ``args`` ask for one of these commands rather than the grading page or a table."""
    return bool(args.log or args.requests or args.request or args.answer_request or args.looked)


def set_grader(name: str | None) -> None:
    """``--grader NAME``: who the audit log names for this process's changes (:class:`.rubrics.Grader` reads
    ``$DGMLAB_GRADER`` where it is not told)."""
    if name:
        os.environ[rubrics.GRADER_ENV] = name


def _misplaced(args) -> str | None:
    pairs = (("text", ("request",)), ("decision", ("answer_request",)), ("reason", ("answer_request", "looked")),
             ("points", ("looked",)), ("student", ("log",)))
    for option, needs in pairs:
        if getattr(args, option) is not None and not any(getattr(args, n) for n in needs):
            return f"--{option} applies to " + " or ".join(f"--{n.replace('_', '-')}" for n in needs)
    return None


def run(course: Course, args) -> int:
    wrong = _misplaced(args)
    if wrong:
        print(f"dgmlab grade: error: {wrong}", file=sys.stderr)
        return 2
    try:
        (hw,) = course.check_homeworks([args.hw])
        who = audit_log.grader(args.grader)
        if args.log:
            return _log(course, hw, args)
        if args.requests:
            return _requests(course, hw, args, who)
        if args.request:
            student, question = args.request
            if not args.text:
                raise CourseError("--request needs --text \"what the student asks\"")
            r = regrades.request(course, hw, student, question, args.text, who=who)
            print(terminal(f"regrade request {r.seq} entered: {r.student} {r.question}; answer it with dgmlab grade "
                           f"{hw} --answer-request {r.student} {r.question} --decision kept|changed --reason ..."))
            return 0
        if args.looked:
            return _looked(course, hw, args, who)
        student, question = args.answer_request
        if not args.decision or not args.reason:
            raise CourseError("--answer-request needs --decision kept|changed and --reason \"why, for the student\"")
        done = regrades.answer(course, hw, question, student, args.decision, args.reason, who=who)
        print(terminal(f"{len(done)} regrade request{'s' if len(done) != 1 else ''} of {student} about {question} "
                       f"answered ({args.decision}); the reason is in their feedback after dgmlab report, and on "
                       "the LMS after dgmlab push"))
        return 0
    except CourseError as exc:
        print(terminal(f"dgmlab grade: error: {exc}", newlines=True), file=sys.stderr)
        return 2


def _looked(course: Course, hw: str, args, who: str) -> int:
    student, cell = args.looked
    if args.points is None or not args.reason:
        raise CourseError("--looked needs --points (the cell's points to accept the run) and --reason \"what you "
                          "saw\"")
    old = trained_looks.look(course, hw, student, cell, args.points, args.reason, who=who)
    print(terminal(f"{student} {cell}: {args.points:g} points by hand (was: "
                   f"{'none' if old is None else f'{old:g}'}), logged; the mark counts it after dgmlab report"))
    return 0


def _log(course: Course, hw: str, args) -> int:
    anchor = rubrics.load(course, hw, create=False).log
    checked = audit_log.verify(course, hw, anchor)
    for line in audit_log.lines_text(checked, question=args.question, student=args.student):
        print(line)
    return 0 if checked.holds else 1


def _requests(course: Course, hw: str, args, who: str) -> int:
    _, problems = regrades.read_files(course, hw, who=who)
    for p in problems:
        print(terminal(p), file=sys.stderr)
    listed = regrades.requests(course, hw, args.question)
    for r in listed:
        state = (f"{r.answered.decision} by {r.answered.who} {r.answered.when}: {r.answered.reason}"
                 if r.answered else "OPEN")
        print(terminal(f"{r.seq} {r.when} {r.student} {r.question} ({r.source}, {r.who}): "
                       f"{' '.join(r.text.split())[:300]} -> {state}"))
    if not listed:
        print(f"no regrade request of {hw}" + (f" about {args.question}" if args.question else ""))
    return 0
