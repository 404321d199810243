"""dgmlab.probes.wire: what a probe hands the grader comes back as the same plain values, and anything
malformed or over a limit is refused with a reason, never evaluated."""
import json
import math

import numpy as np
import pytest
import sympy as sp
import torch

from dgmlab.probes import wire


def roundtrip(value):
    return wire.loads(wire.dumps(value))


def test_plain_values_come_back_equal():
    value = {"n": 3, "big": -10**30, "x": 0.25, "flag": True, "none": None, "s": "text", "items": [1, (2, 3)]}
    assert roundtrip(value) == {"n": 3, "big": -10**30, "x": 0.25, "flag": True, "none": None, "s": "text",
                                "items": [1, [2, 3]]}


def test_nan_and_inf_floats_survive_as_strict_json():
    text = wire.dumps([math.nan, math.inf, -math.inf])
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    got = wire.loads(text)
    assert math.isnan(got[0]) and got[1] == math.inf and got[2] == -math.inf


def test_tensors_keep_dtype_shape_values_and_grad_flag():
    t = torch.linspace(-1, 1, 6, dtype=torch.float64).reshape(2, 3).requires_grad_(True)
    got = roundtrip(t * 2)
    assert isinstance(got, torch.Tensor) and got.dtype == torch.float64 and got.shape == (2, 3)
    assert got.requires_grad and torch.equal(got.detach(), (t * 2).detach())
    assert not roundtrip(torch.ones(2, dtype=torch.float32)).requires_grad


def test_numpy_arrays_come_back_as_arrays():
    a = np.arange(6, dtype=np.int64).reshape(3, 2)
    got = roundtrip(a)
    assert isinstance(got, np.ndarray) and got.dtype == np.int64 and (got == a).all()


def test_sympy_expressions_come_back_with_their_symbols_assumptions():
    z, x = sp.symbols("z", real=True), sp.symbols("x", positive=True)
    expr = sp.real_root(z * sp.exp(-x) + x ** 2, 3) + sp.Piecewise((1, z < 0), (sp.pi, True)) / (1 + sp.Abs(z))
    got = roundtrip(expr)
    assert got == expr and sp.srepr(got) == sp.srepr(expr)
    assert {s.name: s.is_positive for s in got.free_symbols} == {"z": None, "x": True}


def test_sympy_floats_come_back_exactly():
    for value in (sp.Float(1 / 3), sp.Float("0.1", 50), sp.Float(0), sp.Float(-2.5e-300)):
        got = roundtrip(value)
        assert sp.srepr(got) == sp.srepr(value)


def test_sympy_matrices_keep_their_shape():
    m = sp.Matrix([[1, sp.Symbol("a")], [sp.Rational(1, 3), sp.oo]])
    assert roundtrip(m) == m and roundtrip(m).shape == (2, 2)


def test_a_value_the_probe_cannot_hand_back_is_named_not_sent():
    class Custom:
        pass

    assert roundtrip(Custom()) == wire.Unsupported("Custom")
    assert roundtrip(torch.zeros(2, dtype=torch.complex64)) == wire.Unsupported("complex array (complex64)")


def test_an_object_whose_conversion_raises_becomes_raised():
    class Rigged(list):
        def __iter__(self):
            raise RuntimeError("boom")

    assert roundtrip(Rigged([1])) == wire.Raised("RuntimeError: boom")


def test_a_long_list_is_refused_not_cut_short():
    got = roundtrip(list(range(wire.MAX_ITEMS + 1)))
    assert isinstance(got, wire.Unsupported) and "items" in got.type_name


@pytest.mark.parametrize("text, why", [
    ('{"eval": "__import__(\'os\')"}', "unknown kind"),
    ('{"int": "1e5"}', "integer"),
    ('{"int": "' + "9" * 200 + '"}', "integer"),
    ('{"int": "--5"}', "integer"),  # int() would raise a plain ValueError: a grader bug, not the student's
    ('{"int": "+5"}', "integer"),
    ('{"float": "NaN", "x": 1}', "one tagged value"),
    ('NaN', "non-JSON constant"),
    ('{"sympy": ["Symbol", "x", {"commutative": false}]}', "assumption"),
    ('{"sympy": ["Rational", "1", "0"]}', "denominator"),
    ('{"array": {"dtype": "object", "shape": [1], "data": "", "torch": false, "requires_grad": false}}', "dtype"),
    ('{"array": {"dtype": "float64", "shape": [4], "data": "AAAA", "torch": false, "requires_grad": false}}',
     "bytes"),
    ('{"array": {"dtype": "float64", "shape": [100000, 100000], "data": "", "torch": false, '
     '"requires_grad": false}}', "elements"),
])
def test_malformed_or_oversized_data_is_refused_with_a_reason(text, why):
    with pytest.raises(wire.WireError, match=why):
        wire.loads(text)


