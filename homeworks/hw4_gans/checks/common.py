"""hw4_gans' checks: the helpers several parts use (seeded draws, parameters and gradients, trainable networks,
the update steps' stand-in networks, the two cells graded from handed-in weights and what the grader measures).
"""
from __future__ import annotations

from dgmlab.probes import (
    TestFailure,
    _torch,  # lazy imports
    asserts,
    usable,
)

from . import players

EXPERIMENTS = ("baseline", "wide_generator", "deep_discriminator", "d_steps_10")  # the statement's names
BASELINE_FILE, CGAN_FILE, RESULTS_FILE = "baseline_generator_weights.pt", "cgan_generator_weights.pt", "hw4_results.json"
BASELINE_RECORD = "baseline_training_record.pt"  # the run that made BASELINE_FILE (dgmlab.checkpoint_record)
MAX_WEIGHTS_BYTES = 1_500_000
FULL_EPOCHS = 50
N_DRAWN = 1000  # images the grader draws from each handed-in generator (the cGAN: 100 of each digit). At 100, the kit's
# own 50-epoch runs fell under their bars on 2 (baseline) and 1 (cGAN) of 200 keyed draws: docs/hw4_gans.md


def _nn():
    return _torch().nn


def _randn(g, *shape):
    return _torch().randn(*shape, generator=g, dtype=_torch().float32)


def _uniform(g, *shape):
    """Uniform on [-1, 1), like pixels scaled to [-1, 1]."""
    return _torch().rand(*shape, generator=g, dtype=_torch().float32) * 2 - 1


def _seed_torch(x):
    _torch().manual_seed(x["torch_seed"])  # the networks' starting weights, the same on every run of the probe


def value(v, what: str = "the value"):
    """``v``, or fails the test saying the student's code raised (a value nested in the probe's data)."""
    return usable(what, v)


def _params(module) -> list:
    """Copies of ``module``'s parameters, or of ``module`` itself when it is the list of Parameter objects captured
    before the student's code ran (so a step that strips the module of its parameters cannot empty the record)."""
    return [p.detach().clone() for p in _parameter_list(module)]


def _grads(module) -> list:
    return [None if p.grad is None else p.grad.detach().clone() for p in _parameter_list(module)]


def _parameter_list(module) -> list:
    return module if isinstance(module, list) else list(module.parameters())


def paired(got, want, what: str):
    """``zip(got, want, strict=True)`` once ``got`` is a list or tuple of exactly as many entries as ``want``: a short
    or empty record fails here, naming ``what``, instead of passing on the entries it has."""
    n = len(want)
    found = len(got) if isinstance(got, (list, tuple)) else type(got).__name__
    if not (isinstance(got, (list, tuple)) and len(got) == n):
        raise AssertionError(f"expected {n} {what}, found {found}")
    return zip(got, want, strict=True)


# ------------------------------------------------------------------ trainable networks
# A network is graded only if it can be trained: a probe runs the student's network, built as the cell builds it,
# with gradients on, and records which of its parameters a gradient reaches from the output (a seeded weighted sum
# of it). Every test of a network's cell (visible and hidden) asks assert_trainable first, so a forward pass
# computed outside autograd (under torch.no_grad(), .detach(), .item() or a numpy round trip) earns nothing.
def _gradients(net, run) -> dict:
    """Which parameters of ``net`` a gradient reaches from ``run(net)``: ``{"n": how many parameters, "graph":
    whether the output carries a graph, "unreached": how many no (finite, nonzero) gradient reaches, "shapes": their
    shapes, as text}``."""
    torch = _torch()
    params = list(net.parameters())
    with torch.enable_grad():
        out = run(net)
    graph = isinstance(out, torch.Tensor) and out.is_floating_point() and out.requires_grad
    live = [p for p in params if p.requires_grad]
    grads = {}
    if graph and live:
        weights = torch.randn(out.shape, generator=torch.Generator().manual_seed(7), dtype=out.dtype)
        found = torch.autograd.grad((out * weights).sum(), live, allow_unused=True)
        grads = {id(p): g for p, g in zip(live, found, strict=True)}
    reached = [g is not None and bool(torch.isfinite(g).all()) and bool((g != 0).any())
               for g in (grads.get(id(p)) for p in params)]
    without = [tuple(int(d) for d in p.shape) for p, ok in zip(params, reached, strict=True) if not ok]
    return {"n": len(params), "graph": bool(graph), "unreached": len(without),
            "shapes": ", ".join(str(shape) for shape in without[:4]) + (", ..." if len(without) > 4 else "")}


