"""What the gradebook and the graded notebooks say about a class: per cell, per submission, per student.

Sources, all written by grading itself:

- nbgrader's ``gradebook.db`` (through :class:`nbgrader.api.Gradebook`): the
  roster (student table), every grade cell's points, hand-grading state and
  graders' comments;
- ``autograded/<student>/<hw>/<hw>.ipynb``: each test cell's output, where
  the grader's judge (:mod:`dgmlab.grading.judge`) printed ``passed test_x`` / ``FAILED test_x:
  message`` (the short reasons students see in feedback), and the cell's
  source, read only to tell which ``test_*`` names sit inside the hidden-tests
  region (names only: no hidden source ever leaves this module);
- ``.dgmlab/grading/<hw>/<student>.json``: the outcome ``dgmlab autograde``
  recorded for the submission (graded / invalid / failed / timed out, reason,
  seconds), see :func:`dgmlab.grading.records.save_records`.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import statistics
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from .layout import Course, CourseError, check_submission
from .preprocessors import HIDDEN_BEGIN, HIDDEN_END
from .records import load_records

CHECK_LINE = re.compile(r"^(passed|FAILED) (test_\w+)(?:: (.*))?$")
TEST_DEF = re.compile(r"^\s*def (test_\w+)\s*\(")
POINTS_PREFIX = re.compile(r"^[\d.]+ of [\d.]+ points(?: \(hidden test\))?\.?\s*")  # the judge's "0 of 2 points. "
KEY_FILE = Path(".dgmlab") / "pseudonym.key"
# homework prefix -> (the samples file in autograded/<student>/<hw>/ the dashboard shows, the grade cell that scores
# them): the draw each cell makes from the handed-in generator weights and writes while autograding
ARTIFACTS = {"hw1": ("graded_draw_100.pt", "q3_samples_quality_tests"),
             "hw2": ("graded_draw_100.pt", "p5_mnist_samples_tests"),
             "hw4": ("graded_draw_100.pt", "p2_baseline_samples_tests")}


@dataclass
class CellResult:
    """One graded cell of one submission."""

    student: str
    hw: str
    notebook: str
    cell: str
    points: float | None  # None: a hand-graded cell nobody has graded yet
    max_points: float
    kind: str  # "auto" or "manual"
    needs_manual: bool = False
    reason: str = ""  # why points were lost, as the student sees it (or the grader's comment)
    passed: list = field(default_factory=list)  # names of checks that passed
    failed: list = field(default_factory=list)  # (name, message) of checks that failed
    visible: list = field(default_factory=list)  # names of the cell's visible checks
    hidden: list = field(default_factory=list)  # names of the cell's hidden checks

    @property
    def full(self) -> bool:
        return self.points is not None and self.points >= self.max_points - 1e-9

    @property
    def hidden_gap(self) -> bool:
        """Every visible check passed, yet the cell lost points on a hidden check."""
        if self.kind != "auto" or self.full or not self.visible:
            return False
        failed = {n for n, _ in self.failed}
        return set(self.visible) <= set(self.passed) and bool(failed & set(self.hidden))


@dataclass
class Submission:
    student: str
    hw: str
    status: str  # graded / invalid / failed / timed out / not graded
    reason: str = ""
    seconds: float | None = None
    score: float | None = None
    max_score: float = 0.0
    auto_score: float = 0.0
    manual_score: float = 0.0
    pending_manual: int = 0  # hand-graded cells not graded yet
    timings: dict = field(default_factory=dict)  # seconds per grading phase, as recorded


@dataclass
class RosterEntry:
    id: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    lms_user_id: str | None = None

    @property
    def named(self) -> bool:
        return bool(self.first_name or self.last_name)

    @property
    def display(self) -> str:
        if self.last_name and self.first_name:
            return f"{self.last_name}, {self.first_name}"
        return self.last_name or self.first_name or self.id


@dataclass
class ClassData:
    """Everything the dashboard and the exports need."""

    hws: list
    roster: dict  # id -> RosterEntry
    cells: list  # CellResult
    submissions: list  # Submission
    cell_order: dict  # hw -> [(notebook, cell, max_points, kind)]
    max_score: dict  # hw -> points possible
    problems: list = field(default_factory=list)  # roster problems, in words

    def cells_of(self, hw: str, cell: str | None = None, student: str | None = None) -> list:
        return [c for c in self.cells if c.hw == hw and (cell is None or c.cell == cell)
                and (student is None or c.student == student)]

    def graded(self, hw: str) -> list:
        return [s for s in self.submissions if s.hw == hw and s.score is not None]


# ------------------------------------------------------------------ notebooks
def test_names(source: str) -> tuple[list, list]:
    """``(visible, hidden)`` names of the ``test_*`` functions a test cell defines."""
    visible, hidden, hiding = [], [], False
    for line in source.splitlines():
        if HIDDEN_BEGIN in line:
            hiding = True
        elif HIDDEN_END in line:
            hiding = False
        else:
            m = TEST_DEF.match(line)
            if m:
                (hidden if hiding else visible).append(m.group(1))
    return visible, hidden


def cell_outcome(cell) -> tuple[list, list, str]:
    """``(passed, failed, error)`` of a test cell from its outputs (what the grader's judge printed)."""
    passed, failed, error = [], [], ""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            for line in out.get("text", "").splitlines():
                m = CHECK_LINE.match(line.strip())
                if m and m.group(1) == "passed":
                    passed.append(m.group(2))
                elif m:
                    failed.append((m.group(2), POINTS_PREFIX.sub("", (m.group(3) or "").strip())))
        elif out.get("output_type") == "error":
            ename, evalue = out.get("ename", "Error"), str(out.get("evalue", "")).strip()
            first = evalue.splitlines()[0] if evalue else ""
            error = f"{ename}: {first}" if first else ename
    return passed, failed, error[:300]


def read_graded_notebook(path: Path) -> dict:
    """``{grade_id: (passed, failed, error, visible, hidden)}`` for the test cells of an autograded notebook."""
    if not path.exists():
        return {}
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:
        return {}
    out = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution") and meta.get("grade_id"):
            passed, failed, error = cell_outcome(cell)
            visible, hidden = test_names(cell.source)
            reported = [(m.group(2), "(hidden test)" in line) for out_ in cell.get("outputs", [])
                        if out_.get("output_type") == "stream" for line in out_.get("text", "").splitlines()
                        for m in [CHECK_LINE.match(line.strip())] if m]
            visible += [n for n, is_hidden in reported if not is_hidden and n not in visible]  # a check()
            hidden += [n for n, is_hidden in reported if is_hidden and n not in hidden]       # cell's, as judged
            out[meta["grade_id"]] = (passed, failed, error, visible, hidden)
    return out


def _source_order(course: Course, hw: str) -> list:
    path = course.source_notebook(hw)
    if not path.exists():
        return []
    nb = nbformat.read(path, as_version=4)
    return [c.metadata["nbgrader"]["grade_id"] for c in nb.cells
            if c.get("metadata", {}).get("nbgrader", {}).get("grade") and c.metadata["nbgrader"].get("grade_id")]


def _reason(kind, points, max_points, needs_manual, outcome, comment) -> str:
    if kind == "manual":
        if needs_manual or points is None:
            return "awaiting hand grading"
        return (comment or "").strip()[:300]  # the grader's comment, if any
    if points is not None and points >= max_points - 1e-9:
        return ""
    if outcome is None:
        return "no graded notebook to read the reason from"
    _, failed, error, _, _ = outcome
    if failed:
        return "; ".join(f"{n}: {m}" if m else n for n, m in failed)[:600]
    return error or "lost points (the cell printed no failure message)"


# ------------------------------------------------------------------ collect
def collect(course: Course, hws=None) -> ClassData:
    """Read the gradebook, the autograded notebooks and the grading records of ``hws`` (all by default)."""
    from nbgrader.api import Gradebook

    db = course.root / "gradebook.db"
    if not db.exists():
        raise CourseError(f"no gradebook at {db}: autograde something first (dgmlab autograde <hw>)")
    cells, subs, order, maxes, roster, problems = [], [], {}, {}, {}, []
    with Gradebook(f"sqlite:///{db}") as gb:
        for st in gb.students:
            roster[st.id] = RosterEntry(st.id, st.first_name, st.last_name, st.email, st.lms_user_id)
        known = [a.name for a in gb.assignments]
        if hws:
            unknown = [h for h in hws if h not in known]
            if unknown:
                raise CourseError(f"no grades for {', '.join(unknown)} in the gradebook (it has "
                                  f"{', '.join(known) or 'none'}): autograde it first")
        hws = [h for h in known if not hws or h in hws]
        for assignment in gb.assignments:
            hw = assignment.name
            if hw not in hws:
                continue
            rank = {name: i for i, name in enumerate(_source_order(course, hw))}
            layout = []
            for nb in assignment.notebooks:
                solution = {c.name for c in nb.solution_cells}
                for gc in nb.grade_cells:
                    kind = "manual" if (gc.cell_type == "markdown" or gc.name in solution) else "auto"
                    layout.append((nb.name, gc.name, float(gc.max_score), kind))
            layout.sort(key=lambda t: (rank.get(t[1], len(rank)), t[1]))
            order[hw] = layout
            maxes[hw] = sum(t[2] for t in layout)
            kinds = {(t[0], t[1]): t[3] for t in layout}
            records = load_records(course, hw)
            seen = set()
            for sub in assignment.submissions:
                sid = sub.student.id
                seen.add(sid)
                auto = manual = 0.0
                pending = 0
                for snb in sub.notebooks:
                    outcomes = read_graded_notebook(course.root / "autograded" / sid / hw / f"{snb.name}.ipynb")
                    comments = {c.name: c.manual_comment for c in snb.comments}
                    for g in snb.grades:
                        kind = kinds.get((snb.name, g.name), "auto")
                        needs = bool(g.needs_manual_grade)
                        comment = comments.get(g.name)
                        if kind == "manual":
                            pts = None if (g.manual_score is None and g.auto_score is None) else float(g.score)
                            if g.manual_score is None and g.auto_score is not None and not needs:
                                comment = "answer left as released: nbgrader gave it 0 without hand grading"
                            pending += needs or pts is None
                            manual += pts or 0.0
                        else:
                            pts = float(g.score)
                            auto += pts
                        out = outcomes.get(g.name)
                        cr = CellResult(sid, hw, snb.name, g.name, pts, float(g.max_score), kind, needs,
                                        _reason(kind, pts, float(g.max_score), needs, out, comment))
                        if out:
                            cr.passed, cr.failed, _, cr.visible, cr.hidden = out
                        cells.append(cr)
                rec = records.get(sid, {})
                status = rec.get("status", "graded")
                subs.append(Submission(sid, hw, status, rec.get("reason", ""), rec.get("seconds"), auto + manual,
                                       maxes[hw], auto, manual, pending, rec.get("timings") or {}))
            # submissions that never reached the gradebook: recorded outcomes, else what the files say
            folder = course.root / "submitted"
            on_disk = set(course.submitted(hw)) if folder.is_dir() else set()
            for sid in sorted((set(records) | on_disk) - seen):
                rec = records.get(sid)
                if rec:
                    subs.append(Submission(sid, hw, rec["status"], rec.get("reason", ""), rec.get("seconds"),
                                           None, maxes[hw]))
                else:
                    why = check_submission(folder / sid / hw / f"{hw}.ipynb")
                    subs.append(Submission(sid, hw, "invalid" if why else "not graded",
                                           why or "no grade and no grading record: run dgmlab autograde", None,
                                           None, maxes[hw]))
    cells.sort(key=lambda c: (c.hw, c.student, _pos(order[c.hw], c.cell)))
    subs.sort(key=lambda s: (s.hw, s.student))
    for sid in sorted({s.student for s in subs}):
        entry = roster.get(sid)
        if entry is None:
            problems.append(f"{sid}: submitted but not in nbgrader's student table (add them: "
                            f"nbgrader db student add {sid} --first-name ... --last-name ... --lms-user-id ...)")
        elif not entry.named and not entry.lms_user_id and not entry.email:
            problems.append(f"{sid}: no name, email or LMS id in nbgrader's student table (nbgrader added them "
                            f"while grading); set them with nbgrader db student add {sid} --first-name ... "
                            f"--last-name ... --lms-user-id ...")
    return ClassData(hws, roster, cells, subs, order, maxes, problems)


def _pos(layout, cell):
    for i, t in enumerate(layout):
        if t[1] == cell:
            return i
    return len(layout)


# ------------------------------------------------------------------ statistics
def summary(values) -> dict:
    """n, mean, median, quartiles (statistics' 'inclusive' method), min and max of ``values``."""
    values = sorted(float(v) for v in values)
    if not values:
        return {"n": 0}
    q1, med, q3 = (statistics.quantiles(values, n=4, method="inclusive") if len(values) > 1
                   else (values[0], values[0], values[0]))
    return {"n": len(values), "mean": statistics.fmean(values), "median": med, "q1": q1, "q3": q3,
            "min": values[0], "max": values[-1]}


def cell_stats(data: ClassData, hw: str) -> list[dict]:
    """Per graded cell: pass rate (full points), mean points, failures grouped, visible-vs-hidden gap."""
    rows = []
    for notebook, cell, max_points, kind in data.cell_order[hw]:
        results = [c for c in data.cells_of(hw, cell) if c.points is not None]
        groups: dict[str, list] = {}
        for c in data.cells_of(hw, cell):
            if c.kind == "auto" and not c.full:
                msgs = {m for _, m in c.failed}
                if len(c.failed) > 1 and len(msgs) == 1:  # e.g. a blank answer: every check raised the same
                    keys = [f"{len(c.failed)} checks: {msgs.pop() or 'failed'}"]
                else:
                    keys = [f"{n}: {m}" if m else n for n, m in c.failed] or [c.reason]
                for key in keys:
                    groups.setdefault(key, []).append(c.student)
        rows.append({
            "notebook": notebook, "cell": cell, "max": max_points, "kind": kind,
            "graded": len(results),
            "pending": sorted(c.student for c in data.cells_of(hw, cell) if c.kind == "manual"
                              and (c.needs_manual or c.points is None)),
            "pass_rate": (sum(c.full for c in results) / len(results)) if results else None,
            "mean": (statistics.fmean(c.points for c in results)) if results else None,
            "failures": sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])),
            "gap": sorted(c.student for c in data.cells_of(hw, cell) if c.hidden_gap),
            "has_checks": any(c.visible for c in data.cells_of(hw, cell)),
        })
    return rows