def test_deep_nesting_is_refused():
    text = '{"list": [' * (wire.MAX_DEPTH + 5) + "null" + "]}" * (wire.MAX_DEPTH + 5)
    with pytest.raises(wire.WireError, match="nested"):
        wire.loads(text)
    tree = ["Integer", "1"]
    for _ in range(wire.MAX_SYMPY_DEPTH + 5):
        tree = ["exp", tree]
    got = wire.loads(json.dumps({"sympy": tree}))
    assert isinstance(got, wire.Unreadable) and "nested" in got.message


@pytest.mark.parametrize("text, why", [
    ('{"sympy": ["Function", "f"]}', "uses sympy's Function, which the checks do not evaluate"),
    ('{"sympy": ["Lambda", ["Symbol", "x", {}], ["Symbol", "x", {}]]}', "uses sympy's Lambda"),
    ('{"sympy": ["Integral", ["Symbol", "x", {}], ["Tuple", ["Symbol", "x", {}]]]}', "unevaluated Integral"),
    ('{"sympy": ["Pow", ["Integer", "2"], ["Integer", "1000000000"]]}', "power 1000000000"),
])
def test_an_expression_the_checks_cannot_evaluate_is_unreadable_with_what_to_change(text, why):
    """Only that answer is not read (the cell's other answers are), and the message is the student's to act on."""
    got = wire.loads('{"dict": {"kl_general": %s, "other": {"int": "1"}}}' % text)
    assert got["other"] == 1 and isinstance(got["kl_general"], wire.Unreadable)
    assert why in got["kl_general"].message
    assert not any(word in got["kl_general"].message for word in ("probe", "grader", "WireError", "(at "))


def test_a_sympy_function_the_kernel_cannot_send_is_unreadable_in_the_students_words():
    x = sp.Symbol("x")
    got = roundtrip({"answer": sp.Integral(sp.exp(-x ** 2) * sp.cos(x) ** 3 / (1 + x), (x, 0, 1)), "n": 2})
    assert got["n"] == 2 and isinstance(got["answer"], wire.Unreadable)
    assert "unevaluated Integral" in got["answer"].message and ".doit()" in got["answer"].message


def test_too_many_bytes_are_refused_before_parsing():
    with pytest.raises(wire.WireError, match="more than"):
        wire.loads(b" " * (wire.MAX_BYTES + 1))


def test_sympy_is_rebuilt_without_evaluating():
    # 2**1000 stays a power node: rebuilding never computes what the data asks for
    got = wire.loads('{"sympy": ["Pow", ["Integer", "2"], ["Integer", "1000"]]}')
    assert isinstance(got, sp.Pow) and got.args == (2, 1000)


@pytest.mark.parametrize("expr", [
    sp.Pow(10, sp.Pow(10, 9, evaluate=False), evaluate=False),            # exponent a power: 10^(10^9)
    sp.Pow(10, sp.Mul(*[sp.Integer(10)] * 9, evaluate=False), evaluate=False),  # exponent a product
    sp.Pow(sp.Pow(sp.Pow(10, 1000, evaluate=False), 1000, evaluate=False), 1000, evaluate=False),  # powers nested
    sp.Pow(sp.Symbol("x"), sp.Pow(10, 9, evaluate=False), evaluate=False),  # x^(10^9) at x = 2
])
def test_numbers_the_grader_would_compute_for_hours_are_refused(expr):
    """(found by a red-team run: 10^(10^9) as a 3-node answer held a grading worker for hours)"""
    got = roundtrip_strict(expr)
    assert isinstance(got, wire.Unreadable) and "cannot be computed" in got.message


def _tower(f, height, inner):
    expr = inner
    for _ in range(height):
        expr = f(expr, evaluate=False)
    return expr


A = sp.Symbol("a", positive=True)


