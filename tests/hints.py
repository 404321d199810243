"""What a hint a student reads must not say: the kit's internals, numpy and torch reprs, bad plurals.

A hint is a test cell's ``FAILED <test>: 0 of N points. <reason>`` line (``dgmlab.probes``), what the student
reads in the cell's output and on the feedback page. ``leaks(hint)`` returns the rules it breaks, each with the
text that breaks it; tests/authoring/test_proofs.py walks every hint the proofs' mutants produce through it and
tests/authoring/test_hints.py proves each rule on examples.
"""
from __future__ import annotations

import re

RULES = {
    # a private name of the kit's (the student's names are theirs; dunders like __init__ are Python's)
    "a private name": re.compile(r"(?<![\w.])_(?!_)[A-Za-z][A-Za-z0-9_]*"),
    "a numpy repr": re.compile(r"\bnp\.(?:u?int|float|bool_|complex|str_)\w*\(|\barray\(\["),
    "a torch repr": re.compile(r"(?<![\w.])tensor\(|\bParameter containing\b|\btorch\.Size\("),
    # the kit's machinery; what students call themselves (dgmlab.metrics, dgmlab.plots, ...) may be named
    "a module path of the kit": re.compile(r"\bdgmlab\.(?:probes|grading|wire|testing|authoring|selfcheck|checks)\b"
                                           r"|\bhomeworks\.\w+\.(?:checks|hidden)\b"),
    "the check's machinery": re.compile(r"while the check computed|<the instructor's cell|Traceback \(most recent"),
    "a plural after 1": re.compile(r"(?<![\d.])1 (?:more )?points\b"),
}


def leaks(hint: str) -> list[str]:
    """``["<rule>: <the text>", ...]`` for each rule ``hint`` breaks; ``[]`` for a hint a student can act on."""
    return [f"{rule}: {m.group(0)!r}" for rule, pattern in RULES.items() for m in pattern.finditer(hint)]