def assert_trainable(record, what: str) -> None:
    """Fails unless gradients reach every parameter of the student's network ``what`` from its output (the record
    of :func:`_gradients`): a network that cannot be trained earns none of its cell's points."""
    r = value(record, f"{what} run with gradients on")
    n, unreached = int(r["n"]), int(r["unreached"])
    if not n > 0:
        raise AssertionError(
            f"{what} has no parameters, so training cannot change it: build its layers in __init__ "
            "(nn.Linear, nn.Embedding) so they are the module's parameters")
    if not r["graph"]:
        raise AssertionError(
            f"{what} returns an output no gradient flows through, so the network cannot be trained: "
            "compute forward with its layers, without torch.no_grad(), .detach(), .item() or numpy")
    if unreached != 0:
        raise AssertionError(
            f"no gradient reaches {unreached} of the {n} parameters of {what} from its output "
            f"(shapes {r['shapes']}), so training would never change them: use every layer in "
            "forward, without torch.no_grad(), .detach() or numpy in between")


def _moved(record, start, what: str, player: str) -> None:
    """Fails unless the step (its ``record``) left ``player``'s parameters other than ``start``: a step that never
    updates its player earns none of its cell's points."""
    torch = _torch()
    after = value(record, "the step")["after"]
    same = isinstance(after, (list, tuple)) and len(after) == len(start) and all(
        isinstance(p, torch.Tensor) and p.shape == w.shape and torch.equal(p, w)
        for p, w in zip(after, start, strict=True))
    if same:
        raise AssertionError(
            f"expected {what} to change the {player}'s parameters (one step of its optimizer on the "
            f"gradients of its loss), found them unchanged: is loss.backward() called before the "
            "optimizer's step, on a loss computed with gradients on?")


# ------------------------------------------------------------------ stand-ins for testing update steps
def _tiny(n_classes=0):
    torch, nn, F = _torch(), _nn(), _torch().nn.functional

    class TinyGenerator(nn.Module):
        """z (N, 4) -> (N, 784) in (-1, 1)."""

        def __init__(self):
            super().__init__()
            self.latent_dim, self.n_classes = 4, n_classes
            self.fc = nn.Linear(4 + n_classes, 784)

        def forward(self, z, labels=None):
            if self.n_classes:
                z = torch.cat([z, F.one_hot(labels, self.n_classes).float()], dim=1)
            return torch.tanh(self.fc(z))

    class TinyDiscriminator(nn.Module):
        """(N, 784) -> logits (N, 1)."""

        def __init__(self):
            super().__init__()
            self.n_classes = n_classes
            self.fc = nn.Linear(784 + n_classes, 1)

        def forward(self, x, labels=None):
            x = x.reshape(len(x), -1)
            if self.n_classes:
                x = torch.cat([x, F.one_hot(labels, self.n_classes).float()], dim=1)
            return self.fc(x)

    return TinyGenerator(), TinyDiscriminator()


def _sgd(params, lr=0.1):
    return _torch().optim.SGD(params, lr=lr)


def _named(name: str):
    """Give a visible test the name it has in its cell (two cells' tests may share a name)."""
    def rename(fn):
        fn.__name__ = fn.__qualname__ = name
        return fn
    return rename


def _seeded(seed: int, salt: int) -> dict:
    return {"torch_seed": int((int(seed) * 7919 + salt) % 2**31)}


# ------------------------------------------------------------------ visible tests: recorded values on the working seed
# A converted cell's inputs carry, under "working", the visible tests' own draw (dgmlab.probes.with_working), and its
# probe runs the student's code on both (on_working): hidden tests read the values on the grading seed's inputs and
# compare them with the grader's references (homeworks.hw4_gans.hidden.references); visible tests read the values
# on their own draw (working) and compare them with ref, the cell's reference values (dgmlab.probes.Ref): in a
# self-check what those references gave on the working seed's draw, recorded with the kit (dgmlab.probes.expected);
# graded, the references computed in the judge.


# ------------------------------------------------------------------ P1.1 the generator
# The networks are graded on the grader's seeded parameters: each tensor goes into the parameter of the student's
# network with its shape (unique in these MLPs), and the outputs on seeded inputs are compared with what the
# statement's network computes with them (the grader's mlp_forward, homeworks.hw4_gans.hidden.references, which it
# also draws from handed-in weights with; the student package holds only the shapes, dgmlab.artifacts.mlp_shapes).
def _param_shapes(in_dim, widths, out_dim, embedding=None):
    from dgmlab import artifacts

    return artifacts.mlp_shapes(in_dim, widths, out_dim, embedding)