@pytest.mark.parametrize("expr", [
    _tower(sp.exp, 3, A),                                                   # exp(exp(exp(a))): 10^703 at a = 2
    _tower(sp.exp, 6, A),
    _tower(sp.exp, 2, sp.Mul(sp.Integer(10) ** 120, A, evaluate=False)),      # exp(exp(10^120 a))
    sp.sin(_tower(sp.exp, 2, sp.Integer(10) ** 100), evaluate=False),        # sin of a number of 10^(10^100) digits
    _tower(lambda e, evaluate: sp.Pow(2, e, evaluate=evaluate), 3, A),      # 2^(2^(2^a))
    sp.Pow(2, sp.Mul(sp.Integer(10) ** 120, A, evaluate=False), evaluate=False),  # 2^(10^120 a), exact at a = 2
])
def test_values_too_large_to_evaluate_are_refused(expr):
    """(red team F6: exp(exp(exp(...))) passed the limits, and evaluating it at the hidden tests' points did not end
    before the judge's timeout)"""
    got = roundtrip_strict(expr)
    assert isinstance(got, wire.Unreadable) and "cannot be evaluated" in got.message


def test_nested_exponentials_of_small_values_stay_within_the_bounds():
    x, y = sp.symbols("x y", real=True)
    for expr in [sp.exp(-(x + sp.exp(-x))), sp.exp(sp.exp(2 * x)), sp.log(1 + sp.exp(x)), sp.sin(sp.exp(x)),
                 x ** y, 2 ** (x ** 2), sp.tanh(sp.exp(x) * 100), sp.exp(-x ** 2 / 2) / sp.sqrt(2 * sp.pi)]:
        assert roundtrip_strict(expr) == expr


def roundtrip_strict(value):
    text = wire.dumps(value)
    assert "unsupported" not in text and "unreadable" not in text
    return wire.loads(text)


S = sp.Symbol("sigma", positive=True)
X = sp.Symbol("x", real=True)


@pytest.mark.parametrize("expr", [
    sp.log(S ** (2 * S ** 2) / (S + 1) ** (2 * S ** 2)),                  # what simplify writes for a KL's log term
    (S + 1) ** (-2 * S ** 2) * S ** (S * sp.log(S)),                       # powers with symbolic exponents
    sp.erfc(X / S) * sp.exp(X ** 2) + sp.erfi(X) + sp.expint(1, S) + sp.Ei(-S) + sp.uppergamma(S, 2),
    sp.integrate(sp.exp(-S * X), (X, 0, sp.oo), conds="piecewise"),        # integrate's convergence Piecewise
    sp.integrate(sp.exp(-S * X ** 2 + X), (X, -sp.oo, sp.oo)),
    sp.exp_polar(sp.I * sp.pi) * sp.polar_lift(S) + sp.periodic_argument(sp.polar_lift(S), sp.oo),
    sp.Abs(X) * sp.sign(X) + sp.gamma(S) + sp.loggamma(S) + sp.LambertW(S) + sp.besselj(0, X) + sp.Catalan,
])
def test_every_form_sympy_writes_for_a_derivation_is_read(expr):
    """(issue 62: sigma**(2*sigma**2), erfc and Piecewise answers of a correct KL were refused or unread)"""
    got = roundtrip_strict(expr)
    assert sp.srepr(got) == sp.srepr(expr)


def test_ordinary_exact_answers_stay_within_the_bounds():
    x, h = sp.symbols("x h", real=True)
    for expr in [(2 * sp.pi) ** sp.Rational(-3, 2) * sp.exp(-x ** 2 / 2) * 3 * x ** 2, sp.Integer(2) ** 400,
                 sp.sqrt(93) * sp.Rational(9, 10) + sp.Rational(81, 10), -sp.exp(h) / (1 + sp.exp(h)), x ** 1000]:
        assert roundtrip_strict(expr) == expr


@pytest.mark.parametrize("name", ["x", "theta_0", "p_{data}", "\\alpha", "x'", "α", "sigma^2"])
def test_a_symbol_with_a_plain_name_is_read(name):
    assert wire.loads(wire.dumps(sp.Symbol(name))) == sp.Symbol(name)


@pytest.mark.parametrize("name", ['__import__("os").system("id")', "a b", "1x", "x+y", "x;y", "os.system", "f(x)"])
def test_a_symbol_named_as_code_is_refused(name):
    """A name printed into source (lambdify prints free symbols by name) could run as code: only plain names pass."""
    with pytest.raises(wire.WireError, match="not a plain name"):
        wire.loads(wire.dumps(sp.Symbol(name)))


def test_a_number_too_long_to_read_makes_only_that_answer_unreadable():
    got = roundtrip({"big": sp.Integer(10) ** 200 + 1, "small": sp.Integer(3)})
    assert got["small"] == 3 and isinstance(got["big"], wire.Unreadable) and "digits" in got["big"].message
