"""Per-student due dates from Canvas's assignment overrides (lms/overrides.py), against a Canvas on 127.0.0.1 that
pages its list: the per-student ones are applied, a section's or group's override is listed and not applied."""
import json
import shutil
from types import SimpleNamespace

import pytest

from canvas_fake import FakeCanvas
from conftest import ROOT
from dgmlab import cli
from dgmlab.grading.course import Course
from dgmlab.grading.lms import lms
from dgmlab.grading.lms import overrides as O
from dgmlab.grading.term import canvas_dates as CD

OVERRIDES = [
    {"student_ids": [101], "title": "1 student", "due_at": "2025-02-14T04:59:59Z"},
    {"course_section_id": 3, "title": "Section B", "due_at": "2025-02-20T04:59:59Z"},
    {"student_ids": [102, 999], "title": "2 students", "due_at": "2025-02-13T04:59:59Z"},
    {"student_ids": [102], "title": "later for bob", "due_at": "2025-02-15T04:59:59Z"},
    {"student_ids": [103], "title": "opens late", "unlock_at": "2025-02-01T05:00:00Z"},
]
ROSTER = {"101": "ada", "102": "bob", "103": "cy"}


@pytest.fixture()
def canvas(httpserver):
    return FakeCanvas(httpserver, {}, OVERRIDES, page_size=2)


def _course(root, canvas, hw="hw9_late"):
    shutil.copy(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    with (root / "nbgrader_config.py").open("a", encoding="utf-8") as f:
        f.write(canvas.config(hw))
    return Course(root)


def test_every_page_of_overrides_is_read_and_only_per_student_dates_applied(tmp_path, canvas, monkeypatch):
    monkeypatch.setenv(lms.TOKEN_ENV, "test-token")
    target = lms.assignment(_course(tmp_path, canvas), "hw9_late")
    due, skipped = O.read(target.get_overrides(), ROSTER)
    assert canvas.pages_served == [1, 2, 3]  # five overrides, two a page
    assert {sid: t.isoformat() for sid, t in due.items()} == {
        "ada": "2025-02-14T04:59:59+00:00",
        "bob": "2025-02-15T04:59:59+00:00"}  # in two overrides: the later date, as Canvas gives
    why = dict(skipped)
    assert "a section's date (section 3)" in why["override 501 (Section B)"]
    assert "Canvas user 999 is no student's in lms_ids.csv" in why["override 502 (2 students)"]
    assert "no due date" in why["override 504 (opens late)"]


@pytest.mark.slow  # nbgrader makes a gradebook with alembic
def test_dgmlab_overrides_saves_the_dates_and_the_late_policy_counts_them(tmp_path, canvas, monkeypatch, capsys):
    import nbformat

    from dgmlab.grading.report import analysis as A
    from grading.term.test_late_everywhere import CONFIG, HW, _make

    monkeypatch.setenv(lms.TOKEN_ENV, "test-token")
    course = _make(tmp_path, CONFIG + canvas.config(HW))
    (tmp_path / "source" / HW).mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "source" / HW / f"{HW}.ipynb")
    before = {s.student: s.score for s in A.collect(course).submissions}
    assert cli.main(["--course", str(tmp_path), "overrides", HW]) == 0
    saved = json.loads(CD.path(course, HW).read_text(encoding="utf-8"))
    assert sorted(saved["due"]) == ["ada", "bob"]
    out = capsys.readouterr().out
    assert "section 3" in out and "bob: the homework’s -> 2025-02-15T04:59:59+00:00" in out
    after = {s.student: s.score for s in A.collect(course).submissions}
    # bob handed in a day late (2025-02-12 21:00 Toronto, 10% off: 12.6 of 14); Canvas gives him until 2025-02-14
    # 23:59 Toronto, so his mark is whole; the others are unchanged
    assert (before["bob"], after["bob"]) == (pytest.approx(12.6), 14.0)
    assert {k: v for k, v in after.items() if k != "bob"} == {k: v for k, v in before.items() if k != "bob"}


