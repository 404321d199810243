"""What a graded test cell is: its :class:`CheckSpec`, the :class:`TestFailure` its tests raise, and the inputs its
probe is called on (:func:`make_inputs`, from a seed: :data:`WORKING_SEED` while a student works, the grader's when
graded). The bottom of the protocol: :mod:`dgmlab.probes` (the registry, the kernel's side) and :mod:`.judgement`
(the decision) both build on it, and it imports neither.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

MAX_REASON = 600  # characters of one failure reason


@dataclass(frozen=True)
class CheckSpec:
    """What one graded test cell hands the grader, and its visible tests.

    ``cell``: the test cell's grade_id; ``points``/``hidden``: the cell's points and how many of them
    hidden tests decide (left out: its tests' ``@points(w)`` are the one place they are written, and :func:`dgmlab.probes.specs`
    fills in their sums from :data:`dgmlab.probes.POINTS_FILE`; an older course ``checks.py`` may give them, equal to those
    sums: :func:`dgmlab.probes.derive_points`); ``names``: the notebook objects
    ``check`` receives, in order;
    ``probe(objects, inputs) -> dict``: what the grader gets (default: the objects themselves, for
    values such as sympy expressions); ``inputs(seed) -> dict``: inputs made from the seed, the same in
    the kernel and the grader; ``visible``: test functions ``test_x(v, ref)``, ``v`` the decoded data;
    ``files``: names of handed-in files the cell grades. The grader reads them from the submission as
    it was handed in (the kernel never sends them); while a student works, from the homework folder.
    ``hidden_for``: the requirements the hidden points are for, which the cell's printed line names.
    """

    cell: str
    points: float | None = None  # None: its tests' @points, summed (a kit homework's POINTS_FILE)
    hidden: float | None = None  # None: with points, 0; without, its hidden tests' @points, summed
    names: tuple[str, ...] = ()
    visible: tuple[Callable[..., Any], ...] = ()
    probe: Callable[..., Any] | None = None
    inputs: Callable[[int], Any] | None = None
    files: tuple[str, ...] = ()  # files the student hands in that this cell grades (read by the grader, as handed in)
    hidden_for: str = ""  # what the hidden tests decide, in the statement's words (the cell's printed line says it)

    def __post_init__(self) -> None:
        if self.points is not None and self.hidden is None:  # a course's spec with no hidden tests
            object.__setattr__(self, "hidden", 0.0)


class TestFailure(AssertionError):
    """A test failed: its message is what the student reads."""

    __test__ = False


class NotAsAsked(ValueError):
    """Raised by a probe (kernel side) that finds the answer is not what the statement asks, e.g. a value without the
    graph the question asks for: its message reaches the student as the check's finding, not as "your code raised"."""


WORKING_SEED = 0  # visible tests read inputs drawn from this seed in a student's self-check (graded: make_inputs)


def make_inputs(spec: CheckSpec, seed: int) -> dict[str, Any]:
    """The inputs of ``spec``'s probe for ``seed``. A converted cell's inputs carry its visible tests' own draw
    under ``"working"``: the working seed's in a self-check (what the recorded values are for), but when graded
    (any other seed) the grading seed's, because the working draw and its recorded values are public and a kernel
    could hand them back; the judge then computes what they are compared with (:func:`expected`)."""
    out = dict(spec.inputs(int(seed))) if spec.inputs else {}
    if "working" in out and int(seed) != WORKING_SEED:
        out["working"] = {k: v for k, v in out.items() if k != "working"}
    return out
