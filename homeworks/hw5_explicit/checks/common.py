"""hw5_explicit's checks: what several parts use (the graded files' names, the notebook's symbols, seeded draws, the
not-as-stated signal of the kit's loaders, gradient and value helpers) and the two weights files' visible points
(reading a handed-in file, the shipped training digits they run on, their property checks and measurements)."""
from __future__ import annotations

from dgmlab.probes import NotAsAsked, TestFailure, _sp, _torch  # lazy imports

P1_WEIGHTS_FILE = "p1_pixelcnn_weights.pt"
P2_WEIGHTS_FILE = "p2_realnvp_weights.pt"


def symbols() -> dict:
    """The notebook's fixed symbols (its locked cells q2_symbols, q3_symbols)."""
    sp = _sp()
    x_sym, z_sym = sp.symbols("x z", real=True)
    return {"x_sym": x_sym, "z_sym": z_sym, "standard_normal": sp.exp(-z_sym ** 2 / 2) / sp.sqrt(2 * sp.pi),
            "theta": sp.symbols("theta", positive=True)}


def _seeded(seed: int, salt: int):
    """A context that seeds torch's global generator (for a student's sampling) and restores it after."""
    import contextlib

    torch = _torch()

    @contextlib.contextmanager
    def scope():
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed((int(seed) * 1_000_003 + salt) % 2**63)
            yield

    return scope()


def _seeded_named(g, shapes):
    """One float64 tensor per name: weights N(0, 1/fan_in), biases N(0, 0.2^2)."""
    torch = _torch()
    return {name: torch.randn(shape, generator=g, dtype=torch.float64)
            * ((1.0 / shape[1]) ** 0.5 if len(shape) == 2 else 0.2) for name, shape in shapes.items()}


# ---------------------------------------------------------------------- visible tests: recorded values
# Converted cells: dgmlab.probes.with_working, on_working and working (what their visible tests compare with: ref,
# what the grader's references gave on those inputs, recorded with the kit).
def _row(t):
    return "[" + ", ".join(f"{v:.4f}" for v in t.tolist()) + "]"


# The kit's loaders (the grader's parameters copied into the student's network) find a network without the stated
# parameters: that is what the hint says, not "your code raised" (the student's code raised nothing).
NOT_AS_STATED = "not_as_stated"


class NotAsStated(ValueError):
    """The student's network does not have the parameters its docstring states (found by the kit's loader)."""


def _stated(fn, *args):
    """``fn(*args)``, or ``{NOT_AS_STATED: why}`` when the kit's loader found the network not as stated."""
    try:
        return fn(*args)
    except NotAsStated as exc:
        return {NOT_AS_STATED: str(exc)}


def as_stated(value):
    """``value``; a failing test saying why when the probe found the network not as stated."""
    if isinstance(value, dict) and NOT_AS_STATED in value:
        raise AssertionError(str(value[NOT_AS_STATED]))
    return value


def _detached(t):
    return t.detach().clone() if isinstance(t, _torch().Tensor) else t


def _graph_output(t, what):
    torch = _torch()
    if not isinstance(t, torch.Tensor) or not t.requires_grad:
        raise NotAsAsked(f"{what} has no gradient with respect to the inputs (found "
                        f"{type(t).__name__ if not isinstance(t, torch.Tensor) else 'a tensor without a graph'}): "
                        f"use torch operations throughout, with no .detach(), .item(), .numpy() or torch.no_grad()")
    return t


def _without_gradient(module, output):
    """The names of ``module``'s parameters that ``output`` (a tensor, or a tuple of tensors) has no gradient for; a
    TypeError when it has no graph at all (computed outside autograd)."""
    torch = _torch()
    outs = output if isinstance(output, (tuple, list)) else (output,)
    total = sum(_graph_output(t, "the output").double().sum() for t in outs)
    named = list(module.named_parameters())
    found = torch.autograd.grad(total, [p for _, p in named], allow_unused=True)
    return [name for (name, _), g in zip(named, found, strict=True) if g is None]


def _gradients_reach(missing, what, trained):
    missing = as_stated(missing)
    if not isinstance(missing, list):
        raise AssertionError(f"could not tell which parameters of {what} get a gradient: its output is not a tensor with a graph")
    if missing:
        raise AssertionError(
            f"{what}: no gradient reaches {', '.join(missing[:4])}{' ...' if len(missing) > 4 else ''}; training "
            f"changes {trained} by their gradients, so compute the forward pass with torch operations on them (no "
            f"torch.no_grad(), .detach() or new tensors)")


