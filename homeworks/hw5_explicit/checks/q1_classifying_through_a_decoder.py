"""hw5_explicit Q1 (q1_classifying_through_a_decoder): the discrete world's posteriors and training steps; each cell's
inputs, probe, visible tests and CheckSpec."""
from __future__ import annotations

import math

from dgmlab.probes import (
    CheckSpec,
    _torch,  # lazy imports
    asserts,
    attempt,
    on_working,
    with_working,
    working,
)
from dgmlab.probes import seeded_generator as _gen
from dgmlab.probes.points import points

from .common import NotAsStated, _detached, _row, _stated, as_stated

# ====================================================================== Q1: the discrete world
F_TABLE = (0, 1, 1, 2, 0, 2)          # K = 6 latents decode to X = 4 data points; none gives x = 3
PRIOR_Z = (0.1, 0.2, 0.1, 0.3, 0.2, 0.1)
PRIOR_Y = (0.5, 0.3, 0.2)
# the random worlds' decoders (fixed so that which x no latent reaches does not depend on the seed)
DISC_WORLDS = (((6, 4, 3), (2, 1, 0, 0, 1, 2)), ((9, 5, 4), (3, 0, 1, 2, 3, 2, 1, 0, 3)))
GEN_WORLDS = (((6, 4, 3), (1, 0, 2, 2, 0, 1)), ((10, 5, 4), (0, 2, 1, 2, 2, 0, 1, 1, 0, 2)))  # x = 3: no latent


def _world_inputs(seed, salt, worlds, prob_rows_first):
    torch = _torch()
    g = _gen(seed, salt)
    out = {"F_table": torch.tensor(F_TABLE), "prior_z": torch.tensor(PRIOR_Z, dtype=torch.float32),
           "prior_y": torch.tensor(PRIOR_Y, dtype=torch.float32), "x_example": torch.tensor([0, 1, 2, 3]),
           "p_y_given_z": torch.softmax(torch.randn(6, 3, generator=g), dim=1),
           "p_z_given_y": torch.softmax(torch.randn(3, 6, generator=g), dim=1), "worlds": []}
    for (K, X, C), table in worlds:
        probs = torch.rand(K if prob_rows_first else C, generator=g, dtype=torch.float64) + 0.1
        shape = (K, C) if prob_rows_first else (C, K)
        table_probs = torch.softmax(3 * torch.randn(*shape, generator=g, dtype=torch.float64), dim=1)
        out["worlds"].append({"F_table": torch.tensor(table), "prior": probs / probs.sum(), "probs": table_probs,
                              "x": torch.arange(X - 1), "C": C})
    return out


def _q1_disc_inputs(seed):
    return _world_inputs(seed, 11, DISC_WORLDS, True)


def _q1_gen_inputs(seed):
    return _world_inputs(seed, 12, GEN_WORLDS, False)


def _posterior_probe(fn, table, prior, x, zero_prior, q, wrt):
    # every value comes from a call on probabilities that require a gradient, and counts only with its graph: the
    # statement asks for tensor operations that keep the result differentiable, so a posterior computed elsewhere
    # (numpy, Python floats) or detached earns nothing (issue 54 finding 4)
    torch = _torch()

    def posterior(probs, *args):
        out = fn(probs.clone().requires_grad_(True), *args)
        if not isinstance(out, torch.Tensor) or not out.requires_grad:
            found = type(out).__name__ if not isinstance(out, torch.Tensor) else "a tensor without a gradient"
            raise NotAsStated(f"{q}(y|x) has no gradient with respect to {wrt} (found {found}): the statement asks for "
                            f"tensor operations that keep the result differentiable, since the training steps "
                            f"backpropagate through it; no .detach(), .numpy(), .item() or new tensors built from "
                            f"values")
        return out

    def grad_total():  # the shape of Q for 3 data points, and how much its first column moves with the table; and
        # whether that gradient stays finite for a batch holding x = 3, which no latent decodes to (a training step
        # backpropagates through such a batch)
        probs = table.clone().requires_grad_(True)
        out = posterior(probs, x["F_table"], prior, x["x_example"][:3])
        (grad,) = torch.autograd.grad(out[:, 0].sum(), probs, allow_unused=True)
        probs = table.clone().requires_grad_(True)
        (unreachable,) = torch.autograd.grad(posterior(probs, x["F_table"], prior, torch.tensor([3, 0]))[:, 0].sum(), probs,
                                             allow_unused=True)
        return {"shape": list(out.shape), "total": None if grad is None else float(grad.abs().sum()),
                "finite_with_unreachable_x": unreachable is None or bool(torch.isfinite(unreachable).all())}

    # a value without a gradient comes back as {NOT_AS_STATED: why}: the tests say so, not "your code raised"
    return {"rows": attempt(_stated, lambda: _detached(posterior(table, x["F_table"], prior, x["x_example"]))),
            "zero_prior_rows": attempt(_stated, lambda: _detached(posterior(table, x["F_table"], zero_prior,
                                                                            torch.tensor([0])))),
            "random_worlds": attempt(_stated, lambda: [_detached(posterior(w["probs"], w["F_table"], w["prior"], w["x"]))
                                                       for w in x["worlds"]]),
            "unreachable": attempt(_stated, lambda: _detached(posterior(table, x["F_table"], prior, torch.tensor([3, 0])))),
            "grad_total": attempt(_stated, grad_total)}


