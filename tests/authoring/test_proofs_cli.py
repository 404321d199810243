"""Running the proofs from the shell (python -m dgmlab.authoring.proofs): what each mutant earns, printed as the
earns={...} to declare, and the refusal of a test not written test_x(v, ref) or whose module binds v (a sympy
symbol v)."""
from pathlib import Path

import pytest

from dgmlab import probes
from dgmlab.authoring import signatures
from dgmlab.authoring.proofs import Outcome, earned, earns_lines, main
from dgmlab.grading import hidden

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
HW = "hw9_shadow"


def _outcomes():
    return [Outcome("q1: drops the constant", "q1_tests", "earn 1", "earn 1 of 4"),
            Outcome("q1: uses log sigma as sigma", "q1_tests", "earn 2", "earn 1.5 of 4"),
            Outcome("q1: uses log sigma as sigma", "q2_tests", "fail", "earn 0 of 3"),
            Outcome("q1: correct variant", "q1_tests", "pass", "earn 4 of 4")]


def test_earned_reads_the_points_each_mutant_got_in_each_test_cell():
    assert earned(_outcomes()) == {"q1: drops the constant": {"q1_tests": 1},
                                   "q1: uses log sigma as sigma": {"q1_tests": 1.5, "q2_tests": 0},
                                   "q1: correct variant": {"q1_tests": 4}}


def test_earns_lines_print_the_earns_to_declare_and_flag_a_wrong_declaration():
    lines = earns_lines(_outcomes())
    assert lines[0] == 'q1: drops the constant\n    earns={"q1_tests": 1}'
    assert lines[1] == ('q1: uses log sigma as sigma\n    earns={"q1_tests": 1.5, "q2_tests": 0}'
                        '    (declared: q1_tests: earn 2)')
    assert lines[2] == 'q1: correct variant\n    earns={"q1_tests": 4}'


def test_main_names_the_build_step_when_the_source_notebook_is_missing(tmp_path):
    folder = tmp_path / "homeworks" / "hw9_missing"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text('"""A homework not built yet."""\n', encoding="utf-8")
    with pytest.raises(SystemExit, match="dgmlab build hw9_missing"):
        main(["hw9_missing", "--course", str(tmp_path), "--print-earns"])


@pytest.fixture
def shadowing_homework():
    """The tiny homework's checks, with hidden tests that define a sympy symbol v at module level."""
    checks = (FIXTURES / "tiny_checks.py").read_text(encoding="utf-8")
    text = (FIXTURES / "tiny_hidden.py").read_text(encoding="utf-8").replace(
        'x = sp.Symbol("x")', 'x = sp.Symbol("x")\nv = sp.Symbol("v")  # a homework whose derivation has a symbol v')
    probes.load_checks_text(HW, checks, "checks.py")
    hidden.load_text(HW, text, "hidden.py")
    yield
    hidden.forget(HW)


def test_a_module_symbol_the_tests_argument_hides_is_named(shadowing_homework):
    found = signatures.problems(HW)
    assert len(found) == 2  # both hidden tests take v; the visible ones are in checks.py, which binds no v
    assert "test_value_on_the_graders_input" in found[0] and "its module binds 'v' (Symbol)" in found[0]
    assert "rename the module's 'v'" in found[0]


@pytest.mark.parametrize("written", ["v", "answers, ref", "v, ref, extra"])
def test_a_test_not_written_v_ref_is_named_with_what_to_write(written):
    checks = (FIXTURES / "tiny_checks.py").read_text(encoding="utf-8").replace(
        "def test_returns_a_scalar_tensor(v, ref):", f"def test_returns_a_scalar_tensor({written}):")
    probes.load_checks_text(HW, checks, "checks.py")
    hidden.forget(HW)
    (found,) = signatures.problems(HW)
    assert f"mean_square_tests: test_returns_a_scalar_tensor in checks.py takes ({written})" in found
    assert "write it `def test_returns_a_scalar_tensor(v, ref):`" in found


def test_the_kit_homeworks_tests_are_all_written_v_ref():
    for hw in sorted(probes.KIT_HOMEWORKS):
        assert signatures.problems(hw) == [], hw
