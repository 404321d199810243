"""Hand grades survive every regrade (dgmlab.grading.autograde.hand_grades): through the real ``dgmlab autograde --force`` on
the tiny fixture homework, the hand scores, comments, rubric choices and graded state stay; an answer that changed
since it was graded is reopened (its score kept), named by autograde, and counted as still to grade by the grading
page and by the report's rule (which push applies)."""
import json
import os
import subprocess
import sys
from types import SimpleNamespace

import nbformat
import pytest

import tiny_homework as tiny
from conftest import ROOT
from dgmlab.authoring.examples import example_submissions
from dgmlab.grading import course as C
from dgmlab.grading.autograde import hand_grades as RG
from dgmlab.grading.autograde.options import RunOptions
from dgmlab.grading.hand import audit_log as L
from dgmlab.grading.hand import grade_by_question as G
from dgmlab.grading.hand import rubrics as R
from dgmlab.grading.hand import to_grade as TG

pytestmark = pytest.mark.slow  # releases and autogrades a course (nbgrader, kernels)

HW = tiny.HW
WRITTEN, TEST, ANSWER = "why_sympy", "mean_square_tests", "mean_square"  # ANSWER: the code answer TEST checks
KEEPS, CHANGES = "demo_reference", "demo_partial"  # the second one resubmits another written answer


def _cli(root, *args, env=None):
    return subprocess.run([sys.executable, "-m", "dgmlab.cli", "--course", str(root), *args],
                          capture_output=True, text=True, timeout=900, env={**os.environ, **(env or {})})


def _answer(root, student, text=None) -> str:
    """The student's written answer in submitted/ (set to ``text`` when given)."""
    path = root / "submitted" / student / HW / f"{HW}.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == WRITTEN)
    if text is not None:
        cell.source = text
        nbformat.write(nb, path)
    return cell.source


def _state(course, student, gid, comment_of=None):
    """(hand score, comment, still flagged, extra credit) of cell ``gid``; the comment of ``comment_of`` (nbgrader
    keeps comments on answer cells, not on test cells)."""
    with R.gradebook(course) as gb:
        g = gb.find_grade(gid, HW, HW, student)
        c = gb.find_comment(comment_of or gid, HW, HW, student)
        return g.manual_score, c.manual_comment, bool(g.needs_manual_grade), g.extra_credit


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The tiny homework released, two students' submissions autograded, then graded by hand: the written answer
    with the rubric (an item and a note) for both, and a hand score overriding one student's test cell."""
    root = tmp_path_factory.mktemp("regrade") / "course"
    root.mkdir()
    text = (ROOT / "nbgrader_config.py").read_text(encoding="utf-8")
    (root / "nbgrader_config.py").write_text(
        text + '\nc.SetInstallSource.install_source = "dgmlab @ git+https://example.org/dgmlab@v0"\n', "utf-8")
    tiny.build(root)
    course = C.Course(root)
    C.release(course)
    subs = example_submissions(course.release_notebook(HW), course.source_notebook(HW), tiny.MUTANTS, tiny.PARTIAL)
    for student in (KEEPS, CHANGES):
        path = root / "submitted" / student / HW / f"{HW}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(subs[student], path)
        _answer(root, student, f"Symbolic checks are exact ({student}).")
    first = C.autograde(course, HW, options=RunOptions(workers=1))
    assert [r.status for r in first] == ["graded", "graded"], first
    grader = R.Grader(course, HW)
    item = grader.question(WRITTEN).items[0].id
    for student in (KEEPS, CHANGES):
        grader.toggle(WRITTEN, student, item)
        grader.set_note(WRITTEN, student, f"well put, {student}")
    with R.gradebook(course) as gb:  # the formgrader's override of an autograded cell, and extra credit
        g = gb.find_grade(TEST, HW, HW, KEEPS)
        g.manual_score, g.extra_credit, g.needs_manual_grade = 2.5, 0.5, False
        gb.find_comment(ANSWER, HW, HW, KEEPS).manual_comment = "partial credit by hand"
        gb.db.commit()
    before = {s: _state(course, s, WRITTEN) for s in (KEEPS, CHANGES)}
    assert all(not needs for _, _, needs, _ in before.values())  # graded
    _answer(root, CHANGES, "A different answer, resubmitted after the grade.")
    log_before = len(L.records(course, HW))
    regrade = _cli(root, "autograde", HW, "--force", "--workers", "1", "--grader", "ta_kim")
    assert regrade.returncode == 0, regrade.stdout + regrade.stderr
    after_force = {s: _state(course, s, WRITTEN) for s in (KEEPS, CHANGES)}
    log_after_force = len(L.records(course, HW))
    # a new draw key regrades every submission, unforced; nothing changed since the forced regrade
    new_key = _cli(root, "autograde", HW, "--workers", "1", env={"DGMLAB_DRAW_KEY": "cd" * 32})
    assert new_key.returncode == 0 and "summary: 2 graded" in new_key.stdout, new_key.stdout + new_key.stderr
    return SimpleNamespace(course=course, before=before, item=item, stderr=regrade.stderr,
                           after_force=after_force, new_key_stderr=new_key.stderr,
                           log=(log_before, log_after_force, len(L.records(course, HW))))


