"""dgmlab.grading.nbgrader_gradebook, the one module that imports nbgrader.api, on a real gradebook of nbgrader 0.9.6
(no mock): each name it gives other modules does what they rely on."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import nbgrader
import pytest

from dgmlab.grading import nbgrader_gradebook

HW, NB, CID = "hw9", "hw9", "course101"


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A gradebook of course CID holding hw9 with one notebook: a graded test cell ``t1`` with its source and an
    answer cell ``a1``, and the student ``ada``'s submission; made once (nbgrader runs ``alembic``, seconds)."""
    path = tmp_path_factory.mktemp("template") / "gradebook.db"
    saved = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), saved])
    try:
        with nbgrader_gradebook.open_gradebook_file(path, CID) as gb:
            gb.add_assignment(HW)
            gb.add_notebook(NB, HW)
            gb.add_grade_cell("t1", NB, HW, max_score=3, cell_type="code")
            gb.add_source_cell("t1", NB, HW, cell_type="code", source="check('t1', x)", checksum="c1", locked=True)
            gb.add_solution_cell("a1", NB, HW)
            gb.add_source_cell("a1", NB, HW, cell_type="code", source="x = 1", checksum="c2")
            gb.add_student("ada")
            gb.add_submission(HW, "ada")
    finally:
        os.environ["PATH"] = saved
    return path


@pytest.fixture
def db(template, tmp_path):
    shutil.copyfile(template, tmp_path / "gradebook.db")
    return tmp_path / "gradebook.db"


def test_the_installed_nbgrader_is_the_one_these_tests_pin():
    assert nbgrader.__version__ == "0.9.6"


def test_open_gradebook_opens_the_database_at_a_url_for_its_course(db):
    with nbgrader_gradebook.open_gradebook(f"sqlite:///{db}", CID) as gb:
        assert gb.course_id == CID and [a.name for a in gb.assignments] == [HW]


def test_without_a_course_id_the_gradebook_is_nbgraders_default_course(db):
    with nbgrader_gradebook.open_gradebook_file(db) as gb:
        assert gb.course_id == "default_course"


def test_open_gradebook_file_reads_a_course_gradebook_db(db):
    with nbgrader_gradebook.open_gradebook_file(db, CID) as gb:
        assert [s.id for s in gb.students] == ["ada"]


def test_instructor_cells_are_every_source_cell_of_the_notebook(db):
    cells = nbgrader_gradebook.instructor_cells(f"sqlite:///{db}", CID, HW, NB)
    assert cells == {"t1": "check('t1', x)", "a1": "x = 1"}


def test_missing_entry_is_what_a_lookup_of_no_such_row_raises(db):
    with nbgrader_gradebook.open_gradebook_file(db, CID) as gb, pytest.raises(nbgrader_gradebook.MissingEntry):
        gb.find_assignment("hw0")


def test_the_tables_join_as_the_formgraders_queries_join_them(db):
    tables = nbgrader_gradebook
    with nbgrader_gradebook.open_gradebook_file(db, CID) as gb:
        rows = (gb.db.query(tables.Student.id, tables.GradeCell.name, tables.Grade.max_score)
                .select_from(tables.Student)
                .join(tables.SubmittedAssignment, tables.SubmittedAssignment.student_id == tables.Student.id)
                .join(tables.Assignment, tables.Assignment.id == tables.SubmittedAssignment.assignment_id)
                .join(tables.SubmittedNotebook, tables.SubmittedNotebook.assignment_id == tables.SubmittedAssignment.id)
                .join(tables.Grade, tables.Grade.notebook_id == tables.SubmittedNotebook.id)
                .join(tables.GradeCell, tables.GradeCell.id == tables.Grade.cell_id)
                .filter(tables.Assignment.name == HW).all())
        comments = (gb.db.query(tables.BaseCell.name).select_from(tables.Comment)
                    .join(tables.BaseCell, tables.BaseCell.id == tables.Comment.cell_id).all())
    assert rows == [("ada", "t1", 3.0)] and comments == [("a1",)]  # nbgrader comments on answer cells


def test_the_gradebook_class_is_nbgraders(db):
    with nbgrader_gradebook.open_gradebook_file(db, CID) as gb:
        assert isinstance(gb, nbgrader_gradebook.Gradebook) and type(gb).__module__ == "nbgrader.api"
