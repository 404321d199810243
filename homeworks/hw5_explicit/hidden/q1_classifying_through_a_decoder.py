"""hw5_explicit, q1_classifying_through_a_decoder: the hidden tests of its test cells (the grader's alone, never a
student's).

Each test is ``test_x(v, ref)``: ``v`` the student's values (and ``v.inputs``, ``v.files``), ``ref``
the grader's (:class:`dgmlab.probes.Ref`). ``HIDDEN`` lists them by test cell, in order.
"""
import torch

from dgmlab.probes import asserts
from dgmlab.probes.points import points


# ------------------------------------------------------------------ q1_discriminative_tests
def _brute_disc(pyz, Fz, pz, x):
    K, C = pyz.shape
    out = torch.zeros(len(x), C, dtype=torch.float64)
    for n, xn in enumerate(x.tolist()):
        zs = [z for z in range(K) if int(Fz[z]) == xn]
        if not zs:
            out[n] = 1.0 / C
            continue
        ev = sum(float(pz[z]) for z in zs)
        for c in range(C):
            out[n, c] = sum(float(pz[z]) * float(pyz[z, c]) for z in zs) / ev
    return out


@points(0.75)
def test_disc_matches_enumeration(v, ref):
    if len(v.random_worlds) != len(v.inputs.worlds):
        raise AssertionError("discriminative_posterior did not answer on every world")
    for got, w in zip(v.random_worlds, v.inputs.worlds, strict=True):
        asserts.assert_close(got, _brute_disc(w["probs"], w["F_table"], w["prior"], w["x"]), rtol=1e-7, atol=1e-9,
                            name="Q(y|x) on a random discrete world")


# ------------------------------------------------------------------ q1_generative_tests
def _brute_gen(pzy, Fz, py, x):
    C, K = pzy.shape
    out = torch.zeros(len(x), C, dtype=torch.float64)
    for n, xn in enumerate(x.tolist()):
        joint = [float(py[c]) * sum(float(pzy[c, z]) for z in range(K) if int(Fz[z]) == xn) for c in range(C)]
        ev = sum(joint)
        for c in range(C):
            out[n, c] = joint[c] / ev if ev > 0 else 1.0 / C
    return out


@points(0.75)
def test_gen_matches_enumeration(v, ref):
    if len(v.random_worlds) != len(v.inputs.worlds):
        raise AssertionError("generative_posterior did not answer on every world")
    for got, w in zip(v.random_worlds, v.inputs.worlds, strict=True):
        asserts.assert_close(got, _brute_gen(w["probs"], w["F_table"], w["prior"], w["x"]), rtol=1e-7, atol=1e-9,
                            name="Q'(y|x) on a random discrete world")


# ------------------------------------------------------------------ q1_steps_tests
def _disc_loss(W, Fz, pz, x, y):
    total = 0
    for xn, yn in zip(x.tolist(), y.tolist(), strict=True):
        zs = [z for z in range(len(Fz)) if int(Fz[z]) == xn]
        total = total - torch.log(sum(pz[z] * torch.softmax(W[z], 0)[yn] for z in zs) / sum(pz[z] for z in zs))
    return total / len(x)


def _gen_loss(V, Fz, x, y):
    total = 0
    for xn, yn in zip(x.tolist(), y.tolist(), strict=True):
        p = torch.softmax(V[yn], 0)
        total = total - torch.log(sum(p[z] for z in range(len(Fz)) if int(Fz[z]) == xn))
    return total / len(x)


@points(0.25)
def test_discriminative_step_matches_enumeration(v, ref):
    w = v.inputs.disc_world
    Wr = w["W"].clone().requires_grad_(True)
    ref_loss = _disc_loss(Wr, w["F_table"], w["prior_z"], w["x"], w["y"])
    ref_loss.backward()
    asserts.assert_close(v.disc_world_step["loss"], ref_loss.item(), rtol=1e-6, name="the discriminative loss")
    asserts.assert_close(v.disc_world_step["new"], (w["W"] - 0.3 * Wr.grad).detach(), rtol=1e-6, atol=1e-8,
                        name="W after one step")


@points(0.5)
def test_generative_step_matches_enumeration(v, ref):
    w = v.inputs.gen_world
    Vr = w["V"].clone().requires_grad_(True)
    ref_loss = _gen_loss(Vr, w["F_table"], w["x"], w["y"])
    ref_loss.backward()
    asserts.assert_close(v.gen_world_step["loss"], ref_loss.item(), rtol=1e-6, name="the generative loss")
    asserts.assert_close(v.gen_world_step["new"], (w["V"] - 0.3 * Vr.grad).detach(), rtol=1e-6, atol=1e-8,
                        name="V after one step")


HIDDEN = {
    'q1_discriminative_tests': (test_disc_matches_enumeration,),
    'q1_generative_tests': (test_gen_matches_enumeration,),
    'q1_steps_tests': (test_discriminative_step_matches_enumeration, test_generative_step_matches_enumeration),
}
