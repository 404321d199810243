"""Whether a graded test cell's result can be trusted as its score (used by VerifyScores, the proofs
and ``dgmlab check``; needs no nbgrader)."""
from __future__ import annotations

REJECTED = "ScoreRejected"


def session_key(nb) -> tuple[str | None, str]:
    """The signing key the setup cell showed while grading, or ``(None, why not)``.

    Only a setup cell that is the first code cell with code counts: a cell run before it could
    have prepared what makes the key."""
    from dgmlab.testing import SESSION_MIME

    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") != "setup":
            if cell.source.strip():
                return None, "a code cell runs before the setup cell"
            continue
        for out in cell.get("outputs", []):
            data = out.get("data", {}) if out.get("output_type") in ("display_data", "execute_result") else {}
            key = data.get(SESSION_MIME, {}).get("key") if isinstance(data.get(SESSION_MIME), dict) else None
            if key:
                return key, ""
        return None, "the setup cell did not show the grading session (was it changed or not run?)"
    return None, "the notebook has no setup cell"


def score_problem(cell, key: str | None, key_problem: str = "") -> str | None:
    """Why the outputs of graded test ``cell`` cannot be trusted as its score, or ``None`` when they can.

    All-or-nothing cell: ``run_tests()`` returns None, so any result is forged, and a cell without an
    error must show the signed verdict ``run_tests()`` shows when every test passed (so a replaced
    ``run_tests`` that checks nothing earns nothing). Points cell: exactly
    one result, signed with ``key``, made by this cell's source, whose tests, weights and number
    are what :func:`dgmlab.testing.plan` of the cell and :func:`dgmlab.testing.tally` give."""
    from dgmlab import testing

    results = [o for o in cell.get("outputs", []) if o.get("output_type") == "execute_result"]
    try:
        plan = testing.plan(cell.source)
    except (SyntaxError, testing.PlanError) as exc:
        return f"the test cell's points cannot be read ({exc})"
    if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
        return None  # nbgrader gives an error 0 points; VerifyScores puts it first
    if plan is None:
        if results:
            return "the cell displayed a result, which run_tests() never does"
        return verdict_problem(cell, key, key_problem)
    if not results:
        return "the cell shows no score (did run_tests(points=...) run?)"
    if len(results) > 1:
        return f"the cell displayed {len(results)} results; only run_tests' score counts"
    if key is None:
        return key_problem or "no grading session key"
    data = results[0].get("data", {})
    bundle = data.get(testing.SCORE_MIME)
    if not isinstance(bundle, dict):
        return "the cell's result is not a score made by run_tests"
    if not testing.verify(dict(bundle), key):
        return "the score's signature is not the grading session's"
    if bundle.get("cell") != testing.cell_digest(cell.source):
        return "the score was made by other code than this test cell"
    tests = bundle.get("tests") or []
    want = [(s.name, s.points, s.hidden) for s in plan.tests]
    got = [(t.get("name"), t.get("points"), t.get("hidden")) for t in tests if isinstance(t, dict)]
    if got != want:
        return "the score's tests are not this cell's tests"
    earned = testing.tally(plan, [bool(t.get("passed")) for t in tests])
    text = data.get("text/plain")
    text = "".join(text) if isinstance(text, list) else text
    if bundle.get("earned") != earned or text != testing.score_text(earned):
        return "the score's number is not the sum of the passed tests' points"
    if abs(plan.points - float(cell.metadata["nbgrader"].get("points", -1))) > 1e-9:
        return "run_tests(points=...) differs from the cell's points in the gradebook"
    return None


def test_names(source: str) -> list:
    """The ``test_*`` functions a cell defines at top level, in source order (what run_tests runs)."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [node.name for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test_")]


def verdict_problem(cell, key: str | None, key_problem: str = "") -> str | None:
    """Why an all-or-nothing cell without an error has not shown that its tests passed, or ``None``."""
    from dgmlab import testing

    if key is None:
        return key_problem or "no grading session key"
    shown = [o.get("data", {}).get(testing.VERDICT_MIME) for o in cell.get("outputs", [])
             if o.get("output_type") == "display_data"]
    bundles = [b for b in shown if isinstance(b, dict)]
    if not bundles:
        return "the cell shows no verdict from run_tests() (was run_tests replaced or not called?)"
    if len(bundles) > 1:
        return f"the cell shows {len(bundles)} verdicts; run_tests() shows one"
    bundle = dict(bundles[0])
    if not testing.verify(bundle, key):
        return "the verdict's signature is not the grading session's"
    if bundle.get("cell") != testing.cell_digest(cell.source):
        return "the verdict was made by other code than this test cell"
    if bundle.get("passed") is not True or bundle.get("tests") != test_names(cell.source):
        return "the verdict's tests are not this cell's tests"
    return None