def _close(a, b, tol=1e-6):
    torch = _torch()
    return isinstance(a, torch.Tensor) and a.shape == b.shape and torch.allclose(a.double(), b.double(), atol=tol,
                                                                                 rtol=tol)


def _returned(out, name):
    out = as_stated(out)
    if not (isinstance(out, dict) and set(out) == {"z", "log_det"}):
        raise AssertionError(f"{name} did not return (z, log_det)")
    return out["z"], out["log_det"]


def _maybe(v, name):
    """A value the probe handed back for a hint only: None when the student's code raised on it."""
    try:
        return getattr(v, name)
    except Exception:
        return None


# ====================================================================== the two weights files
def _file_from_full_mode(v, name):
    """Fail the test, earning 0, when fast mode (CI's smoke run, a student's quick check) wrote no ``name``: a cell
    whose graded file does not exist earns nothing, in the kernel as in the grader (issue 54 finding 1)."""
    from dgmlab import runtime

    if runtime.mode() == "fast" and name not in v.files:
        raise TestFailure(f"no {name} yet: train in full mode (fast mode writes no file) and save it beside the "
                          f"notebook")


def _network_for(name, network):
    """The network a handed-in file is loaded into: the grader's stand-in where the grader is installed (graded), else
    the notebook's own class (a student's self-check), as the docstring's arguments build it. The kit holds no network
    that computes (a forward pass would answer the homework)."""
    from dgmlab.probes import grader_side

    cls_name, args, maker, _ = network
    graded = getattr(grader_side("hw5_explicit"), "references", None)  # handed over by the grader, never imported
    if graded is not None:
        return getattr(graded, maker)()
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - a self-check runs in the notebook's kernel
        get_ipython = None
    shell = get_ipython() if get_ipython is not None else None
    cls = None if shell is None else shell.user_ns.get(cls_name)
    if cls is None:
        raise TestFailure(f"{name} is read into your {cls_name}{args or '()'}, which is not defined yet: run the cells "
                          f"that define {cls_name} first")
    return cls(*args)


def _file_network(v, name, made_by, network):
    """The stated network ``network`` (its class's name, the docstring's arguments, the grader's stand-in, its layout;
    each part's ``P<n>_FILE_NETWORK``) with the weights of the handed-in file ``name`` in it, once their names and
    shapes are the layout's."""
    from dgmlab import artifacts

    state = artifacts.load_bytes(v.files[name], name=name, max_bytes=MAX_FILE_BYTES, made_by=made_by)
    layout = network[3]()
    if isinstance(state, dict) and {k: tuple(getattr(t, "shape", ())) for k, t in state.items()} != layout:
        # the names and shapes the docstrings state, checked before any network is built
        got = {k: tuple(getattr(t, "shape", ())) for k, t in state.items()}
        missing, extra = sorted(set(layout) - set(got)), sorted(set(got) - set(layout))
        wrong = sorted(k for k in set(got) & set(layout) if got[k] != layout[k])
        detail = "; ".join(part for part in (
            f"missing {', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''}" if missing else "",
            f"not in the stated network: {', '.join(extra[:3])}{' ...' if len(extra) > 3 else ''}" if extra else "",
            ", ".join(f"{k} has shape {got[k]} (stated {layout[k]})" for k in wrong[:3])) if part)
        raise TestFailure(f"the weights in {name} are not those of the stated network ({detail}): hand in the file "
                          f"{made_by} writes with the full settings, unchanged")
    return artifacts.load_weights(_network_for(name, network), state, name=f"the weights in {name}")


MAX_FILE_BYTES = 64 * 2**20  # what a cell reads at all (dgmlab.probes.MAX_FILE_BYTES); the hidden tests are stricter


# The visible points' properties and digits. The grader's likelihood bars use other digits (the shipped test
# digits, in the hidden tests); these are the first digits of the shipped training sample, which every student has.
def _training_digits(n: int, scale: str):
    """The first ``n`` digits of the shipped MNIST training sample, ``(n, 1, 28, 28)`` float32: binarised at 0.5
    (``scale="binary"``, as P1's data) or 8-bit values / 255 (``"[0,1]"``)."""
    from dgmlab.data import load_sample

    torch = _torch()
    x, _ = load_sample(train=True)
    x = torch.from_numpy(x[:n].astype("float32") / 255.0).reshape(n, 1, 28, 28)
    return (x > 0.5).float() if scale == "binary" else x


