"""docs/sympy_answers.md, the authors' page on what the wire reads, names every sympy function it accepts and its
limits with the values dgmlab.probes.wire and sympy_values use."""
import re

from conftest import ROOT
from dgmlab.probes import sympy_values, wire

PAGE = (ROOT / "docs" / "sympy_answers.md").read_text(encoding="utf-8")
INTERNAL = {"ExprCondPair", "Tuple", "StrictLessThan", "LessThan", "StrictGreaterThan", "GreaterThan", "Equality",
            "Unequality"}  # a Piecewise's pairs and the relations, which the page writes as `<`, `<=`, `Eq`, ...


def _listed() -> set:
    return set(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", PAGE))


def test_every_function_the_wire_reads_is_on_the_page():
    missing = sorted(set(wire.SYMPY_FUNCTIONS) - INTERNAL - _listed())
    assert not missing, f"docs/sympy_answers.md does not name {missing}"


def test_every_function_the_wire_reads_is_evaluated():
    structural = {"Add", "Mul", "Pow", "Piecewise", *sympy_values.LOGIC}  # walked by value_at itself
    assert not sorted(set(wire.SYMPY_FUNCTIONS) - INTERNAL - set(sympy_values.FUNCTIONS) - structural)


def test_the_page_gives_the_wires_limits():
    numbers = {f"{wire.MAX_SYMPY_NODES:,}", str(wire.MAX_SYMPY_DEPTH), str(wire.MAX_INT_DIGITS),
               f"{wire.MAX_NUMBER_BITS:,}", f"{wire.MAX_POW_EXPONENT:,}", f"{wire.MAX_ARGUMENT_BITS}",
               f"{wire.MAX_MATRIX_SIDE}×{wire.MAX_MATRIX_SIDE}", str(wire.MAX_FLOAT_BITS), f"{wire.MAX_NODES:,}",
               f"{wire.MAX_STR:,}", f"{wire.MAX_ITEMS:,}", f"{wire.MAX_ARRAY_ITEMS:,}", str(sympy_values.MAX_DIGITS)}
    assert wire.MAX_BYTES == 8 * 2**20 and "8 MiB" in PAGE
    assert wire.MAX_POWER_BITS == 2**20 and "2**(2**20)" in PAGE
    missing = sorted(n for n in numbers if n not in PAGE)
    assert not missing, f"docs/sympy_answers.md does not give {missing}"
