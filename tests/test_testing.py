"""dgmlab.testing: how a graded test cell's points are shared among its tests."""
import pytest

from dgmlab.testing import PlanError, _split, fmt, hidden_lines, points, score_text, tally


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

    from dgmlab.testing import HIDDEN_BEGIN, HIDDEN_END

    defaults = ClearHiddenTests()
    assert defaults.begin_test_delimeter in HIDDEN_BEGIN and defaults.end_test_delimeter in HIDDEN_END