def _q1_disc_probe(o, x):
    prior = x["prior_z"].clone()
    prior[4] = 0.0
    return _posterior_probe(o["discriminative_posterior"], x["p_y_given_z"], x["prior_z"], x, prior / prior.sum(),
                            "Q", "P_w(y|z)")


def _q1_gen_probe(o, x):
    torch = _torch()
    return _posterior_probe(o["generative_posterior"], x["p_z_given_y"], x["prior_y"], x,
                            torch.tensor([0.5, 0.5, 0.0]), "Q'", "P_w(z|y)")


def _rows_are_distributions(v, name, q):
    torch = _torch()
    Q = as_stated(v.rows)
    asserts.assert_tensor(Q, f"{name}(...)", shape=(4, 3))
    hint = ""
    if not torch.isfinite(Q[3]).all():
        hint = ": the row of x = 3, which no latent decodes to, is NaN or inf (return the uniform 1/C there)"
    if not torch.allclose(Q.sum(dim=1).double(), torch.ones(4, dtype=torch.float64), atol=1e-5):
        raise AssertionError(f"expected every row of {q}(y|x) to sum to 1, found row sums {_row(Q.sum(dim=1))}{hint}")


@points(0.25)
def test_disc_rows_are_distributions(v, ref):
    _rows_are_distributions(v, "discriminative_posterior", "Q")


def _row_of_x0(v, name):
    """The one row the posterior gave for the one data point x = 0 (the output is (N, C) = (1, 3))."""
    rows = as_stated(v.zero_prior_rows)
    asserts.assert_tensor(rows, f"{name}(...) for the one data point x = 0 (one row per data point)", shape=(1, 3))
    return rows[0]


@points(0.5)
def test_a_latent_the_prior_never_draws_plays_no_role(v, ref):
    # latents 0 and 4 decode to x = 0; with P(z = 4) = 0 only latent 0 can have produced x = 0
    torch = _torch()
    got, pyz = _row_of_x0(v, "discriminative_posterior"), v.inputs.p_y_given_z
    want = pyz[0]
    hint = ""
    if torch.allclose(got, (pyz[0] + pyz[4]) / 2, atol=1e-5):
        hint = ": latent 4 still counts, so the prior P(z) does not enter your Q"
    elif abs(float(got.sum()) - 1) > 1e-5:
        hint = ": the row does not sum to 1 (normalise over y)"
    if not torch.allclose(got, want, atol=1e-5):
        raise AssertionError(
            f"with P(z = 4) = 0, only latent 0 decodes to x = 0, so Q(y|x = 0) should be P_w(y|z = 0) = {_row(want)}; "
            f"found {_row(got)}{hint}")


def _unreachable_row_is_uniform(v, q):
    torch = _torch()
    row = as_stated(v.unreachable)[0]
    if not torch.isfinite(row).all():
        raise AssertionError(f"{q}(y|x) has NaN or inf for an x that no latent decodes to")
    if not torch.allclose(row.double(), torch.full((3,), 1 / 3, dtype=torch.float64), atol=1e-6):
        raise AssertionError(
            f"expected {q}(y|x) uniform (1/C each) for an x that no latent decodes to, found {_row(row)}")


