"""hw3_flows' grader-side references: what the visible tests' recorded values (``homeworks/hw3_flows/checks/
expected.json``) are made from.

They answer questions of the homework (the map f of Q1 and its inverse, its Jacobian, the density of X, the
closed-form log-densities of a flow, D*, the discriminator's loss at D*, the derivatives and losses of Q4 and a
gradient norm), so they live here, outside the student package. The notebook's given pieces they build on (its
symbols, the base log-density, Q4's tiny generator, discriminator and probe losses) stay in
:mod:`homeworks.hw3_flows.checks`, which the kernel needs to run a student's code. hw3's hidden tests hold their own
references (closed forms written in the instructor's notebook), so they import nothing from here.

:data:`EXPECTED` says, for each converted test cell, what its visible tests compare with: a function of the cell's
inputs drawn from the working seed (:data:`dgmlab.probes.WORKING_SEED`);
:func:`dgmlab.grading.references.recorded.record_expected` records what they give.
"""
from __future__ import annotations

import functools
import math

import mpmath as mp
import numpy as np
import sympy as sp
import torch

from homeworks.hw3_flows.checks import (
    K_DECIMALS,
    make_discriminator,
    make_generator,
    number_digest,
    slow_digest,
    vanishing_loss,
)

DIGITS = 50  # the Q1 references' working precision (mpmath digits)


# ------------------------------------------------------------------ Q1: the question's map, numerically
# The statement's f evaluated numerically to 50 digits (mpmath), its Jacobian by central differences and its inverse
# by root finding: an independent route to values at one point, never a symbolic answer.
def mp_point(point) -> list:
    """A point written as strings ("1/2", "-1") as 50-digit mpmath reals."""
    mp.mp.dps = DIGITS
    return [mp.mpf(int(t.split("/")[0])) / int(t.split("/")[1]) if "/" in t else mp.mpf(t) for t in point]


def question_map(zs) -> list:
    """The question's f at the point ``zs`` (mpmath reals), with the real cube root."""
    z1_, z2_, z3_ = zs
    u = z3_ * mp.exp(-z1_) + z1_ ** 2
    return [z1_, z2_ * mp.exp(z1_), mp.sign(u) * abs(u) ** (mp.mpf(1) / 3)]


def question_jacobian(zs):
    """d f_i / d z_j at ``zs`` by central differences (50 digits), an mpmath matrix."""
    mp.mp.dps = DIGITS
    step = mp.mpf("1e-15")
    cols = []
    for j in range(3):
        up, down = list(zs), list(zs)
        up[j] += step
        down[j] -= step
        cols.append([(a - b) / (2 * step) for a, b in zip(question_map(up), question_map(down), strict=True)])
    return mp.matrix([[cols[j][i] for j in range(3)] for i in range(3)])


def question_preimage(xs) -> list:
    """The z with f(z) = ``xs`` for the question's map, solved numerically one coordinate at a time (f is triangular
    and each f_i increases in z_i), from :func:`question_map` alone."""
    mp.mp.dps = DIGITS
    z1_ = xs[0]
    z2_ = mp.findroot(lambda t: question_map([z1_, t, mp.mpf(0)])[1] - xs[1], (mp.mpf(-1e3), mp.mpf(1e3)),
                      solver="anderson")
    z3_ = mp.findroot(lambda t: question_map([z1_, z2_, t])[2] - xs[2], (mp.mpf(-1e6), mp.mpf(1e6)),
                      solver="anderson")
    return [z1_, z2_, z3_]


def base_density(zs):
    """p_Z(z) of the 3-D standard normal at ``zs`` (mpmath)."""
    return (2 * mp.pi) ** mp.mpf(-1.5) * mp.exp(-sum(t ** 2 for t in zs) / 2)


def as_sympy_floats(values) -> list:
    """mpmath reals as 45-digit sympy Floats (what the recorded file holds)."""
    return [sp.Float(str(v), 45) for v in values]


def _matrix(values, rows=3, cols=1):
    return sp.Matrix(rows, cols, as_sympy_floats(values))


