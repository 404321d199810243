"""A test cell's points: written once, in its header (the kit's CheckSpecs leave them out and dgmlab.probes
fills them in from points.json, which dgmlab build writes from the headers), and shared among its tests by
dgmlab.probes.points (``@points(w)``, the rest split equally)."""
import json

import pytest

from conftest import ROOT, homework_builders
from dgmlab import probes
from dgmlab.authoring.build import points_text
from dgmlab.probes.points import PlanError, _split, fmt, hidden_lines, points, score_text, tally


@pytest.mark.parametrize("hw", probes.KIT_HOMEWORKS)
def test_every_kit_test_cell_takes_its_points_from_its_header(hw):
    table = json.loads((ROOT / "homeworks" / hw / "checks" / probes.POINTS_FILE).read_text(encoding="utf-8"))
    module = __import__(f"homeworks.{hw}.checks", fromlist=["CHECKS"])
    assert [s.cell for s in module.CHECKS if s.points is not None] == [], "points written twice"
    assert {cell: spec.points for cell, spec in probes.specs(hw).items()} == table


def test_the_build_records_the_headers_points():
    nb = homework_builders()["hw3_flows"].build()
    path, text = points_text(nb)
    assert path == ROOT / "homeworks" / "hw3_flows" / "checks" / probes.POINTS_FILE
    headers = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"] for c in nb.nb.cells
               if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")}
    assert json.loads(text) == headers


def test_a_spec_without_points_and_no_recorded_points_says_how_to_record_them(monkeypatch):
    spec = probes.CheckSpec("q9_new_tests", hidden=1, names=("x",))
    module = type("M", (), {"CHECKS": [spec]})
    monkeypatch.setattr(probes, "_module", lambda hw: module)
    monkeypatch.setitem(probes._points, "hw9_new", {})
    with pytest.raises(KeyError, match="dgmlab build hw9_new"):
        probes.specs("hw9_new")
    probes.use_points("hw9_new", {"q9_new_tests": 3})
    assert probes.specs("hw9_new")["q9_new_tests"].points == 3.0


def test_points_marks_a_test_with_its_weight():
    @points(2.5)
    def test_x(v):
        pass
    assert test_x.__dgmlab_points__ == 2.5


@pytest.mark.parametrize("weight", [0, -1, True, "2", None])
def test_points_must_be_a_positive_number(weight):
    with pytest.raises(PlanError, match="must be a positive number"):
        points(weight)


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
