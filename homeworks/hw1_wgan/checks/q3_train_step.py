"""hw1_wgan, Q3(a)'s training step: its test cell's inputs, probe, visible tests and spec.

The probe runs the student's ``wgan_train_step`` on toys (a tiny generator, a linear critic) with the grader's real
batches and noise (``RUNS``, ``step_noise``); the visible tests compare the networks after the step with the
grader's own step on the same batches and noise. The losses, the penalty and clipping are in :mod:`.q3_wgan_on_mnist`.
"""
from __future__ import annotations

from dgmlab.probes import (
    CheckSpec,
    TestFailure,
    _torch,  # lazy imports
    asserts,
    attempt,
    on_working,
    with_working,
    working,
)
from dgmlab.probes import seeded_generator as _gen
from dgmlab.probes.points import points

from .common import _close_or_hint
from .q3_wgan_on_mnist import linear_critic


# ------------------------------------------------------------------ Q3(a): the training step
def tiny_generator(seed):
    """Linear(3, 4), Tanh, Unflatten to (1, 2, 2): the step's toy generator, its parameters from ``seed``."""
    torch = _torch()
    nn = torch.nn
    g = _gen(seed, 10)
    net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Unflatten(1, (1, 2, 2)))
    with torch.no_grad():
        for p in net.parameters():
            p.copy_((torch.rand(p.shape, generator=g, dtype=torch.float32) * 2 - 1) * 0.6)
    return net


CRITIC_WEIGHT, CRITIC_BIAS = (-0.8, -0.1333333, 0.5333333, 1.2), 0.3
# the runs the probe makes: name -> (lipschitz, optimizer, keyword arguments of the step, gradients the networks
# hold before the step: False, or "both" (every parameter of both networks holds a gradient of 7))
FIRST = {"n_critic": 1, "lipschitz": "clip", "clip": 10.0}  # one critic update, a clip that never binds
RUNS = {
    "returns": ("gp", "sgd", {}, False),
    "first_critic_step": ("clip", "sgd", FIRST, False),
    "n_critic_2": ("gp", "sgd", {}, False),
    "n_critic_3": ("gp", "sgd", {"n_critic": 3, "lam": 2.5}, False),
    "gp": ("gp", "sgd", {"lipschitz": "gp"}, False),
    "stale_grads": ("clip", "sgd", FIRST, "both"),
    "clip": ("clip", "adam", {"lipschitz": "clip", "clip": 0.05}, False),
    "clip_binds": ("clip", "sgd", {**FIRST, "clip": 0.5}, False),
}
# runs given the noise of another: what they give follows from that run's (the same step, stale gradients ignored;
# the same critic update, clamped)
TWIN_OF = {"stale_grads": "first_critic_step", "clip_binds": "first_critic_step"}


def noise_run(run: str) -> int:
    """The run number whose noise ``run`` is given (:func:`step_noise`)."""
    return list(RUNS).index(TWIN_OF.get(run, run))


def _step_inputs(seed):
    torch, g = _torch(), _gen(seed, 11)
    return {"batches": [torch.randn(5, 1, 2, 2, generator=g, dtype=torch.float32) + 0.5 * i for i in range(8)],
            "generator_seed": int(seed) % 100_000, "torch_seed": (int(seed) * 13 + 11) % 2**31,
            "noise_seed": (int(seed) * 17 + 5) % 2**31}


STEP_LR = {"sgd": 0.05, "adam": 0.1}


def _clone_all(params):
    return [p.detach().clone() for p in params]


def step_noise(x, run: int, k: int, shape):
    """The noise the generator is given at the ``k``-th new noise batch of run number ``run``: drawn from the
    grader's seed, in the shape the step drew its own."""
    torch = _torch()
    g = torch.Generator().manual_seed((x["noise_seed"] + 1009 * run + k) % 2**63)
    return torch.randn(*shape, generator=g, dtype=torch.float32)


