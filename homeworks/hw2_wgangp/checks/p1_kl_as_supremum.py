"""hw2_wgangp, p1_kl_as_supremum: its test cells' inputs, probes, visible tests and specs (see __init__.py).

P1(b), P1(c): the KL divergence's conjugate, and its variational objective and optimal critic.
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


def _kl_slip(got, value):
    if abs(got - math.exp(value)) < 1e-9:
        return ": the maximising u is off (recheck where the derivative of t*u - f(u) vanishes)"
    return ""


@points(0.75)
def test_kl_conjugate_at_three_points(v, ref):
    # the conjugate at three points of the working seed against sup_u (t u - u log u), which the grader found
    # numerically (the definition) on those points
    _conjugate_at_points(v, ref, "f_star_kl", "t", "sup_u (t u - u log u)", _kl_slip)


def _kl_probe(o, x):
    return _objective_probe(o["kl_objective"], o["kl_optimal_critic"], 1, x)


@points(0.25)
def test_constant_critic_gives_zero(v, ref):
    asserts.assert_tensor(v.constant_critic, "kl_objective(...)", shape=())
    got = float(v.constant_critic)
    hint = ""
    if abs(got + 1) < 1e-9:
        hint = ": the constant 1 is missing"
    elif abs(got + 99) < 1e-6:
        hint = ": that is a sum over the 100 samples; the expectations are means"
    if not abs(got) < 1e-9:
        raise AssertionError(f"with d = 1 expected 1 + E_p[log 1] - E_q[1] = 0, found {got:.6g}{hint}")


@points(0.5)
def test_value_on_two_points(v, ref):
    got = v.two_points
    want = 1 + 0.5 - 1.0
    hint = ""
    if abs(got - (1 + 0.0 - (1 + math.e) / 2)) < 1e-9:
        hint = ": p and q are swapped (log d is averaged over the samples of p, d over those of q)"
    elif abs(got - (want - 1)) < 1e-9:
        hint = ": the constant 1 is missing"
    elif abs(got - (1 + 1.0 - 2.0)) < 1e-9:
        hint = ": that uses sums; the expectations are means"
    if not abs(got - want) < 1e-9:
        raise AssertionError(
            f"for d = exp, x_p = [0, 1], x_q = [0, 0] expected 1 + mean(x_p) - mean(exp(x_q)) = {want:g}, "
            f"found {got:.6g}{hint}")


@points(0.25)
def test_optimal_critic_is_one_when_p_equals_q(v, ref):
    out = v.critic_when_equal
    asserts.assert_tensor(out, "d_star(x)", shape=(5,))
    hint = ": d* is 0 where p = q, so it is not a positive critic" if bool((out.abs() < 1e-9).all()) else ""
    if not bool(((out - 1).abs() < 1e-9).all()):
        raise AssertionError(
            f"when p = q the optimal critic is 1 everywhere; found {[round(float(c), 4) for c in out]}{hint}")


@points(0.25)
def test_optimal_critic_maximises_the_objective(v, ref):
    _critic_at_points(v, ref, "kl_optimal_critic", "q/p",
                      "T* = f'(p/q) and T = 1 + log d: which density is on top?")


CHECKS = [
    CheckSpec("p1_conjugate_tests", names=("f_star_kl",), visible=(test_kl_conjugate_at_three_points,),
              inputs=with_working(lambda seed: _conjugate_inputs(seed, 16, -2.0, 2.0))),
    CheckSpec("p1_objective_tests", names=("kl_objective", "kl_optimal_critic"),
              visible=(test_constant_critic_gives_zero, test_value_on_two_points,
                       test_optimal_critic_is_one_when_p_equals_q, test_optimal_critic_maximises_the_objective),
              probe=_kl_probe, inputs=_objective_cell_inputs(1)),
]
