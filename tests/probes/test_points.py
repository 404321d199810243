"""A test cell's points: each test carries its own, ``@points(w)``, written once; a kit homework's cell total and
hidden share are their sums (dgmlab.probes.points.derive), which dgmlab build records in checks/points.json for the
student package (it has no hidden tests to sum). A course's own CheckSpec may give points and hidden instead, and its
tests without @points share the rest of their group equally."""
import json
import shutil

import pytest

from conftest import ROOT, homework_builders
from dgmlab import probes
from dgmlab.authoring.build import points_text
from dgmlab.grading import hidden
from dgmlab.probes.points import PlanError, _split, derive, fmt, hidden_lines, points, score_text, tally


@pytest.mark.parametrize("hw", probes.KIT_HOMEWORKS)
def test_every_kit_test_carries_its_points_and_no_spec_repeats_their_sums(hw):
    module = __import__(f"homeworks.{hw}.checks", fromlist=["CHECKS"])
    assert [s.cell for s in module.CHECKS if s.points is not None or s.hidden is not None] == [], "written twice"
    for spec in module.CHECKS:
        for test in (*spec.visible, *hidden.tests(hw, spec.cell)):
            assert getattr(test, "__dgmlab_points__", None) is not None, f"{spec.cell}: {test.__name__} has no @points"


@pytest.mark.parametrize("hw", probes.KIT_HOMEWORKS)
def test_the_points_file_holds_the_sums_of_the_tests_points(hw):
    table = json.loads((ROOT / "homeworks" / hw / "checks" / probes.POINTS_FILE).read_text(encoding="utf-8"))
    assert table == probes.derive_points(hw, lambda cell: hidden.tests(hw, cell))
    assert {cell: {"points": s.points, "hidden": s.hidden} for cell, s in probes.specs(hw).items()} == table


def test_the_build_gives_each_test_cell_its_tests_points_in_nbgraders_metadata():
    nb = homework_builders()["hw3_flows"].build()
    path, text = points_text(nb)
    assert path == ROOT / "homeworks" / "hw3_flows" / "checks" / probes.POINTS_FILE
    cells = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"] for c in nb.nb.cells
             if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")}
    assert cells == {cell: row["points"] for cell, row in json.loads(text).items()}
    assert all(isinstance(p, int) for p in cells.values())  # 7, as a header wrote it, not 7.0


def test_a_kit_test_cell_header_with_points_is_refused_saying_to_remove_them(tmp_path):
    from dgmlab.authoring.percent import PercentError, build_homework

    folder = shutil.copytree(ROOT / "homeworks" / "hw3_flows", tmp_path / "hw3_flows",
                             ignore=shutil.ignore_patterns("__pycache__"))
    part = folder / "q2_volume_preserving_flows.py"
    header = '# %% kind="tests" grade_id="q2_pinsker_tests"'
    part.write_text(part.read_text(encoding="utf-8").replace(header, header + " points=2"), encoding="utf-8")
    with pytest.raises(PercentError, match=r"q2_volume_preserving_flows\.py:\d+: points= in a kit homework's test cell "
                                           r"header: remove it"):
        build_homework("hw3_flows", folder)


def test_a_spec_without_points_and_no_recorded_points_says_how_to_record_them(monkeypatch):
    spec = probes.CheckSpec("q9_new_tests", names=("x",))
    module = type("M", (), {"CHECKS": [spec]})
    monkeypatch.setattr(probes, "_module", lambda hw: module)
    monkeypatch.setitem(probes._points, "hw9_new", {})
    with pytest.raises(KeyError, match="dgmlab build hw9_new"):
        probes.specs("hw9_new")
    probes.use_points("hw9_new", {"q9_new_tests": {"points": 3, "hidden": 1}})
    assert (probes.specs("hw9_new")["q9_new_tests"].points, probes.specs("hw9_new")["q9_new_tests"].hidden) == (3, 1)


def test_a_kit_spec_with_hidden_but_no_points_is_refused_saying_to_remove_it(monkeypatch):
    module = type("M", (), {"CHECKS": [probes.CheckSpec("q9_new_tests", hidden=1, names=("x",))]})
    monkeypatch.setattr(probes, "_module", lambda hw: module)
    monkeypatch.setitem(probes._points, "hw9_new", {"q9_new_tests": {"points": 3.0, "hidden": 1.0}})
    with pytest.raises(PlanError, match="q9_new_tests.*remove hidden="):
        probes.specs("hw9_new")


