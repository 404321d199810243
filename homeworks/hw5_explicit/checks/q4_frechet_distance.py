"""hw5_explicit Q4 (q4_frechet_distance): feature statistics and the Fréchet distance, with their gradients; each
cell's inputs, probe, visible tests and CheckSpec."""
from __future__ import annotations

import math

from dgmlab.probes import CheckSpec, _np, _torch, asserts, attempt, on_working, with_working, working  # lazy imports
from dgmlab.probes import seeded_generator as _gen
from dgmlab.probes.points import points

from .common import NotAsAsked, NotAsStated, _detached, _graph_output, _stated, as_stated


# ====================================================================== Q4
# Both answers are torch functions that autograd differentiates: each probe calls them on leaf tensors that require
# a gradient and hands back the values (detached) and, separately, the gradients autograd finds.
def _q4_stats_inputs(seed):
    np, torch = _np(), _torch()
    rng = np.random.default_rng(int(seed) + 41)
    return {"gauss50": torch.from_numpy(rng.normal(size=(50, 4))),
            "three": torch.tensor([[0.0, 1.0], [2.0, 5.0], [4.0, 0.0]], dtype=torch.float64),
            "small": torch.from_numpy(rng.normal(size=(6, 3)) * [1.0, 2.0, 0.5] + [1.0, -2.0, 3.0]),
            "torch32": torch.randn(20, 5, generator=_gen(seed, 42)),
            "a": torch.from_numpy(rng.normal(size=4)), "w": torch.from_numpy(rng.normal(size=(4, 4)))}


def _stats(fn, f):
    # every value comes from a call on features that require a gradient, and counts only with its graph: statistics
    # computed elsewhere (numpy, dgmlab.metrics) or detached are not what the statement asks for
    out = fn(f.clone().requires_grad_(True))
    if not isinstance(out, tuple) or len(out) != 2:
        return [_detached(t) for t in out] if isinstance(out, tuple) else out  # the shape test says what differs
    return [_detached(_graph_output(t, what)) for t, what in zip(out, ("mu", "cov"), strict=True)]


def _stats_grad(fn, f, a, w):
    torch = _torch()
    leaf = f.clone().requires_grad_(True)
    mu, cov = fn(leaf)
    loss = (_graph_output(mu, "mu") * a).sum() + (_graph_output(cov, "cov") * w).sum()
    (grad,) = torch.autograd.grad(loss, leaf)
    return grad.detach()


def _q4_stats_probe(o, x):
    fn = o["feature_statistics"]
    torch = _torch()
    out = {name: attempt(_stats, fn, x[name]) for name in ("gauss50", "three", "small", "torch32")}
    out["grad_gauss50"] = attempt(_stats_grad, fn, x["gauss50"], x["a"], x["w"])
    out["grad_three"] = attempt(_stats_grad, fn, x["three"], torch.tensor([1.0, 0.0], dtype=torch.float64),
                                torch.tensor([[0.0, 1.0], [0.0, 0.0]], dtype=torch.float64))
    return out


@points(0.5)
def test_shapes_and_dtype(v, ref):
    torch = _torch()
    out = v.gauss50
    if not (isinstance(out, list) and len(out) == 2):
        raise AssertionError("expected feature_statistics to return a tuple (mu, cov)")
    mu, cov = out
    asserts.assert_tensor(mu, "mu for 50 samples of dimension 4", shape=(4,))
    hint = " (one row per sample: a (50, 50) covariance means rows and columns were swapped)" \
        if isinstance(cov, torch.Tensor) and tuple(cov.shape) == (50, 50) else ""
    if not (isinstance(cov, torch.Tensor) and tuple(cov.shape) == (4, 4)):
        raise AssertionError(
            f"expected cov as a torch tensor of shape (4, 4), found {type(cov).__name__} {tuple(getattr(cov, 'shape', ()))}{hint}")
    if not (mu.dtype == torch.float64 and cov.dtype == torch.float64):
        raise AssertionError(f"expected mu and cov in float64, found {mu.dtype} and {cov.dtype}")
    out32 = v.torch32
    found = [getattr(t, "dtype", type(t).__name__) for t in out32] if isinstance(out32, list) else type(out32).__name__
    if not (isinstance(out32, list) and len(out32) == 2 and all(getattr(t, "dtype", None) == torch.float64 for t in out32)):
        raise AssertionError(
            f"expected mu and cov in float64 for float32 features too (the statement: in float64), found {found}")