def _differentiable(v, q, wrt):
    found = as_stated(v.grad_total)
    if found["shape"] != [3, 3]:
        raise AssertionError(
            f"expected {q}(y|x) for 3 data points as a (3, 3) tensor (one row per data point), found shape {tuple(found['shape'])}")
    total = found["total"]
    if not (total is not None and total > 0):
        raise AssertionError(
            f"{q}(y|x) must be differentiable with respect to {wrt} (no .detach(), no Python floats in between)")
    if found.get("finite_with_unreachable_x") is False:
        raise AssertionError(
            f"the gradient of {q}(y|x) with respect to {wrt} is NaN or inf for a batch holding x = 3, which no latent "
            f"decodes to, so a training step on such a batch would make every parameter NaN: a division by P(x) = 0, "
            f"or log P(x) = -inf in log space (a logsumexp over no latent), sends NaN back even in the branch "
            f"torch.where does not take; compute with a denominator that is never 0 there, or its log never -inf")


@points(0.25)
def test_disc_unreachable_x_is_uniform(v, ref):
    _unreachable_row_is_uniform(v, "Q")


@points(0.25)
def test_disc_is_differentiable(v, ref):
    _differentiable(v, "Q", "P_w(y|z)")


@points(0.25)
def test_gen_unreachable_x_is_uniform(v, ref):
    _unreachable_row_is_uniform(v, "Q'")


@points(0.25)
def test_gen_is_differentiable(v, ref):
    _differentiable(v, "Q'", "P_w(z|y)")


@points(0.25)
def test_gen_rows_are_distributions(v, ref):
    _rows_are_distributions(v, "generative_posterior", "Q'")


@points(0.5)
def test_a_class_the_prior_never_draws_gets_no_mass(v, ref):
    # with P(y) = (1/2, 1/2, 0), class 2 cannot have produced any x; latents 0 and 4 decode to x = 0, so by Bayes' rule
    # Q'(y|x = 0) is proportional to P(y) (P_w(z = 0|y) + P_w(z = 4|y))
    torch = _torch()
    got = _row_of_x0(v, "generative_posterior")
    pzy = v.inputs.p_z_given_y.double()
    prior = torch.tensor([0.5, 0.5, 0.0], dtype=torch.float64)
    likelihood = pzy[:, 0] + pzy[:, 4]                     # P_w(x = 0 | y), one entry per class
    want = prior * likelihood / (prior * likelihood).sum()
    reversed_classes = prior * likelihood.flip(0) / (prior * likelihood.flip(0)).sum()
    hint = ""
    if float(got[2]) > 1e-6:
        hint = ": class 2 still gets mass, so the class prior P(y) does not enter your Q'"
    elif abs(float(got.sum()) - 1) > 1e-5:
        hint = ": the row does not sum to 1 (normalise over y)"
    elif torch.allclose(got.double(), reversed_classes, atol=1e-5):
        hint = (": the classes' likelihoods come in reverse order, P_w(x|y = 2) weighted by P(y = 0) and so on; "
                "row y of p_z_given_y is P_w(z|y), so class y's likelihood sums row y over the latents that decode "
                "to x")
    else:
        hint = (": check that class y's likelihood P_w(x|y) sums row y of p_z_given_y (rows are classes, columns "
                "latents) over the latents that decode to x, and that it is weighted by P(y) of the same class")
    if not torch.allclose(got.double(), want, atol=1e-5):
        raise AssertionError(
            f"with P(y) = (1/2, 1/2, 0), latents 0 and 4 decode to x = 0, so Q'(y|x = 0) should be proportional to "
            f"P(y) (P_w(z = 0|y) + P_w(z = 4|y)) = {_row(want)}: class 2 gets no mass; found {_row(got)}{hint}")


# ---------------------------------------------------------------------- Q1 training steps
STEP_WORLD_F = (0, 1, 1, 2, 0, 2, 1)


