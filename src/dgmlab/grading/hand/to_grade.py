"""What is still to grade by hand: one rule for ``dgmlab grade``, ``dgmlab report`` and ``dgmlab push``.

A hand-graded cell (a written answer: a markdown grade cell, or a grade cell that is also an answer cell) is still
to grade when nbgrader's gradebook flags it (``Grade.needs_manual_grade``: never graded, or reopened by a regrade
because the answer changed since it was graded, :mod:`dgmlab.grading.autograde.hand_grades`), or when it has no
score of any kind. An answer left as released, which nbgrader itself scores 0, is graded. The grading page (``dgmlab grade``) counts it with
:func:`pending`; ``dgmlab report`` and ``push`` (which sends no mark while any is left) apply the same rule,
:func:`still_to_grade`, to every submission's cells. (It lives here, not in the report package, because the
report already imports the hand-grading package: the other way round would be an import cycle.)
"""
from __future__ import annotations


def hand_graded_names(notebook) -> set:
    """The names of the hand-graded grade cells of an nbgrader (source) ``Notebook``: markdown grade cells and
    grade cells that are answer (solution) cells too."""
    solution = {c.name for c in notebook.solution_cells}
    return {c.name for c in notebook.grade_cells if c.cell_type == "markdown" or c.name in solution}


def still_to_grade(manual: bool, needs_manual_grade, manual_score, auto_score) -> bool:
    """Whether a grade cell (``manual``: a hand-graded one) is an answer still to grade by hand: nbgrader flags it
    (``needs_manual_grade``), or it holds no score at all (see the module)."""
    return bool(manual and (needs_manual_grade or (manual_score is None and auto_score is None)))


def waits_for_a_look(looked_for: bool, needs_manual_grade, manual_score) -> bool:
    """Whether a test cell that a training-record verdict names (``looked_for``:
    :func:`dgmlab.grading.hand.trained_looks.waiting`) still waits for an instructor's look: it has no hand score,
    or a regrade reopened the one it had. (The kit's own verdict decides, not the gradebook's flag alone, which
    nbgrader sets on new rows by default.)"""
    return bool(looked_for and (manual_score is None or needs_manual_grade))


def _left(grade) -> bool:
    return still_to_grade(True, grade.needs_manual_grade, grade.manual_score, grade.auto_score)


def pending(gb, hw: str) -> dict:
    """``{student: [grade id, ...]}`` of ``hw``'s hand-graded cells still to grade, from the Gradebook ``gb``; a
    student with none is left out."""
    assignment = gb.find_assignment(hw)
    hand = {nb.name: hand_graded_names(nb) for nb in assignment.notebooks}
    out = {}
    for sub in assignment.submissions:
        for snb in sub.notebooks:
            left = [g.name for g in snb.grades if g.name in hand.get(snb.name, ()) and _left(g)]
            if left:
                out.setdefault(sub.student.id, []).extend(left)
    return out
