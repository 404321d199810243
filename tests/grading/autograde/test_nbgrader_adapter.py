"""What dgmlab.grading.autograde.nbgrader_adapter relies on in nbgrader, pinned: after an nbgrader upgrade these
tests say what changed (then fix the adapter, and bump its PINNED)."""
from __future__ import annotations

import datetime
import os
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from dgmlab.grading import nbgrader_gradebook
from dgmlab.grading.autograde import nbgrader_adapter as NA

HW, NB, STUDENT, CID = "hw9", "hw9", "ada", "default_course"
DUE = datetime.datetime(2026, 1, 10, 12, 0)


def _plugin(penalty):
    from nbgrader.plugins import LateSubmissionPlugin

    class Fixed(LateSubmissionPlugin):
        def late_submission_penalty(self, student_id, score, total_seconds_late):
            return penalty

    return Fixed


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A gradebook holding hw9 (due DUE) with one notebook of two graded cells (10 and 5 points); made once
    (nbgrader runs ``alembic`` to make one, seconds)."""
    path = tmp_path_factory.mktemp("template") / "gradebook.db"
    saved = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), saved])
    try:
        with NA.open_gradebook(f"sqlite:///{path}", CID) as gb:
            shutil.copyfile(path, path.parent / "empty.db")  # no homework yet
            gb.add_assignment(HW, duedate=DUE)
            gb.add_notebook(NB, HW)
            gb.add_grade_cell("q1", NB, HW, max_score=10, cell_type="code")
            gb.add_grade_cell("q2", NB, HW, max_score=5, cell_type="markdown")
            gb.add_solution_cell("q1", NB, HW)
    finally:
        os.environ["PATH"] = saved
    return path


@pytest.fixture
def url(template, tmp_path):
    """A fresh copy of :func:`template`'s gradebook."""
    shutil.copyfile(template, tmp_path / "gradebook.db")
    return f"sqlite:///{tmp_path / 'gradebook.db'}"


def _scores(late_seconds=0.0, q1=7.0, q2=None):
    return {"timestamp": (DUE + datetime.timedelta(seconds=late_seconds)).isoformat(),
            "scores": [(NB, "q1", q1), (NB, "q2", q2)], "comments": [(NB, "q1", "No response.")]}


def _config(plugin=None, method=None):
    from traitlets.config import Config

    config = Config()
    if plugin is not None:
        config.AssignLatePenalties.plugin_class = plugin
    if method is not None:
        config.LateSubmissionPlugin.penalty_method = method
    return config


def _keep(row, auto_score):
    return auto_score is None  # nbgrader's own rule for a cell nobody graded by hand


def _nbgraders_penalty(url, config):
    """The penalty nbgrader's own AssignLatePenalties writes for the submission in ``url``."""
    from nbgrader.preprocessors import AssignLatePenalties

    resources = {"nbgrader": {"notebook": NB, "assignment": HW, "student": STUDENT, "db_url": url}}
    AssignLatePenalties(config=config).preprocess(nbformat.v4.new_notebook(), resources)
    with NA.open_gradebook(url, CID) as gb:
        return gb.find_submission_notebook(NB, HW, STUDENT).late_submission_penalty


def test_the_pinned_nbgrader_is_the_installed_one():
    import nbgrader

    assert nbgrader.__version__ == NA.PINNED


def test_written_scores_read_back_as_autograde_wrote_them(url):
    with NA.open_gradebook(url, CID) as gb:
        NA.write_scores(gb, HW, STUDENT, _scores(), [NB], NA.LatePenalty(_config()), _keep)
    assert nbgrader_gradebook.read_scores(url, CID, HW, STUDENT) == _scores()


def test_the_policy_decides_needs_manual_grade_from_the_row_before_the_regrade(url):
    seen = []

    def policy(row, auto_score):
        seen.append((row.name, row.auto_score, auto_score))
        return row.name == "q1"

    with NA.open_gradebook(url, CID) as gb:
        NA.write_scores(gb, HW, STUDENT, _scores(q1=7.0), [NB], NA.LatePenalty(_config()), _keep)
        NA.write_scores(gb, HW, STUDENT, _scores(q1=9.0), [NB], NA.LatePenalty(_config()), policy)
        assert [g.needs_manual_grade for g in sorted(gb.find_submission_notebook(NB, HW, STUDENT).grades,
                                                     key=lambda g: g.name)] == [True, False]
    assert seen == [("q1", 7.0, 9.0), ("q2", None, None)]