def test_a_canvas_due_date_set_to_the_minute_counts_the_whole_minute_as_the_courses_own_does():
    import datetime as dt

    from traitlets.config import Config

    from dgmlab.grading.term.deadlines import Deadlines, DgmlabDeadlines

    # Canvas sends 23:55 Tehran as 20:25:00Z; the course's own "2024-12-01 23:55" counts until 23:55:59
    due, _ = O.read([{"student_ids": [105], "due_at": "2024-12-04T20:25:00Z"}], {"105": "erin"})
    assert due["erin"].isoformat() == "2024-12-04T20:25:59+00:00"
    c = Config()
    c.DgmlabDeadlines.timezone = "Asia/Tehran"
    c.DgmlabDeadlines.due = {"hw3": "2024-12-01 23:55"}
    c.DgmlabDeadlines.policy = "zero"
    d = Deadlines(DgmlabDeadlines(config=c), canvas_due={"hw3": due}, submissions={})
    tz = d.tz
    assert d.apply("hw3", "dave", 10.0, dt.datetime(2024, 12, 1, 23, 55, 30, tzinfo=tz)).final == 10.0
    assert d.apply("hw3", "erin", 10.0, dt.datetime(2024, 12, 4, 23, 55, 30, tzinfo=tz)).final == 10.0


def test_a_saved_canvas_date_at_the_minute_is_read_as_the_end_of_that_minute(tmp_path):
    course = SimpleNamespace(root=tmp_path)  # only its folder is read
    CD.path(course, "hw3").parent.mkdir(parents=True)
    CD.path(course, "hw3").write_text(json.dumps({"due": {"erin": "2024-12-04T20:25:00+00:00"}}), encoding="utf-8")
    assert CD.read(course)["hw3"]["erin"].isoformat() == "2024-12-04T20:25:59+00:00"


# Canvas's student enrollments: ada and cy in section 3, bob in section 4; an inactive enrollment and a TA's in
# section 3, which are no student's date
ENROLLMENTS = [{"user_id": 101, "course_section_id": 3}, {"user_id": 102, "course_section_id": 4},
               {"user_id": 104, "course_section_id": 3, "enrollment_state": "inactive"},
               {"user_id": 900, "course_section_id": 3, "type": "TaEnrollment"},
               {"user_id": 103, "course_section_id": 3}]


def _with_ids(root, canvas):
    course = _course(root, canvas)
    import nbformat

    (root / "lms_ids.csv").write_text("student,canvas\nada,101\nbob,102\ncy,103\n", encoding="utf-8")
    (root / "source" / "hw9_late").mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(), root / "source" / "hw9_late" / "hw9_late.ipynb")
    return course


def test_a_sections_date_is_applied_to_each_student_canvas_enrolls_in_it(tmp_path, httpserver, monkeypatch):
    monkeypatch.setenv(lms.TOKEN_ENV, "test-token")
    canvas = FakeCanvas(httpserver, {}, OVERRIDES, page_size=2, enrollments=ENROLLMENTS)
    got = O.fetch(_with_ids(tmp_path, canvas), "hw9_late")
    assert {sid: t.isoformat() for sid, t in got.due.items()} == {
        "ada": "2025-02-20T04:59:59+00:00",  # her own override and section 3's: the later, as Canvas gives
        "bob": "2025-02-15T04:59:59+00:00",  # section 4 has no override: his own
        "cy": "2025-02-20T04:59:59+00:00"}  # section 3's
    assert all("type[]=StudentEnrollment" in q for q in canvas.enrollment_queries)
    assert len(canvas.enrollment_queries) == 2  # three student enrollments listed, two a page
    assert not any("Section B" in what for what, _ in got.not_applied)


def test_a_sections_date_is_not_applied_when_canvas_will_not_list_its_students_and_says_why(tmp_path, httpserver,
                                                                                            monkeypatch):
    monkeypatch.setenv(lms.TOKEN_ENV, "test-token")
    canvas = FakeCanvas(httpserver, {}, OVERRIDES, page_size=2, enrollments=None)  # Canvas answers 401
    got = O.fetch(_with_ids(tmp_path, canvas), "hw9_late")
    assert got.due["ada"].isoformat() == "2025-02-14T04:59:59+00:00"  # her own override only
    why = dict(got.not_applied)["override 501 (Section B)"]
    assert why.startswith("a section's date (section 3), not applied: the section's students could not be read "
                          "from Canvas (Unauthorized")


def test_a_sections_date_with_no_student_in_the_section_applies_to_no_one_and_is_listed():
    due, skipped = O.read([{"id": 7, "course_section_id": 9, "due_at": "2025-02-20T04:59:59Z"}], ROSTER,
                          sections={"3": ["101"]})
    assert due == {} and skipped == [("override 7", "section 9 has no active or invited student in Canvas: no "
                                                    "one's date")]


def test_a_sections_override_without_a_due_date_changes_no_date_even_when_sections_were_not_read():
    due, skipped = O.read([{"id": 8, "course_section_id": 3, "unlock_at": "2025-02-01T05:00:00Z"}], ROSTER,
                          sections="Unauthorized: user not authorized to perform that action")
    assert due == {} and skipped == [("override 8", "no due date (it moves only when the homework opens or closes)")]
