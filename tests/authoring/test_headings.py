"""A statement's "(N points)" come from the homework folder: the build checks each heading and lead-in against the
graded cells it covers (their tests' @points, a written cell's points=) and fails naming it (dgmlab.authoring.headings)."""
import shutil
import subprocess
import sys

import nbformat
import pytest

from conftest import ROOT, homework_builders
from dgmlab import probes
from dgmlab.authoring import headings
from dgmlab.authoring.template import new_homework

HW = "hw6_gauss"


def _md(text):
    return nbformat.v4.new_markdown_cell(text)


def _graded(grade_id, points):
    cell = nbformat.v4.new_code_cell(f'check("{grade_id}")')
    cell.metadata = {"nbgrader": {"grade": True, "grade_id": grade_id, "points": points}}
    return cell


def test_a_changed_points_fails_dgmlab_build_naming_the_heading_its_number_and_the_cells(tmp_path):
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path / "nbgrader_config.py")
    folder = new_homework(tmp_path, HW)
    checks = folder / "checks.py"
    text = checks.read_text(encoding="utf-8")
    first = "@points(1)\ndef test_returns_one_float64_value_per_x"
    assert first in text
    checks.write_text(text.replace(first, "@points(2)\ndef test_returns_one_float64_value_per_x"), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "dgmlab.cli", "--course", str(tmp_path), "build", HW],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    assert (f"{folder / 'q1_log_density.py'}:2: '## Q1 (4 points): the Gaussian log density' says 4 points; the "
            "cells it covers are worth 5 (q1_log_density_tests 5): write 5 there, or change the points of those "
            "cells") in run.stderr
    assert not (tmp_path / "source" / HW / f"{HW}.ipynb").exists()  # no notebook whose statement says otherwise


def test_a_heading_covers_its_section_up_to_the_next_heading_of_its_level():
    cells = [_md("## Q1 (5 points)"), _md("### Q1(a) (2 points)"), _graded("a", 2), _md("### Q1(b) (3 points)"),
             _graded("b", 3), _md("## Q2 (1 point)"), _graded("c", 1)]
    assert headings.problems(cells) == []
    cells[4].metadata["nbgrader"]["points"] = 4
    assert [m.split(":")[0] for m in headings.problems(cells)] == ["cell 0", "cell 3"]


def test_a_sum_in_a_heading_states_its_total():
    cells = [_md("### Q4.1 (4 + 3 points): the derivative"), _graded("a", 4), _graded("b", 3)]
    assert headings.problems(cells) == []
    cells[2].metadata["nbgrader"]["points"] = 2
    assert "says 7 points; the cells it covers are worth 6 (a 4, b 2)" in headings.problems(cells)[0]


def test_a_lead_in_covers_the_cells_after_it_until_their_points_reach_its_number():
    cells = [_md("**Companion (7 points).** Write two"), _graded("a", 2), _graded("b", 3),
             _md("text\n\n**(2 points)** Then the minimiser"), _graded("c", 2), _md("**Written (8 points).**"),
             _graded("d", 8)]
    assert headings.problems(cells) == []
    cells[4].metadata["nbgrader"]["points"] = 3
    found = headings.problems(cells)
    assert [m.split(": ", 1)[1][:40] for m in found] == ["'**Companion (7 points).**' says 7 point",
                                                         "'**(2 points)**' says 2 points; the cell"]


def test_lead_ins_that_split_one_written_cell_must_add_up_to_it():
    cells = [_md("### Q2.3 (20 points, written)\n\n**(a) (5 points)** Show\n\n**(b) (15 points)** Bound"),
             _graded("proof", 20)]
    assert headings.problems(cells) == []
    cells[1].metadata["nbgrader"]["points"] = 21
    assert headings.problems(cells)[1] == (
        "cell 0: '**(a) (5 points)**', '**(b) (15 points)**', parts of proof, say 5 + 15 = 20 points; proof is worth "
        "21: make the parts add up to 21, or change its points")


def test_points_in_running_prose_are_not_a_heading():
    cells = [_md("## Q1\n\nFirst the companion (3 points): implement it; `f` (1.5 points) returns"), _graded("a", 2)]
    assert headings.problems(cells) == []


@pytest.mark.parametrize("hw", probes.KIT_HOMEWORKS)
def test_the_kits_headings_agree_with_their_cells_points(hw):
    nb = homework_builders()[hw].build()  # the build itself fails on a heading that disagrees
    stated = [c for c in headings.claims(nb.nb.cells) if c.level < 7]
    # not vacuous: the unit tests above pin how claims are read; here a homework of any size states some
    assert stated, f"no heading of {hw} states its points, e.g. '## Q1. A title (3 points)'"
    assert headings.problems(nb.nb.cells) == []
