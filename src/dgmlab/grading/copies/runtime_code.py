"""Answer cells that build code or names at run time, listed for the instructor by ``dgmlab report``.

Text comparison (:mod:`.similarity`) and the kit-import check (:mod:`.kit_imports`) read what an answer says; an
answer that runs text it decodes (``exec(zlib.decompress(base64.b64decode("...")))``: an encoded copy of a kit
solution matches nothing), or reaches a name it computes (``getattr(m, "stat" + "ement_d_loss")``), says nothing
they can read. An honest answer has no use for those constructs, so each answer cell is parsed (``ast``, never run;
IPython's magics turned into Python by IPython's own transformer first; :mod:`.runtime_constructs`) and every
construct of these kinds is listed per student and cell: ``exec``/``eval``/``compile``/``__import__``,
``importlib``, ``getattr`` and its kin with a name that is not a literal, ``globals()``/``vars()``/``__dict__``
with a computed key, the decoders (base64, zlib, bz2, lzma, marshal, pickle, codecs, binascii, ``bytes.fromhex``),
``types.FunctionType``/``CodeType``, magics and shell commands that run code the parser cannot see, references
to the kit's checking code (:mod:`.kit_imports`), and a cell that does not parse. It changes no grade.

What a row says is made of the kit's own words (``"exec of zlib.decompress of base64.b64decode"``,
``"getattr with a computed name"``), never of the submission's text. Cells are placed by their position and, where
the cell stands where the release notebook has an answer cell, by that cell's grade id: the structure comes from
the release notebook, never from the submission's metadata (a student may rewrite it). Cells identical to one of
the release notebook's (its given code, tests, and unanswered stubs) are not read.
"""
from __future__ import annotations

import dataclasses
import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path

from .. import inert
from ..inert import terminal
from .runtime_constructs import NOT_PARSED, aliases_of, constructs

MAX_NOTEBOOK_BYTES = 32 * 2**20  # larger notebooks are not read (said so)
MAX_CELL_CHARS = 1_000_000  # a larger cell is not parsed; it is listed as such
CSV_COLUMNS = ["homework", "student", "cell", "grade_id", "construct"]


@dataclass
class Finding:
    """``student``'s cell at ``cell`` (1-based position in the submission) holds ``construct``."""

    hw: str
    student: str
    cell: int
    grade_id: str | None  # the release notebook's answer cell it stands for; None: a cell of the student's own
    construct: str

    @property
    def where(self) -> str:
        return f"cell {self.cell}" + (f" ({self.grade_id})" if self.grade_id else "")


@dataclass
class HomeworkRuntimeCode:
    hw: str
    students: int
    findings: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # "<who>: what was not read and why"

    def flagged(self) -> dict:
        out: dict = {}
        for f in self.findings:
            out.setdefault(f.student, []).append(f)
        return out


def _read(path: Path):
    """The cells of a notebook, read as untrusted JSON: [(cell_type, source, nbgrader metadata dict)]."""
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        raise ValueError(f"{size / 2**20:.0f} MiB, over the {MAX_NOTEBOOK_BYTES // 2**20} MiB limit")
    try:
        nb = json.loads(path.read_bytes().decode("utf-8"))
        cells = nb["cells"]
        if not isinstance(cells, list):
            raise TypeError
    except Exception as exc:
        raise ValueError(f"{type(exc).__name__}: not a notebook") from None
    out = []
    for cell in cells:
        if not isinstance(cell, dict):
            out.append(("", "", {}))
            continue
        src = cell.get("source", "")
        src = "".join(s for s in src if isinstance(s, str)) if isinstance(src, list) else src
        meta = cell.get("metadata")
        nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
        kind = cell.get("cell_type")
        out.append((kind if isinstance(kind, str) else "", src if isinstance(src, str) else "",
                    nbg if isinstance(nbg, dict) else {}))
    return out


def _answer_ids(release: list, submission: list) -> dict:
    """{submission cell index: grade id} for the cells standing where the release notebook has an answer cell.

    The two notebooks are aligned on their identical cells (given code, questions, tests); between two such cells,
    a submission cell is that stretch's answer cell of its type when the release has one there and the submission
    one cell of that type, or when its metadata names one of that stretch's answer cells (a claim checked against
    the release, never taken alone)."""
    key = [(t, s) for t, s, _ in release]
    out = {}
    matcher = difflib.SequenceMatcher(None, key, [(t, s) for t, s, _ in submission], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2)):
                if release[i][2].get("solution") and isinstance(release[i][2].get("grade_id"), str):
                    out[j] = release[i][2]["grade_id"]
            continue
        answers = [(release[i][0], release[i][2]["grade_id"]) for i in range(i1, i2)
                   if release[i][2].get("solution") and isinstance(release[i][2].get("grade_id"), str)]
        for kind in {t for t, _ in answers}:
            mine = [j for j in range(j1, j2) if submission[j][0] == kind]
            theirs = [g for t, g in answers if t == kind]
            for j in mine:
                claim = submission[j][2].get("grade_id")
                if claim in theirs and claim not in out.values():
                    out[j] = claim
            left = [g for g in theirs if g not in out.values()]
            unplaced = [j for j in mine if j not in out]
            if len(left) == 1 and len(unplaced) == 1:
                out[unplaced[0]] = left[0]
    return out