@points(0.5)
def test_values_on_three_points(v, ref):
    torch = _torch()
    mu, cov = v.three
    asserts.assert_tensor(mu, "mu", shape=(2,))
    asserts.assert_tensor(cov, "cov")
    want = torch.tensor([[4.0, -1.0], [-1.0, 7.0]], dtype=torch.float64)
    hint = ""
    if tuple(cov.shape) == (2, 2) and torch.allclose(cov.double(), want * 2 / 3):
        hint = ": that divides by n = 3; the unbiased estimate divides by n - 1 = 2"
    elif tuple(cov.shape) == (3, 3):
        hint = ": a (3, 3) matrix is the covariance of the rows; each row is one sample"
    if not torch.allclose(mu.double(), torch.tensor([2.0, 2.0], dtype=torch.float64)):
        raise AssertionError(f"expected mu = [2, 2] for the points (0, 1), (2, 5), (4, 0), found {mu.tolist()}")
    if not (tuple(cov.shape) == (2, 2) and torch.allclose(cov.double(), want)):
        raise AssertionError(
            f"expected cov = {want.tolist()} for the points (0, 1), (2, 5), (4, 0), found {cov.double().round(decimals=4).tolist()}{hint}")


@points(0.25)
def test_gradient_reaches_the_features(v, ref):
    # the statement asks for statistics autograd can differentiate: d(mu[0] + cov[0, 1]) / d features for the points
    # (0, 1), (2, 5), (4, 0): 1/3 on each first coordinate, plus the other coordinate's deviation from its mean / (n - 1)
    want = [[-1 / 6, -1.0], [11 / 6, 0.0], [-2 / 3, 1.0]]
    got = v.grad_three
    asserts.assert_tensor(got, "the gradient of mu[0] + cov[0, 1] with respect to the features", shape=(3, 2))
    found = got.double().tolist()
    if not all(abs(g - w) < 1e-9 for row, wrow in zip(found, want, strict=True) for g, w in zip(row, wrow, strict=True)):
        raise AssertionError(
            f"expected the gradient of mu[0] + cov[0, 1] with respect to the points (0, 1), (2, 5), (4, 0) to be "
            f"[[-1/6, -1], [11/6, 0], [-2/3, 1]], autograd found {[[round(g, 4) for g in row] for row in found]}")


def _q4_frechet_inputs(seed):
    np = _np()
    rng = np.random.default_rng(int(seed) + 43)

    def stats(n, d):
        f = rng.normal(size=(n, d)) @ rng.normal(size=(d, d))
        return f.mean(axis=0), np.cov(f, rowvar=False)

    def conditioned(n, d):
        # a full covariance (a random rotation of scales 0.5 to 3) whose eigenvalues stay far from 0: the gradient check
        # differentiates at this pair, and near a zero eigenvalue the square root's derivative (1 / (2 sqrt(l))) swings
        # too fast for any finite difference (docs/hw5_explicit.md, "Q4's gradient check")
        q, _ = np.linalg.qr(rng.normal(size=(d, d)))
        f = (rng.normal(size=(n, d)) * rng.uniform(0.5, 3.0, size=d)) @ q.T + rng.normal(size=d)
        return f.mean(axis=0), np.cov(f, rowvar=False)

    def symmetric(d):
        e = rng.normal(size=(d, d))
        return (e + e.T) / 2

    return {"diag_a": rng.uniform(0.2, 9.0, size=3), "diag_b": rng.uniform(0.2, 9.0, size=3),
            "mu1": rng.normal(size=3), "mu2": rng.normal(size=3),
            "general1": conditioned(200, 6), "general2": conditioned(200, 6),
            # 5 samples in 20 dimensions (rank 4): round-off leaves eigenvalues that should be 0 slightly negative, so
            # a square root without a clamp gives NaN (drawn from the seed: a fixed pair's distance would be a constant
            # to type in)
            "singular1": stats(5, 20), "singular2": stats(5, 20),
            "directions": [symmetric(6) for _ in range(3)]}


