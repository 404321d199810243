"""hw4_gans' checks: the properties the statement states of both players, read the same way in P1 and P3.

- What an update step leaves of the other player (P1.4: "each step changes only its own player"): its training or
  eval mode and its ``requires_grad`` flags as the step found them (its parameters and, after the discriminator's
  step, its gradients are compared where the step's record is read).
- What a discriminator's ``dropout`` argument does (P1.2, P3.2: dropout of probability ``dropout`` after each
  hidden layer, in training mode only): ``dropout=0`` in training mode gives the eval-mode logits, and ``dropout=1``
  zeroes the last hidden layer's outputs, so every input gets the output layer's bias as its logit (dropout at 1
  after an earlier layer only would give a constant too, but another one). Neither property needs a reference
  value: the bias is the network's own parameter.
"""
from __future__ import annotations

from dgmlab.probes import _torch, usable


def state(module, params) -> dict:
    """What a step may not change of the other player: its mode and the ``requires_grad`` flag of each of its
    parameters (``params``: the Parameter objects captured before the step)."""
    return {"training": bool(module.training), "requires_grad": [bool(p.requires_grad) for p in params]}


def assert_left_as_found(record, step: str, other: str, training: bool = True) -> None:
    """Fails unless the step (its ``record``) left the ``other`` player in the mode it found it in (``training``)
    with every parameter still requiring gradients: each step changes only its own player."""
    left = usable("the step", record)["left"]
    mode = "training" if training else "eval"
    if bool(left["training"]) != training:
        raise AssertionError(
            f"expected {step} to leave the {other} in {mode} mode, as it found it, found it in "
            f"{'training' if left['training'] else 'eval'} mode afterwards: each step changes only its own player")
    frozen = sum(not flag for flag in left["requires_grad"])
    if frozen:
        raise AssertionError(
            f"expected {step} to leave every parameter of the {other} requiring gradients, as it found them, found "
            f"{frozen} of {len(left['requires_grad'])} with requires_grad off afterwards: each step changes only its "
            "own player, and the next step of the other player needs them")


def dropout_extremes(make, load, run) -> dict:
    """The student's discriminator at ``dropout`` 0 and 1 in training mode, and at 0 in eval mode: ``make(dropout)``
    builds it, ``load(net)`` puts the seeded parameters in, ``run(net)`` gives its logits (under no_grad)."""
    torch = _torch()
    out = {}
    for key, p, train in (("eval_0", 0.0, False), ("train_0", 0.0, True), ("train_1", 1.0, True)):
        net = load(make(p)).train(train)
        with torch.no_grad():
            out[key] = run(net)
    return out


def assert_dropout_argument_sets_dropout(record, what: str, bias) -> None:
    """Fails unless the record of :func:`dropout_extremes` shows dropout of probability ``dropout`` after every
    hidden layer and nowhere else it changes the logits: at 0, training mode is eval mode; at 1, every logit is the
    output layer's ``bias`` (the (1,) tensor the network was given)."""
    torch = _torch()
    r = usable(what, record)
    at0, eval0, at1 = r["train_0"], r["eval_0"], r["train_1"]
    if not (isinstance(at0, torch.Tensor) and isinstance(eval0, torch.Tensor) and at0.shape == eval0.shape
            and torch.allclose(at0, eval0, rtol=1e-5, atol=1e-6)):
        raise AssertionError(
            f"expected {what} built with dropout=0 to give the same logits in training mode as in eval mode (dropout "
            "of probability 0 drops nothing), found them different: is the dropout probability the dropout argument, "
            "and dropout the only layer that acts differently in training mode?")
    if not (isinstance(at1, torch.Tensor) and at1.numel() > 1 and bool(torch.isfinite(at1).all())
            and float((at1 - float(bias.reshape(-1)[0])).abs().max()) < 1e-5):
        raise AssertionError(
            f"expected {what} built with dropout=1 to give every input the output layer's bias as its logit in "
            "training mode (dropout of probability 1 after the last hidden layer leaves the output layer only zeros "
            "to read), found other logits: is there dropout of probability dropout after each hidden layer, the last "
            "one included?")