def _q1_steps_inputs(seed):
    torch = _torch()
    g = _gen(seed, 13)
    out = {"F_table": torch.tensor(F_TABLE), "prior_z": torch.tensor(PRIOR_Z, dtype=torch.float32),
           "x_train": torch.tensor([0, 1, 2, 1, 0]), "y_train": torch.tensor([0, 2, 1, 2, 0])}
    for key in ("disc_world", "gen_world"):
        pz = torch.rand(7, generator=g, dtype=torch.float64) + 0.1
        out[key] = {"F_table": torch.tensor(STEP_WORLD_F), "prior_z": pz / pz.sum(),
                    "x": torch.randint(0, 3, (8,), generator=g), "y": torch.randint(0, 3, (8,), generator=g)}
    out["disc_world"]["W"] = torch.randn(7, 3, generator=g, dtype=torch.float64)
    out["gen_world"]["V"] = torch.randn(3, 7, generator=g, dtype=torch.float64)
    # a world whose decoder is one-to-one (F_table a permutation of the 4 latents): Q(y|x) = P_w(y|z(x)) and
    # P_w(x|y) = P_w(z(x)|y), so both losses are plain cross-entropies the grader computes itself
    pz = torch.rand(4, generator=g, dtype=torch.float64) + 0.1
    out["one_to_one"] = {"F_table": torch.randperm(4, generator=g), "prior_z": pz / pz.sum(),
                         "x": torch.randint(0, 4, (6,), generator=g), "y": torch.randint(0, 3, (6,), generator=g),
                         "W": torch.randn(4, 3, generator=g, dtype=torch.float64),
                         "V": torch.randn(3, 4, generator=g, dtype=torch.float64)}
    return out


def _step_result(out):
    """A step's (new parameters, loss) as plain values: the tensor, whether it is attached, the loss."""
    new, loss = out
    return {"new": _detached(new), "attached": bool(getattr(new, "requires_grad", False)), "loss": loss}


def _q1_steps_probe(o, x):
    torch = _torch()
    disc, gen = o["discriminative_step"], o["generative_step"]
    table, pz, xt, yt = x["F_table"], x["prior_z"], x["x_train"], x["y_train"]

    def lowers():  # the new parameters only, at lr = 0.1 and 0.2; the losses before and after are computed apart
        w = x["one_to_one"]
        return {"disc": _detached(disc(w["W"].clone(), w["F_table"], w["prior_z"], w["x"], w["y"], lr=0.1)[0]),
                "gen": _detached(gen(w["V"].clone(), w["F_table"], w["x"], w["y"], lr=0.1)[0]),
                "disc_double": _detached(disc(w["W"].clone(), w["F_table"], w["prior_z"], w["x"], w["y"], lr=0.2)[0]),
                "gen_double": _detached(gen(w["V"].clone(), w["F_table"], w["x"], w["y"], lr=0.2)[0])}

    dw, gw = x["disc_world"], x["gen_world"]
    return {"disc_at_zero": attempt(lambda: _step_result(disc(torch.zeros(6, 3), table, pz, xt, yt, lr=0.5))),
            "gen_at_zero": attempt(lambda: _step_result(gen(torch.zeros(3, 6), table, xt, yt, lr=0.5))),
            "small_steps": attempt(lowers),
            "disc_world_step": attempt(lambda: _step_result(disc(dw["W"].clone(), dw["F_table"], dw["prior_z"], dw["x"],
                                                                 dw["y"], lr=0.3))),
            "gen_world_step": attempt(lambda: _step_result(gen(gw["V"].clone(), gw["F_table"], gw["x"], gw["y"], lr=0.3)))}


@points(0.25)
def test_steps_return_tensor_and_float(v, ref):
    for name, out, shape in (("W_new", v.disc_at_zero, (6, 3)), ("V_new", v.gen_at_zero, (3, 6))):
        if out["attached"]:
            raise AssertionError(
                f"expected {name} detached from the graph (requires_grad False), found it attached: return (...).detach()")
        asserts.assert_tensor(out["new"], name, shape=shape, requires_grad=False)
        loss = out["loss"]
        if not isinstance(loss, float):
            raise AssertionError(f"expected the loss as a Python float, found {type(loss).__name__} (use .item())")


