"""hw2_wgangp, p2_reverse_kl_divergence: its test cells' inputs, probes, visible tests and specs (see __init__.py).

P2(b), P2(c): the reverse KL's conjugate, and its variational objective and optimal critic.
"""
from __future__ import annotations

import math

from dgmlab.probes import CheckSpec, asserts, with_working
from dgmlab.probes.points import points

from .common import (
    _conjugate_at_points,
    _conjugate_inputs,
    _critic_at_points,
    _objective_cell_inputs,
    _objective_probe,
)


def _rkl_slip(got, value):
    return ": a complex number, the log of a negative number (s is negative)" if abs(got.imag) > 1e-9 else ""


@points(0.75)
def test_rkl_conjugate_at_three_points(v, ref):
    # the conjugate at three negative points of the working seed against sup_u (s u + log u), which the grader
    # found numerically (the definition) on those points
    _conjugate_at_points(v, ref, "f_star_rkl", "s", "sup_u (s u + log u)", _rkl_slip)


def _rkl_probe(o, x):
    return _objective_probe(o["rkl_objective"], o["rkl_optimal_critic"], -1, x)


@points(0.25)
def test_rkl_optimal_critic_maximises_the_objective(v, ref):
    _critic_at_points(v, ref, "rkl_optimal_critic", "-p/q",
                      "T* = f'(p/q) with f(u) = -log u, and d = T: which density is on top?")


@points(0.25)
def test_rkl_constant_critic_gives_zero(v, ref):
    asserts.assert_tensor(v.constant_critic, "rkl_objective(...)", shape=())
    got = float(v.constant_critic)
    hint = ""
    if math.isnan(got):
        hint = ": log of a negative critic; the objective takes log(-d)"
    elif abs(got + 1) < 1e-9:
        hint = ": the constant 1 is missing"
    elif abs(got + 99) < 1e-6:
        hint = ": that is a sum over the 100 samples; the expectations are means"
    if not abs(got) < 1e-9:
        raise AssertionError(f"with d = -1 expected 1 + E_p[-1] + E_q[log 1] = 0, found {got:.6g}{hint}")


@points(0.5)
def test_rkl_value_on_two_points(v, ref):
    got = v.two_points
    want = 1 - (1 + math.e) / 2 + 1.0
    hint = ""
    if math.isnan(got):
        hint = ": log of a negative critic; the objective takes log(-d)"
    elif abs(got - (1 - (1 + math.exp(2)) / 2 + 0.5)) < 1e-9:
        hint = ": p and q are swapped (d is averaged over the samples of p, log(-d) over those of q)"
    elif abs(got - (want - 1)) < 1e-9:
        hint = ": the constant 1 is missing"
    if not abs(got - want) < 1e-9:
        raise AssertionError(
            f"for d = -exp, x_p = [0, 1], x_q = [0, 2] expected 1 - mean(exp(x_p)) + mean(x_q) = {want:.6f}, "
            f"found {got:.6g}{hint}")


@points(0.25)
def test_optimal_critic_is_minus_one_when_p_equals_q(v, ref):
    out = v.critic_when_equal
    asserts.assert_tensor(out, "d_star(x)", shape=(5,))
    hint = ": the reverse-KL critic is negative everywhere" if bool((out > 0).all()) else ""
    if not bool(((out + 1).abs() < 1e-9).all()):
        raise AssertionError(
            f"when p = q the optimal critic is -1 everywhere; found {[round(float(c), 4) for c in out]}{hint}")


for _f, _name in ((test_rkl_constant_critic_gives_zero, "test_constant_critic_gives_zero"),
                  (test_rkl_value_on_two_points, "test_value_on_two_points"),
                  (test_rkl_optimal_critic_maximises_the_objective, "test_optimal_critic_maximises_the_objective")):
    _f.__name__ = _name  # the test names students saw before (the cell's report and the proofs read them)


CHECKS = [
    CheckSpec("p2_conjugate_tests", names=("f_star_rkl",), visible=(test_rkl_conjugate_at_three_points,),
              inputs=with_working(lambda seed: _conjugate_inputs(seed, 17, -3.0, -0.2))),
    CheckSpec("p2_objective_tests", names=("rkl_objective", "rkl_optimal_critic"),
              visible=(test_rkl_constant_critic_gives_zero, test_rkl_value_on_two_points,
                       test_optimal_critic_is_minus_one_when_p_equals_q, test_rkl_optimal_critic_maximises_the_objective),
              probe=_rkl_probe, inputs=_objective_cell_inputs(2)),
]