def test_a_forced_regrade_keeps_hand_scores_comments_rubric_choices_and_graded_state(graded):
    course, before, item = graded.course, graded.before, graded.item
    assert graded.after_force[KEEPS] == before[KEEPS]  # score, comment, graded
    assert _state(course, KEEPS, WRITTEN) == before[KEEPS]  # and after the new key's regrade
    assert _state(course, KEEPS, TEST, ANSWER) == (2.5, "partial credit by hand", False, 0.5)
    rubric = R.load(course, HW, create=False).questions[WRITTEN]
    for student in (KEEPS, CHANGES):
        assert rubric.applied[student].items == [item] and rubric.applied[student].note == f"well put, {student}"


def test_an_answer_changed_since_it_was_graded_is_reopened_with_its_score_kept_and_named(graded):
    course, before, stderr = graded.course, graded.before, graded.stderr
    score, comment, needs, _ = _state(course, CHANGES, WRITTEN)
    assert (score, comment) == before[CHANGES][:2] and needs
    assert f"{CHANGES}'s {HW} {WRITTEN} is to grade by hand again: the answer changed since it was graded" in stderr
    assert KEEPS not in stderr


def test_a_reopened_answer_stays_open_and_is_not_announced_again_by_a_later_regrade(graded):
    assert graded.after_force[CHANGES] == _state(graded.course, CHANGES, WRITTEN)
    assert "to grade by hand again" not in graded.new_key_stderr


def test_a_forced_regrade_and_what_it_reopened_are_logged_as_the_graders_and_a_later_regrade_adds_nothing(graded):
    before, after_force, after_new_key = graded.log
    lines = L.records(graded.course, HW)[before:after_force]
    said = [(r["what"], r["student"], r.get("question"), r.get("old"), r["new"], r["who"], r["via"]) for r in lines]
    assert sorted(said, key=str) == sorted([
        (C.REGRADED, KEEPS, None, None, {"status": "graded"}, "ta_kim", "autograde"),
        (C.REGRADED, CHANGES, None, None, {"status": "graded"}, "ta_kim", "autograde"),
        (C.REOPENED, CHANGES, WRITTEN, graded.before[CHANGES][0], {"why": "the answer changed since it was graded"},
         "ta_kim", "autograde")], key=str)
    assert after_new_key == after_force  # unforced, and the reopened answer was not reopened again
    assert L.verify(graded.course, HW).holds