def _q4_frechet_probe(o, x):
    np, torch, fn = _np(), _torch(), o["frechet_gaussian"]

    def tensors(args, grad=False):
        return [torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64).requires_grad_(grad) for a in args]

    def call(leaves):
        try:
            return fn(*leaves)
        except torch.linalg.LinAlgError as exc:
            raise NotAsAsked(f"frechet_gaussian stopped in torch.linalg ({(str(exc).splitlines() or [''])[0][:120]}): "
                             f"a NaN reached an eigen-decomposition; round-off makes eigenvalues that should be 0 "
                             f"slightly negative, so clamp them at 0 before each square root") from None

    (m1, c1), (m2, c2) = x["general1"], x["general2"]
    disagreement = []

    def gradient_agrees():
        # a distance with a graph can still have a piece computed without one (scipy.linalg.sqrtm on .numpy()): then
        # autograd's derivative along a direction is not how the value changes; checked once, on the general pair
        if not disagreement:
            disagreement.append(_gradient_disagreement(call, tensors, (m1, c1, m2, c2), x["directions"]))
        if disagreement[0]:
            raise NotAsStated(disagreement[0])

    def value(*args):
        # counted only with its graph, and a graph that gives its derivative: a distance computed elsewhere (numpy,
        # scipy, dgmlab.metrics), detached, or with a piece detached is not what the statement asks for
        gradient_agrees()
        d = _graph_output(call(tensors(args, grad=True)), "the distance")
        if d.is_complex():
            raise NotAsAsked(f"the distance came out as a complex tensor ({d.dtype}); it is a real number: take the "
                            f"trace of the square root from a symmetric positive semi-definite matrix (see the hint)")
        return _detached(d)

    def grads(*args):
        gradient_agrees()
        leaves = tensors(args, grad=True)
        d = _graph_output(call(leaves), "the distance")
        found = torch.autograd.grad(d.real if d.is_complex() else d, leaves, allow_unused=True)
        return [torch.zeros_like(leaf) if g is None else g.detach() for g, leaf in zip(found, leaves, strict=True)]

    (s1, t1), (s2, t2) = x["singular1"], x["singular2"]
    mu, cov = np.zeros(3), np.diag([1.0, 2.0, 3.0])
    # a distance whose gradient disagrees with its values comes back as {NOT_AS_STATED: why} (the tests say so)
    return {"identical": attempt(_stated, value, mu, cov, mu, cov),
            "unit_shift": attempt(_stated, value, mu, cov, mu + [1.0, 0.0, 0.0], cov),
            "one_dimensional": attempt(_stated, value, [0.0], [[1.0]], [2.0], [[4.0]]),
            "one_dimensional_grads": attempt(_stated, grads, [0.0], [[1.0]], [2.0], [[4.0]]),
            "diagonal": attempt(_stated, value, x["mu1"], np.diag(x["diag_a"]), x["mu2"], np.diag(x["diag_b"])),
            "general_12": attempt(_stated, value, m1, c1, m2, c2), "general_21": attempt(_stated, value, m2, c2, m1, c1),
            "general_grads": attempt(_stated, grads, m1, c1, m2, c2),
            "singular": attempt(_stated, value, s1, t1, s2, t2)}


FD_STEP = 1e-6  # the central difference's step along a direction (float64, full-rank covariances: error ~1e-9)
# autograd and the central difference may differ by this much relative to the derivative. Calibrated on 1,000 draws
# (benchmarks/calibrate_hw5_q4_gradient.py): correct answers differ by 5e-8 at most, a wrong gradient (a term without
# a graph, a term detached, a factor 2 missing) by 3e-4 at least; 1e-5 leaves a factor of about 200 and 28
GRADIENT_RTOL = 1e-5


