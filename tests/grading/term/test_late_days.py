"""A student's due date and lateness under the term's rules (term/deadlines.py with term/late_days.py): the bank
of free late days spent in homework order, a course-wide accommodation on top of an extension, Canvas's
per-student date under an extension; marks computed here by hand."""
import datetime as dt

import pytest
from traitlets.config import Config

from dgmlab.grading.term.deadlines import Deadlines, DgmlabDeadlines
from dgmlab.grading.term.late import zone
from dgmlab.grading.term.term_rules import DgmlabTerm, TermRules

TZ = zone("America/Toronto")
DUE = {"hw1": "2025-02-04 17:00", "hw2": "2025-02-11 17:00", "hw3": "2025-02-18 17:00"}


def _at(text):
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ)


def _deadlines(submissions=None, canvas_due=None, extensions=None, **term) -> Deadlines:
    c = Config()
    c.DgmlabDeadlines.timezone = "America/Toronto"
    c.DgmlabDeadlines.due = DUE
    c.DgmlabDeadlines.policy = "ten_percent_2days"
    c.DgmlabDeadlines.extensions = extensions or {}
    for k, v in term.items():
        setattr(c.DgmlabTerm, k, v)
    subs = {(hw, sid): (t, None, None) for (hw, sid), t in (submissions or {}).items()}
    return Deadlines(DgmlabDeadlines(config=c), rules=TermRules(DgmlabTerm(config=c)), canvas_due=canvas_due or {},
                     submissions=subs)


# ada: hw2 and hw1 each two days late (listed out of order on purpose), hw3 on time
ADA = {("hw2", "ada"): _at("2025-02-13 12:00"), ("hw1", "ada"): _at("2025-02-06 12:00"),
       ("hw3", "ada"): _at("2025-02-18 16:00")}


def test_the_bank_is_spent_in_homework_order_and_the_policy_counts_the_days_left():
    d = _deadlines(ADA, late_days=3)
    assert [d.late_days(hw, "ada") for hw in ("hw1", "hw2", "hw3")] == [(2, 1), (1, 0), (0, 0)]
    # hw1: both days from the bank, on time: 18 stays 18. hw2: one day from the bank, one day late under
    # ten_percent_2days: 18 x 0.9 = 16.2. Without a bank, hw1 would be two days late: 18 x 0.8 = 14.4.
    hw1 = d.apply("hw1", "ada", 18, ADA[("hw1", "ada")])
    hw2 = d.apply("hw2", "ada", 18, ADA[("hw2", "ada")])
    assert (hw1.final, hw1.days) == (18, 0) and "2 late days from your bank" in hw1.reason
    assert (hw2.final, hw2.days) == (pytest.approx(16.2), 1) and "(0 left)" in hw2.reason
    assert _deadlines(ADA).apply("hw1", "ada", 18, ADA[("hw1", "ada")]).final == pytest.approx(14.4)


def test_an_excused_homework_spends_nothing_from_the_bank():
    d = _deadlines(ADA, late_days=3, excused={"hw1": ["ada"]})
    assert d.late_days("hw1", "ada")[0] == 0
    assert d.late_days("hw2", "ada") == (2, 1)


def test_a_students_own_bank_replaces_the_courses():
    d = _deadlines(ADA, late_days=3, late_days_for={"ada": 1})
    assert [d.late_days(hw, "ada")[0] for hw in ("hw1", "hw2")] == [1, 0]


def test_an_accommodation_adds_48_hours_on_top_of_an_extension():
    d = _deadlines(accommodations={"ada": "48 hours"}, extensions={"hw1": {"ada": "1 day"}})
    # due 2025-02-04 17:00, + 1 day extension, + 48 hours: 2025-02-07 17:00 (ada only)
    assert d.due("hw1", "ada") == _at("2025-02-07 17:00:59")
    assert d.due("hw2", "ada") == _at("2025-02-13 17:00:59")  # every homework
    handed = _at("2025-02-07 16:00")
    assert d.apply("hw1", "ada", 18, handed).final == 18
    assert d.apply("hw1", "bob", 18, handed).refused  # three days late for anyone else


def test_canvas_per_student_date_replaces_the_homeworks_and_an_extension_adds_to_it():
    canvas = {"hw1": {"ada": _at("2025-02-05 23:59:59")}}
    d = _deadlines(canvas_due=canvas, extensions={"hw1": {"ada": "1 day"}})
    assert d.due("hw1", "ada") == _at("2025-02-06 23:59:59")
    assert d.due("hw1", "bob") == _at("2025-02-04 17:00:59")