def scan_notebook(hw: str, student: str, path: Path, release: list, source: list = ()) -> list:
    """The :class:`Finding` of ``student``'s notebook at ``path``; ``release``, ``source``: the release and the
    instructor's notebooks' cells (:func:`_read`). A cell identical to one of the release's, or to one of the
    source's that is not an answer (a test cell with its hidden part), is the kit's and not read. Raises ValueError
    for a file that is not a readable notebook."""
    cells = _read(path)
    given = {s for t, s, _ in release if t == "code"}
    given |= {s for t, s, m in source if t == "code" and not m.get("solution")}
    ids = _answer_ids(release, cells)
    aliases = aliases_of([s for t, s, _ in cells if t == "code" and len(s) <= MAX_CELL_CHARS])
    out = []
    for j, (kind, src, _) in enumerate(cells):
        if kind != "code" or src in given or not src.strip():
            continue
        found = [f"a cell over {MAX_CELL_CHARS:,} characters, not read"] if len(src) > MAX_CELL_CHARS \
            else constructs(src, aliases)
        out += [Finding(hw, student, j + 1, ids.get(j), c) for c in found]
    return out


def scan_homework(course, hw: str, notebooks: dict | None = None) -> HomeworkRuntimeCode:
    """Every submitted notebook of ``hw`` (``{student: path}``, by default ``submitted/<student>/<hw>/<hw>.ipynb``)
    read for run-time code; the release notebook gives the structure and the given code."""
    if notebooks is None:
        notebooks = {s: course.folder("submitted", hw, s) / f"{hw}.ipynb" for s in course.submitted(hw)}
    result = HomeworkRuntimeCode(hw, len(notebooks))
    release_path = course.release_notebook(hw)
    try:
        release = _read(release_path)
    except (OSError, ValueError):
        result.skipped.append(f"not read: no release notebook release/{hw}/{hw}.ipynb (run `dgmlab release {hw}`)")
        return result
    try:
        source = _read(course.source_notebook(hw))
    except (OSError, ValueError):  # a course without the instructor's notebook: the release's text alone is given
        source = []
    for sid, path in sorted(notebooks.items()):
        try:
            result.findings += scan_notebook(hw, sid, path, release, source)
        except (OSError, ValueError) as exc:
            result.skipped.append(f"{sid}: {path.name} not read ({exc})")
    result.findings.sort(key=lambda f: (f.student, f.cell, f.construct))
    return result


def scan(course, hws) -> list:
    return [scan_homework(course, hw) for hw in hws]


def write_csv(results: list, path: Path) -> Path:
    return inert.write_csv(path, [CSV_COLUMNS, *([x.hw, x.student, x.cell, x.grade_id or "", x.construct]
                                                 for r in results for x in r.findings)])


def format_report(results: list) -> str:
    """One line per student and homework with run-time code: where, and what."""
    lines = []
    for r in results:
        lines += [f"{r.hw}: {s}" for s in r.skipped]
        for sid, found in sorted(r.flagged().items()):
            cells: dict = {}
            for x in found:
                cells.setdefault(x.where, []).append(x.construct)
            lines.append(f"{r.hw}: {sid}: " + "; ".join(f"{w}: {', '.join(c)}" for w, c in cells.items()))
    return "\n".join(terminal(line) for line in lines)  # a skipped file's name may be a submission's


def html_section(hw: str, results: list):
    """The dashboard's section: a row per cell and construct (the ``runtime_code.html.j2`` template, autoescaped,
    though every construct is this module's)."""
    from ..html_text import render

    return render("runtime_code.html.j2", hw=hw, results=[r for r in results if r.hw == hw])


def anonymize(results: list, names: dict) -> list:
    """``results`` with every student id replaced by its pseudonym (skipped lines, which name students, left out)."""
    return [dataclasses.replace(r, skipped=[], findings=sorted(
        (dataclasses.replace(x, student=names[x.student]) for x in r.findings),
        key=lambda x: (x.student, x.cell, x.construct))) for r in results]


__all__ = ["CSV_COLUMNS", "Finding", "HomeworkRuntimeCode", "NOT_PARSED", "aliases_of", "anonymize", "constructs",
           "format_report", "html_section", "scan", "scan_homework", "scan_notebook", "write_csv"]