def _gradient_disagreement(call, tensors, args, directions):
    """``None`` when autograd's derivative of the distance at ``args`` along one direction (each mean and covariance
    moved together, the covariances along symmetric matrices) matches the central difference of its values; else why
    not. ``None`` too when the distance cannot be computed there (the tests then say what differs)."""
    torch = _torch()
    try:
        leaves = tensors(args, grad=True)
        d = call(leaves)
        if not isinstance(d, torch.Tensor) or not d.requires_grad or d.is_complex() or d.numel() != 1:
            return None
        found = torch.autograd.grad(d.reshape(()), leaves, allow_unused=True)
        (e1, e2, _) = [torch.tensor(e, dtype=torch.float64) for e in directions]
        dm = torch.linspace(-1.0, 1.0, leaves[0].shape[0], dtype=torch.float64)
        steps = (dm, e1, -dm, e2)
        by_autograd = sum(float((g * e).sum()) for g, e in zip(found, steps, strict=True) if g is not None)
        with torch.no_grad():
            moved = [[a.detach() + sign * FD_STEP * e for a, e in zip(leaves, steps, strict=True)] for sign in (1, -1)]
            up, down = (float(call(m).real.reshape(())) for m in moved)
        by_values = (up - down) / (2 * FD_STEP)
    except Exception:  # noqa: BLE001 - the student's code raised: the tests report it
        return None
    if math.isfinite(by_values) and abs(by_autograd - by_values) > GRADIENT_RTOL * max(1.0, abs(by_values)):
        return (f"part of the distance has no gradient: along a direction its value changes at {by_values:.4g}, but "
                f"autograd's derivative is {by_autograd:.4g}, so a piece of it was computed outside torch (numpy, "
                f"scipy.linalg.sqrtm, .detach(), .item()); the statement asks for torch operations from input to "
                f"output")
    return None


def _distance(d, what):
    d = as_stated(d)
    asserts.assert_tensor(d, what, shape=())
    if d.is_complex():
        raise AssertionError(f"{what} is a complex tensor; the distance is real: return a real float64 tensor")
    return float(d)


def _simple_cases_differ(v) -> bool:
    """Whether the distance is already wrong for identical Gaussians or in 1-D, where no matrix square root or clamp
    is at stake: a general case's hint then points there (the cross term, the trace formula), not at the root."""
    try:
        return abs(float(as_stated(v.identical))) > 1e-8 or abs(float(as_stated(v.one_dimensional)) - 5.0) > 1e-8
    except Exception:  # noqa: BLE001 - a value that cannot be read is those tests' to report
        return True


FORMULA_FIRST = ("the distance already differs for identical Gaussians or in 1-D (see those tests): check the "
                 "formula ||mu1 - mu2||^2 + tr(S1) + tr(S2) - 2 tr((S1 S2)^(1/2)) term by term, the cross term's "
                 "factor 2 and its sign included, before the matrix square root")


@points(0.5)
def test_zero_only_for_identical_gaussians(v, ref):
    # 0 for two identical Gaussians, and ||mu1 - mu2||^2 = 1 when only the means differ, by a unit vector
    d = _distance(v.identical, "the distance (a 0-dimensional tensor)")
    hint = ": that is tr(S) + tr(S) - tr(S), the cross term without its factor 2" if abs(d - 6.0) < 1e-6 else ""
    if not abs(d) < 1e-8:
        raise AssertionError(f"expected 0 for two identical Gaussians, found {d:.3g}{hint}")
    d = _distance(v.unit_shift, "the distance")
    if not abs(d - 1.0) < 1e-8:
        raise AssertionError(
            f"expected 1 for two Gaussians with the same covariance diag(1, 2, 3) whose means differ by (1, 0, 0) "
            f"(the covariance terms cancel), found {d:.6g}")


@points(0.5)
def test_one_dimensional_case(v, ref):
    # N(0, 1) against N(2, 4): |0 - 2|^2 + (1 + 4 - 2 sqrt(1 * 4)) = 4 + 1
    d = _distance(v.one_dimensional, "the distance")
    hint = ""
    if abs(d - 7.0) < 1e-6:
        hint = ": that is the cross term without its factor 2 (tr(S1 + S2 - 2 (S1 S2)^(1/2)))"
    elif abs(d - 3.0) < 1e-6:
        hint = ": that uses |mu1 - mu2| where the formula has its square"
    elif abs(d - 13.0) < 1e-6:
        hint = ": that is the trace term with a plus sign before 2 (S1 S2)^(1/2)"
    if not abs(d - 5.0) < 1e-8:
        raise AssertionError(f"expected D_F(N(0, 1), N(2, 4)) = 4 + 1 = 5, found {d:.6g}{hint}")


