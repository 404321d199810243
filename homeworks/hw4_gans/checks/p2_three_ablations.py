"""hw4_gans' checks of P2 (p2_three_ablations.py): make_gan, train_gan (the stand-in steps and the statement's
schedule) and the baseline's handed-in weights; their inputs, probes, visible tests and ``CHECKS``.
"""
from __future__ import annotations

import contextlib
import numbers
import types

from dgmlab.probes import (
    CheckSpec,
    TestFailure,
    _torch,  # lazy imports
    asserts,
    attempt,
    working,
)
from dgmlab.probes import seeded_generator as _gen
from dgmlab.probes import with_working as _with_working
from dgmlab.probes.points import points

from .common import (
    BAR_CLASSES,
    BAR_SCORE,
    BASELINE_FILE,
    BASELINE_RECORD,
    EXPERIMENTS,
    FILE_POINT_SCORE,
    N_DRAWN,
    _no_file_in_fast_mode,
    _param_shapes,
    _params,
    _randn,
    _seed_torch,
    _seeded,
    _seeded_params,
    _sgd,
    _uniform,
    graded_draw,
    keep_graded_draw,
    keep_record_verdict,
    load_by_shape,
    own_draw,
    own_draw_probe,
    paired,
    seeded_tiny,
    stand_in_d_step,
    stand_in_g_step,
    value,
)
from .replay import assert_no_noise_reused, parameters_match

# ------------------------------------------------------------------ P2.1 make_gan
# Each experiment's two networks get the grader's seeded parameters of the statement's networks for that experiment
# (placed by shape, as in P1) and their outputs on seeded inputs are compared with those networks, built by the
# grader; d_steps is compared with the statement's number. The statement's experiments, as its text gives them:
STATEMENT_EXPERIMENTS = {  # name: (generator widths, discriminator widths, d_steps)
    "baseline": ((128, 256, 512), (512, 256, 128), 1),
    "wide_generator": ((256, 512, 1024), (512, 256, 128), 1),
    "deep_discriminator": ((128, 256, 512), (1024, 512, 256, 128), 1),
    "d_steps_10": ((128, 256, 512), (512, 256, 128), 10)}
UNKNOWN_NAMES = ("Baseline", "wide", "d_steps_1", "no_such_experiment", "deep_discriminator ", "baseline_", "")


def _make_gan_inputs(seed):
    g = _gen(seed, 21)
    x = {"z4": _randn(g, 4, 100), "x4": _randn(g, 4, 784), "x32": _randn(g, 32, 784),
         "dropout_seed": int(_uniform(g, 1)[0] * 1e6), **_seeded(seed, 21)}
    x["g_params"] = {w: _seeded_params(g, _param_shapes(100, w, 784)) for w in ((128, 256, 512), (256, 512, 1024))}
    x["d_params"] = {w: _seeded_params(g, _param_shapes(784, w, 1)) for w in ((512, 256, 128), (1024, 512, 256, 128))}
    # make_gan called on two "baseline"s and three unknown names, in an order drawn from the seed
    unknown = [UNKNOWN_NAMES[int(i)] for i in _torch().randperm(len(UNKNOWN_NAMES), generator=g)[:3]]
    x["names"] = [(["baseline"] * 2 + unknown)[int(i)] for i in _torch().randperm(5, generator=g)]
    x["latent_dim"] = int(_torch().randint(8, 64, (1,), generator=g))  # make_gan(name, latent_dim=...)'s own
    return x


def _run_generator(g, x, params, what):
    load_by_shape(g, params, what)
    g.train()  # no dropout, no batch statistics in the statement's generator: training mode changes nothing
    with _torch().no_grad():
        return g(x["z4"].clone())


