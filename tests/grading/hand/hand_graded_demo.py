"""The demo class's hw3 (the twelve example students' real notebooks) in a course whose gradebook is as autograding
leaves it for hand grading: every graded cell of the source notebook in nbgrader's gradebook (its API, as
nbgrader's SaveCells writes them), a submission per student, autograded cells scored, written cells waiting for a
hand grade. No kernel runs, so a test of hand grading gets the whole class in about a second."""
import os
import shutil
import sys
from pathlib import Path

import nbformat

from conftest import ROOT
from dgmlab.grading.course import Course

HW = "hw3_flows"
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")


def students() -> list:
    return sorted(p.name for p in (ROOT / "examples").iterdir() if (p / HW / f"{HW}.ipynb").is_file())


def build(root: Path, pdf_student: str | None = "demo_amara", only=None) -> Course:
    """The course at ``root``; ``pdf_student`` also handed in a PDF (``derivations.pdf``); ``only``: these
    students, not the whole class."""
    from nbgrader.api import Gradebook

    shutil.copy(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copytree(ROOT / "source" / HW, root / "source" / HW,
                    ignore=shutil.ignore_patterns("figures", "*.pt", ".ipynb_checkpoints"))
    nb = nbformat.read(root / "source" / HW / f"{HW}.ipynb", as_version=4)
    cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade") or
             c.metadata.get("nbgrader", {}).get("solution")]
    who = [s for s in students() if only is None or s in only]
    saved = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), saved])  # nbgrader runs alembic
    try:
        with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
            gb.add_assignment(HW)
            gb.add_notebook(HW, HW)
            for c in cells:
                meta = c.metadata["nbgrader"]
                if meta.get("grade"):
                    gb.add_grade_cell(meta["grade_id"], HW, HW, max_score=float(meta["points"]),
                                      cell_type=c.cell_type)
                if meta.get("solution"):
                    gb.add_solution_cell(meta["grade_id"], HW, HW)
            for sid in who:
                gb.add_student(sid)
                gb.add_submission(HW, sid)
                for c in cells:
                    meta = c.metadata["nbgrader"]
                    if not meta.get("grade"):
                        continue
                    g = gb.find_grade(meta["grade_id"], HW, HW, sid)
                    if c.cell_type == "markdown":
                        g.needs_manual_grade = True
                    else:
                        g.auto_score = float(meta["points"]) if sid == "demo_reference" else 0.0
                gb.db.commit()
    finally:
        os.environ["PATH"] = saved
    for sid in who:
        for step in ("submitted", "autograded"):
            dest = root / step / sid / HW
            dest.mkdir(parents=True)
            shutil.copy(ROOT / "examples" / sid / HW / f"{HW}.ipynb", dest / f"{HW}.ipynb")
    if pdf_student:
        (root / "submitted" / pdf_student / HW / "derivations.pdf").write_bytes(PDF)
    return Course(root)