def _seeded_params(g, shapes):
    """One tensor per shape: weights (out, in) N(0, 2 / in), biases N(0, 0.1^2)."""
    torch = _torch()
    return [torch.randn(s, generator=g) * ((2.0 / s[1]) ** 0.5 if len(s) == 2 else 0.1) for s in shapes]


def load_by_shape(module, params, what):
    """``module`` with each tensor of ``params`` copied into its parameter of the same shape (else a ValueError
    naming what differs from the statement's network)."""
    torch = _torch()
    mine = list(module.parameters())
    want = sorted(tuple(p.shape) for p in params)
    got = sorted(tuple(p.shape) for p in mine)
    if got != want:
        raise ValueError(f"{what} has parameters of shapes {got}; the statement's network has {want}")
    by_shape = {tuple(p.shape): p for p in params}
    with torch.no_grad():
        for p in mine:
            p.copy_(by_shape[tuple(p.shape)])
    return module


def _gradients_of(make, run, **kwargs):
    """:func:`_gradients` of the student's network ``make(**kwargs)`` (its own starting weights)."""
    return _gradients(make(**kwargs), run)


def _step_lr(g) -> float:
    """The graded steps' SGD learning rate, drawn from the seed in [0.03, 0.3] (drawn last: the other inputs are
    those of a seed without it): a step that updates by hand instead of through its optimizer misses it."""
    return 0.03 + 0.27 * (float(_uniform(g, 1)[0]) + 1) / 2


def seeded_tiny(x, n_classes=0):
    """The stand-in networks with the seeded starting parameters ``x["G0"]``, ``x["D0"]`` (probe and grader alike)."""
    g, d = _tiny(n_classes)
    return load_by_shape(g, x["G0"], "the stand-in generator"), load_by_shape(d, x["D0"], "the stand-in discriminator")


def _planted(module, grads):
    for p, gr in zip(module.parameters(), grads, strict=True):
        p.grad = gr.clone()


def _from_the_seeded_start(x, player, take_step, stale=False, lr=None, real_from_g=False, n_classes=0,
                           d_training=True):
    """The student's step ``take_step(g, d, opt, real)`` from the seeded start: what it returns, the player's
    parameters after it, the other player's parameters and gradients after it. The other player holds the grader's
    planted gradients before the step; with ``stale``, the player too (a step must clear its own, not the other's).
    The generator starts in training mode, the discriminator in the mode ``d_training`` says; ``d_passes``: the
    passes through the discriminator during the step, ``d_eval_passes``: those made in eval mode; ``left``: what the
    step left of the other player's state (:func:`players.state`)."""
    torch = _torch()
    g, d = seeded_tiny(x, n_classes)
    d.train(d_training)
    mine, other = (g, d) if player == "G" else (d, g)
    _planted(other, x[("D" if player == "G" else "G") + "_grads"])
    if stale:
        for p in mine.parameters():
            p.grad = torch.ones_like(p)  # a stale gradient from an earlier step
    # the Parameter objects, captured before the step: read after it whatever the step does to the modules
    mine_p, other_p = list(mine.parameters()), list(other.parameters())
    d_modes = []  # the discriminator's mode (training or not) at each pass through it during the step
    d.register_forward_pre_hook(lambda module, args: d_modes.append(bool(module.training)))
    real = x["real"].clone()
    if real_from_g:  # a batch whose real images are the generator's own fakes for z
        with torch.no_grad():
            real = g(x["z"]).detach().clone()
    returned = take_step(g, d, _sgd(mine.parameters(), x["lr"] if lr is None else lr), real)
    return {"returned": returned, "after": _params(mine_p), "other_after": _params(other_p),
            "other_grads": _grads(other_p), "d_passes": len(d_modes), "d_eval_passes": d_modes.count(False),
            "d_training_after": bool(d.training), "left": players.state(other, other_p)}


