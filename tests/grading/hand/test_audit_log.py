"""The grading audit log (dgmlab.grading.hand.audit_log): every rubric change on the record, who, when, old -> new,
logged before it is saved, in a hash chain that shows an edited, deleted or cut line. The course is the demo class's
hw3 (tests/grading/hand/hand_graded_demo.py)."""
import csv
import json
import shutil

import hand_graded_demo as H
import pytest

from dgmlab import cli
from dgmlab.grading.course import Course
from dgmlab.grading.hand import audit_log as L
from dgmlab.grading.hand import rubrics as R

pytestmark = pytest.mark.slow  # builds a gradebook with nbgrader: make test, not make test-fast

Q = "q2_written"  # 20 points: (a) 5, (b) 6, (c) 6, (d) 3; items i1..i4, i5 "no answer"


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    root = tmp_path_factory.mktemp("template")
    H.build(root, only={"demo_amara", "demo_bilal", "demo_chen"})
    return root


@pytest.fixture
def course(template, tmp_path):
    shutil.copytree(template, tmp_path / "course")
    return Course(tmp_path / "course")


def records(course):
    return [json.loads(line) for line in L.path(course, H.HW).read_text().splitlines()]


def manual_score(course, student):
    with R.gradebook(course) as gb:
        return gb.find_grade(Q, H.HW, H.HW, student).manual_score


def test_a_toggle_is_logged_with_who_via_when_and_old_and_new(course):
    R.Grader(course, H.HW, who="ta_kim").toggle(Q, "demo_amara", "i1", via="page")
    (r,) = records(course)
    assert (r["what"], r["who"], r["via"], r["question"], r["student"], r["item"], r["on"]) == (
        "toggle", "ta_kim", "page", Q, "demo_amara", "i1", True)
    assert r["old"] == {"items": [], "note": "", "score": None}
    assert r["new"] == {"items": ["i1"], "note": "", "score": 5.0}
    assert r["when"].endswith("+00:00")


def test_a_note_is_logged_old_to_new(course):
    g = R.Grader(course, H.HW, who="ta_kim")
    g.set_note(Q, "demo_amara", "see the margin")
    g.set_note(Q, "demo_amara", "see page 2")
    assert [(r["old"]["note"], r["new"]["note"]) for r in records(course)] == [
        ("", "see the margin"), ("see the margin", "see page 2")]


def test_the_grader_is_the_os_user_unless_named(course, monkeypatch):
    monkeypatch.delenv(R.GRADER_ENV, raising=False)
    R.Grader(course, H.HW).toggle(Q, "demo_amara", "i1")
    monkeypatch.setenv(R.GRADER_ENV, "ta_lee")
    R.Grader(course, H.HW).toggle(Q, "demo_amara", "i2")
    assert [r["who"] for r in records(course)] == [L.default_who(), "ta_lee"]


def test_editing_an_item_students_have_logs_old_and_new_points_text_and_scores(course):
    g = R.Grader(course, H.HW, who="ta_kim")
    g.apply_item(Q, "i2", ["demo_amara", "demo_bilal"], via="group g3")
    _, rescored = g.edit_item(Q, "i2", 4, "(b) bound stated", via="page")
    assert sorted(rescored) == ["demo_amara", "demo_bilal"]
    r = records(course)[-1]
    assert (r["what"], r["item"], r["rescored"]) == ("item edited", "i2", 2)
    assert r["old"] == {"points": 6.0, "text": "(b) correct"} and r["new"] == {"points": 4.0, "text": "(b) bound stated"}
    assert r["scores"] == {"demo_amara": [6.0, 4.0], "demo_bilal": [6.0, 4.0]}


def test_deleting_an_item_logs_the_students_it_rescores(course):
    g = R.Grader(course, H.HW, who="ta_kim")
    g.toggle(Q, "demo_chen", "i1")
    g.toggle(Q, "demo_chen", "i3")
    assert g.delete_item(Q, "i3", via="page") == ["demo_chen"]
    r = records(course)[-1]
    assert (r["what"], r["old"], r["new"], r["scores"]) == (
        "item deleted", {"points": 6.0, "text": "(c) correct"}, None, {"demo_chen": [11.0, 5.0]})


def test_apply_item_logs_one_line_per_student_changed_and_skips_those_unchanged(course):
    g = R.Grader(course, H.HW, who="ta_kim")
    g.toggle(Q, "demo_bilal", "i5")
    changed = g.apply_item(Q, "i5", ["demo_amara", "demo_bilal", "demo_chen"], via="no answer")
    assert changed == ["demo_amara", "demo_chen"]
    assert [(r["student"], r["via"], r["what"]) for r in records(course)[1:]] == [
        ("demo_amara", "no answer", "apply"), ("demo_chen", "no answer", "apply")]
    assert manual_score(course, "demo_chen") == 0.0


