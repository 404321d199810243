"""Item analysis (report/item_analysis.py): difficulty and corrected item-total discrimination of every check and
rubric item, proven on a graded class with broken checks planted in it.

The planted class: 80 students of one homework, each with an ability; the checks and the rubric items they pass
follow it (with noise), except a check that is inverted (it passes for the weak students and fails for the strong)
and a rubric item applied at random. Built as ``collect`` returns a class (ClassData, the judge's passed/FAILED
names per cell), so the analysis runs on exactly what the dashboard and ``dgmlab report`` give it.
"""
import math

import numpy as np
import pytest

from dgmlab.grading.course import Course
from dgmlab.grading.hand.rubrics import Applied, Item, Question, Rubric, save
from dgmlab.grading.report import item_analysis as IA
from dgmlab.grading.report.class_data import CellResult, ClassData, Submission

HW = "hw3_flows"
# cell -> (kind, max points, {check: points})
CELLS = {"q1_tests": ("auto", 4.0, {"test_shape": 2.0, "test_value": 2.0}),
         "q2_tests": ("auto", 3.0, {"test_sign_convention": 3.0}),  # planted: inverted
         "q3_tests": ("auto", 3.0, {"test_log_det": 3.0}),
         "q4_written": ("manual", 10.0, {})}
RUBRIC_ITEMS = [Item("i1", 6.0, "derivation correct"), Item("i2", 4.0, "states the assumption"),  # i2: at random
                Item("i3", -2.0, "sign slip"), Item("i4", 0.0, "no answer")]


def _cells(sid: str, ability: float, noise, rng) -> tuple:
    """One student's cells and rubric choice: every check passes with the ability, but the inverted one."""
    cells, applied = [], []
    for cell, (kind, max_points, checks) in CELLS.items():
        if kind == "manual":
            applied = [i for i, on in (("i1", ability + noise() > -0.3), ("i2", rng.random() < 0.5),
                                       ("i3", ability + noise() < -0.8)) if on] or ["i4"]  # graded: "no answer"
            points = min(max(sum(it.points for it in RUBRIC_ITEMS if it.id in applied), 0.0), max_points)
            cells.append(CellResult(sid, HW, HW, cell, points, max_points, kind))
            continue
        passed, failed = [], []
        for name in checks:
            ok = (ability + noise() < 0) if name == "test_sign_convention" else (ability + noise() > -0.5)
            if ok:
                passed.append(name)
            else:
                failed.append((name, "value off"))
        points = sum(checks[n] for n in passed)
        cells.append(CellResult(sid, HW, HW, cell, points, max_points, kind, passed=passed, failed=failed,
                                visible=list(checks)))
    return cells, applied


def planted_class(n: int = 80, seed: int = 4) -> tuple:
    """``(ClassData, Rubric)`` of ``n`` students with the planted checks."""
    rng = np.random.default_rng(seed)
    cells, subs, rubric = [], [], Rubric(HW, {"q4_written": Question("q4_written", 10.0, list(RUBRIC_ITEMS))})
    for k in range(n):
        sid = f"s{k:03d}"
        mine, applied = _cells(sid, rng.normal(), lambda: rng.normal(scale=0.7), rng)
        cells += mine
        rubric.questions["q4_written"].applied[sid] = Applied(applied)
        auto = sum(c.points for c in mine if c.kind == "auto")
        manual = sum(c.points for c in mine if c.kind == "manual")
        subs.append(Submission(sid, HW, "graded", score=auto + manual, max_score=20.0, auto_score=auto,
                               manual_score=manual))
    return _data(cells, subs), rubric


def _data(cells, subs) -> ClassData:
    layout = [(HW, cell, max_points, kind) for cell, (kind, max_points, _) in CELLS.items()]
    return ClassData([HW], {}, cells, subs, {HW: layout}, {HW: 20.0})


def _by_label(results) -> dict:
    return {r.label: r for r in results}


@pytest.fixture(scope="module")
def planted():
    data, rubric = planted_class()
    return data, rubric, _by_label(IA.analyze(data, HW, rubric))


def test_an_inverted_check_is_flagged_negative(planted):
    got = planted[2]["q2_tests test_sign_convention"]
    assert got.kind == "test" and got.n == 80 and 0 < got.difficulty < 1
    assert got.discrimination < -0.3 and got.flag == "negative" and "strong students fail it" in got.note


def test_a_rubric_item_applied_at_random_is_flagged_near_zero(planted):
    got = planted[2]["q4_written i2 (+4) states the assumption"]
    assert got.kind == "rubric" and got.n == 80
    assert 0 <= got.discrimination < IA.NEAR_ZERO and got.flag == "near zero"