@pytest.mark.slow  # nbgrader makes a gradebook with alembic
def test_the_bank_is_read_from_the_gradebook_and_counts_in_every_final_mark(tmp_path):
    from dgmlab.grading.report import analysis as A
    from grading.term.test_late_everywhere import CONFIG, _make

    course = _make(tmp_path, CONFIG + "\nc.DgmlabTerm.late_days = 2\n")
    marks = {s.student: s for s in A.collect(course).submissions}
    # 14 points each (8 + 6); due 2025-02-11 17:00 Toronto under ten_percent_2days; each student's bank: 2 days.
    # bob, a day late (02-12 21:00): one day covers it, 14. cy, on day 4 (02-14 23:00): two days move the due date
    # to 02-13 17:00, two days late after them, 14 x 0.8 = 11.2 (without a bank: refused, 0). ada on time and dee
    # within her extension spend nothing: 14.
    assert {s: m.score for s, m in marks.items()} == {"ada": 14.0, "bob": 14.0, "cy": pytest.approx(11.2),
                                                       "dee": 14.0}
    assert "2 late days from your bank moved your due date to 2025-02-13 17:00 EST (0 left)" in marks["cy"].late_reason


def test_no_day_is_spent_where_lateness_costs_nothing():
    c = Config()
    c.DgmlabDeadlines.timezone = "America/Toronto"
    c.DgmlabDeadlines.due = DUE
    c.DgmlabDeadlines.policies = {"hw1": "none", "hw2": "ten_percent_2days"}
    c.DgmlabTerm.late_days = 3
    subs = {k: (t, None, None) for k, t in ADA.items()}
    d = Deadlines(DgmlabDeadlines(config=c), rules=TermRules(DgmlabTerm(config=c)), canvas_due={}, submissions=subs)
    assert d.late_days("hw1", "ada") == (0, 3) and d.late_days("hw2", "ada") == (2, 1)


# bea: hw1 four days late (past the two days ten_percent_2days accepts), hw2 one day late
BEA = {("hw1", "bea"): _at("2025-02-08 12:00"), ("hw2", "bea"): _at("2025-02-12 12:00")}


def test_by_default_a_homework_the_bank_cannot_save_still_spends_the_days_left():
    d = _deadlines(BEA, late_days=1)  # as before the rule existed: hw1 takes the day, and stays refused
    assert [d.late_days(hw, "bea")[0] for hw in ("hw1", "hw2")] == [1, 0]
    assert d.apply("hw1", "bea", 18, BEA[("hw1", "bea")]).final == 0


def test_where_it_changes_the_mark_a_day_that_saves_nothing_stays_for_a_later_homework():
    d = _deadlines(BEA, late_days=1, late_days_rule="where_it_changes_the_mark")
    # one day moves hw1 to three days late: still refused, so hw1 spends none and hw2 is on time with it
    assert [d.late_days(hw, "bea") for hw in ("hw1", "hw2")] == [(0, 1), (1, 0)]
    assert d.apply("hw2", "bea", 18, BEA[("hw2", "bea")]).final == 18


def test_where_it_changes_the_mark_days_that_lessen_the_penalty_are_spent():
    d = _deadlines(BEA, late_days=2, late_days_rule="where_it_changes_the_mark")
    # two days move hw1 to two days late: 0.8 kept instead of 0, so both are spent (one alone saves nothing)
    assert [d.late_days(hw, "bea")[0] for hw in ("hw1", "hw2")] == [2, 0]
    assert d.apply("hw1", "bea", 18, BEA[("hw1", "bea")]).final == pytest.approx(14.4)


def test_where_it_changes_the_mark_spends_no_day_on_a_homework_the_policy_zeroes_anyway():
    c = Config()
    c.DgmlabDeadlines.timezone = "America/Toronto"
    c.DgmlabDeadlines.due = DUE
    c.DgmlabDeadlines.policies = {"hw1": "zero", "hw2": "ten_percent_2days"}
    c.DgmlabTerm.late_days = 1
    c.DgmlabTerm.late_days_rule = "where_it_changes_the_mark"
    subs = {k: (t, None, None) for k, t in ADA.items()}  # hw1 two days late: one day leaves it late, so 0
    d = Deadlines(DgmlabDeadlines(config=c), rules=TermRules(DgmlabTerm(config=c)), canvas_due={}, submissions=subs)
    assert d.late_days("hw1", "ada") == (0, 1) and d.late_days("hw2", "ada") == (1, 0)


def test_an_unknown_late_days_rule_is_refused_naming_the_rules():
    from dgmlab.grading.course import CourseError

    with pytest.raises(CourseError, match=r"c.DgmlabTerm.late_days_rule is 'smart': write one of 'every_late', "
                                          r"'where_it_changes_the_mark'"):
        _deadlines(late_days_rule="smart")