# ------------------------------------------------------------------ pseudonyms
class Pseudonyms:
    """Stable pseudonyms ``student-7f3a``: a keyed hash (HMAC-SHA256) of the student id.

    The key lives in ``.dgmlab/pseudonym.key`` (made on first use, readable by
    you only), so the same student gets the same pseudonym in every report of
    the course and nobody without the key can recompute it from a roster.
    """

    def __init__(self, key: bytes):
        self.key = key

    @classmethod
    def for_course(cls, course: Course) -> "Pseudonyms":
        return cls(course.secret("pseudonym"))  # KEY_FILE

    def digest(self, sid: str) -> str:
        return hmac.new(self.key, sid.encode("utf-8"), hashlib.sha256).hexdigest()

    def mapping(self, ids) -> dict:
        """``{id: pseudonym}``: 4 hex digits, more for ids whose first digits collide."""
        ids = sorted(set(ids))
        full = {sid: self.digest(sid) for sid in ids}
        out, n = {}, 4
        while len(out) < len(ids):
            counts = Counter(h[:n] for h in full.values())
            for sid in ids:
                if sid not in out and counts[full[sid][:n]] == 1:
                    out[sid] = f"student-{full[sid][:n]}"
            n += 2
        return out


def anonymize(data: ClassData, names: dict) -> ClassData:
    """A copy of ``data`` with every student id replaced by ``names[id]`` and the roster's names dropped."""
    pattern = re.compile(r"(?<![\w-])(" + "|".join(re.escape(s) for s in sorted(names, key=len, reverse=True))
                         + r")(?![\w-])") if names else None

    def scrub(text):
        return pattern.sub(lambda m: names[m.group(0)], text) if (pattern and text) else text

    def cell(c):
        d = asdict(c)
        d.update(student=names[c.student], reason=scrub(c.reason),
                 failed=[(n, scrub(m)) for n, m in c.failed])
        return CellResult(**d)

    def sub(s):
        d = asdict(s)
        d.update(student=names[s.student], reason=scrub(s.reason))
        return Submission(**d)

    roster = {names[k]: RosterEntry(names[k]) for k in data.roster if k in names}
    return ClassData(data.hws, roster, [cell(c) for c in data.cells], [sub(s) for s in data.submissions],
                     data.cell_order, data.max_score, [scrub(p) for p in data.problems])
