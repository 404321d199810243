"""Points of a graded test cell: how a cell's points are shared among its tests.

``@points(w)`` gives one test ``w`` points. A kit homework's tests each carry theirs, the one place they are
written: a cell's hidden share is the sum of its hidden tests' points and its total that plus its visible tests'
(:func:`derive`; ``dgmlab build`` records both in ``homeworks/<hw>/checks/points.json``). A course's own
homework may instead give a cell's ``points`` and ``hidden`` in its :class:`dgmlab.probes.CheckSpec`; there the
tests of a group (visible or hidden) without ``@points`` share what is left equally. The tests themselves are judged by
:func:`dgmlab.probes.judge`, in the student's kernel (visible tests, while they work) and in the
grader (all of them); nothing here decides a grade on its own.
"""
from __future__ import annotations

from typing import Any, Callable, TypedDict, TypeVar

_Test = TypeVar("_Test", bound=Callable[..., Any])

# nbgrader's ClearHiddenTests delimiters (begin_test_delimeter / end_test_delimeter), with the comment mark
HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"
# a kit homework's cell points are derived from its tests (derive): a sum that differs is a stale points.json
STALE = " (a kit homework: its checks/points.json is stale, `make notebooks HW=<hw>` derives it again)"
SELF_CHECK = "run dgmlab.check() in a cell (or `dgmlab check <notebook>` in a terminal)"


class PlanError(ValueError):
    """A test cell's points do not add up (an authoring error); the message says what to change."""


class CellPoints(TypedDict):
    """A test cell's points as ``points.json`` records them: its total and the hidden tests' share of it."""

    points: float
    hidden: float


def points(weight: float) -> Callable[[_Test], _Test]:
    """Decorator: this test is worth ``weight`` points of its cell (0: a note for the TA, which earns nothing, in a
    cell whose tests are all worth 0, such as a derivation's steps: :mod:`dgmlab.probes.derivation_steps`)."""
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
        raise PlanError(f"@points({weight!r}): a test's points must be a positive number, or 0 for a note")

    def mark(fn: _Test) -> _Test:
        fn.__dgmlab_points__ = weight  # type: ignore[attr-defined]
        return fn
    return mark


def number(x: float) -> int | float:
    """``x`` as a points file and nbgrader's metadata write it: ``7``, not ``7.0``; ``2.5``."""
    x = round(float(x), 9)
    return int(x) if x.is_integer() else x


def derive(cell: str, visible: tuple[Any, ...], hidden: tuple[Any, ...]) -> CellPoints:
    """``{"points": total, "hidden": share}`` of test cell ``cell`` from its tests' ``@points``: the share is the sum
    of its ``hidden`` tests' points, the total that plus its ``visible`` tests'. Every test must carry ``@points(w)``
    (a kit homework's tests are the one place its cells' points are written)."""
    missing = [f.__name__ for f in (*visible, *hidden) if getattr(f, "__dgmlab_points__", None) is None]
    if missing:
        raise PlanError(f"test cell {cell!r}: {', '.join(missing)} carr{'ies' if len(missing) == 1 else 'y'} no "
                        f"points: write @points(w) above {'it' if len(missing) == 1 else 'each'} (a kit homework's "
                        f"cell is worth the sum of its tests' @points)")
    if not visible and not hidden:
        raise PlanError(f"test cell {cell!r} has no tests: give its CheckSpec visible tests or list hidden ones in "
                        f"HIDDEN, each with @points(w)")
    notes = [f.__name__ for f in (*visible, *hidden) if f.__dgmlab_points__ == 0]
    if notes and len(notes) < len(visible) + len(hidden):
        raise PlanError(f"test cell {cell!r}: {', '.join(notes)} carr{'ies' if len(notes) == 1 else 'y'} 0 points "
                        f"beside tests that carry points: give it points, or move it to a cell of its own whose tests "
                        f"are all worth 0 (a note for the TA)")
    share = sum(f.__dgmlab_points__ for f in hidden)
    return {"points": number(share + sum(f.__dgmlab_points__ for f in visible)), "hidden": number(share)}


def hidden_lines(source: str, delimiters: tuple[str, ...] | None = None) -> set[int]:
    """Numbers (from 1) of the lines of ``source`` between the hidden-tests markers (``delimiters``: the grader passes
    the course's, :func:`dgmlab.grading.preprocessors.hidden_delimiters`; nbgrader's defaults when None)."""
    begin, end = delimiters or (HIDDEN_BEGIN, HIDDEN_END)
    lines: set[int] = set()
    hiding = False
    for i, line in enumerate(source.splitlines(), start=1):
        if begin in line:
            hiding = True
        elif end in line:
            hiding = False
        elif hiding:
            lines.add(i)
    return lines


def _split(budget: float, tests: list[tuple[str, float | None]], group: str,
           strict: bool) -> list[tuple[str, float]]:
    """``[(name, points)]``: ``budget`` points shared by ``tests`` (``[(name, @points or None)]``)."""
    fixed = sum(w for _, w in tests if w is not None)
    free = [name for name, w in tests if w is None]
    if fixed > budget + 1e-9:
        raise PlanError(f"the {group} tests' @points add up to {fixed:g}, more than the {budget:g} points "
                        f"they share: lower them or change the check's points/hidden{STALE}")
    if not free and tests and abs(fixed - budget) > 1e-9 and strict:
        raise PlanError(f"the {group} tests' @points add up to {fixed:g}, not the {budget:g} points they share: "
                        f"make them add up or leave one test without @points{STALE}")
    if strict and budget > 0 and not tests:
        raise PlanError(f"{budget:g} points go to {group} tests but the cell has none: "
                        f"change the check's points/hidden{STALE}")
    share = (budget - fixed) / len(free) if free else 0.0
    if free and share <= 0:
        raise PlanError(f"the {group} tests without @points get no points: lower the others' @points")
    return [(name, share if w is None else w) for name, w in tests]


def tally(total: float, results: list[tuple[float, bool, bool]]) -> float:
    """Points earned by a cell worth ``total`` whose tests went as ``results`` (``[(points, hidden,
    passed)]``): four decimals, at most ``total``; every test passed with hidden tests among them:
    exactly ``total``."""
    if all(ok for _, _, ok in results) and any(hidden for _, hidden, _ in results):
        return float(total)
    return round(min(total, sum(w for w, _, ok in results if ok)), 4)


def fmt(x: float) -> str:
    """A number of points as students read it: ``2``, ``1.5``, ``0.33``."""
    return f"{round(x, 2):g}"


def points_text(x: float) -> str:
    """A number of points with its noun, as students read it: ``1 point``, ``0.5 points``, ``2 points``."""
    return f"{fmt(x)} point" + ("" if fmt(x) == "1" else "s")


def score_text(x: float) -> str:
    """The text of a score nbgrader reads (four decimals)."""
    return f"{round(x, 4):g}"
