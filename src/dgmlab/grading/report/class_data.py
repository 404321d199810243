"""What a class's grading came to, as :func:`dgmlab.grading.report.analysis.collect` reads it: per cell, per
submission, per student (the dashboard, the exports and the statistics read these)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CellResult:
    """One graded cell of one submission."""

    student: str
    hw: str
    notebook: str
    cell: str
    points: float | None  # None: a hand-graded cell nobody has graded yet, or a trained result waiting for a look
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
    # the late policy on auto + manual points (dgmlab.grading.term.late.LateResult); score is the points so far
    # after it, for statistics: the mark a surface shows is dgmlab.grading.report.final_mark.final_mark's
    late: object = None
    points: tuple | None = None  # every grade cell's points (None: not graded yet); None: no gradebook row
    ungraded: tuple = ()  # the hand-graded answers still to grade (grade ids)
    due_text: str = ""  # when it was due for this student, any extension included, in words ("" without a due date)
    to_look: tuple = ()  # trained results whose training record waits for an instructor's look (grade ids)

    @property
    def raw_score(self) -> float | None:
        """Autograded plus hand-graded points, before any late penalty."""
        return None if self.score is None else self.auto_score + self.manual_score

    @property
    def late_penalty(self) -> float:
        return self.late.penalty if self.late is not None else 0.0

    @property
    def late_reason(self) -> str:
        return self.late.reason if self.late is not None else ""


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

