"""The example machinery (src/dgmlab/authoring/examples.py) on hw3's real release and source notebooks."""
import pytest

from conftest import ROOT
from dgmlab.authoring.examples import example_submissions
from dgmlab.authoring.proofs import Mutant

HW = "hw3_flows"
RELEASE = ROOT / "release" / HW / f"{HW}.ipynb"
SOURCE = ROOT / "source" / HW / f"{HW}.ipynb"
WRONG = Mutant("q1_density", "forgets the Jacobian", "p_x_star = 'wrong'", fails=["q1_density_tests"])
ALSO_DENSITY = Mutant("q1_density", "another density", "p_x_star = 'other'", fails=["q1_density_tests"])


def answer(nb, gid):
    return next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == gid)


def test_class_student_is_the_reference_with_their_mutants():
    subs = example_submissions(RELEASE, SOURCE, [WRONG], classmates={"demo_x": ["forgets the Jacobian"]})
    assert answer(subs["demo_x"], "q1_density") == "p_x_star = 'wrong'"
    assert answer(subs["demo_x"], "q1_jacobian") == answer(subs["demo_reference"], "q1_jacobian")
    assert answer(subs["demo_reference"], "q1_density") != "p_x_star = 'wrong'"


def test_class_student_with_two_mutants_in_one_cell_is_refused():
    with pytest.raises(ValueError, match="more than one mutant"):
        example_submissions(RELEASE, SOURCE, [WRONG, ALSO_DENSITY],
                            classmates={"demo_x": ["forgets the Jacobian", "another density"]})


def test_class_student_naming_an_unknown_mutant_is_refused():
    with pytest.raises(KeyError, match="unknown mutants"):
        example_submissions(RELEASE, SOURCE, [WRONG], classmates={"demo_x": ["no such mistake"]})


def test_class_student_may_not_take_an_example_students_name():
    with pytest.raises(ValueError, match="clashes"):
        example_submissions(RELEASE, SOURCE, [WRONG], classmates={"demo_blank": ["forgets the Jacobian"]})
