"""A string where a sympy answer belongs earns 0 with a message, and the grader never runs it (issue 45, item 2).

``sympify`` of a string is Python's ``eval`` (and ``sp.N``, ``sp.diff``, ``sp.limit``, ``sp.Matrix([...])`` sympify
what they are given): each cell below is judged as the grader judges it, hidden tests included, on probe data
whose answers are code that would create a file, and must earn nothing, say why, and leave no file. The
walk over the grader's code that keeps evaluators out is tests/grading/test_no_evaluator.py.
"""
import pytest
import sympy as sp

from conftest import homework_builders
from dgmlab import probes
from dgmlab.authoring.proofs import _grade_id
from dgmlab.grading.judge import judge
from dgmlab.probes import asserts, wire


def _payload(marker):
    return f"__import__('pathlib').Path({str(marker)!r}).touch() or 1"


def _judged(hw, cell, data, seed=4242):
    sources = {_grade_id(c): c.source for c in homework_builders()[hw].build().nb.cells if _grade_id(c)}
    shown = [{"output_type": "display_data", "metadata": {},
              "data": {probes.PROBE_MIME: {"cell": cell, "data": wire.dumps(data)}}}]
    return judge.judge_cell(hw, cell, sources[cell], shown, seed)


def _cases(evil):
    pair = [evil, evil]
    return {
        # hw3: _at_h0 sympified d_saturating in a test that does not check its type first
        ("hw3_flows", "q4_saturating_tests"): {"d_saturating": evil, "limit_saturating": evil},
        ("hw3_flows", "q4_non_saturating_tests"): {"d_non_saturating": evil, "limit_non_saturating": evil},
        # hw2: the conjugate at seeded points
        ("hw2_wgangp", "p1_conjugate_tests"): {"f_star_kl": evil},
        ("hw2_wgangp", "p2_conjugate_tests"): {"f_star_rkl": evil},
        # hw1: the limit tests, visible and hidden, sympified each element of the pairs kl_limits returns
        ("hw1_wgan", "q2_kl_limits_tests"): {"at_1_0": pair, "at_minus_1_0": pair, "at_half_2": pair,
                                             "at_equal_means": pair, "smooth": pair, "removable": pair},
        # hw4: sp.diff, .subs and sp.limit of the kernel's values
        ("hw4_gans", "p4a_tests"): {"V_point": evil, "D_star": evil, "second_derivative": evil, "D_star_pi": evil},
    }


CASES = list(_cases("x"))


@pytest.mark.parametrize("hw,cell", CASES, ids=[f"{h}-{c}" for h, c in CASES])
def test_a_string_answer_earns_nothing_and_runs_nothing(hw, cell, tmp_path):
    marker = tmp_path / "pwned"
    result = _judged(hw, cell, _cases(_payload(marker))[(hw, cell)])
    text = "\n".join(map(str, result.lines))
    assert not marker.exists(), f"the grader ran the kernel's string:\n{text}"
    assert result.earned == 0, text
    assert "tell your instructor" not in text and "could not be graded" not in text
    assert "got str" in text, text  # the student reads what is wrong: a string, not a sympy expression


