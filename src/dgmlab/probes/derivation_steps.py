"""A derivation written as a chain of sympy steps, checked step by step for the TA who grades the prose.

A written answer that is a chain of equalities (``C(G) = ... = -log 4 + 2 JSD``) may come with the same chain as a
list of sympy expressions. :func:`chain_report` says whether each step equals the next and whether the chain starts
and ends where the question does, naming the first step that does not hold and where it fails. Equal is decided
exactly where a cheap symbolic rewrite shows it (the difference of the steps' parts expands to 0), otherwise by
value at the grader's seeded points, as every sympy answer is compared ([sympy_answers.md]): a step may be any form
of the right value. Nothing here parses text: the steps are sympy trees the wire rebuilt (:mod:`.wire`).

The message is the TA's, not a grade: a cell that uses it is worth no points.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Sequence

from . import asserts

MAX_STEPS = 40  # steps read; more are named, not checked
EXACT_NODES = 400  # steps larger than this are compared by value only (expand could take long)
RELATIVE = 1e-12  # two values agree to this relative difference (they are computed to 30 digits)
NO_STEPS = "no steps given"


def _sp() -> Any:
    import sympy as sp

    return sp


def expands_to_zero(expr: Any) -> bool:
    """Whether ``expr`` is 0 after expanding products and logarithms (``log(a/b) = log a - log b`` for positive
    symbols, ``log 4 = 2 log 2``); ``False`` when it is not, or is too large to try."""
    sp = _sp()
    if sum(1 for _ in sp.preorder_traversal(expr)) > EXACT_NODES:
        return False
    try:
        return bool(sp.expand(sp.expand_log(expr, force=True), multinomial=False, power_exp=False) == 0)
    except Exception:  # a form expand cannot handle: by value instead
        return False


def agree(a: complex, b: complex) -> bool:
    """Whether two values are the same finite number, to :data:`RELATIVE`."""
    if not all(math.isfinite(x) for x in (a.real, a.imag, b.real, b.imag)):
        return False
    return abs(a - b) <= RELATIVE * max(1.0, abs(a), abs(b))


def show(x: complex) -> str:
    """A value as the message prints it: six significant digits, or what it is when it is not a real number."""
    if not all(math.isfinite(t) for t in (x.real, x.imag)):
        return "undefined"
    return f"{x.real:.6g}" if abs(x.imag) <= 1e-12 * max(1.0, abs(x)) else f"{x.real:.6g}{x.imag:+.6g}i"


def chain_report(steps: Any, *, start: Any, end: Any, points: Sequence[Any], evaluate: Callable[[Any, Any], complex],
                 where: Callable[[Any], str], start_name: str, end_name: str, symbols: Sequence[Any],
                 parts: Callable[[Any], tuple[Any, ...]] | None = None) -> tuple[bool, str]:
    """``(holds, message)`` for the chain ``steps`` (a list of sympy expressions, as the wire rebuilt them).

    ``start``/``end``: the question's first and last expressions, ``start_name``/``end_name`` how the message names
    them; ``points``: the grader's seeded points, ``evaluate(expr, point) -> complex`` a step's value there (``nan``
    where undefined), ``where(point) -> str`` the point as the message prints it; ``symbols``: the only symbols a step
    may use; ``parts(expr) -> tuple``: the pieces the exact comparison compares one by one (default: the expression).
    ``holds`` is True when every step equals the next and the ends are the question's. Steps are numbered from 1."""
    sp = _sp()
    if steps is None or (isinstance(steps, (list, tuple)) and not steps):
        return False, NO_STEPS
    if not isinstance(steps, (list, tuple)):
        return False, f"expected a list of sympy expressions (the steps), found a {type(steps).__name__}"
    exprs, problems = [], []
    for i, step in enumerate(list(steps)[:MAX_STEPS], start=1):
        try:
            expr = asserts.as_sympy(step, f"step {i}")
        except AssertionError as exc:
            return False, str(exc)
        if not isinstance(expr, sp.Expr):
            return False, f"step {i} is a {type(expr).__name__}, not a sympy expression"
        names = {s.name for s in symbols}
        extra = sorted(str(s) for s in expr.free_symbols if getattr(s, "name", None) not in names)
        if extra:
            return False, (f"step {i} uses {', '.join(extra)}: write every step in "
                           f"{' and '.join(s.name for s in symbols)} only")
        exprs.append(expr)
    if len(steps) > MAX_STEPS:
        problems.append(f"only the first {MAX_STEPS} of {len(steps)} steps were read")
    split = parts or (lambda e: (e,))

    def same(a: Any, b: Any) -> str | None:
        try:
            pa, pb = split(a), split(b)
            if len(pa) == len(pb) and all(expands_to_zero(x - y) for x, y in zip(pa, pb, strict=True)):
                return None
        except Exception:  # parts of a form it cannot split: by value
            pass
        for point in points:
            try:
                va, vb = evaluate(a, point), evaluate(b, point)
            except AssertionError as exc:
                return str(exc)
            if not agree(va, vb):
                return f"at {where(point)}: {show(va)} vs {show(vb)}"
        return None

    first = same(exprs[0], start)
    if first is not None:
        problems.append(f"step 1 is not {start_name} ({first})")
    held = len(exprs)
    for i in range(len(exprs) - 1):
        why = same(exprs[i], exprs[i + 1])
        if why is not None:
            held = i + 1
            lead = f"steps 1-{held} hold; " if held > 1 else ""
            problems.append(f"{lead}step {held} -> {held + 1} does not ({why})")
            break
    last = same(exprs[-1], end)
    if last is not None:
        problems.append(f"the last step ({len(exprs)}) is not {end_name} ({last})")
    if not problems:
        return True, f"steps 1-{len(exprs)} hold, from {start_name} to {end_name}"
    if held == len(exprs) and len(exprs) > 1:
        problems.insert(0, f"steps 1-{held} hold")
    return False, "; ".join(problems)