def _run_discriminator(d, x, params, what, train=False):
    torch = _torch()
    load_by_shape(d, params, what)
    d.train(train)
    with torch.no_grad(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(x["dropout_seed"])  # the dropout masks: the grader draws the same ones
        return d((x["x32"] if train else x["x4"]).clone())


def _make_gan_probe(o, x):
    make_gan = o["make_gan"]
    _seed_torch(x)

    def triple(name):
        out = make_gan(name)  # a list unpacks as the tuple does: G, D, k = make_gan(name) reads either
        if not (isinstance(out, tuple | list) and len(out) == 3):
            raise TypeError(f"make_gan({name!r}) returned {type(out).__name__[:80]}, not the three "
                            "(generator, discriminator, d_steps)")
        return tuple(out)

    def one(name, x=x):
        g, d, k = triple(name)
        gw, dw, _ = STATEMENT_EXPERIMENTS[name]
        return {"g_out": attempt(_run_generator, g, x, x["g_params"][gw], f"make_gan({name!r})'s generator"),
                "d_out": attempt(_run_discriminator, d, x, x["d_params"][dw], f"make_gan({name!r})'s discriminator"),
                "d_train": attempt(_run_discriminator, d, x, x["d_params"][dw], f"make_gan({name!r})'s discriminator",
                                   True),
                "d_steps": int(k) if isinstance(k, numbers.Integral) and not isinstance(k, bool) else repr(k)[:80]}

    def with_latent_dim(name, k):
        g = make_gan(name, latent_dim=k)[0]
        found = getattr(g, "latent_dim", None)
        with _torch().no_grad():
            shape = list(g.train()(_torch().zeros(3, k)).shape)
        return {"latent_dim": found if type(found) is int else repr(found)[:80], "out_shape": shape}

    def on_working():
        # the visible tests' record: the baseline, the deep discriminator and the wide generator on the working seed's
        # inputs (what the recorded values are of), and each experiment's generator for the working seed's latent_dim
        _seed_torch(x["working"])
        return {"experiments": {name: attempt(one, name, x["working"])
                                for name in ("baseline", "deep_discriminator", "wide_generator", "d_steps_10")},
                "latent": {name: attempt(with_latent_dim, name, x["working"]["latent_dim"]) for name in EXPERIMENTS},
                "fresh": attempt(fresh, x["working"])}

    def fresh(x=x):
        # two calls: the first pair gets the grader's parameters, the second half of them; the first pair must keep its own
        g1, d1, _ = triple("baseline")
        load_by_shape(g1, x["g_params"][(128, 256, 512)], "make_gan('baseline')'s generator")
        load_by_shape(d1, x["d_params"][(512, 256, 128)], "make_gan('baseline')'s discriminator")
        g2, d2, _ = triple("baseline")
        load_by_shape(g2, [p * 0.5 for p in x["g_params"][(128, 256, 512)]], "a second make_gan('baseline')'s generator")
        load_by_shape(d2, [p * 0.5 for p in x["d_params"][(512, 256, 128)]], "a second make_gan('baseline')'s discriminator")
        with _torch().no_grad():
            return {"g_out": g1.train()(x["z4"].clone()), "d_out": d1.eval()(x["x4"].clone())}

    def called(name):
        try:
            g = triple(name)[0]
        except ValueError:
            return "raised ValueError"
        except Exception as exc:  # noqa: BLE001 - what the student's function raised
            return f"raised {type(exc).__name__}"[:120]
        return {"g_out": attempt(_run_generator, g, x, x["g_params"][(128, 256, 512)], f"make_gan({name!r})'s generator")}

    return {"experiments": {name: attempt(one, name) for name in EXPERIMENTS}, "fresh": attempt(fresh),
            "calls": [attempt(called, name) for name in x["names"]], "working": attempt(on_working)}


def experiment(experiments, name):
    """The probe's record of ``make_gan(name)``, or fails saying why there is none."""
    return value(value(experiments, "make_gan")[name], f"make_gan({name!r})")


def _outputs_match(out, want, what):
    torch = _torch()
    asserts.assert_tensor(out, what, shape=tuple(want.shape), dtype=torch.float32)
    if not torch.allclose(out, want, rtol=1e-4, atol=1e-5):
        raise AssertionError(f"{what} is {asserts.off_by(out, want)}")


@points(0.25)
def test_baseline_generator_is_p1s(v, ref):
    info = experiment(working(v).experiments, "baseline")
    _outputs_match(value(info["g_out"], "make_gan('baseline')'s generator"), ref["g_out"],
                   "make_gan('baseline')'s generator, against P1's generator with hidden "
                   "widths (128, 256, 512),")


@points(0.5)
def test_baseline_discriminator_and_d_steps_are_p1s(v, ref):
    info, want = experiment(working(v).experiments, "baseline"), ref
    what = "make_gan('baseline')'s discriminator"
    _outputs_match(value(info["d_out"], what), want["d_out"],
                   f"{what} in eval mode, against P1's discriminator with hidden widths "
                   f"(512, 256, 128),")
    _outputs_match(value(info["d_train"], what), want["d_train"],
                   f"{what} in training mode (dropout 0.3 after each LeakyReLU, the same dropout masks), "
                   f"against P1's discriminator with hidden widths (512, 256, 128),")
    if info["d_steps"] != 1:
        raise AssertionError(f"expected d_steps = 1 (an int) from make_gan('baseline'), found {info['d_steps']}")


@points(0.5)
def test_deep_discriminator_adds_a_layer(v, ref):
    # every hidden layer with its LeakyReLU and dropout: compared in training mode too, with the grader's masks
    name, widths = "deep_discriminator", STATEMENT_EXPERIMENTS["deep_discriminator"][1]
    info, want = experiment(working(v).experiments, name), ref["deep"]
    what = f"make_gan({name!r})'s discriminator"
    for key, mode in (("d_out", "in eval mode"), ("d_train", "in training mode (dropout 0.3 after each LeakyReLU, the "
                                                            "same dropout masks)")):
        try:
            out = value(info[key], what)
        except TestFailure as exc:
            raise TestFailure(f"{exc} (the statement's deep discriminator has hidden widths {widths}, 1024 first and "
                              "128 last: four hidden layers)") from None
        _outputs_match(out, want[key], f"{what} {mode}, against P1's discriminator with "
                                       f"hidden widths {widths},")
    _outputs_match(value(info["g_out"], f"make_gan({name!r})'s generator"), want["g_out"],
                   f"make_gan({name!r})'s generator, against P1's generator with hidden "
                   "widths (128, 256, 512) (unchanged in this experiment),")
    if info["d_steps"] != 1:
        raise AssertionError(f"expected d_steps = 1 (an int) from make_gan({name!r}), found {info['d_steps']}")


@points(0.25)
def test_d_steps_10_keeps_p1s_networks(v, ref):
    # "the P1 networks": with the baseline's parameters, the baseline's outputs (eval and training mode)
    name, what = "d_steps_10", "make_gan('d_steps_10')'s"
    info = experiment(working(v).experiments, name)
    _outputs_match(value(info["g_out"], f"{what} generator"), ref["g_out"],
                   f"{what} generator, against P1's generator (the P1 networks in this experiment),")
    for key, mode in (("d_out", "in eval mode"), ("d_train", "in training mode (the same dropout masks)")):
        _outputs_match(value(info[key], f"{what} discriminator"), ref[key],
                       f"{what} discriminator {mode}, against P1's discriminator with hidden widths (512, 256, 128) "
                       "(the P1 networks in this experiment),")


@points(0.25)
def test_fresh_networks_on_every_call(v, ref):
    # two make_gan("baseline") calls, the second pair given other parameters: the first pair must keep its own
    r = value(working(v).fresh, "make_gan('baseline') called twice")
    for key, part in (("g_out", "generator"), ("d_out", "discriminator")):
        _outputs_match(r[key], ref[key], f"the first make_gan('baseline')'s {part}, after a second call changed the "
                                         "second pair's parameters (fresh networks on every call),")


# ------------------------------------------------------------------ P2.2 train_gan
# train_gan runs with stand-ins for the notebook's two steps: each does an update no step of the kit makes
# (stand_in_d_step, stand_in_g_step: uphill on every GAN loss) with noise drawn from the grader's seed and returns a
# number drawn from the seed.
# From the seeded start (stand-in networks G0, D0), a seeded loader and plain SGD, the grader replays the statement's
# schedule (one D update per batch, a G update after every d_steps-th, D first) with the same updates and compares the parameters train_gan leaves and the history it
# returns with its own: the order and number of the updates show in the parameters, not in a log the kernel writes.
# (5, 2, 3): two epochs of 5 batches, d_steps 3: the statement counts discriminator updates across epochs (G after
# the 3rd, 6th, 9th: 3 G updates), a counter reset each epoch gives 2
RUNS = ((4, 1, 1), (3, 1, 1), (6, 2, 3), (6, 1, 2), (5, 2, 1), (10, 1, 10), (5, 2, 3))
VISIBLE_RUNS, HIDDEN_RUNS = RUNS[:2], RUNS[2:]
SPECIAL_RUNS = {"noise": (2, 1, 1), "frozen": (2, 1, 1), "devices": (2, 1, 1)}  # (n_batches, epochs, d_steps)
TRAIN_LR = 0.01


def _run_key(run) -> str:
    return run if isinstance(run, str) else "-".join(map(str, run))


def _train_gan_inputs(seed):
    torch = _torch()
    g = _gen(seed, 22)
    x = {**_seeded(seed, 22), "G0": [_randn(g, 784, 4) * 0.5, _randn(g, 784) * 0.1],
         "D0": [_randn(g, 1, 784) * 0.05, _randn(g, 1) * 0.1], "noise_seed": int(_uniform(g, 1)[0] * 1e6) + 10**6}
    loaders = {}
    for run in (*RUNS, *SPECIAL_RUNS):
        n_batches = SPECIAL_RUNS[run][0] if isinstance(run, str) else run[0]
        shape = (4, 784) if run == "frozen" else (6, 1, 28, 28)  # flattened batches in one run
        loaders[_run_key(run)] = [(_uniform(g, *shape), torch.zeros(shape[0], dtype=torch.long)) for _ in range(n_batches)]
    x["loaders"] = loaders
    return x


def _schedule(run):
    return SPECIAL_RUNS[run] if isinstance(run, str) else run


def _draw(x, key, player, k):
    # one generator per (run, player, step): the same numbers in the kernel's stand-ins and in the grader's replay
    index = sorted(x["loaders"]).index(key)
    return _torch().Generator().manual_seed(x["noise_seed"] * 1009 + index * 100_003 + 2 * k + (player == "G"))


def step_noise(x, key, player, k, shape):
    """The noise of ``player``'s ``k``-th step in run ``key``: drawn from the grader's seed, in probe and grader alike."""
    return _torch().randn(tuple(shape), generator=_draw(x, key, player, k))


def step_tag(x, key, player, k) -> float:
    """What ``player``'s ``k``-th stand-in step returns in run ``key``: a float drawn from the grader's seed."""
    return float(_torch().rand(1, generator=_draw(x, key, player, 10_000 + k))[0])


def step_tags(x, key, player, n) -> list:
    return [step_tag(x, key, player, k) for k in range(n)]


def _stand_ins(x, key, mode):
    """The two steps train_gan calls in run ``key``. ``mode``: "statement" (noise of the statement's shape, batch by
    latent_dim), "noise" (noise of the shape the notebook's z has), "frozen" (each player against the other's
    seeded start, so neither depends on when the other moves), "devices" (networks on PyTorch's meta device, standing
    in for a GPU: a tensor elsewhere raises, as it would there; nothing is computed). The third value returned is
    the list the steps fill with each z they receive (the grader checks it is fresh standard normal noise)."""
    torch = _torch()
    count, frozen, received = {"D": 0, "G": 0}, seeded_tiny(x) if mode == "frozen" else None, []
    batch = len(x["loaders"][key][0][0])

    def noise(player, generator, z):
        if mode == "devices":
            where = next(generator.parameters()).device
            if any(t.device != where for t in z):
                raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two devices, "
                                   f"{where} and {[t.device for t in z if t.device != where][0]}!")
            return None
        if z[0].dim() != 2 or z[0].shape[1] != generator.latent_dim:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied: noise of shape {tuple(z[0].shape)} for a "
                               f"generator with latent_dim {generator.latent_dim}")
        received.append(z[0].detach().to("cpu", torch.float32).clone())
        return step_noise(x, key, player, count[player], z[0].shape if mode == "noise" else (batch, generator.latent_dim))

    def discriminator_step(generator, discriminator, d_opt, real, z):
        zz = noise("D", generator, (z, real))
        if zz is not None:
            stand_in_d_step(generator=frozen[0] if frozen else generator, discriminator=discriminator, d_opt=d_opt,
                            real=real, z=zz)
        count["D"] += 1
        return step_tag(x, key, "D", count["D"] - 1)

    def generator_step(generator, discriminator, g_opt, z):
        zz = noise("G", generator, (z,))
        if zz is not None:
            stand_in_g_step(generator=generator, discriminator=frozen[1] if frozen else discriminator, g_opt=g_opt, z=zz)
        count["G"] += 1
        return step_tag(x, key, "G", count["G"] - 1)

    return discriminator_step, generator_step, received