def test_hw4_lambdify_of_a_symbol_named_as_code_runs_nothing(tmp_path, monkeypatch):
    """p4b's hidden test lambdifies C_point: lambdify prints the expression as Python source, symbol names as
    they are, and runs it. A Symbol named as code is refused (without the checks this cell earned 3.75 of 5 and
    created the file)."""
    import numpy as np
    from scipy.special import xlogy

    from homeworks.hw4_gans import checks as H

    def virtual_criterion(p, q):
        return float(np.sum(xlogy(p, p) - xlogy(p, p + q) + xlogy(q, q) - xlogy(q, p + q)))

    def js_divergence(p, q):
        m = (p + q) / 2
        return float(0.5 * np.sum(xlogy(p, p) - xlogy(p, m)) + 0.5 * np.sum(xlogy(q, q) - xlogy(q, m)))

    monkeypatch.chdir(tmp_path)  # a relative marker: the wire keeps symbol names to 100 characters
    marker = tmp_path / "pwned"
    p_data, p_g = sp.symbols("p_data p_g", positive=True)
    right = p_data * sp.log(p_data / (p_data + p_g)) + p_g * sp.log(p_g / (p_data + p_g))
    c_point = sp.Add(right, sp.Symbol("__import__('pathlib').Path('pwned').touch() or 0"), evaluate=False)
    x = probes.make_inputs(probes.spec_for("hw4_gans", "p4b_tests"), 4242)
    data = H._p4b_probe({"C_point": c_point, "virtual_criterion": virtual_criterion, "js_divergence": js_divergence}, x)
    result = _judged("hw4_gans", "p4b_tests", data)
    text = "\n".join(map(str, result.lines))
    assert not marker.exists(), f"the grader ran a symbol's name:\n{text}"
    # refused twice over: the wire reads no symbol named as code, and the hidden test checks the symbols first
    assert result.earned == 0 and "a Symbol whose name is not a plain name" in text, text
    assert "tell your instructor" not in text and "could not be graded" not in text


def test_a_correct_answer_still_passes_where_the_string_failed():
    """The same cells on the right sympy answers: what as_sympy replaced still accepts them."""
    h = sp.symbols("h", real=True)
    sigma = 1 / (1 + sp.exp(-h))
    result = _judged("hw3_flows", "q4_saturating_tests",
                     {"d_saturating": sp.diff(sp.log(1 - sigma), h), "limit_saturating": sp.Integer(0)})
    assert result.earned == result.points, result.lines
    t = sp.symbols("t", real=True)
    result = _judged("hw2_wgangp", "p1_conjugate_tests", {"f_star_kl": sp.exp(t - 1)})
    assert result.earned == result.points, result.lines


# ------------------------------------------------------------------ asserts.as_sympy
@pytest.mark.parametrize("value", ["x + 1", "__import__('os')", b"1", None, [sp.Integer(1)], {"a": 1}, object()])
def test_as_sympy_refuses_what_is_not_a_number_or_sympy(value):
    with pytest.raises(asserts.CheckError, match=f"expected f to be a sympy expression, got {type(value).__name__}"):
        asserts.as_sympy(value, "f")


def test_as_sympy_converts_plain_numbers_exactly():
    from fractions import Fraction

    import numpy as np

    x = sp.Symbol("x")
    assert asserts.as_sympy(x + 1, "f") == x + 1
    m = sp.Matrix([x, 1])
    assert asserts.as_sympy(m, "f") is m
    assert asserts.as_sympy(3, "f") == sp.Integer(3) and isinstance(asserts.as_sympy(3, "f"), sp.Integer)
    assert asserts.as_sympy(np.int64(10 ** 12), "f") == sp.Integer(10 ** 12)
    assert asserts.as_sympy(Fraction(1, 3), "f") == sp.Rational(1, 3)
    assert asserts.as_sympy(0.5, "f") == sp.Float(0.5) and isinstance(asserts.as_sympy(np.float64(0.5), "f"), sp.Float)
    assert asserts.as_sympy(True, "f") is sp.true
    assert asserts.as_sympy(1 + 2j, "f") == sp.Float(1) + sp.Float(2) * sp.I


def test_the_sympy_helpers_refuse_strings_instead_of_evaluating_them(tmp_path):
    marker = tmp_path / "pwned"
    evil = _payload(marker)
    for call in (lambda: asserts.has_float(evil), lambda: asserts.sympy_gap(evil, sp.Integer(1), [{}]),
                 lambda: asserts.sympy_gap(sp.Integer(1), evil, [{}]), lambda: asserts.sympy_equivalent(evil, 1),
                 lambda: asserts.assert_sympy_equal(sp.Integer(1), evil)):
        with pytest.raises(asserts.CheckError, match="got str"):
            call()
    assert not marker.exists()
    assert asserts.sympy_gap(sp.Rational(1, 3), 1 / sp.Integer(3), [{}]) == 0
    assert asserts.has_float(sp.Matrix([sp.Float(0.5)])) and not asserts.has_float(sp.Rational(1, 2))