# Q1's sympy cells compare at the points of their draw (``x["working"]``: the fixed points the messages name for the
# working seed, the grading seed's own when graded), so what is recorded for the working points answers nothing there.
def _expected_f_and_inverse(x) -> dict:
    w = x["working"]
    return {"f_at_z_pos": _matrix(question_map(mp_point(w["z_pos"]))),
            "f_at_z_neg": _matrix(question_map(mp_point(w["z_neg"]))),
            "f_inv_at_x_pos": _matrix(question_preimage(mp_point(w["x_pos"]))),
            "f_inv_at_x_neg": _matrix(question_preimage(mp_point(w["x_neg"])))}


def _expected_jacobian(x) -> dict:
    w = x["working"]
    fd = question_jacobian(mp_point(w["z_neg"]))
    return {"det_at_z_pos": as_sympy_floats([mp.det(question_jacobian(mp_point(w["z_pos"])))])[0],
            "J_f_at_z_neg": _matrix([fd[i, j] for i in range(3) for j in range(3)], 3, 3)}


def _expected_density(x) -> dict:
    z_star = question_preimage(mp_point(("0", "1", "1/3")))
    zs = mp_point(x["working"]["z_neg"])
    det = abs(mp.det(question_jacobian(zs)))
    p_x_star = as_sympy_floats([base_density(z_star) / abs(mp.det(question_jacobian(z_star)))])[0]
    return {"p_x_star_digest": number_digest(p_x_star),  # the number is the answer: the kit ships its digest
            "x_of_z_neg": _matrix(question_map(zs)),
            "p_x_at_x_of_z_neg": as_sympy_floats([base_density(zs) / det])[0],
            "det_at_z_neg": as_sympy_floats([det])[0]}


# ------------------------------------------------------------------ Q1(d): the log-density of a flow in torch
def question_inverse_torch(xs):
    """f^{-1}(x) row by row for the question's map: (N, 3) -> (N, 3), float64."""
    return torch.stack([xs[:, 0], xs[:, 1] * torch.exp(-xs[:, 0]),
                        (xs[:, 2] ** 3 - xs[:, 0] ** 2) * torch.exp(xs[:, 0])], dim=1)


def linear_flow_log_prob(A, xs):
    """log p_X(x) for f^{-1}(x) = A x and a standard normal base: a Gaussian of covariance (A^T A)^{-1}."""
    cov = torch.linalg.inv(A.T @ A)
    return torch.distributions.MultivariateNormal(torch.zeros(A.shape[0], dtype=torch.float64),
                                                  covariance_matrix=cov).log_prob(xs)


def _expected_torch_density(x) -> dict:
    return {"f_inv_of_three": question_inverse_torch(x["working"]["three"]),
            "under_linear_map": linear_flow_log_prob(x["working"]["A"], x["working"]["six"])}


# ------------------------------------------------------------------ Q2.2
def normalising_slope():
    """The k > 0 for which p integrates to 1: 0.9 |B| + the frame's mass, ring by ring (perimeter 8s), is 1."""
    k, s = sp.symbols("k s", positive=True)
    frame = sp.integrate((sp.Rational(9, 10) - k * (s - sp.Rational(1, 2))) * 8 * s,
                         (s, sp.Rational(1, 2), sp.Rational(1, 2) + sp.Rational(9, 10) / k))
    return [r for r in sp.solve(sp.Eq(sp.Rational(9, 10) + frame, 1), k) if r.is_positive][0]


@functools.lru_cache(maxsize=1)
def _k_digest() -> str:
    """k's digest, once per process: the same on every draw (sympy's integral and PBKDF2 take about a second)."""
    return slow_digest(normalising_slope(), K_DECIMALS)


def _expected_k(x) -> dict:
    return {"k_digest": _k_digest()}  # k is the answer: the kit ships a digest


# ------------------------------------------------------------------ Q3
def optimal_discriminator_value(a, b):
    """D* = a / (a + b), the maximiser of a log D + b log(1 - D)."""
    return a / (a + b)


