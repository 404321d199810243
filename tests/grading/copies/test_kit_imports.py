"""Answer cells that use the kit's checking code are reported, whatever form the import takes."""
import json

import pytest

from dgmlab.grading.copies import similarity
from dgmlab.grading.copies.kit_imports import KIND, kit_references


@pytest.mark.parametrize("code, found", [
    ("from homeworks.hw4_gans.checks import statement_d_step as discriminator_step",
     ["homeworks.hw4_gans.checks.statement_d_step"]),
    ("from homeworks.hw4_gans import checks as H\ndiscriminator_loss = H.statement_d_loss", ["homeworks.hw4_gans.checks"]),
    ("from dgmlab import probes\nf = probes.hw4_gans.statement_g_loss", ["dgmlab.probes"]),
    ("import dgmlab\nf = homeworks.hw4_gans.checks.statement_g_loss", ["homeworks.hw4_gans.checks.statement_g_loss"]),
    ("import dgmlab as d\nf = d.grading.judging", ["dgmlab.grading.judging"]),
    ("import importlib\nH = importlib.import_module('homeworks.hw4_gans.checks')", ["homeworks.hw4_gans.checks"]),
    ("H = __import__('dgmlab.testing')", ["dgmlab.testing"]),
    ("%matplotlib inline\nfrom dgmlab.grading import similarity", ["dgmlab.grading.similarity"]),
])
def test_an_answer_that_reaches_the_kits_checking_code_is_found(code, found):
    assert kit_references(code) == found


@pytest.mark.parametrize("code", [
    "from dgmlab import metrics, plots\nscore = metrics.mnist_score",  # the kit's tools, there to be used
    "from dgmlab.probes.asserts import has_float, sympy_gap",  # the helpers hw3's notebook offers
    "import dgmlab\ndgmlab.setup('hw4_gans')",
    "import torch\nloss = torch.nn.functional.softplus(-x).mean()",
    "def broken(:\n    pass",  # does not parse: nothing to report
    "probes = 3\nprobes.real",  # a name of the student's own
])
def test_an_answer_of_ones_own_or_the_kits_tools_is_not_reported(code):
    assert kit_references(code) == []


def _notebook(path, answer):
    cells = [{"cell_type": "code", "source": answer, "metadata": {"nbgrader": {
        "grade_id": "p1_losses", "solution": True, "grade": False, "locked": False}}, "outputs": [],
        "execution_count": None}]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def test_dgmlab_report_lists_the_answer_cell_that_imports_a_reference(tmp_path):
    from dgmlab.grading.layout import Course

    (tmp_path / "nbgrader_config.py").write_text("")
    course = Course(tmp_path)
    _notebook(course.release_notebook("hw4_gans"), "def discriminator_loss(real_logits, fake_logits):\n    pass\n")
    notebooks = {
        "ana": _notebook(tmp_path / "a" / "hw4_gans.ipynb",
                         "from homeworks.hw4_gans.checks import statement_d_loss as discriminator_loss\n"),
        "ben": _notebook(tmp_path / "b" / "hw4_gans.ipynb",
                         "import torch.nn.functional as F\n\ndef discriminator_loss(r, f):\n"
                         "    return F.softplus(-r).mean() + F.softplus(f).mean()\n"),
    }
    result = similarity.compare_homework(course, "hw4_gans", notebooks)
    rows = [(m.student, m.where, m.other) for m in result.matches if m.kind == KIND]
    assert rows == [("ana", "p1_losses", "homeworks.hw4_gans.checks.statement_d_loss")]
    assert "ana: p1_losses uses homeworks.hw4_gans.checks.statement_d_loss" in similarity.format_report([result])