_STAND_IN = "__dgmlab_stand_in_{}__"  # where a step's trampoline finds its stand-in, in the notebook's globals


def _trampoline(name):
    """The code of a function ``name(*args, **kwargs)`` that calls the stand-in of ``name`` in its globals."""
    source = f"def {name}(*args, **kwargs):\n    return {_STAND_IN.format(name)}(*args, **kwargs)\n"
    namespace = {}
    exec(compile(source, f"<stand-in for {name}>", "exec"), namespace)
    return namespace[name].__code__


@contextlib.contextmanager
def _notebook_steps(train_gan, d_step, g_step):
    """``d_step``, ``g_step`` as the notebook's discriminator_step and generator_step while train_gan runs: under
    those names in its globals, and, where they are the notebook's own functions, in place of their code, so that a
    train_gan reaching them another way (an alias, a default argument) calls the stand-ins too."""
    missing = object()
    steps = {"discriminator_step": d_step, "generator_step": g_step}
    saved = []  # (namespace, name, what it held)

    def put(ns, name, value):
        saved.append((ns, name, ns.get(name, missing)))
        ns[name] = value

    codes = []
    for name, stand_in in steps.items():
        own = train_gan.__globals__.get(name, missing)
        if isinstance(own, types.FunctionType) and not own.__code__.co_freevars:
            put(own.__globals__, _STAND_IN.format(name), stand_in)
            codes.append((own, own.__code__))
            own.__code__ = _trampoline(name)
        put(train_gan.__globals__, name, stand_in)
    try:
        yield
    finally:
        for own, code in codes:
            own.__code__ = code
        for ns, name, old in reversed(saved):
            if old is missing:
                ns.pop(name, None)
            else:
                ns[name] = old