def _expected_d_star(x) -> dict:
    ab = [(sp.Rational(p, q), sp.Rational(r, t)) for p, q, r, t in x["working"]["ab"]]
    return {"D_star": [optimal_discriminator_value(a, b) for a, b in ab],
            "swapped": [optimal_discriminator_value(b, a) for a, b in ab]}


def loss_at_the_optimum(p_data, p_g) -> float:
    """The discriminator's loss at D*: 2 log 2 - 2 JSD(p_data, p_g)."""
    p, q = np.asarray(p_data, dtype=np.float64), np.asarray(p_g, dtype=np.float64)
    m = (p + q) / 2
    jsd = 0.5 * float((p * np.log(p / m)).sum()) + 0.5 * float((q * np.log(q / m)).sum())
    return 2 * math.log(2) - 2 * jsd


def _expected_discrete(x) -> dict:
    return {"loss_at_optimal": loss_at_the_optimum(x["working"]["p_data"], x["working"]["p_g"])}


# ------------------------------------------------------------------ Q4
def numeric_derivative(fn, at):
    """d fn / dh at ``at`` (mpmath, 40 digits)."""
    mp.mp.dps = 40
    return mp.diff(fn, mp.mpf(at))


def _h(x) -> float:
    """The drawn logit (``"13/10"`` for the working seed, :data:`homeworks.hw3_flows.checks.H0`) as a float."""
    p, q = x["working"]["h"].split("/")
    return int(p) / int(q)


def _expected_saturating(x) -> dict:
    return {"d_at_h": float(numeric_derivative(lambda t: mp.log(1 - 1 / (1 + mp.exp(-t))), _h(x)))}


def _expected_non_saturating(x) -> dict:
    return {"d_at_h": float(numeric_derivative(lambda t: -mp.log(1 / (1 + mp.exp(-t))), _h(x)))}


def saturating_loss_value(logits):
    """log(1 - sigma(h)) averaged: -softplus(h).mean()."""
    return -torch.nn.functional.softplus(logits).mean()


def non_saturating_loss_value(logits):
    """-log sigma(h) averaged: softplus(-h).mean()."""
    return torch.nn.functional.softplus(-logits).mean()


def _expected_generator_losses(x) -> dict:
    minus = -x["working"]["logits"]
    return {"saturating_on_minus_logits": saturating_loss_value(minus),
            "non_saturating_on_minus_logits": non_saturating_loss_value(minus)}


def finite_difference_grad_norm(gen, disc, zz, loss_fn, step=1e-6) -> float:
    """The norm of d loss_fn(disc(gen(zz))) / d gen's parameters, by central differences on every parameter."""
    total = 0.0
    with torch.no_grad():
        for p in gen.parameters():
            flat = p.view(-1)
            for i in range(flat.numel()):
                keep = float(flat[i])
                flat[i] = keep + step
                up = float(loss_fn(disc(gen(zz))))
                flat[i] = keep - step
                down = float(loss_fn(disc(gen(zz))))
                flat[i] = keep
                total += ((up - down) / (2 * step)) ** 2
    return math.sqrt(total)


def _expected_grad_norm(x) -> dict:
    w = x["working"]
    return {"fd_norm": finite_difference_grad_norm(make_generator(w["generator_seed"]), make_discriminator(0.0),
                                                   w["z8"], vanishing_loss)}


# ------------------------------------------------------------------ what the visible tests compare with
EXPECTED = {"q1_f_and_inverse_tests": _expected_f_and_inverse, "q1_jacobian_tests": _expected_jacobian,
            "q1_density_tests": _expected_density, "q1_torch_density_tests": _expected_torch_density,
            "q2_normalising_k_tests": _expected_k,
            "q3_d_star_tests": _expected_d_star, "q3_discrete_discriminator_tests": _expected_discrete,
            "q4_saturating_tests": _expected_saturating, "q4_non_saturating_tests": _expected_non_saturating,
            "q4_generator_losses_tests": _expected_generator_losses, "q4_grad_norm_tests": _expected_grad_norm}
