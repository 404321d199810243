"""hw2_wgangp, p3_smoothing: its test cells' inputs, probes, visible tests and specs (see __init__.py).

P3(b): the EMD and the identity coupling's cost between points and their noisy copies.
"""
from __future__ import annotations

import math

from dgmlab.probes import (
    CheckSpec,
    _np,  # lazy imports
    asserts,
    attempt,
    wire,
    with_working,
    working,
)
from dgmlab.probes.points import points

from .common import _on_working, _rng


# ------------------------------------------------------------------ P3(b)
def _costs_inputs(seed):
    np, rng = _np(), _rng(seed, 3)

    def p_sample(n, d):  # a lumpy, non-Gaussian p: a two-component mixture with a uniform factor
        centres = np.where(rng.random((n, 1)) < 0.3, -2.0, 1.5)
        return centres + rng.uniform(-0.5, 0.5, size=(n, d))

    x20 = rng.normal(size=(20, 2))
    emd_cases = []
    for d in range(1, 6):
        x = p_sample(150, d)
        emd_cases.append((x, 0.7 * rng.normal(size=(150, d))))
    jensen_cases = []
    for d in range(1, 6):
        x = p_sample(300, d)
        jensen_cases.append((x, 1.3 * rng.normal(size=(300, d))))
    return {"x20": x20, "two_x": np.array([[0.0, 0.0], [3.0, 0.0]]), "two_eps": np.array([[3.0, 4.0], [-3.0, 0.0]]),
            "emd_cases": emd_cases, "jensen_sigma": 1.3, "jensen_cases": jensen_cases}


def _costs_probe(o, x):
    np, fn = _np(), o["smoothing_costs"]
    out = attempt(fn, x["x20"].copy(), np.zeros_like(x["x20"]))
    form = out if isinstance(out, wire.Raised) else attempt(lambda: {"is_tuple": isinstance(out, tuple), "length": len(out),
                            "types": [type(c).__name__ for c in out], "floats": [isinstance(c, float) for c in out]})
    return {"zero_noise": out, "zero_noise_form": form,
            "two_points": attempt(fn, x["two_x"].copy(), x["two_eps"].copy()),
            "emd_cases": attempt(lambda: [list(fn(a.copy(), e.copy())) for a, e in x["emd_cases"]]),
            "jensen_cases": attempt(lambda: [list(fn(a.copy(), e.copy())) for a, e in x["jensen_cases"]])}


@points(0.5)
def test_returns_two_floats_and_zero_without_noise(v, ref):
    np, form = _np(), v.zero_noise_form
    if not (form["is_tuple"] and form["length"] == 2):
        raise AssertionError(
            f"expected a tuple (emd, identity_cost), found {form['length']} values ({', '.join(form['types'])})")
    if not all(form["floats"]):
        raise AssertionError(f"expected two Python floats, found {form['types']} (wrap them with float(...))")
    asserts.assert_close(np.array(v.zero_noise, dtype=np.float64), np.zeros(2), atol=1e-6, name="costs with eps = 0",
                        reveal=True)


def _pair(v, name):
    out = getattr(v, name)
    if not (isinstance(out, list) and len(out) == 2):
        raise AssertionError("expected smoothing_costs to return (emd, identity_cost)")
    return float(out[0]), float(out[1])


@points(0.5)
def test_emd_on_two_points(v, ref):
    emd, ident = _pair(v, "two_points")
    hint = ""
    if abs(emd - 8.0) < 1e-6:
        hint = (": that is the squared Euclidean cost, ot.dist's default metric; "
                "pass metric='euclidean'")
    elif abs(emd - 4.0) < 1e-6:
        hint = ": that is the identity-coupling cost; return (emd, identity_cost) in this order"
    if not abs(emd - 2.0) < 1e-6:
        raise AssertionError(
            f"expected an EMD of 2 (send x_1 to y_2 at cost 0 and x_2 to y_1 at cost 4, each with mass 1/2), "
            f"found {emd:.6g}{hint}")


@points(0.5)
def test_identity_cost_on_two_points(v, ref):
    emd, ident = _pair(v, "two_points")
    hint = ""
    if abs(ident - math.sqrt(17.0)) < 1e-6:
        hint = ": that is the root-mean-square length; the identity coupling costs the mean length"
    elif abs(ident - 8.0) < 1e-6:
        hint = ": that is the sum of the lengths; the empirical measures put mass 1/n on each point"
    elif abs(ident - 2.0) < 1e-6:
        hint = ": that is the EMD; return (emd, identity_cost) in this order"
    if not abs(ident - 4.0) < 1e-6:
        raise AssertionError(
            f"expected an identity-coupling cost of (||(3, 4)|| + ||(-3, 0)||) / 2 = 4, found {ident:.6g}{hint}")


@points(0.75)
def test_identity_cost_is_the_mean_length_of_the_moves(v, ref):
    w = working(v)
    got, wanted = w.emd_cases, ref["identity_costs"]
    if not (isinstance(got, list) and len(got) == len(w.inputs.emd_cases)):
        raise AssertionError("smoothing_costs was not run on every case")
    for (x, eps), out, want in zip(w.inputs.emd_cases, got, wanted, strict=True):
        if not (isinstance(out, list) and len(out) == 2):
            raise AssertionError("smoothing_costs should return (emd, identity_cost)")
        if not abs(float(out[1]) - want) < 1e-9:
            raise AssertionError(
                f"d={x.shape[1]}: the identity-coupling cost is not the mean Euclidean length of the moves")


CHECKS = [
    CheckSpec("p3_costs_tests", names=("smoothing_costs",),
              visible=(test_returns_two_floats_and_zero_without_noise, test_emd_on_two_points,
                       test_identity_cost_on_two_points, test_identity_cost_is_the_mean_length_of_the_moves),
              probe=_on_working(_costs_probe), inputs=with_working(_costs_inputs)),
]
