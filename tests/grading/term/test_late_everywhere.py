"""One final mark everywhere: the late policy on autograded + hand-graded points, in grades.csv, the Canvas CSV,
the per-question CSV, the dashboard and each student's grade summary, recomputed when a
hand grade changes (a gradebook built with nbgrader's API: no autograding)."""
import atexit
import csv
import datetime as dt
import html
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from conftest import ROOT
from dgmlab.grading.course import Course, CourseError
from dgmlab.grading.report import analysis as A
from dgmlab.grading.report import dashboard as D
from dgmlab.grading.report import exports as X
from dgmlab.grading.report import grade_summary as GS
from dgmlab.grading.report import report as R
from dgmlab.grading.term.deadlines import deadlines

pytestmark = pytest.mark.slow  # nbgrader makes a gradebook with alembic

HW = "hw9_late"
UTC = dt.timezone.utc
# Toronto: due 2025-02-11 17:00 EST = 22:00 UTC. ada on time, bob a day late, cy three days late (refused),
# dee three days late with an extension of 3 days (on time)
SUBMITTED = {"ada": dt.datetime(2025, 2, 11, 21, 0), "bob": dt.datetime(2025, 2, 12, 21, 0),
             "cy": dt.datetime(2025, 2, 14, 23, 0), "dee": dt.datetime(2025, 2, 14, 21, 0)}
LMS = {"ada": "101", "bob": "102", "cy": "103", "dee": "104"}  # Canvas user ids
CONFIG = f"""
c.DgmlabDeadlines.timezone = "America/Toronto"
c.DgmlabDeadlines.due = {{"{HW}": "2025-02-11 17:00"}}
c.DgmlabDeadlines.extensions = {{"{HW}": {{"dee": "3 days"}}}}
c.DgmlabDeadlines.policies = {{"{HW}": "ten_percent_2days"}}
"""


_GRADEBOOK: dict = {}  # {"path": the gradebook every _make copies}, written once in this process


def _gradebook() -> Path:
    """The gradebook of SUBMITTED (hw9's two graded cells, 8 and 6 points each): written once in this process and
    copied for each course, since nbgrader runs ``alembic`` in a new process to make one (seconds of CPU)."""
    from nbgrader.api import Gradebook

    if "path" not in _GRADEBOOK:
        folder = Path(tempfile.mkdtemp(prefix="late_everywhere-"))
        atexit.register(shutil.rmtree, folder, True)
        saved = os.environ.get("PATH", "")
        os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), saved])
        try:
            with Gradebook(f"sqlite:///{folder / 'gradebook.db'}") as gb:
                gb.add_assignment(HW)
                gb.add_notebook(HW, HW)
                gb.add_grade_cell("f_tests", HW, HW, max_score=10, cell_type="code")
                gb.add_grade_cell("q_written", HW, HW, max_score=10, cell_type="markdown")
                gb.add_solution_cell("q_written", HW, HW)
                for sid, when in SUBMITTED.items():
                    gb.add_student(sid, first_name=sid.title(), last_name="Doe", lms_user_id=LMS[sid])
                    gb.add_submission(HW, sid, timestamp=when)
                    gb.find_grade("f_tests", HW, HW, sid).auto_score = 8.0
                    g = gb.find_grade("q_written", HW, HW, sid)
                    g.manual_score, g.needs_manual_grade = 6.0, False
                gb.db.commit()
        finally:
            os.environ["PATH"] = saved
        _GRADEBOOK["path"] = folder / "gradebook.db"
    return _GRADEBOOK["path"]