def dropout_stayed_on(record, step: str = "the discriminator step") -> None:
    """Fails unless the discriminator was in training mode (dropout on) in every pass of a step's ``record`` (of
    :func:`_from_the_seeded_start` or P3's probe) and after it: it learns with its dropout on."""
    r = value(record, "the step")
    if not r["d_passes"]:
        raise AssertionError(f"expected {step} to run the discriminator, found no pass through it")
    if r["d_eval_passes"]:
        raise AssertionError(
            f"expected the discriminator in training mode (dropout on) in every pass of {step}, found "
            f"{r['d_eval_passes']} of {r['d_passes']} passes in eval mode: the discriminator learns with its dropout "
            "on (no .eval() in the step)")
    if not r["d_training_after"]:
        raise AssertionError(f"expected {step} to leave the discriminator in training mode, found it in "
                             "eval mode afterwards: the next step would learn without dropout")


def _shown(out) -> str:
    return f"{out:.5f}" if isinstance(out, float) else f"a {type(out).__name__}"


def _returned_float(record, want, what, also=()):
    """Fails unless the step record's return value is a Python float equal to ``want`` (or one of ``also``)."""
    out = value(record, "the step")["returned"]
    if not isinstance(out, float):
        raise AssertionError(
            f"expected {what} to return the loss as a Python float, found {type(out).__name__} (use loss.item())")
    ok = any(abs(out - w) < 1e-5 * (1 + abs(w)) for w in (want, *also))
    if not ok:
        raise AssertionError(
            f"expected {what} to return this batch's loss as a float, the statement's loss on "
            f"this batch; found {out:.5f}, {asserts.off_by(out, want)} (the step computes it with your loss function, "
            "whose own tests come first)")
    return out


# ------------------------------------------------------------------ P2.2: the updates train_gan's stand-in steps make
def stand_in_d_step(*, generator, discriminator, d_opt, real, z):
    """The update a stand-in discriminator step makes (in the kernel and in the grader's replay alike): one step of
    ``d_opt`` that lowers the scores of the real batch and raises those of the fakes, the opposite of what any
    discriminator or critic step does, and leaves gradients in the generator, which no step of the statement does:
    what runs in the kernel answers no question of the kit (a least-squares step here earned points of hw4 P1's
    steps and 1.5 of hw2 P5's generator step). The generator's step clears them before its own; the replay only
    needs the same update as the probe's. Keyword-only, so it cannot stand in for a step the statement asks for
    (called as ``discriminator_step`` it kept P1.4's training-mode point)."""
    d_opt.zero_grad()
    fake = generator(z)
    (discriminator(real).mean() - discriminator(fake).mean()).backward()
    d_opt.step()


def stand_in_g_step(*, generator, discriminator, g_opt, z):
    """The stand-in generator step's update: one step of ``g_opt`` that lowers the discriminator's scores of the
    fakes, the opposite of any generator step (see :func:`stand_in_d_step`)."""
    g_opt.zero_grad()
    discriminator(generator(z)).mean().backward()
    g_opt.step()


# ------------------------------------------------------------------ graded from handed-in weights (in the grader)
def _no_file_in_fast_mode(v, name) -> bool:
    """Fails, earning 0, when fast mode left no ``name`` to read (it writes only a throw-away copy under artifacts/):
    these points come from the file alone, so a self-check without it must not show them earned."""
    from dgmlab import runtime

    if runtime.mode() == "fast" and name not in v.files:
        raise TestFailure(f"no {name} yet: fast mode writes none, so this test earns 0 here; train in full mode "
                          "(without DGMLAB_FAST) to write the file, then run this cell again")
    return False


def graded_generator(files, seed_of, name, *, made_by, conditional=False, own=None):
    """``(the kit's own generator with the handed-in weights ``name`` in it, the draw's seed)``, read by the grader
    from the file as handed in; else an :class:`dgmlab.artifacts.ArtifactError` saying why it earns 0. ``own``: in a
    self-check, the draw the notebook's own generator made from the file in its kernel (:func:`own_draw_probe`)."""
    import io

    from dgmlab import artifacts

    torch = _torch()
    if name not in files:
        raise artifacts.ArtifactError(
            f"no {name} in the homework folder, so this test earns 0 points: train in full mode, run {made_by} "
            f"(it writes {name}) and submit {name} together with the notebook")
    data = files[name]
    if len(data) > MAX_WEIGHTS_BYTES:
        raise artifacts.ArtifactError(f"{name} is {len(data):,} bytes, more than the {MAX_WEIGHTS_BYTES:,} a file of "
                                      f"this kind can be; submit the file {made_by} writes, unchanged")
    seed = seed_of(name)  # 0 while you work; under dgmlab autograde, the autograder's own for this file
    try:
        state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # a damaged file, or one holding objects other than tensors
        why = (str(exc).splitlines() or [""])[0][:160] or type(exc).__name__
        raise artifacts.ArtifactError(f"{name} could not be read with torch.load(weights_only=True) (save tensors "
                                      f"with torch.save, as {made_by} does): {why}") from None
    layout = dict(in_dim=100, widths=(128, 256, 512), embedding=(10, 10) if conditional else None,
                  name=f"the weights in {name}",
                  spec=("P3's conditional generator ([z, embedding] 110 -> 128 -> 256 -> 512 -> 784)" if conditional
                        else "P1's generator (100 -> 128 -> 256 -> 512 -> 784)"))
    return _drawing(state, layout, conditional, own=own, seed=seed), seed