def test_a_table_applied_and_a_forced_row_are_logged_as_such(course, tmp_path):
    R.Grader(course, H.HW).toggle(Q, "demo_amara", "i1")
    path = tmp_path / "marks.csv"
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows([["student", "question", "items", "note"],
                                 ["demo_amara", Q, "i2", ""], ["demo_bilal", Q, "i1", "ok"]])
    assert cli.main(["--course", str(course.root), "grade", H.HW, "--apply", str(path), "--force",
                     "--grader", "ta_ng"]) == 0
    got = {r["student"]: (r["what"], r["via"], r["who"], r["old"]["items"], r["new"]["items"])
           for r in records(course)[1:]}
    assert got == {"demo_bilal": ("set", "csv marks.csv", "ta_ng", [], ["i1"]),
                   "demo_amara": ("set", "csv marks.csv --force", "ta_ng", ["i1"], ["i2"])}


def test_the_chain_holds_over_a_graders_changes(course):
    g = R.Grader(course, H.HW)
    for item in ("i1", "i2", "i1"):
        g.toggle(Q, "demo_amara", item)
    checked = L.verify(course, H.HW, R.load(course, H.HW).log)
    assert checked.holds and checked.head[0] == 3


def test_an_edited_line_breaks_the_chain(course):
    g = R.Grader(course, H.HW)
    g.toggle(Q, "demo_amara", "i1")
    g.toggle(Q, "demo_bilal", "i1")
    p = L.path(course, H.HW)
    p.write_text(p.read_text().replace('"score": 5.0}, "item"', '"score": 20.0}, "item"', 1))
    checked = L.verify(course, H.HW)
    assert not checked.holds and "line 2 does not follow line 1" in checked.problems[0]


def test_a_deleted_line_breaks_the_chain(course):
    g = R.Grader(course, H.HW)
    for s in ("demo_amara", "demo_bilal", "demo_chen"):
        g.toggle(Q, s, "i1")
    p = L.path(course, H.HW)
    lines = p.read_text().splitlines(keepends=True)
    p.write_text(lines[0] + lines[2])
    assert any("line 2 does not follow line 1" in x for x in L.verify(course, H.HW).problems)


def test_lines_cut_off_the_end_are_caught_by_the_rubric_files_anchor(course):
    g = R.Grader(course, H.HW)
    g.toggle(Q, "demo_amara", "i1")
    g.toggle(Q, "demo_amara", "i2")
    p = L.path(course, H.HW)
    p.write_text(p.read_text().splitlines(keepends=True)[0])
    checked = L.verify(course, H.HW, R.load(course, H.HW).log)
    assert not checked.holds and "lines were cut off its end" in checked.problems[0]


def test_a_cut_log_is_said_in_the_log_by_the_next_grader_so_the_next_save_does_not_hide_it(course):
    g = R.Grader(course, H.HW)
    g.toggle(Q, "demo_amara", "i1")
    g.toggle(Q, "demo_amara", "i2")
    L.path(course, H.HW).unlink()
    R.Grader(course, H.HW).toggle(Q, "demo_bilal", "i1")
    first = records(course)[0]
    assert first["what"] == "chain broken" and "the rubric file was saved after line 2" in first["problems"][0]
    R.Grader(course, H.HW)
    assert [r["what"] for r in records(course)] == ["chain broken", "toggle"]  # said once


def test_a_crash_between_the_log_and_the_save_is_logged_as_not_saved(course, monkeypatch):
    g = R.Grader(course, H.HW)
    g.toggle(Q, "demo_amara", "i1")

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # the process stops here: the line is logged, the rubric file is not saved

    monkeypatch.setattr(R, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        g.toggle(Q, "demo_amara", "i2")
    monkeypatch.undo()
    assert records(course)[-1]["new"]["items"] == ["i1", "i2"] and manual_score(course, "demo_amara") == 5.0
    R.Grader(course, H.HW)  # the next grader finds it
    last = records(course)[-1]
    assert (last["what"], last["lines"]) == ("not saved", [2])
    assert R.load(course, H.HW).questions[Q].applied["demo_amara"].items == ["i1"]
    R.Grader(course, H.HW)  # and says it once
    assert len(records(course)) == 3 and L.verify(course, H.HW, R.load(course, H.HW).log).holds


def test_dgmlab_grade_log_prints_inert_lines_and_fails_on_a_broken_chain(course, capsys):
    R.Grader(course, H.HW, who="ta_kim").set_note(Q, "demo_amara", "\x1b]0;owned\x07\x1b[2Jsee me")
    argv = ["--course", str(course.root), "grade", H.HW, "--log", "--student", "demo_amara"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "see me" in out and "chain holds: 1 line" in out
    p = L.path(course, H.HW)
    p.write_text(p.read_text().replace("ta_kim", "ta_xyz"))
    assert cli.main(argv) == 1 and "CHAIN BROKEN" in capsys.readouterr().out


def test_the_log_file_is_ascii_whatever_a_note_holds(course):
    R.Grader(course, H.HW).set_note(Q, "demo_amara", "\x9b2J \u202eevil \u00e9t\u00e9")
    raw = L.path(course, H.HW).read_bytes()
    assert raw.isascii() and records(course)[0]["new"]["note"] == "\x9b2J \u202eevil \u00e9t\u00e9"
