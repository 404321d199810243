"""The judge decides grades with no nbgrader in it (issue 73, item 3): none of its modules imports nbgrader, directly
or through another module, at the top or inside a function. What it asks of a cell's nbgrader metadata (graded? a
solution?) it reads itself (:mod:`dgmlab.grading.cell_roles`); the gradebook's cells are read for it by the grading
worker (:func:`dgmlab.grading.nbgrader_gradebook.instructor_cells`)."""
import os
import pkgutil
import subprocess
import sys

import grimp
import pytest

import dgmlab.grading.judge
from conftest import ROOT

JUDGE = "dgmlab.grading.judge"
MODULES = sorted(f"{JUDGE}.{m.name}" for m in pkgutil.iter_modules(dgmlab.grading.judge.__path__))


@pytest.fixture(scope="module")
def graph():
    """dgmlab's import graph with its external packages (grimp's, which import-linter reads; function-level imports
    included)."""
    return grimp.build_graph("dgmlab", include_external_packages=True)


def test_the_judge_has_the_modules_this_test_imports():
    assert {f"{JUDGE}.judge", f"{JUDGE}.cell_verdicts", f"{JUDGE}.judge_process"} <= set(MODULES)


def test_importing_every_module_of_the_judge_loads_no_nbgrader():
    code = ("import importlib, sys\n" + "".join(f"importlib.import_module({m!r})\n" for m in MODULES)
            + "print(sorted(m for m in sys.modules if m == 'nbgrader' or m.startswith('nbgrader.')))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT,
                         env=os.environ.copy())
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.splitlines()[-1] == "[]", f"importing the judge loaded nbgrader: {res.stdout[-2000:]}"


def test_no_chain_of_imports_leads_from_the_judge_to_nbgrader_even_inside_functions(graph):
    chain = graph.find_shortest_chain(importer=JUDGE, imported="nbgrader", as_packages=True)
    assert chain is None, f"the judge reaches nbgrader through {' -> '.join(chain)}"


def test_the_import_graph_sees_a_plug_ins_import_of_nbgrader_through_its_adapter(graph):
    assert graph.find_shortest_chain(importer="dgmlab.grading.preprocessors.judge_tests", imported="nbgrader",
                                     as_packages=True) is not None