def test_a_failed_write_leaves_the_gradebook_as_it_was(url):
    with NA.open_gradebook(url, CID) as gb:
        NA.write_scores(gb, HW, STUDENT, _scores(q1=7.0), [NB], NA.LatePenalty(_config()), _keep)
        broken = {**_scores(q1=1.0), "scores": [(NB, "q1", 1.0), (NB, "no_such_cell", 1.0)]}
        with pytest.raises(Exception, match="no_such_cell|No such"):
            NA.write_scores(gb, HW, STUDENT, broken, [NB], NA.LatePenalty(_config()), _keep)
    assert nbgrader_gradebook.read_scores(url, CID, HW, STUDENT)["scores"][0] == (NB, "q1", 7.0)


@pytest.mark.parametrize(("plugin", "method", "late"), [
    (None, "zero", 3600.0), (None, "none", 3600.0), (None, "zero", 0.0),
    ("negative", None, 60.0), ("over", None, 60.0), ("half", None, 60.0)])
def test_the_late_penalty_is_the_one_nbgraders_assign_late_penalties_writes(url, plugin, method, late):
    plugin = {"negative": _plugin(-3.0), "over": _plugin(99.0), "half": _plugin(3.5), None: None}[plugin]
    config = _config(plugin, method)
    with NA.open_gradebook(url, CID) as gb:
        NA.write_scores(gb, HW, STUDENT, _scores(late), [NB], NA.LatePenalty(config), _keep)
        ours = gb.find_submission_notebook(NB, HW, STUDENT).late_submission_penalty
    assert ours == _nbgraders_penalty(url, config)


def test_an_extension_moves_the_deadline_autograde_counts_lateness_from(url):
    nbgrader_gradebook.grant_extension(url, CID, HW, STUDENT, 7200)
    with NA.open_gradebook(url, CID) as gb:
        NA.write_scores(gb, HW, STUDENT, _scores(3600), [NB], NA.LatePenalty(_config(method="zero")), _keep)
        assert gb.find_submission(HW, STUDENT).total_seconds_late == 0
        assert gb.find_submission_notebook(NB, HW, STUDENT).late_submission_penalty is None
        assert NA.submissions(gb, HW) == {STUDENT: 7200.0}


def test_a_copied_assignment_has_the_definition_and_no_student(url, template, tmp_path):
    shutil.copyfile(template.parent / "empty.db", tmp_path / "copy.db")
    with NA.open_gradebook(url, CID) as src, NA.open_gradebook(f"sqlite:///{tmp_path / 'copy.db'}", CID) as dst:
        assert NA.copy_assignment(src, dst, HW) == (NB,)
        a = dst.find_assignment(HW)
        assert a.duedate == DUE and not dst.students
        assert sorted((c.name, c.max_score) for c in dst.find_notebook(NB, HW).grade_cells) == [("q1", 10), ("q2", 5)]
        with pytest.raises(LookupError):
            NA.copy_assignment(src, dst, "hw0")


def test_submissions_and_assignments_are_found_or_not(url):
    with NA.open_gradebook(url, CID) as gb:
        assert NA.has_assignment(gb, HW) and not NA.has_assignment(gb, "hw0")
        assert NA.submissions(gb, HW) == {} and NA.submissions(gb, "hw0") == {}
        NA.write_scores(gb, HW, STUDENT, _scores(), [NB], NA.LatePenalty(_config()), _keep)
        assert NA.submissions(gb, HW) == {STUDENT: 0.0}


def test_autograde_keeps_each_score_in_the_gradebook_only(url):
    """Why the worker reads its scratch gradebook back (:func:`nbgrader_gradebook.read_scores`): nbgrader's SaveAutoGrades writes the
    scores there and leaves the notebook as it was; were the scores in the notebook, the round trip could go."""
    import copy

    from nbgrader.preprocessors import SaveAutoGrades

    def cell(make, grade_id, points, **more):
        c = make("answer")
        c.metadata["nbgrader"] = {"grade": True, "grade_id": grade_id, "points": points, "schema_version": 3, **more}
        return c

    nb = nbformat.v4.new_notebook(cells=[cell(nbformat.v4.new_code_cell, "q1", 10, solution=False, locked=True),
                                         cell(nbformat.v4.new_markdown_cell, "q2", 5, solution=False, locked=False)])
    before = copy.deepcopy(nb)
    with NA.open_gradebook(url, CID) as gb:
        gb.add_student(STUDENT)
        gb.add_submission(HW, STUDENT)
    resources = {"nbgrader": {"notebook": NB, "assignment": HW, "student": STUDENT, "db_url": url}}
    after, _ = SaveAutoGrades().preprocess(nb, resources)
    assert after == before
    assert nbgrader_gradebook.read_scores(url, CID, HW, STUDENT)["scores"] == [(NB, "q1", 10.0), (NB, "q2", None)]