@points(0.5)
def test_one_dimensional_gradient(v, ref):
    # D = (m1 - m2)^2 + s1 + s2 - 2 sqrt(s1 s2) at m1 = 0, s1 = 1, m2 = 2, s2 = 4: dD/dm1 = -4, dD/ds1 = 1 - sqrt(s2 / s1)
    # = -1, dD/dm2 = 4, dD/ds2 = 1 - sqrt(s1 / s2) = 1/2
    grads = as_stated(v.one_dimensional_grads)
    want = (-4.0, -1.0, 4.0, 0.5)
    for g, w, name in zip(grads, want, ("mu1", "cov1", "mu2", "cov2"), strict=True):
        got = float(g.flatten()[0])
        if not abs(got - w) < 1e-8:
            raise AssertionError(
                f"expected dD_F/d{name} = {w:g} for N(0, 1) against N(2, 4) (differentiate (m1 - m2)^2 + s1 + s2 - "
                f"2 sqrt(s1 s2)), autograd found {got:.6g}")


@points(0.5)
def test_general_covariances(v, ref):
    # two Gaussians with full covariances (200 samples in 6 dimensions), both ways round, against the grader's
    # distance on them (recorded with the kit)
    want = ref["general"]
    w = working(v)
    d12, d21 = _distance(w.general_12, "the distance"), _distance(w.general_21, "the distance")
    hint = ""
    if abs(d12 - d21) > 1e-8 * max(1.0, abs(d12)):
        hint = f" (and {d21:.6f} with the two Gaussians swapped: D_F is symmetric)"
    why = FORMULA_FIRST if _simple_cases_differ(v) else \
        ("(S1 S2)^(1/2) is a matrix square root (the element-wise square root agrees only for diagonal covariances); "
         "see the hint")
    if not (abs(d12 - want) <= 1e-6 * max(1.0, abs(want)) and not hint):
        raise AssertionError(
            f"expected {want:.6f} for two Gaussians with full covariances, found {d12:.6f}{hint}: {why}")


@points(0.5)
def test_nearly_singular_covariances(v, ref):
    # 5 samples in 20 dimensions each: nearly singular covariances, on which a matrix square root taken naively comes
    # out complex or NaN; against the grader's distance on them (recorded with the kit)
    want = ref["singular"]
    d = _distance(working(v).singular, "the distance for nearly singular covariances")
    why = FORMULA_FIRST if math.isfinite(d) and _simple_cases_differ(v) else \
        ("the distance must stay real and finite there; round-off makes eigenvalues that should be 0 slightly "
         "negative, so clamp them at 0 before the square root")
    if not (math.isfinite(d) and abs(d - want) <= 1e-5 * max(1.0, abs(want))):
        raise AssertionError(
            f"expected {want:.4f} for two nearly singular covariances (5 samples in 20 dimensions), found {d:.6g}: {why}")


@points(0.5)
def test_diagonal_covariances(v, ref):
    # two Gaussians with diagonal covariances, against the grader's distance on them (recorded with the kit)
    want = ref["diagonal"]
    d = _distance(working(v).diagonal, "the distance")
    why = f": {FORMULA_FIRST}" if _simple_cases_differ(v) else ""
    if not abs(d - want) <= 1e-10 * max(1.0, abs(want)):
        raise AssertionError(f"expected {want:.6f} for two Gaussians with diagonal covariances, found {d:.6f}{why}")


CHECKS = [
    CheckSpec("q4_stats_tests", names=("feature_statistics",),
              visible=(test_shapes_and_dtype, test_values_on_three_points, test_gradient_reaches_the_features),
              probe=_q4_stats_probe, inputs=_q4_stats_inputs),
    CheckSpec("q4_frechet_tests", names=("frechet_gaussian",),
              visible=(test_zero_only_for_identical_gaussians, test_one_dimensional_case, test_one_dimensional_gradient,
                       test_diagonal_covariances, test_general_covariances, test_nearly_singular_covariances),
              probe=on_working(_q4_frechet_probe), inputs=with_working(_q4_frechet_inputs)),
]