def test_deriving_a_kit_homeworks_points_refuses_a_spec_that_gives_them_saying_to_remove_them(monkeypatch):
    module = type("M", (), {"CHECKS": [probes.CheckSpec("q9_new_tests", 3, 1, names=("x",))]})
    monkeypatch.setattr(probes, "_module", lambda hw: module)
    with pytest.raises(PlanError, match="q9_new_tests.*gives points or hidden.*remove them from the CheckSpec"):
        probes.derive_points("hw9_new", lambda cell: ())


def test_a_courses_spec_with_points_and_no_hidden_has_no_hidden_share():
    assert probes.CheckSpec("q1_tests", 4).hidden == 0


def _test(name, weight=None):
    def fn(v, ref):
        pass
    fn.__name__ = name
    return fn if weight is None else points(weight)(fn)


def test_derive_sums_the_hidden_tests_into_the_share_and_all_tests_into_the_total():
    got = derive("q1_tests", (_test("a", 1), _test("b", 0.5)), (_test("c", 2.5),))
    assert got == {"points": 4, "hidden": 2.5} and isinstance(got["points"], int)


def test_derive_names_the_cell_and_each_test_without_points_and_what_to_write():
    with pytest.raises(PlanError, match=r"test cell 'q1_tests': b, c carry no points: write @points\(w\) above each"):
        derive("q1_tests", (_test("a", 1), _test("b")), (_test("c"),))


def test_derive_refuses_a_cell_with_no_tests():
    with pytest.raises(PlanError, match="test cell 'q1_tests' has no tests"):
        derive("q1_tests", (), ())


def test_points_marks_a_test_with_its_weight():
    @points(2.5)
    def test_x(v):
        pass
    assert test_x.__dgmlab_points__ == 2.5


@pytest.mark.parametrize("weight", [-1, True, "2", None])
def test_points_must_be_a_positive_number(weight):
    with pytest.raises(PlanError, match="must be a positive number"):
        points(weight)


def test_a_cell_whose_tests_are_all_worth_zero_is_a_note_worth_nothing():
    note = points(0)(lambda v, ref: None)
    assert derive("q1_steps_tests", (note,), ()) == {"points": 0, "hidden": 0}


def test_a_zero_point_test_beside_tests_with_points_is_refused():
    note, graded = points(0)(lambda v, ref: None), points(1)(lambda v, ref: None)
    with pytest.raises(PlanError, match="0 points beside tests that carry points"):
        derive("q1_tests", (graded, note), ())


def test_split_gives_weighted_tests_their_points_and_shares_the_rest_equally():
    assert _split(5, [("a", 2), ("b", None), ("c", None)], "visible", strict=True) == [("a", 2), ("b", 1.5),
                                                                                          ("c", 1.5)]


@pytest.mark.parametrize("tests, budget, message", [
    ([("a", 3), ("b", 3)], 5, "more than the 5 points"),
    ([("a", 2), ("b", 2)], 5, "not the 5 points they share"),
    ([], 2, "the cell has none"),
    ([("a", 5), ("b", None)], 5, "get no points"),
])
def test_split_rejects_points_that_cannot_add_up(tests, budget, message):
    with pytest.raises(PlanError, match=message):
        _split(budget, tests, "hidden", strict=True)


def test_hidden_lines_are_those_between_the_markers():
    source = "a\n### BEGIN HIDDEN TESTS\nb\nc\n### END HIDDEN TESTS\nd"
    assert hidden_lines(source) == {3, 4}


def test_tally_sums_the_passed_tests_points():
    assert tally(5, [(2, False, True), (1, False, False), (2, True, False)]) == 2


def test_tally_gives_every_point_when_all_pass_with_hidden_tests_among_them():
    assert tally(5, [(1 / 3, False, True), (1 / 3, False, True), (13 / 3, True, True)]) == 5.0


def test_tally_never_exceeds_the_cells_points():
    assert tally(2, [(1.5, False, True), (1.5, False, True)]) == 2


def test_numbers_read_as_students_and_nbgrader_read_them():
    assert (fmt(1.0), fmt(1.5), fmt(1 / 3)) == ("1", "1.5", "0.33")
    assert score_text(2.123456) == "2.1235"


def test_hidden_markers_are_nbgraders_own_delimiters():
    from nbgrader.preprocessors import ClearHiddenTests

    from dgmlab.probes.points import HIDDEN_BEGIN, HIDDEN_END

    defaults = ClearHiddenTests()
    assert defaults.begin_test_delimeter in HIDDEN_BEGIN and defaults.end_test_delimeter in HIDDEN_END
