"""The linear programs a student's function hands to ``scipy.optimize.linprog``, recorded in the kernel as data.

Where a statement asks for a linear program to be formulated and solved with ``linprog`` (hw2 P4(b), hw4 P5(b) and
P5(c)), a probe runs the function with :func:`recording_linprog` and reads the programs it formulates: their costs,
constraint arrays and bounds (:func:`linprog_bounds`), not only the solution. A transport library's solver hands
``linprog`` nothing, so it formulates nothing.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from . import attempt

if TYPE_CHECKING:
    import numpy as np


def linprog_bounds(bounds: Any, n: int) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """``linprog``'s ``bounds`` argument as two float arrays ``(lower, upper)`` of length ``n`` (no bound: -inf, inf):
    ``None`` (linprog's default, ``(0, None)``), one pair for every variable, a pair per variable, or a
    ``scipy.optimize.Bounds``. A ValueError when it gives bounds for another number of variables."""
    import numpy as np

    if bounds is None:
        bounds = (0, None)
    if hasattr(bounds, "lb") and hasattr(bounds, "ub"):  # scipy.optimize.Bounds
        return (np.broadcast_to(np.asarray(bounds.lb, float), (n,)).copy(),
                np.broadcast_to(np.asarray(bounds.ub, float), (n,)).copy())
    pairs = list(np.asarray(bounds, dtype=object)) if isinstance(bounds, np.ndarray) else list(bounds)
    if len(pairs) == 2 and not any(isinstance(b, (list, tuple, np.ndarray)) for b in pairs):
        pairs = [tuple(pairs)] * n
    if len(pairs) == 1 and n != 1:
        pairs = pairs * n
    if len(pairs) != n:
        raise ValueError(f"bounds for {len(pairs)} variables, the program has {n}")
    lower = np.array([-np.inf if b[0] is None else float(b[0]) for b in pairs])
    upper = np.array([np.inf if b[1] is None else float(b[1]) for b in pairs])
    return lower, upper


def recording_linprog(fn: Callable[..., Any], *args: Any,
                      max_items: int | None = None) -> tuple[Any, list[dict[str, Any]]]:
    """``fn(*args)`` with every call to ``scipy.optimize.linprog`` recorded, whether ``fn`` reaches it as the module's
    attribute or under any name in its globals (``from scipy.optimize import linprog``); linprog itself still solves.

    Returns ``(what fn returned, or raised as a wire.Raised; [one dict per call])``, each call as ``{"c", "A_ub",
    "b_ub", "A_eq", "b_eq"}``: float64 arrays (sparse matrices made dense; None where not given; a wire.Raised where
    not an array; ``{"shape": [...]}`` for one of more than ``max_items`` entries), ``"bounds"``: the argument as given
    (read it with :func:`linprog_bounds`) and ``"n"``: the number of costs, the program's unknowns."""
    import numpy as np
    from scipy import optimize

    real = optimize.linprog
    calls: list[dict[str, Any]] = []

    def array(a: Any) -> Any:
        if a is None:
            return None
        a = np.array(a.toarray() if hasattr(a, "toarray") else a, dtype=np.float64)
        return a if max_items is None or a.size <= max_items else {"shape": list(a.shape)}

    def linprog(c: Any, A_ub: Any = None, b_ub: Any = None, A_eq: Any = None, b_eq: Any = None,
                bounds: Any = (0, None), *rest: Any, **kwargs: Any) -> Any:
        calls.append({"c": attempt(array, c), "A_ub": attempt(array, A_ub), "b_ub": attempt(array, b_ub),
                      "A_eq": attempt(array, A_eq), "b_eq": attempt(array, b_eq), "bounds": bounds,
                      "n": attempt(lambda: int(np.size(c)))})
        return real(c, A_ub, b_ub, A_eq, b_eq, bounds, *rest, **kwargs)

    spaces = [fn.__globals__] if hasattr(fn, "__globals__") else []
    saved = [(ns, k) for ns in spaces for k, val in list(ns.items()) if val is real]
    optimize.linprog = linprog
    for ns, k in saved:
        ns[k] = linprog
    try:
        out = attempt(fn, *args)
    finally:
        optimize.linprog = real
        for ns, k in saved:
            ns[k] = real
    return out, calls