def _train_gan_probe(o, x):
    train_gan = o["train_gan"]
    _seed_torch(x)

    def run(run_id, mode="statement", x=x):
        key = _run_key(run_id)
        n_batches, epochs, d_steps = _schedule(run_id)
        g, d = seeded_tiny(x)
        if mode == "devices":
            g, d = g.to("meta"), d.to("meta")
        g_p, d_p = list(g.parameters()), list(d.parameters())  # read after train_gan, whatever it does to g and d
        d_stand_in, g_stand_in, received = _stand_ins(x, key, mode)
        with _notebook_steps(train_gan, d_stand_in, g_stand_in):
            hist = train_gan(g, d, _sgd(g.parameters(), TRAIN_LR), _sgd(d.parameters(), TRAIN_LR),
                             [(a.clone(), b.clone()) for a, b in x["loaders"][key]], epochs, d_steps=d_steps,
                             progress=False)
        if mode == "devices":
            return {"hist": hist}
        return {"hist": hist, "G": _params(g_p), "D": _params(d_p), "z": received}

    def on_working():
        # the visible tests' runs on the working seed's inputs (what the recorded values are of)
        _seed_torch(x["working"])
        return {"runs": {_run_key(r): attempt(run, r, x=x["working"]) for r in RUNS},
                "devices": attempt(run, "devices", "devices", x=x["working"])}

    return {"runs": {_run_key(r): attempt(run, r) for r in RUNS},
            **{f"{name}_run": attempt(run, name, name) for name in SPECIAL_RUNS}, "working": attempt(on_working)}


