"""The demo class's hw3 (the twelve example students' real notebooks) in a course whose gradebook is as autograding
leaves it for hand grading: every graded cell of the source notebook in nbgrader's gradebook (its API, as
nbgrader's SaveCells writes them), a submission per student, autograded cells scored, written cells waiting for a
hand grade. No kernel runs, so a test of hand grading gets the whole class in about a second."""
import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat

from conftest import ROOT
from dgmlab.grading.course import Course

HW = "hw3_flows"
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")


def students() -> list:
    return sorted(p.name for p in (ROOT / "examples").iterdir() if (p / HW / f"{HW}.ipynb").is_file())


_BUILT: dict = {}  # {(pdf_student, students): a course built once in this process, copied for each build}


def build(root: Path, pdf_student: str | None = "demo_amara", only=None) -> Course:
    """The course at ``root``; ``pdf_student`` also handed in a PDF (``derivations.pdf``); ``only``: these
    students, not the whole class. Built once per process for each ``(pdf_student, only)`` (nbgrader's gradebook
    takes seconds of CPU) and copied to ``root``, file by file as fresh files, so that each test has its own."""
    key = (pdf_student, None if only is None else frozenset(only))
    if key not in _BUILT:
        template = Path(tempfile.mkdtemp(prefix="hand_graded_demo-"))
        atexit.register(shutil.rmtree, template, True)
        _build(template, pdf_student, only)
        _BUILT[key] = template
    shutil.copytree(_BUILT[key], root, copy_function=shutil.copy, dirs_exist_ok=True)
    return Course(root)


def _build(root: Path, pdf_student: str | None, only) -> None:
    """Write the course :func:`build` describes at ``root``."""
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


SURNAMES = ["abbott", "baker", "chen", "diaz", "evans", "fischer", "garcia", "haddad", "ito", "jensen", "kowalski",
            "lopez", "moreau", "nguyen", "okafor", "patel", "quinn", "rossi", "singh", "tanaka", "ueda", "varga",
            "wagner", "xu", "yilmaz", "zhang"]


def class_ids(n: int) -> list:
    """``n`` student ids as an LMS gives them, ``<surname>_<number>``: their alphabetical order is not the page's."""
    return [f"{SURNAMES[k % len(SURNAMES)]}_{k:04d}" for k in range(n)]


def build_class(root: Path, n: int, answers: dict | None = None) -> Course:
    """A generated class of ``n`` students of hw3 at ``root``, as :func:`build` makes the demo's: each student's
    notebook is an example student's (in turn), with each written answer in ``answers`` (``{grade id: [markdown,
    ...]}``) replaced by the next answer of that list, in turn. No kernel runs."""
    import json

    examples = [s for s in students() if s not in ("demo_blank",)]
    course = build(root, pdf_student=None, only=[])
    nb_cells = [c for c in nbformat.read(root / "source" / HW / f"{HW}.ipynb", as_version=4).cells
                if c.metadata.get("nbgrader", {}).get("grade")]
    ids = class_ids(n)
    saved = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), saved])
    from nbgrader.api import Gradebook
    try:
        with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
            for k, sid in enumerate(ids):
                gb.add_student(sid)
                gb.add_submission(HW, sid)
                for c in nb_cells:
                    meta = c.metadata["nbgrader"]
                    g = gb.find_grade(meta["grade_id"], HW, HW, sid)
                    if c.cell_type == "markdown":
                        g.needs_manual_grade = True
                    else:
                        g.auto_score = float(meta["points"]) if k % 3 else 0.0
            gb.db.commit()
    finally:
        os.environ["PATH"] = saved
    sources = {s: json.loads((ROOT / "examples" / s / HW / f"{HW}.ipynb").read_text()) for s in examples}
    for k, sid in enumerate(ids):
        nb = json.loads(json.dumps(sources[examples[k % len(examples)]]))
        for cell in nb["cells"]:
            gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if answers and gid in answers and cell["cell_type"] == "markdown":
                cell["source"] = answers[gid][k % len(answers[gid])]
        for step in ("submitted", "autograded"):
            dest = root / step / sid / HW
            dest.mkdir(parents=True)
            (dest / f"{HW}.ipynb").write_text(json.dumps(nb))
    return course