class _SeededNoise:
    """Wraps a generator module: each batch of noise the step draws is replaced by one drawn from the grader's seed
    (the same batch drawn again, the same replacement), so the grader knows every image the generator makes."""

    def __new__(cls, inner, x, run):
        torch = _torch()

        class SeededNoise(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.inner = inner
                self.seen = {}

            def forward(self, z):
                key = (tuple(z.shape), z.detach().cpu().contiguous().numpy().tobytes())
                if key not in self.seen:
                    self.seen[key] = step_noise(x, run, len(self.seen), tuple(z.shape))
                return self.inner(self.seen[key].to(device=z.device, dtype=z.dtype))

        return SeededNoise()


def _one_run(step, x, run):
    """Run the student's step once on the toys, its noise replaced by the grader's; what it returned and the two
    networks' parameters afterwards."""
    import warnings

    torch = _torch()
    lipschitz, opt, kwargs, preset = RUNS[run]
    gen = _SeededNoise(tiny_generator(x["generator_seed"]), x, noise_run(run))
    crit = linear_critic(CRITIC_WEIGHT, bias=CRITIC_BIAS)
    make = torch.optim.SGD if opt == "sgd" else torch.optim.Adam
    g_opt, c_opt = make(gen.parameters(), lr=STEP_LR[opt]), make(crit.parameters(), lr=STEP_LR[opt])
    taken = []

    def batches():
        for i, b in enumerate(x["batches"]):
            taken.append(i)
            yield b.clone()

    if preset:  # gradients left over from before the step: the updates must not add to them
        for p in [*gen.parameters(), *crit.parameters()]:
            p.grad = torch.full_like(p, 7.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = step(gen, crit, g_opt, c_opt, batches(), z_dim=3, **kwargs)
    return {"out": out if isinstance(out, dict) else {"not a dict": type(out).__name__},
            "returned_type": type(out).__name__, "batches_taken": len(taken),
            "noise_rows": sorted({shape[0] if shape else 0 for shape, _ in gen.seen}),
            "generator_end": _clone_all(gen.inner.parameters()), "critic_end": _clone_all(crit.parameters())}


def _device_run(step, x):
    """The step with both networks on PyTorch's meta device (standing in for a GPU: shapes, no data) and the real
    batches on the CPU: ``{"error": why}`` when it mixed devices, else ``{"error": None}`` (a meta tensor has no
    value, so ``.item()`` at the end raises; that is not the step's fault)."""
    import warnings

    torch = _torch()
    gen = tiny_generator(x["generator_seed"]).to("meta")
    crit = linear_critic(CRITIC_WEIGHT, bias=CRITIC_BIAS).to("meta")
    g_opt, c_opt = torch.optim.SGD(gen.parameters(), lr=0.05), torch.optim.SGD(crit.parameters(), lr=0.05)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            step(gen, crit, g_opt, c_opt, (b.clone() for b in x["batches"]), z_dim=3)
    except RuntimeError as exc:
        message = str(exc)
        if "device" in message and "meta tensors" not in message:
            return {"error": message.splitlines()[0][:200] if message else "RuntimeError"}
    return {"error": None}


def _step_probe(o, x):
    torch = _torch()
    out = {}
    for i, run in enumerate(RUNS):
        torch.manual_seed(x["torch_seed"] + i)  # the step's own draws; the generator is given the grader's noise
        out[run] = attempt(_one_run, o["wgan_train_step"], x, run)
    out["devices"] = attempt(_device_run, o["wgan_train_step"], x)
    return out


def _critic_updates_hint(v, message: str) -> str:
    """Why a run with ``n_critic=1`` may have raised ``message``: the step made fewer critic updates than
    ``n_critic`` (with ``n_critic=3`` it took fewer real batches, or with 1 it made none and the generator update
    found no batch); "" when nothing says so."""
    try:
        taken = getattr(v, "n_critic_3")["batches_taken"]
    except (AssertionError, KeyError, TypeError):
        taken = None
    if isinstance(taken, int) and taken < 3:
        return (f"; with n_critic=3 the step took {taken} real batches: it must make n_critic critic updates per "
                "generator update, each on a new real batch")
    if "UnboundLocalError" in message:
        return ("; with n_critic=1 the step must still make one critic update (n_critic critic updates per "
                "generator update)")
    return ""


def _ran(v, run):
    try:
        rec = getattr(v, run)
    except TestFailure as exc:
        if RUNS[run][2].get("n_critic") != 1:
            raise
        raise TestFailure(f"{exc}{_critic_updates_hint(v, str(exc))}") from None
    if rec["returned_type"] != "dict":
        raise AssertionError(f"expected wgan_train_step to return a dict, found {rec['returned_type']}")
    return rec


@points(1.5)
def test_first_critic_update_descends_the_critic_loss(v, ref):
    # with clipping (no penalty) and a linear critic f(x) = w.x + b, the weight gradient of the critic's loss
    # is the difference of the batch means of the fake and the real images
    torch = _torch()
    rec, want = _ran(working(v), "first_critic_step"), ref["first_critic_step"]
    got = rec["critic_end"]
    if len(got) != 2:
        raise AssertionError("expected the critic's two parameter tensors back")
    start = torch.tensor(CRITIC_WEIGHT).unsqueeze(0)
    hint = ""
    if torch.allclose(got[0], 2 * start - want["critic"][0], atol=1e-5):
        hint = ": the opposite sign, so the critic is trained to lower real scores (critic_loss(real, fake) argument order?)"
    elif torch.equal(got[0], start):
        hint = ": the critic did not move (c_opt.step()?)"
    _close_or_hint(got[0], want["critic"][0], hint, rtol=1e-4, atol=1e-5,
                   name="the critic's weight after one critic update with n_critic=1 (SGD, lr 0.05): w - lr * "
                        "(mean(fake) - mean(real)) on the first real batch and a batch of fresh noise")
    asserts.assert_close(got[1], want["critic"][1], rtol=1e-4, atol=1e-5, name="the critic's bias after that update")
    # where the step works only takes points away: a step that mixes devices fails on a GPU
    devices = working(v).devices
    if isinstance(devices, dict) and devices.get("error"):
        raise AssertionError(
            f"with both networks on another device than the CPU (PyTorch's meta device, standing in for a GPU) the "
            f"step raised: {devices['error']}; move each real batch to next(generator.parameters()).device and draw "
            "the noise there")


@points(1.25)
def test_then_one_generator_update_through_the_updated_critic(v, ref):
    rec, want = _ran(working(v), "first_critic_step"), ref["first_critic_step"]
    got = rec["generator_end"]
    if len(got) != len(want["generator"]):
        raise AssertionError("expected the generator's parameter tensors back")
    rows, real_rows = rec.get("noise_rows", []), int(working(v).inputs.batches[0].shape[0])
    hint = (f": the generator was given noise batches of {' and '.join(map(str, rows))} rows; each batch of noise "
            f"has as many rows as the real batches ({real_rows} here)" if any(r != real_rows for r in rows) else "")
    for g, w in zip(got, want["generator"], strict=True):
        _close_or_hint(g, w, hint, rtol=1e-4, atol=1e-6,
                       name="the generator's parameters after the step (one SGD update descending "
                            "-mean D(G(z)) through the updated critic, on fresh noise, gradients zeroed?)")




def _networks_close(got, want) -> bool:
    torch = _torch()
    return len(got) == len(want) and all(
        isinstance(g, torch.Tensor) and g.shape == w.shape and torch.allclose(g, w, rtol=1e-4, atol=1e-6)
        for g, w in zip(got, want, strict=True))


def _both_networks_match(rec, want, hint, after):
    """Each network's parameters at the end of the run ``rec`` against ``want``'s, named "the <network>'s parameters
    <after>"; ``hint`` ends the message of the first that differs."""
    for name in ("critic", "generator"):
        got = rec[f"{name}_end"]
        if len(got) != len(want[name]):
            raise AssertionError(f"expected the {name}'s parameter tensors back")
        for g, w_ in zip(got, want[name], strict=True):
            _close_or_hint(g, w_, hint, rtol=1e-4, atol=1e-6, name=f"the {name}'s parameters {after}")


@points(1)
def test_gradients_held_before_the_step_change_nothing(v, ref):
    # the step of first_critic_step again, every parameter of both networks holding a gradient of 7 before it
    w = working(v)
    rec, want = _ran(w, "stale_grads"), ref["first_critic_step"]
    first = w.first_critic_step if isinstance(w.first_critic_step, dict) else {}
    stale_critic = not _networks_close(rec["critic_end"], want["critic"])
    clean = _networks_close(first.get("critic_end", []), want["critic"]) and _networks_close(
        first.get("generator_end", []), want["generator"])
    hint = ""
    if clean:
        hint = (": the networks held gradients from before the call and the " + ("critic" if stale_critic else
                "generator") + "'s update added to them; zero each network's gradients before its backward pass")
    _both_networks_match(rec, want, hint, "after the step when both networks held gradients before it")


@points(1.25)
def test_n_critic_updates_each_on_the_next_real_batch(v, ref):
    # n_critic=3, lam=2.5: three critic updates (the penalty weighted by lam), each on the next real batch
    w = working(v)
    rec, want = _ran(w, "n_critic_3"), ref["runs"]["n_critic_3"]
    taken = rec["batches_taken"]
    hint = (f": with n_critic=3 the step took {taken} real batches; each of the n_critic critic updates takes the "
            "next batch from real_batches" if taken != 3 else "")
    _both_networks_match(rec, want, hint, "after a step with n_critic=3 and lam=2.5 (the penalty's weight is lam)")


@points(0.75)
def test_defaults_n_critic_2_and_lam_10(v, ref):
    # the step called with its defaults (lipschitz="gp", n_critic=2, lam=10.0), as train_wgan calls it for lam
    w = working(v)
    rec, want = _ran(w, "returns"), ref["runs"]["returns"]
    try:
        given = w.n_critic_3  # the step with n_critic and lam given
    except (AssertionError, TestFailure, KeyError, TypeError):
        given = {}
    taken, given = rec["batches_taken"], given if isinstance(given, dict) else {}
    hint = ""
    if taken != 2 and given.get("batches_taken") == 3:  # n_critic given is obeyed: its default is what is wrong
        hint = (f": called with its defaults the step took {taken} real batch{'' if taken == 1 else 'es'}; n_critic "
                "defaults to 2")
    elif taken == 2 and all(_networks_close(given.get(f"{name}_end", []), ref["runs"]["n_critic_3"][name])
                            for name in ("critic", "generator")):
        hint = ": with lam given the step is right, so lam's default is not 10.0"
    _both_networks_match(rec, want, hint,
                         "after a step called with its defaults (lipschitz='gp', n_critic=2, lam=10.0)")


@points(0.75)
def test_clipping_right_after_each_critic_update(v, ref):
    # first_critic_step's critic update with clip=0.5, which binds: the critic after it is that update, clamped
    torch = _torch()
    rec, c = _ran(working(v), "clip_binds"), RUNS["clip_binds"][2]["clip"]
    want = [p.clamp(-c, c) for p in ref["first_critic_step"]["critic"]]
    got = rec["critic_end"]
    if len(got) != len(want):
        raise AssertionError("expected the critic's two parameter tensors back")
    widest = max(float(g.abs().max()) for g in got if isinstance(g, torch.Tensor) and g.numel())
    hint = (f": a critic parameter reaches {widest:.3g}, outside [-{c:g}, {c:g}]: clip right after the optimizer "
            "step, so the critic the step leaves is within [-c, c]" if widest > c + 1e-6 else "")
    for g, w_ in zip(got, want, strict=True):
        _close_or_hint(g, w_, hint, rtol=1e-4, atol=1e-6,
                       name=f"the critic's parameters after one critic update with lipschitz='clip', clip={c:g}")


@points(0.5)
def test_returns_the_last_losses_as_python_floats(v, ref):
    rec, run = _ran(working(v), "n_critic_3"), ref["runs"]["n_critic_3"]
    got, want = rec["out"], run["out"]
    updates_right = all(_networks_close(rec[f"{name}_end"], run[name]) for name in ("critic", "generator"))
    for k in ("critic_loss", "penalty", "generator_loss"):
        if not isinstance(got.get(k), float):
            raise AssertionError(f"expected {k!r} as a Python float (.item()), found {type(got.get(k)).__name__}")
        if abs(got[k] - want[k]) < 1e-4 * max(1.0, abs(want[k])):
            continue
        if not updates_right:
            raise AssertionError(
                f"{k!r} is not the loss of a right step, as the networks after the step are not (the tests above): "
                "fix the updates first")
        with_penalty = k == "critic_loss" and abs(got[k] - want[k] - want["penalty"]) < 1e-4 * max(1.0, abs(want[k]))
        raise AssertionError(
            f"{k!r} is not the {k.replace('_', ' ')} of the step's last "
            + ("critic update: it includes the penalty; return critic_loss without it" if with_penalty else
               "critic update" if k == "critic_loss" else
               "critic update, weighted by lam" if k == "penalty" else "generator update"))


CHECKS = [
    CheckSpec("q3_train_step_tests", hidden_for="the step with the penalty on other batches; clipping "
              "with Adam", names=("wgan_train_step",),
              visible=(test_first_critic_update_descends_the_critic_loss,
                       test_then_one_generator_update_through_the_updated_critic,
                       test_gradients_held_before_the_step_change_nothing,
                       test_n_critic_updates_each_on_the_next_real_batch, test_defaults_n_critic_2_and_lam_10,
                       test_clipping_right_after_each_critic_update,
                       test_returns_the_last_losses_as_python_floats),
              probe=on_working(_step_probe), inputs=with_working(_step_inputs)),
]
