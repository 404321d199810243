"""dgmlab.syntax_tree.parse: ast.parse that survives CPython 3.11's spurious SystemError (gh-106905)."""

import ast
import contextlib
import gc
from pathlib import Path

import pytest

from dgmlab import syntax_tree

SOURCE = "\n".join(f"def f{i}(a):\n    return [a + {i} for _ in range(3)]" for i in range(3000))


class _ParsesWhenCollected:
    """A cycle whose finalizer parses once: the collector runs it mid-conversion, as asyncio's logged tracebacks do."""

    left = 0

    def __init__(self):
        self.me = self

    def __del__(self):
        if _ParsesWhenCollected.left:
            _ParsesWhenCollected.left -= 1
            ast.parse("x = (1 + 2)\n" * 50)


@contextlib.contextmanager
def a_parse_during_the_next_conversion():
    thresholds = gc.get_threshold()
    gc.collect()
    _ParsesWhenCollected.left = 1
    _ParsesWhenCollected()
    gc.set_threshold(50)  # the cycle is collected within the conversion's first allocations
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        _ParsesWhenCollected.left = 0
        gc.collect()


def test_a_parse_nested_by_the_collector_still_gives_the_tree():
    with a_parse_during_the_next_conversion():
        tree = syntax_tree.parse(SOURCE)
    assert len(tree.body) == 3000


def test_a_syntax_error_is_still_a_syntax_error():
    with pytest.raises(SyntaxError):
        syntax_tree.parse("def f(:\n")


def test_a_system_error_on_every_try_is_raised(monkeypatch):
    calls = []

    def always(*args):
        calls.append(args)
        raise SystemError("AST constructor recursion depth mismatch")

    monkeypatch.setattr(ast, "parse", always)
    with pytest.raises(SystemError):
        syntax_tree.parse("x = 1")
    assert len(calls) == syntax_tree.TRIES


def test_the_kit_parses_python_only_through_it():
    root = Path(__file__).resolve().parents[1]
    callers = [str(path.relative_to(root)) for folder in ("src", "homeworks", "tests")
               for path in sorted((root / folder).rglob("*.py"))
               if "ast.parse(" in path.read_text(encoding="utf-8")
               and path.name not in ("syntax_tree.py", "test_syntax_tree.py")]
    assert callers == [], f"call dgmlab.syntax_tree.parse instead of ast.parse (gh-106905): {callers}"