def _make(root: Path, config=CONFIG) -> Course:
    """A course in ``root``: the tiny course's config plus ``config``, and its own copy of :func:`_gradebook`."""
    shutil.copy(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    with (root / "nbgrader_config.py").open("a", encoding="utf-8") as f:
        f.write(config)
    shutil.copy(_gradebook(), root / "gradebook.db")
    for sid in SUBMITTED:
        (root / "submitted" / sid / HW).mkdir(parents=True)
    return Course(root)


@pytest.fixture()
def course(tmp_path):
    return _make(tmp_path)


EXPECTED = {"ada": "14.00", "bob": "12.60", "cy": "0.00", "dee": "14.00"}
CANVAS_ID = 555  # the homework's Canvas assignment id, for the Canvas CSV's column


def _everywhere(course, tmp_path) -> dict:
    """{surface: {student: (the mark it shows, why there is none)}} from every surface: the mark as written (2
    decimals), or "" and the reason while there is no final mark (None where a surface has no room for one)."""
    from dgmlab.grading.report.final_mark import final_mark

    data = A.collect(course)
    out = {"collect": {s.student: (final_mark(s).cell, final_mark(s).pending) for s in data.submissions}}
    with R.export_csv(course, tmp_path / "grades.csv").open(encoding="utf-8") as f:
        out["grades.csv"] = {r["student_id"]: (r["score"], r["pending"]) for r in csv.DictReader(f)}
    with X.canvas_csv(data, tmp_path / "canvas.csv", {HW: CANVAS_ID}).open(encoding="utf-8") as f:
        out["canvas.csv"] = {r["SIS User ID"]: (r[f"{HW} ({CANVAS_ID})"], None) for r in list(csv.DictReader(f))[1:]}
    with X.long_csv(data, tmp_path / "questions.csv").open(encoding="utf-8") as f:
        out["questions.csv"] = {r["student"]: (r["points"], r["reason"]) for r in csv.DictReader(f)
                                if r["cell"] == X.FINAL_ROW}
    page = D.render(course, data, shared=[], similar=[], runtime=[])
    out["dashboard"] = {sid: (final, html.unescape(text)) for sid, final, text in
                        re.findall(r'data-student="(\w+)" data-final="([\d.]*)">([^<]*)<', page)}
    out["dashboard"] = {sid: (final, "" if final else text) for sid, (final, text) in out["dashboard"].items()}
    GS.write_summaries(course, data)
    out["summary"] = {}
    for sid in SUBMITTED:
        first = (course.folder("feedback", HW, sid) / "grade_summary.txt").read_text().splitlines()[0]
        m = re.match(rf"{HW}: ([\d.]+) / [\d.]+$", first)
        out["summary"][sid] = (m.group(1), "") if m else ("", first[len(f"{HW}: "):])
    table = R.table(R.grades(course)).splitlines()
    out["table"] = {}
    for sid in SUBMITTED:
        row = next(line for line in table if line.startswith(sid + " "))
        m = re.match(rf"{sid} +([\d.]+) / [\d.]+ \(", row)
        why = next((line.split(": ", 1)[1] for line in table if line.startswith(f"  {sid} {HW}: ")), None)
        out["table"][sid] = (m.group(1), "") if m else ("", why)
    return out


def test_every_export_shows_the_same_final_mark(course, tmp_path):
    for source, marks in _everywhere(course, tmp_path).items():
        assert {s: m for s, (m, _) in marks.items()} == EXPECTED, source


def test_each_export_says_why_a_mark_was_cut(course, tmp_path):
    data = A.collect(course)
    bob = next(s for s in data.submissions if s.student == "bob")
    assert bob.late_reason.startswith("handed in 1 day late (due 2025-02-11 17:00 EST, received 2025-02-12 16:00 EST)")
    with R.export_csv(course, tmp_path / "grades.csv").open(encoding="utf-8") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    assert rows["bob"]["late_reason"] == bob.late_reason and float(rows["bob"]["late_submission_penalty"]) == 1.4
    assert "not accepted" in rows["cy"]["late_reason"] and rows["dee"]["late_reason"] == ""
    with X.long_csv(data, tmp_path / "q.csv").open(encoding="utf-8") as f:
        late = [r for r in csv.DictReader(f) if r["cell"] == X.LATE_ROW]
    assert [(r["student"], r["points"], r["reason"]) for r in late][0] == ("bob", "-1.40", bob.late_reason)
    assert bob.late_reason in D.render(course, data, shared=[], similar=[], runtime=[])
    GS.write_summaries(course, data)
    assert bob.late_reason in (course.folder("feedback", HW, "bob") / "grade_summary.txt").read_text()


def test_a_changed_hand_grade_changes_the_penalty_everywhere(course, tmp_path):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gb:
        gb.find_grade("q_written", HW, HW, "bob").manual_score = 10.0
        gb.db.commit()
    for source, marks in _everywhere(course, tmp_path).items():
        assert marks["bob"] == ("16.20", "" if source != "canvas.csv" else None), source  # 18 x 0.9


def test_the_extension_and_due_date_reach_nbgraders_gradebook(course, tmp_path):
    from nbgrader.api import Gradebook

    R.export_csv(course, tmp_path / "grades.csv")
    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gb:
        assert gb.find_assignment(HW).duedate == dt.datetime(2025, 2, 11, 22, 0, 59)
        dee = gb.find_submission(HW, "dee")
        assert dee.extension == dt.timedelta(days=3) and dee.total_seconds_late == 0


def test_a_course_without_deadlines_keeps_nbgraders_csv_columns(tmp_path):
    course = _make(tmp_path, config="")
    with R.export_csv(course, tmp_path / "grades.csv").open(encoding="utf-8") as f:
        assert "late_reason" not in next(csv.reader(f))
    assert {s.score for s in A.collect(course).submissions} == {14.0}


def test_a_courses_own_policy_is_named_by_its_module(tmp_path):
    (tmp_path / "late_policies.py").write_text(
        "from dgmlab.grading.term.late import DailyPolicy\nhalf = DailyPolicy('half', [0.5], after=0)\n", encoding="utf-8")
    course = _make(tmp_path, config=CONFIG.replace('"ten_percent_2days"', '"late_policies.half"'))
    assert {s.student: s.score for s in A.collect(course).submissions} == {"ada": 14, "bob": 7, "cy": 0, "dee": 14}


def test_an_unknown_policy_or_zone_is_a_course_error(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text('c = get_config()\nc.DgmlabDeadlines.policy = "lenient"\n')
    with pytest.raises(CourseError, match="unknown late policy 'lenient'"):
        deadlines(Course(tmp_path)).policy(HW)
    (tmp_path / "nbgrader_config.py").write_text('c = get_config()\nc.DgmlabDeadlines.timezone = "Mars/Olympus"\n')
    with pytest.raises(CourseError, match="unknown time zone 'Mars/Olympus'"):
        deadlines(Course(tmp_path))


def test_the_grade_summary_shows_the_students_due_date_and_extension(course):
    GS.write_summaries(course, A.collect(course))
    dee = (course.folder("feedback", HW, "dee") / "grade_summary.txt").read_text().splitlines()
    assert dee[1] == ("due 2025-02-14 17:00 EST for you: an extension of 3 days (the homework was due "
                      "2025-02-11 17:00 EST)")
    ada = (course.folder("feedback", HW, "ada") / "grade_summary.txt").read_text().splitlines()
    assert ada[1] == "due 2025-02-11 17:00 EST"


def test_the_grade_summary_names_an_accommodation_as_such_not_an_extension(tmp_path):
    course = _make(tmp_path, CONFIG + '\nc.DgmlabTerm.accommodations = {"bob": "48 hours", "dee": "1 day"}\n')
    GS.write_summaries(course, A.collect(course))
    bob = (course.folder("feedback", HW, "bob") / "grade_summary.txt").read_text().splitlines()
    assert bob[1] == ("due 2025-02-13 17:00 EST for you: an accommodation of 2 days (the homework was due "
                      "2025-02-11 17:00 EST)")
    dee = (course.folder("feedback", HW, "dee") / "grade_summary.txt").read_text().splitlines()
    assert dee[1] == ("due 2025-02-15 17:00 EST for you: an extension of 3 days and an accommodation of 1 day (the "
                      "homework was due 2025-02-11 17:00 EST)")
