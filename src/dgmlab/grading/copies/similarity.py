"""Answers alike: every student's answer cells compared with the class's and with the kit's own solutions.

A student's answers are the solution cells of ``submitted/<student>/<hw>/<hw>.ipynb`` (code and written
answers, by grade id) and the code cells the student added. Which cells are answers, and their grade ids, come
from the release notebook, never from the submission's metadata: a cell whose grade id is not one of the
release's answer cells counts as a code cell the student added (as autograde runs it), so a grade id the student
wrote never names a row. Each is fingerprinted with ``copydetect``
(k-grams of the tokenized text, winnowed: identifiers, comments and whitespace do not count; a code cell is
cut into its functions and methods first, so their order does not count either); every k-gram of the release notebook (the
given code and the questions) is boilerplate that never counts. Two students, or a student and one of the
kit's public notebooks (``source/<hw>/<hw>.ipynb``, ``examples/*/<hw>/<hw>.ipynb``), are compared per graded
cell and per notebook (all answers together, so code moved between cells still matches). Similarity is the
share of a text's fingerprinted tokens also in the other, the larger of the two sides (padding one copy with
code of one's own does not hide it). Rows at or above the thresholds are reported; a report changes no grade.

The k-grams are hashed here (:func:`kgram_hashes`), not with copydetect's Python ``hash``, which is salted afresh in
every process: with it, winnowing kept other k-grams on each run and a pair's similarity moved by a few
hundredths between two reports of the same notebooks.
"""
from __future__ import annotations

import ast
import dataclasses
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ... import syntax_tree
from .. import inert
from ..inert import terminal
from ..layout import Course
from .kit_imports import KIND as KIT_CODE
from .kit_imports import kit_references

# Calibrated on benchmarks/similarity_corpus/ (benchmarks/calibrate_similarity.py, docs/similarity.md).
K, WINDOW = 25, 6  # copydetect's defaults: k-grams of 25 filtered characters, one kept in every 6
PROSE_K = 40  # written answers: k-grams of 40 characters of lower-case words (about 7 words)
CELL_THRESHOLD = 0.9  # a graded cell: share of one side's fingerprinted tokens found in the other
NOTEBOOK_THRESHOLD = 0.4  # all answers of a notebook together
MIN_CELL_TOKENS = 60  # a cell whose answer covers fewer tokens (either side) is not compared alone
MIN_NOTEBOOK_TOKENS = 150
MAX_NOTEBOOK_BYTES = 32 * 2**20  # larger notebooks are not read (said so)
MAX_CELL_CHARS = 50_000  # larger cells are not compared (said so)
MAX_ANSWER_CHARS = 500_000  # a notebook with more answer text is not compared (said so; the kit's: ~25,000)
CSV_COLUMNS = ["homework", "student", "other", "where", "similarity", "kind"]


@dataclass
class Match:
    """``student``'s answers alike ``other``'s (a classmate, or a kit notebook's path) in ``where``."""

    hw: str
    student: str
    other: str
    where: str  # a grade id, or "notebook"
    similarity: float
    kind: str  # "student", "kit" or "kit code" (an answer that imports the kit's checking code: kit_imports)
    texts: tuple = ("", "")  # both texts, HTML-escaped, the matching parts in <mark> (:func:`with_texts`)
    parts: list = field(default_factory=list, repr=False, compare=False)  # [(fingerprint, fingerprint)] compared


@dataclass
class HomeworkSimilarity:
    hw: str
    students: int
    matches: list = field(default_factory=list)  # most alike first
    skipped: list = field(default_factory=list)  # "<who>: what was not read and why"

    def flagged(self) -> dict:
        """{student: [matches]} for every student in a match (both students of a class pair)."""
        out: dict = {}
        for m in self.matches:
            out.setdefault(m.student, []).append(m)
            if m.kind == "student":
                out.setdefault(m.other, []).append(m)
        return out


@dataclass
class _Answers:
    """One notebook's fingerprints: per grade id, and for the whole notebook (code, prose)."""

    owner: str
    cells: dict = field(default_factory=dict)  # grade id -> CodeFingerprint
    notebook: tuple = (None, None)  # (code, prose) CodeFingerprints or None