def run_of(runs, run):
    """The probe's record of train_gan with the schedule ``run`` (one of RUNS): {hist, G, D}."""
    return value(value(runs, "train_gan")[_run_key(run)], "train_gan")


def history_matches(record, want, run):
    """Fails unless the history train_gan returned in ``run`` (its ``record``) is ``want`` (``{d_loss, g_loss}``: what
    the steps returned, in order, one per update of the statement's schedule, as the grader's replay lists them)."""
    hist = value(record, "train_gan")["hist"]
    n_batches, epochs, d_steps = _schedule(run)
    setting = f"{n_batches} batches, {epochs} epoch(s), d_steps={d_steps}"
    if not (isinstance(hist, dict) and {"d_loss", "g_loss"} <= set(hist)):
        raise AssertionError(
            f"expected train_gan to return a dict with keys d_loss and g_loss, found {type(hist).__name__}")
    for name, player in (("d_loss", "discriminator"), ("g_loss", "generator")):
        got = hist[name]
        if not (isinstance(got, list) and len(got) == len(want[name])):
            raise AssertionError(
                f"expected {len(want[name])} {player} losses ({setting}: one per {player} update), found "
                f"{len(got) if isinstance(got, list) else type(got).__name__}")
        kinds = sorted({type(h).__name__ for h in got})
        if not (not got or kinds == ["float"]):
            raise AssertionError(f"expected the {player} losses as Python floats, found {kinds}")
        if got != want[name]:
            raise AssertionError(
                f"expected history[{name!r}] to list, in order, what each {player} step returned ({setting}); it does not")