def test_good_checks_and_rubric_items_are_not_flagged(planted):
    results = planted[2]
    for label in ("q1_tests test_shape", "q1_tests test_value", "q3_tests test_log_det",
                  "q4_written i1 (+6) derivation correct"):
        assert results[label].discrimination > 0.3 and not results[label].flagged, label
    assert [r.label for r in results.values() if r.flagged] == ["q2_tests test_sign_convention",
                                                                "q4_written i2 (+4) states the assumption"]


def test_over_many_planted_classes_the_broken_checks_are_flagged_and_the_good_ones_not():
    # a random item's r is about N(0, 1/sqrt(80)): below 0.1 (flagged) in about 82 % of classes, sampling noise
    flagged = {}
    for seed in range(50):
        data, rubric = planted_class(seed=seed)
        for r in IA.analyze(data, HW, rubric):
            flagged.setdefault(r.label, []).append(r.flagged)
    assert all(flagged["q2_tests test_sign_convention"])
    assert sum(flagged["q4_written i2 (+4) states the assumption"]) >= 35
    for label in ("q1_tests test_shape", "q1_tests test_value", "q3_tests test_log_det",
                  "q4_written i1 (+6) derivation correct"):
        assert not any(flagged[label]), label


def test_a_deduction_scores_one_where_not_applied_so_higher_is_better(planted):
    data, rubric, results = planted
    got = results["q4_written i3 (-2) sign slip"]
    applied = sum("i3" in a.items for a in rubric.questions["q4_written"].applied.values())
    assert got.difficulty == pytest.approx(1 - applied / 80)
    assert got.discrimination > 0.2 and not got.flagged  # the weak students slip: it separates, the right way


def test_a_zero_point_rubric_item_is_left_out(planted):
    assert not [label for label in planted[2] if " i4 " in label]


def test_the_statistic_is_pearsons_r_of_a_hand_computed_example():
    # x - mean = (.5, .5, -.5, -.5), y - mean = (1, 0, -1, 0): r = 1 / sqrt(1 * 2)
    assert IA.corrected_item_total([1, 1, 0, 0], [3, 2, 1, 2]) == pytest.approx(1 / math.sqrt(2))
    assert IA.corrected_item_total([1, 1, 1, 1], [3, 2, 1, 2]) is None  # a constant item: undefined, not 0
    assert IA.corrected_item_total([1, 0, 1, 0], [2, 2, 2, 2]) is None


def _small_class(passes: dict, other: dict, pending=()) -> ClassData:
    """Students with one check in q2_tests (``passes``) and ``other`` points in q3_tests (q1, q4: 0 and pending
    for ``pending``)."""
    cells, subs = [], []
    for sid, ok in passes.items():
        q2 = CellResult(sid, HW, HW, "q2_tests", 3.0 * ok, 3.0, "auto", passed=["test_sign_convention"] if ok else [],
                        failed=[] if ok else [("test_sign_convention", "off")])
        q3 = CellResult(sid, HW, HW, "q3_tests", other[sid], 3.0, "auto")
        q1 = CellResult(sid, HW, HW, "q1_tests", 0.0, 4.0, "auto")
        q4 = CellResult(sid, HW, HW, "q4_written", None if sid in pending else 5.0 + ok, 10.0, "manual",
                        needs_manual=sid in pending)
        cells += [q1, q2, q3, q4]
        subs.append(Submission(sid, HW, "graded", score=3.0 * ok + other[sid], max_score=20.0))
    return _data(cells, subs)


def test_the_rest_score_leaves_out_the_items_own_points():
    data = _small_class({"a": 1, "b": 1, "c": 0, "d": 0}, {"a": 3, "b": 2, "c": 1, "d": 2})
    got = _by_label(IA.analyze(data, HW, min_students=4))["q2_tests test_sign_convention"]
    # rest = q3 + q4 (q4 = 5 + pass): (9, 8, 6, 7); x - mean = (.5, .5, -.5, -.5), y - mean = (1.5, .5, -1.5, -.5)
    assert got.discrimination == pytest.approx(2 / math.sqrt(1 * 5))
    assert got.difficulty == 0.5 and got.n == 4