def _drawing(state, layout: dict, conditional: bool, *, own=None, seed=None):
    """A function of ``z`` (and ``labels``) drawing from the handed-in ``state``: graded, the grader's statement
    generator (``homeworks.hw4_gans.hidden.references.mlp_generator``, which the grader hands over:
    :func:`dgmlab.probes.use_grader_side`); in a student's self-check the tensors, checked
    and placed by shape, in the notebook's own ``Generator`` (``ConditionalGenerator``): the student package holds
    the layout, never the network's computation. A self-check judges the draw the cell's probe made so in the kernel,
    ``own()`` (:func:`own_draw_probe`): the notebook's test cell and ``dgmlab check``, which judges outside the
    kernel, read the same draw."""
    from dgmlab import artifacts
    from dgmlab.probes import WORKING_SEED, grader_side

    grader = getattr(grader_side("hw4_gans"), "references", None)  # handed over by the grader, never imported
    if grader is not None:
        return grader.mlp_generator(state, **layout)
    tensors = artifacts.mlp_tensors(state, **layout)
    drawn = own() if own is not None else None
    if drawn is not None and seed == WORKING_SEED:  # the kernel drew with the working seed's noise, as the judge
        torch = _torch()
        out = (drawn if isinstance(drawn, torch.Tensor) else torch.as_tensor(drawn)).float()  # float16 on the wire
        return (lambda z, labels: out) if conditional else (lambda z: out)
    import __main__

    kind = "ConditionalGenerator" if conditional else "Generator"
    cls = getattr(__main__, kind, None)
    if cls is None:
        raise artifacts.ArtifactError(f"run the cell that defines {kind} first: the images are made from "
                                      f"{layout['name']} with your {kind}")
    net = load_by_shape(cls(), tensors, f"your {kind}()").eval()
    return (lambda z, labels: net(z, labels)) if conditional else (lambda z: net(z))


def graded_draw(files, seed_of, name, *, made_by, labels=None, own=None):
    """The ``N_DRAWN`` images the grader draws from the handed-in weights ``name`` with the kit's own generator (P1's,
    or P3's conditional one when ``labels`` are given) and their near-copy report, once the file passes every check
    but the bar (else an :class:`dgmlab.artifacts.ArtifactError` saying why it earns 0); ``own``: see
    :func:`graded_generator`."""
    from dgmlab import artifacts

    torch = _torch()
    conditional = labels is not None
    generator, seed = graded_generator(files, seed_of, name, made_by=made_by, conditional=conditional, own=own)
    z = torch.randn(N_DRAWN, 100, generator=torch.Generator().manual_seed(seed))  # (N_DRAWN, 100)
    with torch.no_grad():
        out = generator(z, labels) if conditional else generator(z)
    x = artifacts.samples(out, n=N_DRAWN, name=f"the images drawn from {name}")
    return x, artifacts.require_new(x)


def own_draw_probe(name, *, made_by, labels=None):
    """The probe of a cell graded from the handed-in weights ``name``: in the kernel, the ``N_DRAWN`` images the
    notebook's own generator draws from the file beside the notebook with the working seed's noise (``{"own_draw":
    images}``, float16 on the wire: 1.6 MB; ``None`` without the file), ``labels()`` the conditional draw's labels. Only a self-check judges them
    (:func:`_drawing`): graded, the grader draws from the file itself."""
    from dgmlab.probes import WORKING_SEED, attempt

    def draw():
        from dgmlab import workspace
        from dgmlab.probes.judgement import HandedIn

        files = HandedIn(workspace.folder(), (name,))
        if name not in files:
            return None
        torch = _torch()
        generator, seed = graded_generator(files, lambda n: WORKING_SEED, name, made_by=made_by,
                                           conditional=labels is not None)
        z = torch.randn(N_DRAWN, 100, generator=torch.Generator().manual_seed(seed))  # (N_DRAWN, 100)
        with torch.no_grad():
            out = generator(z) if labels is None else generator(z, labels())
        return out.detach().half().cpu() if isinstance(out, torch.Tensor) else out

    def probe(o, x):
        return {"own_draw": attempt(draw)}

    return probe


