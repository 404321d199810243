"""Points of a graded test cell: how a cell's points are shared among its tests.

A cell's :class:`dgmlab.probes.CheckSpec` gives its ``points`` and how many of them its ``hidden``
tests decide; ``@points(w)`` gives one test ``w`` points and the tests of its group (visible or
hidden) without it share what is left equally. The tests themselves are judged by
:func:`dgmlab.probes.judge`, in the student's kernel (visible tests, while they work) and in the
grader (all of them); nothing here decides a grade on its own.
"""
from __future__ import annotations

# nbgrader's ClearHiddenTests delimiters (begin_test_delimeter / end_test_delimeter), with the comment mark
HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"
SELF_CHECK = "run dgmlab.check() in a cell (or `dgmlab check <notebook>` in a terminal)"


class PlanError(ValueError):
    """A test cell's points do not add up (an authoring error); the message says what to change."""


def points(weight: float):
    """Decorator: this test is worth ``weight`` points of its cell."""
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight <= 0:
        raise PlanError(f"@points({weight!r}): a test's points must be a positive number")

    def mark(fn):
        fn.__dgmlab_points__ = weight
        return fn
    return mark


def hidden_lines(source: str, delimiters: tuple[str, str] | None = None) -> set:
    """Numbers (from 1) of the lines of ``source`` between the hidden-tests markers (``delimiters``: the grader passes
    the course's, :func:`dgmlab.grading.preprocessors.hidden_delimiters`; nbgrader's defaults when None)."""
    begin, end = delimiters or (HIDDEN_BEGIN, HIDDEN_END)
    lines, hiding = set(), False
    for i, line in enumerate(source.splitlines(), start=1):
        if begin in line:
            hiding = True
        elif end in line:
            hiding = False
        elif hiding:
            lines.add(i)
    return lines


def _split(budget: float, tests: list, group: str, strict: bool) -> list:
    """``[(name, points)]``: ``budget`` points shared by ``tests`` (``[(name, @points or None)]``)."""
    fixed = sum(w for _, w in tests if w is not None)
    free = [name for name, w in tests if w is None]
    if fixed > budget + 1e-9:
        raise PlanError(f"the {group} tests' @points add up to {fixed:g}, more than the {budget:g} points "
                        f"they share: lower them or change the check's points/hidden")
    if not free and tests and abs(fixed - budget) > 1e-9 and strict:
        raise PlanError(f"the {group} tests' @points add up to {fixed:g}, not the {budget:g} points they share: "
                        f"make them add up or leave one test without @points")
    if strict and budget > 0 and not tests:
        raise PlanError(f"{budget:g} points go to {group} tests but the cell has none: "
                        f"change the check's points/hidden")
    share = (budget - fixed) / len(free) if free else 0.0
    if free and share <= 0:
        raise PlanError(f"the {group} tests without @points get no points: lower the others' @points")
    return [(name, share if w is None else w) for name, w in tests]


def tally(total: float, results: list) -> float:
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