@points(0.25)
def test_wide_generator_doubles_only_the_generator(v, ref):
    name = "wide_generator"
    info, want = experiment(working(v).experiments, name), ref["wide"]
    gw = STATEMENT_EXPERIMENTS[name][0]
    _outputs_match(value(info["g_out"], f"make_gan({name!r})'s generator"), want["g_out"],
                   f"make_gan({name!r})'s generator, against P1's generator with hidden widths {gw},")
    what = f"make_gan({name!r})'s discriminator"
    for key, mode in (("d_out", "in eval mode"), ("d_train", "in training mode (the same dropout masks)")):
        _outputs_match(value(info[key], what), want[key], f"{what} {mode}, against P1's discriminator with hidden "
                                                          "widths (512, 256, 128) (unchanged in this experiment),")


@points(0.25)
def test_latent_dim_argument_is_used(v, ref):
    # make_gan(name, latent_dim=k): every experiment's generator keeps k as its latent_dim and reads noise of k columns
    w = working(v)
    k = w.inputs["latent_dim"]
    for name in STATEMENT_EXPERIMENTS:
        call = f"make_gan({name!r}, latent_dim={k})"
        try:
            r = value(value(w.latent, "make_gan")[name], call)
        except TestFailure as exc:
            raise AssertionError(f"expected {call}'s generator to take noise of {k} columns, found an error "
                                 f"({str(exc)[:160]}): pass latent_dim on to the generator") from None
        if r["latent_dim"] != k or r["out_shape"] != [3, 784]:
            raise AssertionError(
                f"expected {call}'s generator to keep latent_dim = {k} and turn noise of shape (3, {k}) into images "
                f"of shape (3, 784), found latent_dim {r['latent_dim']} and images of shape {tuple(r['out_shape'])}")


@points(0.25)
def test_other_names_raise_value_error(v, ref):
    # "raises ValueError for any other name" (read once make_gan('baseline') builds P1's networks)
    test_baseline_generator_is_p1s(v, ref)
    for got, name in paired(v.calls, v.inputs.names, "results, one per make_gan call"):
        if name not in STATEMENT_EXPERIMENTS and got != "raised ValueError":
            raise AssertionError(f"expected make_gan({name!r}) to raise ValueError (not an experiment of the statement), "
                                 "found it " + (got if isinstance(got, str) else "returned networks"))