def _assert_causal(model, positions=((10, 10), (20, 5)), shape=(1, 1, 28, 28)) -> None:
    """Raise ``AssertionError`` unless the logit at each (i, j) of ``positions`` has zero gradient with respect to
    the pixels at and after (i, j) in raster order: otherwise the NLL is not a likelihood (a model that sees the pixel
    it predicts scores near 0 nats)."""
    torch = _torch()
    model.eval()
    x = torch.bernoulli(torch.full(shape, 0.5), generator=torch.Generator().manual_seed(0))
    x.requires_grad_(True)
    logits = model(x)
    H, W = shape[-2:]
    for i, j in positions:
        (grad,) = torch.autograd.grad(logits[0, 0, i, j], x, retain_graph=True)
        later = grad[0, 0].flatten()[i * W + j:]
        if later.abs().max() > 0:
            k = int(later.abs().argmax()) + i * W + j
            raise AssertionError(f"the model is not causal: its logit at pixel ({i}, {j}) depends on pixel "
                                 f"({k // W}, {k % W}), at or after it in raster order, so its NLL is not a likelihood")


def _assert_log_det(flow, v, tol: float = 0.05) -> None:
    """Raise ``AssertionError`` unless ``flow(v)``'s log-determinant matches ``slogdet`` of autograd's full
    Jacobian dz/dv (float64) for the first row of ``v`` (the flow's own input), within ``tol`` nats."""
    import copy

    torch = _torch()
    flow.eval()
    v = v[:1].double()
    flow64 = copy.deepcopy(flow).double()
    jac = torch.autograd.functional.jacobian(lambda u: flow64(u.unsqueeze(0))[0][0], v[0], vectorize=True)
    sign, want = torch.linalg.slogdet(jac)
    with torch.no_grad():
        got = float(flow64(v)[1][0])
    if sign <= 0 or abs(got - float(want)) > tol:
        raise AssertionError(f"the flow's log-determinant is {got:.2f} on a digit, but the Jacobian's log|det| is "
                             f"{float(want):.2f}: with a wrong log-determinant its likelihood is not one")


def pixel_accuracy(net, x) -> float:
    """The share of the pixels of binary images ``x`` where ``net(x)``'s logit is > 0 exactly where the pixel is 1."""
    torch = _torch()
    net.eval()
    with torch.no_grad():
        logits = net(x)
    return float(((logits > 0).float() == x).float().mean())


def flow_on_digits(flow, x):
    """``(mean z_i^2, mean log|det| per dimension)`` of ``flow`` on images ``x`` (8-bit values / 255) at the middle of
    their dequantisation bins, sent through torch.logit: the printed transform without its alpha (which moves v by at
    most 6e-4 there, for alpha = 1e-6; the grader's likelihood uses the printed transform itself)."""
    flow.eval()
    v = flow_input(x)
    with _torch().no_grad():
        z, log_det = flow(v)
    return float((z ** 2).mean()), float(log_det.mean()) / v.shape[1]


def flow_input(x):
    """Images ``x`` (8-bit values / 255) at the middle of their dequantisation bins, sent through torch.logit: what
    :func:`flow_on_digits` feeds the flow, ``(N, D)``."""
    torch = _torch()
    return torch.logit((torch.round(x.reshape(len(x), -1) * 255) + 0.5) / 256)


def _state_names(module):
    """The names in ``module``'s state dict (parameters and buffers: what a weights file holds), sorted."""
    return sorted(module.state_dict())


def _assert_names(got, want, what, why):
    """``got`` (a probe's :func:`_state_names`) holds the names ``want``; an error naming the first that differ."""
    if not isinstance(got, list):
        raise AssertionError(f"the state dict of {what} could not be read ({got})")
    missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
    if not (missing or extra):
        return
    detail = "; ".join(part for part in (
        f"missing {', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''}" if missing else "",
        f"not stated: {', '.join(extra[:3])}{' ...' if len(extra) > 3 else ''}" if extra else "") if part)
    raise AssertionError(f"the state dict of {what} does not hold the stated names ({detail}): {why}")
