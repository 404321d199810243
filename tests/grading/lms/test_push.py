"""dgmlab push: final marks and grade summaries to Canvas's REST API (grading/lms/lms.py), against a Canvas on
127.0.0.1; a mark changed in Canvas since the last push is not overwritten unless forced."""
import pytest

from canvas_fake import FakeCanvas
from dgmlab import cli
from dgmlab.grading.lms import lms
from dgmlab.grading.report import analysis as A
from grading.term.test_late_everywhere import CONFIG, EXPECTED, HW, LMS, _make

pytestmark = pytest.mark.slow  # nbgrader makes a gradebook with alembic


@pytest.fixture()
def canvas(httpserver):
    return FakeCanvas(httpserver, {uid: {"submitted_at": None, "score": None} for uid in LMS.values()})


@pytest.fixture()
def course(tmp_path, canvas, monkeypatch):
    monkeypatch.setenv(lms.TOKEN_ENV, "test-token")
    return _make(tmp_path, CONFIG + canvas.config(HW))


def _marks(canvas):
    by_uid = {v: k for k, v in LMS.items()}
    return {by_uid[u]: s["score"] for u, s in canvas.subs.items()}


def test_push_sends_each_final_mark_and_its_summary(course, canvas):
    out = lms.push(course, HW)
    assert _marks(canvas) == {s: float(m) for s, m in EXPECTED.items()} and len(out.sent) == 4
    comments = {u: c for u, _, c in canvas.puts}
    data = A.collect(course)
    bob = next(s for s in data.submissions if s.student == "bob")
    assert comments[LMS["bob"]].startswith(f"{HW}: 12.60 / 20.00") and bob.late_reason in comments[LMS["bob"]]


def test_a_second_push_of_the_same_marks_sends_nothing(course, canvas):
    lms.push(course, HW)
    canvas.puts.clear()
    out = lms.push(course, HW)
    assert canvas.puts == [] and sorted(out.unchanged) == sorted(LMS)


def test_a_mark_changed_in_canvas_since_the_last_push_is_kept_and_named(course, canvas):
    lms.push(course, HW)
    canvas.subs[LMS["bob"]]["score"] = 15.0  # a TA's regrade in SpeedGrader
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gb:  # and a hand grade changed here
        gb.find_grade("q_written", HW, HW, "bob").manual_score = 10.0
        gb.find_grade("q_written", HW, HW, "ada").manual_score = 7.0
        gb.db.commit()
    canvas.puts.clear()
    out = lms.push(course, HW)
    assert [s for s, _ in out.conflicts] == ["bob"] and "Canvas has 15.0, the last push sent 12.60" in out.conflicts[0][1]
    assert _marks(canvas)["bob"] == 15.0 and _marks(canvas)["ada"] == 15.0  # ada's new mark went
    out = lms.push(course, HW, force=True)
    assert _marks(canvas)["bob"] == pytest.approx(18 * 0.9)


def test_a_mark_set_in_canvas_before_any_push_is_not_overwritten(course, canvas):
    canvas.subs[LMS["ada"]]["score"] = 19.0
    out = lms.push(course, HW)
    assert out.conflicts == [("ada", "Canvas has 19.0, set there, not by dgmlab push; dgmlab's mark is 14.00")]
    assert _marks(canvas)["ada"] == 19.0


def test_dgmlab_push_says_which_marks_it_did_not_overwrite(course, canvas, capsys):
    canvas.subs[LMS["ada"]]["score"] = 19.0
    assert cli.main(["--course", str(course.root), "push", HW]) == 1
    out = capsys.readouterr().out
    assert "pushed 3 marks" in out and "NOT OVERWRITTEN" in out and "ada: Canvas has 19.0" in out
    assert cli.main(["--course", str(course.root), "push", HW, "--force"]) == 0
    assert _marks(canvas)["ada"] == 14.0


def test_a_mark_still_to_grade_by_hand_is_not_pushed_and_says_why(course, canvas):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gb:
        g = gb.find_grade("q_written", HW, HW, "bob")
        g.manual_score, g.needs_manual_grade = None, True
        gb.db.commit()
    out = lms.push(course, HW)
    assert out.skipped == [("bob", "pending: 1 answer still to grade by hand (q_written)")]
    assert _marks(canvas)["bob"] is None and _marks(canvas)["ada"] == 14.0


def test_an_excused_student_is_marked_excused_in_canvas_not_given_a_mark(tmp_path, canvas, monkeypatch):
    monkeypatch.setenv(lms.TOKEN_ENV, "test-token")
    course = _make(tmp_path, CONFIG + canvas.config(HW) + f'\nc.DgmlabTerm.excused = {{"{HW}": ["dee"]}}\n')
    out = lms.push(course, HW)
    assert out.excused == ["dee"] and canvas.subs[LMS["dee"]].get("excused") is True
    assert _marks(canvas)["dee"] is None and "dee" not in [s for s, _ in out.sent]


@pytest.mark.parametrize("points, said", [(63, "out of 63 points"), (None, "no points maximum")])
def test_an_assignment_worth_other_points_than_the_homework_gets_no_mark(course, canvas, capsys, points, said):
    canvas.points_possible = points  # worth 63 in Canvas, 20 in the course: 20 would read as 32 %
    assert cli.main(["--course", str(course.root), "push", HW]) == 2
    err = capsys.readouterr().err
    assert f"Canvas grades {HW} {said}, the homework is out of 20: no mark was sent" in err
    assert "Set the assignment's Points to 20 in Canvas" in err and canvas.puts == []


def test_a_submission_collected_but_not_autograded_sends_no_zero(tmp_path, httpserver, monkeypatch):
    import nbformat
    from nbgrader.api import Gradebook

    monkeypatch.setenv(lms.TOKEN_ENV, "test-token")
    canvas = FakeCanvas(httpserver, {uid: {"submitted_at": None, "score": None} for uid in [*LMS.values(), "105"]})
    course = _make(tmp_path, CONFIG + canvas.config(HW))
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gb:
        gb.add_student("eve", first_name="Eve", last_name="Doe", lms_user_id="105")  # in the roster, no grades yet
    folder = tmp_path / "submitted" / "eve" / HW
    folder.mkdir(parents=True)  # dgmlab collect placed her notebook
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), folder / f"{HW}.ipynb")
    out = lms.push(course, HW)
    assert canvas.subs["105"]["score"] is None and "eve" not in [s for s, _ in out.sent]
    assert dict(out.skipped)["eve"].startswith("no mark: not graded (collected, not autograded yet")