@points(0.25)
def test_d_steps_is_ten_only_for_d_steps_10(v, ref):
    # "d_steps is 1 except for d_steps_10" (read once make_gan('baseline') builds P1's networks)
    test_baseline_generator_is_p1s(v, ref)
    for name in STATEMENT_EXPERIMENTS:
        found, want = experiment(v.experiments, name)["d_steps"], 10 if name == "d_steps_10" else 1
        if found != want:
            raise AssertionError(f"expected d_steps = {want} (an int) from make_gan({name!r}), found {found}")


@points(0.5)
def test_history_lists_per_update(v, ref):
    history_matches(run_of(working(v).runs, (4, 1, 1)), ref["history_4_1_1"], (4, 1, 1))
    # two epochs in one call: every update's loss, in order (what each stand-in step returned, drawn from the seed)
    x = working(v).inputs
    for run in ((5, 2, 1), (6, 2, 3)):
        n_d = run[0] * run[1]
        history_matches(run_of(working(v).runs, run), {"d_loss": step_tags(x, _run_key(run), "D", n_d),
                                                       "g_loss": step_tags(x, _run_key(run), "G", n_d // run[2])}, run)


@points(0.5)
def test_players_alternate_discriminator_first(v, ref):
    parameters_match(run_of(working(v).runs, (3, 1, 1)), ref["parameters_3_1_1"],
                     "3 batches, each one discriminator update then one generator update (D G D G D G)")


@points(0.5)
def test_generator_update_follows_d_steps_discriminator_updates(v, ref):
    # the step schedule for d_steps > 1: a generator update right after the d_steps-th, 2 d_steps-th, ...
    # discriminator update (not after the 1st, d_steps + 1-th, ...), the count running on across epochs
    want = ref["parameters_of"]  # one-epoch runs first: a count restarted each epoch fails only the others
    for n, epochs, k in sorted(HIDDEN_RUNS, key=lambda run: run[1]):
        parameters_match(run_of(working(v).runs, (n, epochs, k)), want[_run_key((n, epochs, k))], (
            f"{n} batches, one epoch, d_steps={k}: a generator update right after discriminator updates number {k}, "
            f"{2 * k}, ..., none after update number 1" if epochs == 1 else f"{n} batches per epoch, {epochs} epochs "
            f"in one call, d_steps={k}: a generator update right after discriminator updates number {k}, {2 * k}, "
            "..., counted on across the epochs (the count does not restart with each epoch)"))


@points(0.25)
def test_each_update_draws_fresh_noise(v, ref):
    # "each with fresh noise", z ~ N(0, I): in every run, no z handed to two steps (the generator's step draws its
    # own), and pooled over the runs the draws have mean near 0 and spread near 1 (wide bounds); read once the players
    # end where the statement's schedule leads
    test_players_alternate_discriminator_first(v, ref)
    records = [value(r, "train_gan") for r in value(working(v).runs, "train_gan").values()]
    pooled = assert_no_noise_reused(records)
    # one row per real image of the batch (6 here) and latent_dim columns, for both players' noise
    rows = sorted({tuple(z.shape) for r in records for z in r["z"]} - {(6, 4)})
    if rows:
        raise AssertionError(f"expected every step's noise z to have one row per real image of its batch and "
                             f"generator.latent_dim columns, (6, 4) here, found z of shape {rows[0]}")
    draws = _torch().cat(pooled)
    mean, std = float(draws.mean()), float(draws.std()) if draws.numel() > 1 else 0.0
    if draws.numel() >= 100 and not (abs(mean) < 0.3 and 0.8 < std < 1.2):
        raise AssertionError(f"expected standard normal noise (torch.randn), found mean {mean:.2f} and standard "
                             f"deviation {std:.2f} over {draws.numel()} draws")


@points(0.25)
def test_batches_and_noise_on_the_generators_device(v, ref):
    # networks on PyTorch's meta device stand in for a GPU: a real batch or noise left elsewhere stops the run
    x = working(v).inputs
    history_matches(working(v).devices, {"d_loss": step_tags(x, "devices", "D", 2), "g_loss": step_tags(x, "devices", "G", 2)},
                    "devices")


_BASELINE_MADE_BY = "the training cell of the P1 baseline"


@points(1)
def test_saved_generator_draws_1000_new_images(v, ref):
    from dgmlab import metrics

    keep_graded_draw(v.files, v.seed_of, ref.keep)  # graded: the class dashboard's copy (nothing kept while you work)
    keep_record_verdict(v.files, v.seed_of, ref.keep)  # graded: is the training record one run (a listing, no points)
    _no_file_in_fast_mode(v, BASELINE_FILE)
    x, report = graded_draw(v.files, v.seed_of, BASELINE_FILE, made_by=_BASELINE_MADE_BY, own=own_draw(v))
    print("near-copy check:", report.summary())
    score, _ = metrics.mnist_score(x, splits=1, scale="[-1,1]")
    if not score >= FILE_POINT_SCORE:
        raise AssertionError(
            f"the {N_DRAWN:,} new images score {score:.2f} on the MNIST classifier, below {FILE_POINT_SCORE:g} (an untrained "
            f"generator scores 1.0): hand in the weights your full training run writes")


@points(2)
def test_mnist_classifier_score_above_the_bar(v, ref):
    from dgmlab import metrics

    _no_file_in_fast_mode(v, BASELINE_FILE)
    # weights that fail the checks above earn nothing here either
    x, _ = graded_draw(v.files, v.seed_of, BASELINE_FILE, made_by=_BASELINE_MADE_BY, own=own_draw(v))
    score, _ = metrics.mnist_score(x, splits=1, scale="[-1,1]")
    classes = metrics.mnist_predict(x, scale="[-1,1]").unique().numel()
    print(f"MNIST classifier score of the {N_DRAWN:,} samples: {score:.2f} (bar {BAR_SCORE}), digits recognised: "
          f"{classes} (need {BAR_CLASSES})")
    if not score >= BAR_SCORE:
        raise AssertionError(
            f"expected an MNIST classifier score of at least {BAR_SCORE}, found {score:.2f}: below the bar "
            "(a full 50-epoch run clears it; a run stopped early may not)")
    if not classes >= BAR_CLASSES:
        raise AssertionError(
            f"expected at least {BAR_CLASSES} of the 10 digit classes among the samples, found {classes}: "
            "the generator covers too few digits (mode collapse)")


CHECKS = [
    CheckSpec("p2_make_gan_tests", hidden_for="other unknown names", names=("make_gan",),
              visible=(test_baseline_generator_is_p1s, test_baseline_discriminator_and_d_steps_are_p1s,
                       test_deep_discriminator_adds_a_layer, test_wide_generator_doubles_only_the_generator,
                       test_latent_dim_argument_is_used,
                       test_other_names_raise_value_error,
                       test_d_steps_is_ten_only_for_d_steps_10, test_d_steps_10_keeps_p1s_networks,
                       test_fresh_networks_on_every_call),
              probe=_make_gan_probe, inputs=_with_working(_make_gan_inputs)),
    CheckSpec("p2_train_gan_tests", hidden_for="optimizer steps, the noise's law, both players learn", names=("train_gan",),
              visible=(test_history_lists_per_update, test_players_alternate_discriminator_first,
                       test_generator_update_follows_d_steps_discriminator_updates, test_each_update_draws_fresh_noise,
                       test_batches_and_noise_on_the_generators_device),
              probe=_train_gan_probe, inputs=_with_working(_train_gan_inputs)),
    CheckSpec("p2_baseline_samples_tests", names=(),
              visible=(test_saved_generator_draws_1000_new_images, test_mnist_classifier_score_above_the_bar),
              probe=own_draw_probe(BASELINE_FILE, made_by=_BASELINE_MADE_BY), files=(BASELINE_FILE, BASELINE_RECORD)),
]