def kgram_hashes(string: str, k: int):
    """The hash of each k-gram of ``string``, the same in every process (copydetect's ``hashed_kgrams``, which uses
    the salted ``hash``, replaced while fingerprinting: :func:`_fingerprinter`): a polynomial hash of the
    characters modulo 2**64, its bits then mixed (splitmix64's finaliser) so that winnowing's minima are spread."""
    import numpy as np

    codes = np.frombuffer(string.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n = len(codes) - k + 1
    if n <= 0:
        return np.array([], dtype=np.int64)
    h = np.zeros(n, dtype=np.uint64)
    for j in range(k):  # wraps modulo 2**64, as meant
        h = h * np.uint64(1_000_003) + codes[j:j + n]
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h.view(np.int64)


def _fingerprinter():
    """copydetect's ``CodeFingerprint``, hashing with :func:`kgram_hashes` (its module's k-gram hash replaced, once
    for the process: every fingerprint compared must use the same hash)."""
    import copydetect.utils
    from copydetect import CodeFingerprint

    if copydetect.utils.hashed_kgrams is not kgram_hashes:
        copydetect.utils.hashed_kgrams = kgram_hashes
    return CodeFingerprint


def _prose(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def _fingerprint(text: str, prose: bool, boilerplate):
    """A cell's fingerprint; code: the union of its functions' and methods' own (:func:`_blocks`)."""
    CodeFingerprint = _fingerprinter()
    if prose:
        return CodeFingerprint("answer.txt", PROSE_K, WINDOW, boilerplate[1], filter=False, fp=io.StringIO(_prose(text)))
    return _merge([CodeFingerprint("answer.py", K, WINDOW, boilerplate[0], language="python", fp=io.StringIO(block))
                   for block in _blocks(text)], "")


def _blocks(code: str) -> list:
    """``code`` cut into its functions, a class's header and methods, and the runs of other statements between
    them, so that no k-gram spans two functions and their order does not matter; the whole text where it does not
    parse (a syntax error, a notebook magic). Parsed only (``ast``), never run."""
    try:
        tree = syntax_tree.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return [code]
    lines, spans = code.splitlines(), []

    def cut(nodes):
        run = None
        for n in nodes:
            start = min([n.lineno] + [d.lineno for d in getattr(n, "decorator_list", [])])
            if isinstance(n, ast.ClassDef) and n.body:
                spans.append((start, n.body[0].lineno - 1))
                run = None
                cut(n.body)
            elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
                spans.append((start, n.end_lineno))
                run = None
            elif run is None:
                run = [start, n.end_lineno]
                spans.append(run)
            else:
                run[1] = n.end_lineno
    cut(tree.body)
    return ["\n".join(lines[a - 1:b]) for a, b in spans if b >= a] or [code]


def _answer_ids(release: Path) -> dict:
    """``{grade id: is prose}`` of the answer (solution) cells of the release notebook (the kit's own file), and
    ``{grade id: None}`` of its other nbgrader cells (given code and text, tests)."""
    nb = json.loads(release.read_text(encoding="utf-8"))
    out = {}
    for c in nb["cells"]:
        meta = c.get("metadata", {}).get("nbgrader", {})
        if isinstance(meta.get("grade_id"), str):
            out[meta["grade_id"]] = (c.get("cell_type") == "markdown") if meta.get("solution") else None
    return out


def _cells(path: Path, skipped: list, who: str, answers: dict):
    """[(grade id or None, is prose, source)] of a notebook's answer cells, read as untrusted JSON, or None.

    ``answers``: the release's cells (:func:`_answer_ids`); a cell is an answer only by a grade id of the
    release's answer cells, and then is prose as the release's is; one with the grade id of another release cell
    is given code. Any other code cell counts as one the student added, whatever nbgrader metadata it carries."""
    try:
        size = path.stat().st_size
        if size > MAX_NOTEBOOK_BYTES:
            skipped.append(f"{who}: {path.name} not read ({size / 2**20:.0f} MiB, over the "
                           f"{MAX_NOTEBOOK_BYTES // 2**20} MiB limit)")
            return None
        nb = json.loads(path.read_bytes().decode("utf-8"))
        cells = nb["cells"]
        if not isinstance(cells, list):
            raise TypeError("cells is not a list")
    except Exception as exc:  # a student's file: its problem, said, never raised
        skipped.append(f"{who}: {path.name} not read ({type(exc).__name__}: not a notebook)")
        return None
    out = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown"):
            continue
        src = cell.get("source", "")
        src = "".join(s for s in src if isinstance(s, str)) if isinstance(src, list) else src
        # a student's raw JSON, not a validated NotebookNode: every level is type-checked here, and the grade id
        # is only looked up among the release's (never reported as the student wrote it)
        meta = cell.get("metadata", {})
        nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
        gid = nbg.get("grade_id") if isinstance(nbg, dict) else None
        gid = gid if isinstance(gid, str) and gid in answers else None  # answers[gid] None: given, not an answer
        if not isinstance(src, str):
            continue
        if len(src) > MAX_CELL_CHARS:
            skipped.append(f"{who}: a cell of {len(src):,} characters not compared (over {MAX_CELL_CHARS:,})")
            continue
        if gid is None and cell["cell_type"] == "code":
            out.append((None, False, src))  # a code cell the student added
        elif gid is not None and answers[gid] is not None:
            out.append((gid, answers[gid], src))
    total = sum(len(src) for _, _, src in out)
    if total > MAX_ANSWER_CHARS:
        skipped.append(f"{who}: {path.name} not compared ({total:,} characters of answers, over {MAX_ANSWER_CHARS:,})")
        return None
    return out


def _answers(owner: str, cells, boilerplate) -> _Answers:
    a = _Answers(owner)
    code, prose = [], []
    for gid, is_prose, src in cells:
        src = "\n".join(ln for ln in src.splitlines() if not re.match(r"\s*#+\s*(BEGIN|END) SOLUTION", ln))
        fp = _fingerprint(src, is_prose, boilerplate)
        (prose if is_prose else code).append(fp)
        if gid is not None and gid not in a.cells:
            a.cells[gid] = fp
    a.notebook = (_merge(code, ""), _merge(prose, "\n\n"))
    return a


def _merge(fps: list, sep: str):
    """One fingerprint of several texts: the union of their own (no k-gram across two cells), or None."""
    import numpy as np
    from copydetect import CodeFingerprint

    if not fps:
        return None
    out = CodeFingerprint.__new__(CodeFingerprint)
    out.k, out.filename, out.hashes, out.hash_idx, out.token_coverage = fps[0].k, "notebook", set(), {}, 0
    raw, filtered, offsets = [], [], []
    at_raw = at_filtered = 0
    for fp in fps:
        for h, idx in fp.hash_idx.items():
            out.hash_idx.setdefault(h, []).extend(i + at_filtered for i in idx)
        out.hashes |= fp.hashes
        out.token_coverage += fp.token_coverage
        if len(fp.offsets):
            offsets.append(fp.offsets + [at_filtered, at_raw - at_filtered])
        raw.append(fp.raw_code)
        filtered.append(fp.filtered_code)
        at_raw += len(fp.raw_code) + 2
        at_filtered += len(fp.filtered_code) + len(sep)
    out.raw_code, out.filtered_code = "\n\n".join(raw), sep.join(filtered)
    out.offsets = np.concatenate(offsets) if offsets else np.array([])
    return out


def _boilerplate(release: Path):
    """(code, prose) fingerprints of every k-gram of the release notebook (window 1: all of them)."""
    import numpy as np

    CodeFingerprint = _fingerprinter()

    nb = json.loads(release.read_text(encoding="utf-8"))  # the kit's own file
    cells = [(c.get("cell_type") == "markdown", "".join(c.get("source", ""))) for c in nb["cells"]]
    out = []
    for prose, k in ((False, K), (True, PROSE_K)):
        text = "\n".join(_prose(s) if prose else s for p, s in cells if p == prose)
        fp = CodeFingerprint("b.txt" if prose else "b.py", k, 1, filter=not prose, language=None if prose else "python",
                             fp=io.StringIO(text))
        out.append(np.array(sorted(fp.hashes)))
    return tuple(out)


def _compare(pairs, minimum: int):
    """Similarity of two texts made of parts [(fingerprint a, fingerprint b)], or None (too small, nothing alike).

    The larger side's share of fingerprinted tokens found in the other; a cheap bound first skips pairs that
    cannot reach anything (most pairs of a class)."""
    from copydetect import compare_files

    cov_a = sum(a.token_coverage for a, _ in pairs if a is not None)
    cov_b = sum(b.token_coverage for _, b in pairs if b is not None)
    if min(cov_a, cov_b) < minimum:
        return None
    over_a = over_b = 0.0
    for a, b in pairs:
        if a is None or b is None or not (a.hashes & b.hashes):
            continue
        _, (sa, sb), _ = compare_files(a, b)
        over_a += sa * a.token_coverage
        over_b += sb * b.token_coverage
    return max(over_a / cov_a, over_b / cov_b) if over_a or over_b else None


def _texts(a, b) -> tuple:
    """Both texts with the parts they share in <mark>, HTML-escaped by copydetect (lines far from a match cut)."""
    from copydetect import compare_files
    from copydetect.utils import highlight_overlap
    from markupsafe import escape

    _, _, (sa, sb) = compare_files(a, b)
    return tuple(highlight_overlap(f.raw_code, s, "<mark>", "</mark>", truncate=2, escape_html=True)[0]
                 if s.ndim == 2 and s.shape[1] else str(escape(f.raw_code)) for f, s in ((a, sa), (b, sb)))


def _pair(hw, x: _Answers, y: _Answers, kind: str) -> list:
    out = []
    for gid in sorted(set(x.cells) & set(y.cells)):
        a, b = x.cells[gid], y.cells[gid]
        s = _compare([(a, b)], MIN_CELL_TOKENS)
        if s is not None and s >= CELL_THRESHOLD:
            out.append(Match(hw, x.owner, y.owner, gid, round(float(s), 3), kind, parts=[(a, b)]))
    parts = list(zip(x.notebook, y.notebook))
    s = _compare(parts, MIN_NOTEBOOK_TOKENS)
    if s is not None and s >= NOTEBOOK_THRESHOLD:
        out.append(Match(hw, x.owner, y.owner, "notebook", round(float(s), 3), kind, parts=parts))
    return out


def _kit_code(hw, sid, cells) -> list:
    """A row per answer cell of ``sid`` that uses the kit's checking code (:mod:`.kit_imports`)."""
    out = {}
    for gid, prose, src in cells:
        refs = [] if prose else kit_references(src)
        if refs:
            out.setdefault(gid or "an added cell", Match(hw, sid, ", ".join(refs)[:200], gid or "an added cell", 1.0,
                                                          KIT_CODE))
    return list(out.values())


def kit_notebooks(course: Course, hw: str) -> list[Path]:
    """The kit's public notebooks of ``hw`` holding solutions: the instructor's and the example submissions'."""
    found = [course.source_notebook(hw)] + sorted((course.root / "examples").glob(f"*/{hw}/{hw}.ipynb"))
    return [p for p in found if p.is_file()]


def compare_homework(course: Course, hw: str, notebooks: dict | None = None) -> HomeworkSimilarity:
    """Every pair of students of ``hw``, and every student against the kit (its best match per cell)."""
    if notebooks is None:
        notebooks = {s: course.folder("submitted", hw, s) / f"{hw}.ipynb" for s in course.submitted(hw)}
    result = HomeworkSimilarity(hw, len(notebooks))
    release = course.release_notebook(hw)
    if not release.is_file():  # its given code is what must never count: no comparison without it
        result.skipped.append(f"not compared: no release notebook release/{hw}/{hw}.ipynb (run `dgmlab release {hw}`)")
        return result
    boilerplate = _boilerplate(release)
    answers = _answer_ids(release)
    students = []
    for sid, path in sorted(notebooks.items()):
        cells = _cells(path, result.skipped, sid, answers) if path.is_file() else None
        if cells is not None:
            students.append(_answers(sid, cells, boilerplate))
            result.matches += _kit_code(hw, sid, cells)
    kit = [_answers(p.relative_to(course.root).as_posix(), _cells(p, result.skipped, p.name, answers) or [], boilerplate)
           for p in kit_notebooks(course, hw)]
    for i, x in enumerate(students):
        for y in students[i + 1:]:
            result.matches += _pair(hw, x, y, "student")
        best: dict = {}
        for k in kit:
            for m in _pair(hw, x, k, "kit"):
                if m.where not in best or m.similarity > best[m.where].similarity:
                    best[m.where] = m
        result.matches += best.values()
    result.matches.sort(key=lambda m: (m.where != "notebook", -m.similarity, m.student, m.other, m.where))
    return result


def compare(course: Course, hws) -> list[HomeworkSimilarity]:
    return [compare_homework(course, hw) for hw in hws]


def with_texts(m: Match) -> Match:
    """``m`` with its two texts highlighted for the page (computed only for the rows shown)."""
    texts = [_texts(a, b) for a, b in m.parts if a is not None and b is not None and a.hashes & b.hashes]
    joined = tuple("\n\n".join(t[i] for t in texts) for i in (0, 1)) if texts else ("", "")
    return dataclasses.replace(m, texts=joined)


def write_csv(results: list, path: Path) -> Path:
    return inert.write_csv(path, [CSV_COLUMNS, *([m.hw, m.student, m.other, m.where, f"{m.similarity:.3f}", m.kind]
                                                 for r in results for m in r.matches)])


def format_report(results: list) -> str:
    """One line per flagged student and homework: where, how alike, and with whom (no control characters: what
    a submission wrote is printed as text)."""
    lines = []
    for r in results:
        for s in r.skipped:
            lines.append(f"{r.hw}: {s}")
        for sid, ms in sorted(r.flagged().items()):
            def other(m):
                return m.other if m.student == sid else m.student
            parts = [f"{m.where} uses {m.other}" if m.kind == KIT_CODE else f"{m.where} {m.similarity:.2f} like "
                     f"{'the kit' + chr(39) + 's ' if m.kind == 'kit' else ''}{other(m)}" for m in ms[:4]]
            lines.append(f"{r.hw}: {sid}: " + "; ".join(parts) + (f" (+{len(ms) - 4} more)" if len(ms) > 4 else ""))
    return "\n".join(terminal(line) for line in lines)