def test_the_grading_page_and_the_reports_rule_agree_on_what_is_left(graded):
    from dgmlab.grading.report import analysis as A

    course = graded.course
    with R.gradebook(course) as gb:
        assert TG.pending(gb, HW) == {CHANGES: [WRITTEN]}
    left = {s.student: s.pending_manual for s in A.collect(course, [HW]).submissions}
    assert left == {KEEPS: 0, CHANGES: 1}  # what push skips ("1 answer(s) still to grade by hand")
    server = G.make_server(course, HW, anonymous=False)
    try:
        site = server.site
        assert f'data-graded="{WRITTEN}">1 of 2<' in site.index_page()
        page = site.question_page(WRITTEN)
        assert site.grader.question(WRITTEN).score(CHANGES) is not None  # the rubric's score is kept ...
        assert page.count('data-graded="no"') == 1  # ... but the page shows that answer as still to grade
        assert G.reopened_lines(site) == [f"{WRITTEN}: to grade again, the answer changed since it was graded "
                                          f"(score and rubric choices kept): {CHANGES}"]
        grader = site.grader  # applying the rubric again grades it: nothing left
        grader.toggle(WRITTEN, CHANGES, grader.question(WRITTEN).items[0].id)
        grader.toggle(WRITTEN, CHANGES, grader.question(WRITTEN).items[0].id)
        assert f'data-graded="{WRITTEN}">2 of 2<' in site.index_page() and G.reopened_lines(site) == []
    finally:
        server.server_close()


def test_the_answers_a_grade_was_given_on_are_kept_beside_the_gradebook(graded):
    course = graded.course
    kept = json.loads(course.submission(HW, CHANGES).answers.read_text())
    notebook = (course.folder("autograded", HW, CHANGES) / f"{HW}.ipynb").read_bytes()
    assert kept == {HW: RG.answer_digests(notebook)} and WRITTEN in kept[HW]


def test_a_changed_answer_changes_its_digest_and_nothing_else_does():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("my answer"), nbformat.v4.new_code_cell("x = 1")]
    nb.cells[0].metadata["nbgrader"] = {"grade_id": "w", "grade": True, "solution": True, "points": 1}
    nb.cells[1].metadata["nbgrader"] = {"grade_id": "t", "grade": True, "solution": False, "points": 1}
    first = RG.answer_digests(nbformat.writes(nb))
    assert set(first) == {"w"}  # a test cell is no answer
    nb.cells[1].source = "x = 2"
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="ran")]
    assert RG.answer_digests(nbformat.writes(nb)) == first
    nb.cells[0].attachments = {"a.png": {"image/png": "iVBORw0KGgo="}}  # a pasted image is part of the answer
    assert RG.answer_digests(nbformat.writes(nb)) != first


def _grade(name="t", manual=None, auto=1.0, needs=False):
    return SimpleNamespace(name=name, manual_score=manual, auto_score=auto, needs_manual_grade=needs)


def test_a_hand_override_of_a_test_cell_reopens_only_when_its_autograded_score_changes():
    override = _grade(manual=2.5, auto=3.0)
    assert RG.why_reopened(override, 3.0, {}, {}, HW) == ""
    assert not RG.needs_grading(override, 3.0, "")
    why = RG.why_reopened(override, 1.0, {}, {}, HW)
    assert why == "its autograded score changed from 3 to 1 under the hand score"
    assert RG.needs_grading(override, 1.0, why)


def test_a_cell_without_a_hand_score_is_to_grade_only_when_the_autograder_gave_none():
    assert RG.needs_grading(_grade(auto=None), None, "") and not RG.needs_grading(_grade(), 0.0, "")


def test_a_hand_graded_answer_with_no_earlier_answers_to_compare_is_reopened():
    answer = _grade(name="w", manual=1.0, auto=None)
    assert RG.why_reopened(answer, None, {}, {HW: {"w": "abc"}}, HW) == \
        "no earlier autograded notebook to compare its answer with"
    assert RG.why_reopened(answer, None, {HW: {"w": "abc"}}, {HW: {"w": "abc"}}, HW) == ""