@points(0.25)
def test_loss_at_zero_logits_is_log_3(v, ref):
    # zero logits: P_w(y|z) = 1/3, so Q(y|x) = 1/3; P_w(z|y) = 1/6 and each x_j has 2 codes, so P_w(x|y) = 1/3
    for name, out in (("discriminative", v.disc_at_zero), ("generative", v.gen_at_zero)):
        loss = float(out["loss"])
        hint = ""
        if abs(loss - 5 * math.log(3)) < 1e-4:
            hint = ": that is the sum over the 5 examples, not the mean"
        elif abs(loss + math.log(3)) < 1e-4:
            hint = ": that is the log-likelihood; the loss is its negative"
        if not abs(loss - math.log(3)) < 1e-5:
            raise AssertionError(
                f"expected the {name} loss at zero logits to be log 3 = {math.log(3):.5f}, found {loss:.5f}{hint}")


@points(0.5)
def test_a_small_step_lowers_the_loss(v, ref):
    # the grader's own loss, not the one the step reports: in the one-to-one world both losses are cross-entropies
    # (of the rows W[z(x)] against y, of V[y] against z(x)), whose gradient at the start the grader's references
    # recorded; one small step (lr = 0.1) lowers such a loss when it moves against that gradient
    w, want = working(v), ref
    for name, key, letter in (("discriminative", "disc", "W"), ("generative", "gen", "V")):
        start = w.inputs.one_to_one[letter]
        new = w.small_steps[key]
        asserts.assert_tensor(new, f"{letter}_new", shape=tuple(start.shape))
        slope = float((want[f"{key}_gradient"] * (new.double() - start)).sum())
        if not slope < 0:
            raise AssertionError(
                f"expected one step with lr = 0.1 to lower the {name} loss (the loss the statement defines, where each "
                f"x has one latent), so to move against its gradient; {letter}_new - {letter} has inner product "
                f"{slope:+.3g} with dL/d{letter}: step against the gradient, {letter} - lr * dL/d{letter}")


@points(0.25)
def test_doubling_lr_doubles_the_step(v, ref):
    # W_new = W - lr * dL/dW with the gradient taken at W: the move is proportional to lr
    for name, key, letter in (("discriminative", "disc", "W"), ("generative", "gen", "V")):
        start = v.inputs.one_to_one[letter].double()
        small, double = v.small_steps[key], v.small_steps[f"{key}_double"]
        for got in (small, double):
            asserts.assert_tensor(got, f"{letter}_new", shape=tuple(start.shape))
        move, move2 = small.double() - start, double.double() - start
        if not float((move2 - 2 * move).abs().max()) <= 1e-6 * (1 + float(move.abs().max())):
            hint = ""
            if float((move2 - move).abs().max()) <= 1e-9:
                hint = ": the move does not depend on lr at all"
            raise AssertionError(
                f"expected the {name} step with lr = 0.2 to move {letter} twice as far as with lr = 0.1 "
                f"({letter}_new = {letter} - lr * dL/d{letter}); it moves by {float(move2.abs().max()):.4g} against "
                f"{float(move.abs().max()):.4g} at most{hint}")


CHECKS = [
    CheckSpec("q1_discriminative_tests", names=("discriminative_posterior",),
              visible=(test_disc_rows_are_distributions, test_a_latent_the_prior_never_draws_plays_no_role,
                       test_disc_unreachable_x_is_uniform, test_disc_is_differentiable),
              probe=_q1_disc_probe, inputs=_q1_disc_inputs),
    CheckSpec("q1_generative_tests", names=("generative_posterior",),
              visible=(test_gen_rows_are_distributions, test_a_class_the_prior_never_draws_gets_no_mass,
                       test_gen_unreachable_x_is_uniform, test_gen_is_differentiable),
              probe=_q1_gen_probe, inputs=_q1_gen_inputs),
    CheckSpec("q1_steps_tests", names=("discriminative_step", "generative_step"),
              visible=(test_steps_return_tensor_and_float, test_loss_at_zero_logits_is_log_3,
                       test_a_small_step_lowers_the_loss, test_doubling_lr_doubles_the_step),
              probe=on_working(_q1_steps_probe), inputs=with_working(_q1_steps_inputs)),
]
