"""``ast.parse`` that survives CPython 3.11's spurious "AST constructor recursion depth mismatch".

Before 3.11.8 (gh-106905) the depth counter of the AST's conversion to Python objects is one per interpreter, not
per call: a parse that runs while another is converting (another thread, or a finalizer the garbage collector runs
mid-conversion, e.g. asyncio logging a task's traceback, which 3.11 underlines with ``ast.parse``) makes the outer
one raise ``SystemError``. It failed CI's run of a test that parses every module of the kit. The source is fine, so
parsing again is right; a real ``SystemError`` raises on the last try.
"""

import ast

TRIES = 3  # a clash needs another conversion at that very moment: one more try has always been enough


def parse(source: str | bytes, filename: str = "<unknown>") -> ast.Module:
    """``ast.parse(source, filename)``, tried again (at most ``TRIES`` times in all) on the spurious SystemError."""
    for _ in range(TRIES - 1):
        try:
            return ast.parse(source, filename)
        except SystemError:
            continue
    return ast.parse(source, filename)