def own_draw(v):
    """``own`` for :func:`graded_draw` in a visible test: the probe's draw (:func:`own_draw_probe`), read on use."""
    return lambda: v.own_draw


DASHBOARD_DRAW = "graded_draw_100.pt"  # the class dashboard shows it (dgmlab.grading.report.analysis.ARTIFACTS)


def keep_graded_draw(files, seed_of, keep) -> None:
    """Leave the first 100 images of the grader's draw from the handed-in baseline weights (the graded draw, copies or
    not) for the class dashboard through the judge's ``keep(name, bytes)``; nothing where the judge offers no ``keep``
    or the file cannot be drawn from (the cell's tests say why). Never raises: it decides no points."""
    import io

    if keep is None:
        return
    try:
        from dgmlab import artifacts

        torch = _torch()
        generator, seed = graded_generator(files, seed_of, BASELINE_FILE, made_by="the training cell of the P1 baseline")
        with torch.no_grad():
            x = artifacts.samples(generator(torch.randn(N_DRAWN, 100, generator=torch.Generator().manual_seed(seed))),
                                  n=N_DRAWN, name=f"the images drawn from {BASELINE_FILE}")
        buf = io.BytesIO()
        torch.save(x[:100].clone(), buf)
        keep(DASHBOARD_DRAW, buf.getvalue())
    except Exception:  # noqa: BLE001 - an unusable file is the tests' business, not the dashboard's
        return


def keep_record_verdict(files, seed_of, keep) -> None:
    """Graded, whether the baseline's training record is one run (the grader's side,
    ``homeworks.hw4_gans.hidden.training_record``): said, and kept for ``dgmlab report``, which lists a record that
    is missing or not one run as "needs a look". Nothing while you work; never raises: it decides no points."""
    from dgmlab.probes import grader_side

    check = getattr(grader_side("hw4_gans"), "training_record", None)
    if keep is None or check is None:
        return
    try:
        found = check.judge(files, seed_of, keep, BASELINE_FILE, BASELINE_RECORD)
    except Exception:  # noqa: BLE001 - a fault of the check's, never the cell's points
        return
    if found is not None:
        print(found.line())


MEASURE_N = 2000  # images the grader draws to measure a handed-in generator's results (scored in splits of 500)


def measured_results(files, seed_of) -> dict:
    """What the grader measures from the two handed-in generators, as the notebook's runners record it in
    ``hw4_results.json``: the baseline's MNIST classifier score (splits of 500 images, as 5,000 in 10 splits) and
    the conditional GAN's conditional accuracy (the same number of images per digit)."""
    from dgmlab import metrics

    torch = _torch()
    out = {}
    generator, seed = graded_generator(files, seed_of, BASELINE_FILE, made_by="the training cell of the P1 baseline")
    with torch.no_grad():
        x = generator(torch.randn(MEASURE_N, 100, generator=torch.Generator().manual_seed(seed)))
    out["baseline"] = float(metrics.mnist_score(x, splits=MEASURE_N // 500, scale="[-1,1]")[0])
    generator, seed = graded_generator(files, seed_of, CGAN_FILE, made_by="the training cell of the conditional GAN",
                                       conditional=True)
    y = torch.arange(10).repeat_interleave(MEASURE_N // 10)
    with torch.no_grad():
        x = generator(torch.randn(MEASURE_N, 100, generator=torch.Generator().manual_seed(seed)), y)
    out["cgan"] = int((metrics.mnist_predict(x, scale="[-1,1]") == y).sum()) / len(y)
    return out


# The file points' loose bars (red team F2: an untrained generator's 100 new images earned the point): far below the
# graded bars (BAR_SCORE, BAR_ACCURACY), far above an untrained generator (score 1.0, accuracy 10%); the reference run
# after 5 of 50 epochs reaches 4.78 and 79%.
FILE_POINT_SCORE, FILE_POINT_ACCURACY = 3.0, 0.5
# the graded bars, on N_DRAWN images (the calibration over keyed draws: docs/hw4_gans.md)
BAR_SCORE, BAR_CLASSES, BAR_ACCURACY = 8.0, 9, 0.95