def test_a_cell_still_to_grade_by_hand_is_left_out_of_the_rest_not_counted_as_zero():
    data = _small_class({"a": 1, "b": 1, "c": 0, "d": 0}, {"a": 3, "b": 2, "c": 1, "d": 2}, pending={"d"})
    results = _by_label(IA.analyze(data, HW, min_students=4))
    # q4 is left out of everyone's rest (d's is not graded): rest = q3 = (3, 2, 1, 2), as the hand example
    assert results["q2_tests test_sign_convention"].discrimination == pytest.approx(1 / math.sqrt(2))
    assert results["q4_written"].n == 3 and results["q4_written"].kind == "cell"  # the graded answers only


def test_a_check_that_did_not_run_for_a_student_leaves_them_out_of_it():
    data = _small_class({"a": 1, "b": 1, "c": 0, "d": 0, "e": 0}, {"a": 3, "b": 2, "c": 1, "d": 2, "e": 0})
    blank = data.cells_of(HW, "q2_tests", "e")[0]
    blank.failed, blank.reason = [], "the check did not run (NameError: name 'p_x' is not defined)"
    got = _by_label(IA.analyze(data, HW, min_students=4))["q2_tests test_sign_convention"]
    assert got.n == 4 and got.difficulty == 0.5  # e's blank answer is no evidence about the check
    assert got.discrimination == pytest.approx(2 / math.sqrt(5))  # as without e


def test_an_item_everyone_gets_is_no_information_and_not_flagged():
    data = _small_class({s: 1 for s in "abcdefghijkl"}, {s: i % 3 for i, s in enumerate("abcdefghijkl")})
    got = _by_label(IA.analyze(data, HW))["q2_tests test_sign_convention"]
    assert got.difficulty == 1.0 and got.discrimination is None and not got.flagged
    assert got.note == "no information: everyone got it"


def test_a_class_below_the_minimum_gets_no_discrimination():
    data = _small_class({"a": 1, "b": 0, "c": 0, "d": 1, "e": 0}, {"a": 0, "b": 3, "c": 3, "d": 0, "e": 2})
    got = _by_label(IA.analyze(data, HW))["q2_tests test_sign_convention"]  # inverted, but 5 students
    assert got.discrimination is None and not got.flagged and got.difficulty == 0.4
    assert got.note == f"too few students (5 graded; {IA.MIN_STUDENTS} needed)"


def test_only_graded_submissions_count(planted):
    data, rubric, _ = planted
    data.submissions[0].score = None  # e.g. the submission was invalid: no mark
    try:
        results = IA.analyze(data, HW, rubric)
    finally:
        data.submissions[0].score = data.submissions[0].auto_score + data.submissions[0].manual_score
    assert {r.n for r in results} == {79}


def _course(tmp_path, rubric) -> Course:
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n", encoding="utf-8")
    course = Course(tmp_path)
    save(course, rubric)
    return course


def test_the_report_block_lists_only_the_flagged_items_as_inert_text(planted, tmp_path):
    data, rubric, _ = planted
    rubric = Rubric(HW, {"q4_written": Question("q4_written", 10.0, [Item("i2", 4.0, "assumption \x1b[2J")],
                                                rubric.questions["q4_written"].applied)})
    lines = IA.report_lines(_course(tmp_path, rubric), data)
    assert lines[0].startswith("\nitem analysis: 2 items flagged")
    assert len(lines) == 3 and "q2_tests test_sign_convention (test): discrimination -" in lines[1]
    assert "q4_written i2 (+4) assumption" in lines[2] and "\x1b" not in lines[2]


def test_the_dashboard_section_shows_each_item_and_escapes_rubric_text(planted, tmp_path):
    data, rubric, _ = planted
    rubric = Rubric(HW, {"q4_written": Question("q4_written", 10.0, [Item("i2", 4.0, "<script>x</script>")],
                                                rubric.questions["q4_written"].applied)})
    html = str(IA.html_section(_course(tmp_path, rubric), data, HW))
    assert 'data-item="test_sign_convention"' in html and 'data-flag="negative"' in html
    assert html.count("<tr data-hw=") == 5 and 'data-stat="items_flagged">2<' in html
    assert "<script>x" not in html and "&lt;script&gt;x&lt;/script&gt;" in html


def test_the_anonymized_class_gets_the_same_analysis_its_rubric_read_under_pseudonyms(planted):
    from dgmlab.grading.report.analysis import anonymize

    data, rubric, results = planted
    names = {s.student: f"student-{k:04x}" for k, s in enumerate(data.submissions)}
    anonymized = {r.label: (r.n, r.difficulty, r.discrimination, r.flag)
                  for r in IA.analyze(anonymize(data, names), HW, rubric, names)}
    assert anonymized == {r.label: (r.n, r.difficulty, r.discrimination, r.flag) for r in results.values()}
