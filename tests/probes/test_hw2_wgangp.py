"""hw2_wgangp: the facts its hidden tests hard-code, checked independently, and the reference networks.

The hidden tests rely on a few closed forms (the conjugates, the gradient penalty of a quadratic
critic along a segment, E||eps|| for Gaussian noise, Adam's first step). Each is re-derived here,
so a slip in the builder's constants shows up as a failing test, not as a wrong grade. The
reference networks and steps are taken from the source notebook (proofs.py's REFERENCE_CELLS, as the benchmark does).
"""
import math
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
import torch

from conftest import assert_earns_every_point, half_state, with_a_nan

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def ref(builder):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: extra threads only contend on a shared CPU
    try:
        yield builder.reference_namespace()  # the builder's REFERENCE_CELLS
    finally:
        torch.set_num_threads(threads)


def test_conjugates_and_optimal_critics():
    t, u, s = sp.Symbol("t", real=True), sp.Symbol("u", positive=True), sp.Symbol("s", negative=True)
    # f(u) = u log u: sup_u t u - f(u)
    u_star = sp.solve(sp.diff(t * u - u * sp.log(u), u), u)[0]
    assert sp.simplify((t * u - u * sp.log(u)).subs(u, u_star) - sp.exp(t - 1)) == 0
    # f(u) = -log u: sup_u s u + log u, finite for s < 0
    u_star = sp.solve(sp.diff(s * u + sp.log(u), u), u)[0]
    assert sp.simplify((s * u + sp.log(u)).subs(u, u_star) - (-1 - sp.log(-s))) == 0
    # T* = f'(p/q): d* = exp(T* - 1) = p/q for KL, d* = T* = -q/p for reverse KL
    r = sp.Symbol("r", positive=True)  # r = p/q
    assert sp.simplify(sp.exp(sp.diff(r * sp.log(r), r) - 1) - r) == 0
    assert sp.simplify(sp.diff(-sp.log(r), r) + 1 / r) == 0


def test_gaussian_pairs_have_finite_variance_estimators():
    # p = N(0, 1), q = N(0.5, 1.2^2): E_q[(p/q)^2] and E_p[(q/p)^2] are finite iff 2/s_a^2 - 1/s_b^2 > 0
    sp_, sq = 1.0, 1.2
    assert 2 / sp_ ** 2 - 1 / sq ** 2 > 0 and 2 / sq ** 2 - 1 / sp_ ** 2 > 0


def test_quadratic_critic_penalty_constants():
    # D(x) = a/2 ||x||^2, real at norm 2, fake at 0: ||grad|| = a * 2 eps, eps ~ U[0, 1]
    eps, a = sp.symbols("epsilon a", positive=True)
    gp = sp.integrate((a * 2 * eps - 1) ** 2, (eps, 0, 1))
    assert gp.subs(a, 1) == sp.Rational(1, 3)
    assert sp.diff(gp, a).subs(a, 2) == sp.Rational(10, 3)
    # the derivative test runs at a = 1/2: -2/3 for the two-sided penalty; a one-sided penalty is 0 there
    # (every gradient norm 2 a eps = eps is at most 1), so the test tells them apart
    assert sp.diff(gp, a).subs(a, sp.Rational(1, 2)) == sp.Rational(-2, 3)
    # at a = 2 (the earlier test point) a one-sided penalty's derivative, 27/8, sat within the tolerance 0.2 of 10/3
    one_sided = sp.integrate((a * 2 * eps - 1) ** 2, (eps, 1 / (2 * a), 1))  # valid for a > 1/2
    assert sp.diff(one_sided, a).subs(a, 2) == sp.Rational(27, 8)
    assert abs(math.hypot(1.6, 1.2) - 2.0) < 1e-12  # the direction used in the test has norm 2


def test_mean_gaussian_norm_formula():
    rng = np.random.default_rng(0)
    for d in range(1, 6):
        closed = math.sqrt(2) * math.exp(math.lgamma((d + 1) / 2) - math.lgamma(d / 2))
        mc = np.linalg.norm(rng.normal(size=(400_000, d)), axis=1).mean()
        assert abs(closed - mc) < 5e-3
        assert closed < math.sqrt(d)


def test_adam_first_step_is_minus_lr_times_sign():
    torch.manual_seed(0)
    w = torch.nn.Parameter(torch.randn(7))
    g = torch.randn(7)
    before = w.detach().clone()
    opt = torch.optim.Adam([w], lr=1e-2, betas=(0.0, 0.9))
    w.grad = g.clone()
    opt.step()
    assert torch.allclose(w.detach(), before - 1e-2 * torch.sign(g), atol=1e-6)


def test_reference_networks_have_the_seed_shapes(ref):
    G, D = ref["Generator"](capacity=128), ref["Critic"](capacity=128)
    z = torch.randn(2, ref["SEED_DIM"])
    x = G(z)
    assert x.shape == (2, 1, 28, 28) and float(x.min()) > 0 and float(x.max()) < 1
    assert D(x).shape == (2,)
    def has_batchnorm(model):
        return any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in model.modules())

    def blocks(model):
        return [m for m in model.modules() if isinstance(m, ref["ResidualBlock"])]

    assert not has_batchnorm(D) and has_batchnorm(G)
    assert len(blocks(G)) == 3 and len(blocks(D)) == 4


def test_the_graders_generator_is_the_notebooks_given_network(ref):
    """P5(g) loads the handed-in weights into homeworks.hw2_wgangp.checks's copy of the given Generator (never a class
    from the student's kernel): the same parameters and buffers, and the same images from the same weights."""
    from homeworks.hw2_wgangp import checks as spec

    for capacity in (16, 32):
        torch.manual_seed(capacity)
        mine, theirs = spec.given_mnist_generator(capacity=capacity), ref["Generator"](capacity=capacity)
        assert {k: tuple(v.shape) for k, v in mine.state_dict().items()} == \
            {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
        mine.load_state_dict(theirs.state_dict())
        z = torch.randn(3, ref["SEED_DIM"])
        assert torch.equal(mine.eval()(z), theirs.eval()(z))
    assert spec.SEED_DIM == ref["SEED_DIM"]


def test_reference_gradient_penalty_matches_a_direct_computation(ref):
    torch.manual_seed(1)
    D = ref["Critic"](capacity=8)
    real, fake = torch.rand(4, 1, 28, 28), torch.rand(4, 1, 28, 28)
    torch.manual_seed(2)
    gp = ref["gradient_penalty"](D, real, fake)
    torch.manual_seed(2)
    eps = torch.rand(4, 1, 1, 1)
    total = 0.0
    for i in range(4):  # one sample at a time: no batch coupling in the critic
        xh = (eps[i] * real[i] + (1 - eps[i]) * fake[i]).unsqueeze(0).requires_grad_(True)
        (g,) = torch.autograd.grad(D(xh).sum(), xh)
        total += (g.norm() - 1) ** 2
    assert abs(float(gp) - float(total) / 4) < 1e-4


def test_reference_training_steps_reduce_the_critic_loss_on_a_fixed_batch(ref):
    torch.manual_seed(0)
    G, D = ref["Generator"](capacity=8), ref["Critic"](capacity=8)
    opt_g, opt_c = ref["make_optimizers"](G, D)
    x, z = torch.rand(16, 1, 28, 28), torch.randn(16, ref["SEED_DIM"])
    losses = [ref["critic_step"](G, D, opt_c, x, z) for _ in range(15)]
    assert losses[-1] < losses[0]
    assert isinstance(ref["generator_step"](G, D, opt_g, z), float)


# ---------------------------------------------------------------- the artifact-graded cell p5_mnist_samples_tests
# A check() cell with no answer: the grader reads p5_generator_weights.pt from the submission as handed in, loads it
# into the kit's Generator(capacity=32) (homeworks.hw2_wgangp.checks, never the kernel's class), draws 1,000 samples with
# the file's draw seed and scores them, all outside the student's kernel. tests/authoring/test_proofs.py proves the notebook
# with the builder's PROOF_ARTIFACTS (the reference generator's weights); here the judge grades other files directly,
# and one grading-mode session shows that nothing a notebook does in its kernel changes what the cell grades. The
# near-copy rule itself is proven on sample files in tests/test_novelty.py and tests/test_artifacts.py.
CELL = "p5_mnist_samples_tests"
WEIGHTS = "p5_generator_weights.pt"


@pytest.fixture(scope="module")
def builder():
    from conftest import homework_builders

    return homework_builders()["hw2_wgangp"]


@pytest.fixture(scope="module")
def cell_source(builder):
    cell = next(c for c in builder.build().nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == CELL)
    return cell.source


def _judge(cell_source, folder, seeds=None):
    """The grader's judgement of the cell on the files in ``folder`` (full mode: grading, not a fast preview)."""
    from dgmlab import probes
    from dgmlab.grading import hidden

    spec = probes.spec_for("hw2_wgangp", CELL)
    return probes.judge("hw2_wgangp", spec, {}, 0, hidden=hidden.tests("hw2_wgangp", CELL), folder=folder,
                        seeds=seeds if seeds is not None else {WEIGHTS: 0})


def _fixture(name):
    return torch.load(ROOT / "tests" / "fixtures" / name, weights_only=True)


def _untrained_scaled(ref, factor):
    torch.manual_seed(0)
    state = ref["Generator"](capacity=32).state_dict()
    return {k: (v * factor).half() if v.is_floating_point() and "running" not in k else v for k, v in state.items()}


# file -> (maker(reference namespace), the points it earns of 2, what the cell's report must say)
FILES = {
    "the reference generator after epoch 39 of 40 (GPU run)": (
        lambda ref: _fixture("hw2_genuine_generator_f16.pt"), 2, "passed test_mnist_classifier_score_of_a_full_run"),
    # barely trained weights load and draw new images, but the first 0.5 points need a trained generator too
    "a reference run after a quarter epoch (step 234)": (lambda ref: _fixture("hw2_early_generator_f16.pt"), 0,
                                                        "as a generator barely trained does"),
    # the red team's F2: the kit's untrained Generator, weights scaled up 30x (/tmp/redteam/weights_untrained.py)
    "untrained weights scaled up 30x": (lambda ref: _untrained_scaled(ref, 30.0), 0, "as a generator barely trained does"),
    # a cheat who knows the graded noise (seed 0) and tuned the weights to draw MNIST digits for it
    # (benchmarks/make_memorizer.py hw2: 37 of the 100 drawn images are near-copies)
    "weights tuned so the graded draw is 100 MNIST digits": (
        lambda ref: _fixture("hw2_generator_memorizer_f16.pt"), 0, "these samples match dataset images"),
    # what the graded file was before it became weights: 100 images, not a state dict
    "100 samples instead of weights": (lambda ref: _fixture("hw2_genuine_samples_100.pt"), 0, "must be a state dict"),
    # fast mode trains Generator(capacity=16): its weights are not full mode's network
    "the weights of fast mode's capacity-16 generator": (lambda ref: half_state(ref["Generator"](capacity=16).state_dict()),
                                                          0, "the notebook's architecture has"),
    "the genuine weights with a NaN (a diverged run)": (
        lambda ref: with_a_nan(_fixture("hw2_genuine_generator_f16.pt")), 0, "NaN"),
    # torch.save(G_mnist.state_dict()) by hand: float32 is 1.07 MB, over the 1 MB limit, refused unread
    "the genuine weights in float32": (lambda ref: {k: v.float() if v.is_floating_point() else v
                                                    for k, v in _fixture("hw2_genuine_generator_f16.pt").items()},
                                       0, "bytes"),
}


@pytest.fixture
def full_mode(monkeypatch):
    monkeypatch.delenv("DGMLAB_FAST", raising=False)


def test_artifact_cell_without_the_file_earns_nothing_and_says_why(cell_source, tmp_path, full_mode):
    result = _judge(cell_source, tmp_path)
    assert result.earned == 0 and result.points == 2
    assert f"{WEIGHTS} was not handed in" in "\n".join(result.lines), result.lines


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(FILES))
def test_artifact_cell_on_a_file(cell_source, ref, kind, tmp_path, full_mode):
    make, earned, said = FILES[kind]
    torch.save(make(ref), tmp_path / WEIGHTS)
    result = _judge(cell_source, tmp_path)
    report = "\n".join(result.lines)
    assert result.earned == earned, f"{kind}: {report}"
    assert said in report, f"{kind}: {report}"


@pytest.mark.slow
def test_artifact_cell_draws_with_the_files_seed_and_a_refused_file_earns_nothing(cell_source, tmp_path, full_mode):
    """The grader draws the samples itself: the genuine weights with seed 0 draw 1,000 samples whose first 100 are
    the old graded file's (the notebook's sample(G, 100, seed=0), up to float16 rounding of the weights); another
    seed another draw; a
    file the autograder refused (a copy of the kit's published weights) earns nothing, with the reason."""
    from homeworks.hw2_wgangp import checks as spec

    data = (ROOT / "tests" / "fixtures" / "hw2_genuine_generator_f16.pt").read_bytes()
    drawn, _ = spec.graded_samples(data, 0)
    assert drawn.shape == (1000, 1, 28, 28)
    assert float((drawn[:100] - _fixture("hw2_genuine_samples_100.pt")).abs().max()) < 0.03
    other, _ = spec.graded_samples(data, 12345)
    assert float((other - drawn).abs().max()) > 0.1
    (tmp_path / WEIGHTS).write_bytes(data)
    assert _judge(cell_source, tmp_path, seeds={WEIGHTS: 12345}).earned == 2
    refused = _judge(cell_source, tmp_path, seeds={WEIGHTS: "refused: a copy of the kit's published weights"})
    assert refused.earned == 0 and "a copy of the kit's published weights" in "\n".join(refused.lines)


@pytest.mark.slow
def test_artifact_cell_leaves_the_graders_draw_for_the_dashboard(cell_source, tmp_path, full_mode):
    """The grader (not the kernel) leaves the draw it graded as graded_draw_100.pt, which the class dashboard shows
    (dgmlab.grading.report.analysis.ARTIFACTS), through the judge's keep(); a file it cannot draw from leaves nothing."""
    import inspect
    import io

    from dgmlab import probes

    if "keep" not in inspect.signature(probes.judge).parameters:
        pytest.skip("this dgmlab's judge keeps no file for the dashboard")
    spec = probes.spec_for("hw2_wgangp", CELL)
    kept = {}
    (tmp_path / WEIGHTS).write_bytes((ROOT / "tests" / "fixtures" / "hw2_genuine_generator_f16.pt").read_bytes())
    result = probes.judge("hw2_wgangp", spec, {}, 0, hidden=(), folder=tmp_path,
                          seeds={WEIGHTS: 0}, keep=kept.__setitem__)
    assert result.earned == 2 and set(kept) == {"graded_draw_100.pt"}
    drawn = torch.load(io.BytesIO(kept["graded_draw_100.pt"]), weights_only=True)
    assert drawn.shape == (100, 1, 28, 28) and float((drawn - _fixture("hw2_genuine_samples_100.pt")).abs().max()) < 0.03
    kept.clear()
    (tmp_path / WEIGHTS).write_bytes(b"not a torch file")
    result = probes.judge("hw2_wgangp", spec, {}, 0, hidden=(), folder=tmp_path,
                          seeds={WEIGHTS: 0}, keep=kept.__setitem__)
    assert result.earned == 0 and not kept


def test_artifact_cell_splits_its_points_so_a_copied_file_earns_nothing(builder, cell_source, tmp_path):
    """Both tests are visible (the rule is stated) and the grader has no hidden one; the bar's test draws through the
    same checks a copied file fails first; the cell hands the grader nothing from the kernel."""
    from dgmlab import probes
    from dgmlab.grading import hidden
    from homeworks.hw2_wgangp import checks as spec

    cell_spec = probes.spec_for("hw2_wgangp", CELL)
    assert cell_spec.hidden == 0 and cell_spec.names == () and cell_spec.files == (WEIGHTS,)
    assert {n: w for n, w, _ in probes.plan(cell_spec, hidden=hidden.tests("hw2_wgangp", CELL))} == {
        "test_saved_generator_draws_1000_new_images": 0.5, "test_mnist_classifier_score_of_a_full_run": 1.5}
    assert probes.cell_call(cell_source) == (CELL, ())
    import inspect

    for test in (spec.test_saved_generator_draws_1000_new_images, spec.test_mnist_classifier_score_of_a_full_run):
        assert "_score_of_the_draw(" in inspect.getsource(test)
    scorer = inspect.getsource(spec._score_of_the_draw)
    assert "graded_samples(" in scorer.split("metrics.mnist_score")[0]
    for name, make in builder.PROOF_ARTIFACTS.items():  # each writer writes the file it is keyed by
        assert make(tmp_path) == tmp_path / name and (tmp_path / name).stat().st_size > 300_000


@pytest.fixture(scope="module")
def graded(builder, tmp_path_factory):
    """A grading-mode session of the notebook run once without a weights file: (session, folder, results)."""
    import shutil

    from dgmlab.authoring.proofs import NotebookSession

    folder = tmp_path_factory.mktemp("hw2_artifact")
    src = builder.build().path
    shutil.copy(src, folder / src.name)
    with NotebookSession(folder / src.name, env={"DGMLAB_OFFLINE": "1"}) as s:
        yield s, folder, s.run_all()


# what a notebook might run before the graded cell to pass with the quarter-epoch weights: the kernel's names and
# dgmlab's scorer are the student's, the grader's are its own, so none of these changes the grade
CHEATS = {
    "a redefined Generator returning stored samples": (
        "_Locked = Generator\n"
        "class Generator(_Locked):\n"
        "    def forward(self, z):\n"
        "        return torch.load({path!r}, weights_only=True)[:len(z)]\n"),
    "Generator.forward replaced in place": (
        "Generator.forward = lambda self, z: torch.load({path!r}, weights_only=True)[:len(z)]\n"),
    "a patched scorer": ("import dgmlab.metrics\n"
                         "dgmlab.metrics.mnist_score = lambda *a, **k: (torch.tensor(9.9), torch.tensor(0.0))\n"),
}


@pytest.mark.slow
def test_artifact_cell_is_graded_outside_the_kernel(graded, full_mode):
    s, folder, results = graded
    others = {k: m for k, (f, m) in results.items() if f and k != CELL}
    assert not others, f"without the weights file, other cells failed too: {others}"
    assert results[CELL][0], "the artifact cell passed without a weights file"
    answer = s.index["p5_steps"]  # an answer cell before the graded one
    path = folder / WEIGHTS
    torch.save(_fixture("hw2_early_generator_f16.pt"), path)
    try:
        for cheat, code in CHEATS.items():
            s.run_verdict(answer, s.reference[answer] + "\n" + code.format(
                path=str(ROOT / "tests" / "fixtures" / "hw2_genuine_samples_100.pt")))
            got, msg = s.run_verdict(s.index[CELL])
            assert got == "earn 0 of 2", f"{cheat}: {got} {msg}"
    finally:
        path.unlink()
        s.run_verdict(answer)
        s.run_verdict(s.index["p5_framework"])


# ---------------------------------------------------------------- the red team's forged probe data (F1)
# A notebook that implements nothing, replaces check() in its kernel and displays hand-made probe data
# (/tmp/redteam/hw2_cell.py) earned 19 of 19 in these four cells when their tests checked facts the kernel reports
# (block strides, BatchNorm lists, block counts, optimiser classes and betas). Every point now compares what the
# student's objects compute from the grader's seeded weights and inputs with the grader's own networks and steps.
def _forged(cell):
    T = torch.tensor
    if cell in ("p5_critic_tests", "p6_critic_tests"):
        two = torch.zeros(2)
        return {"scores": torch.zeros(5), "batchnorm": [], "per_sample": [two, two], "block_strides": [4, 1, 1, 1],
                "gradients": {"input_grad_per_channel": T([1.0, 1.0, 1.0]), "first_image_grad": 1.0,
                              "params_without_grad": []}}
    if cell == "p6_generator_tests":
        return {"output": torch.full((4, 3, 32, 32), 0.5), "two_draws": {"min": 0.1, "max": 0.9, "largest_change": 0.5},
                "block_count": 9, "block_sizes": [[8, 8]] * 9, "parameter_shapes": [[3, 32, 32]]}

    def opt(params, lr):
        return {"type": "Adam", "is_adam": True, "groups": [{"params": params, "betas": [0.0, 0.9], "lr": lr}]}

    def d(lr):
        return {"is_tuple": True, "count": 2, "type": "tuple",
                "optimizers": [opt(["generator.A", "generator.c"], lr), opt(["critic.w", "critic.b"], lr)]}

    return {"default": d(3e-4), "with_lr": d(1e-3)}


def _forged_in_the_new_shape(cell, x):
    """The same forger, handing in data of the probes' present shape: facts that would pass the old tests (zeros for
    scores, block outputs of the right shapes, parameters moved by the stated rate, no gradient anywhere missing)."""
    if cell in ("p5_critic_tests", "p6_critic_tests"):
        side = x["five"].shape[-1]
        return {"scores": torch.zeros(5), "batchnorm": [], "per_sample": torch.zeros(2),
                "blocks": [torch.zeros(2, 8, -(-side // 4), -(-side // 4))] + [torch.zeros(2, 8, 8, 8)] * 3,
                "gradients": {"input": torch.ones_like(x["three"]), "parameters": {}}}
    if cell == "p6_generator_tests":
        return {"traced": {"images": torch.full((4, 3, 32, 32), 0.5), "seed_map": torch.zeros(4, 8, 8, 8),
                           "last_conv": torch.zeros(4, 3, 32, 32)}, "blocks": [torch.zeros(2, 8, 8, 8)] * 9}
    after = {"generator.A": x["A"], "generator.c": x["c"], "critic.w": x["w"], "critic.b": torch.zeros(())}
    moved = {n: t - 3e-4 for n, t in after.items()}
    return {"opt_g_steps": [moved] * 3, "opt_c_steps": [moved] * 3, "opt_g_lr": [moved], "opt_c_lr": [moved]}


FORGED_CELLS = ["p5_critic_tests", "p6_critic_tests", "p6_generator_tests", "p5_optimizers_tests"]


@pytest.mark.parametrize("cell", FORGED_CELLS)
def test_forged_probe_data_earns_nothing(builder, cell):
    from dgmlab import probes
    from dgmlab.grading.judge import cell_verdicts
    from dgmlab.probes import wire

    source = next(c.source for c in builder.build().nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == cell)
    x = probes.make_inputs(probes.spec_for("hw2_wgangp", cell), 4242)
    for data in (_forged(cell), _forged_in_the_new_shape(cell, x)):
        outputs = [{"output_type": "display_data", "metadata": {},
                    "data": {probes.PROBE_MIME: {"cell": cell, "data": wire.dumps(data)}}}]
        result = cell_verdicts.judge_cell("hw2_wgangp", cell, source, outputs, 4242)
        assert result.earned == 0, "\n".join(result.lines)


def test_network_checks_assign_weights_by_role_not_by_name(ref):
    """The checks' weights reach a critic whatever its attributes are called: the same roles, the same weights."""
    from homeworks.hw2_wgangp import checks as spec

    nn, F = torch.nn, torch.nn.functional

    class Renamed(nn.Module):
        def __init__(self, capacity=8):
            super().__init__()
            self.out = nn.Linear(capacity, 1)  # registered first: the roles do not depend on the order of types
            self.conv_in = nn.Conv2d(1, capacity, 3, padding=1)
            self.stack = nn.ModuleList([ref["ResidualBlock"](capacity, stride=4, batchnorm=False)]
                                       + [ref["ResidualBlock"](capacity, batchnorm=False) for _ in range(3)])

        def forward(self, x):
            h = F.relu(self.conv_in(x))
            for block in self.stack:
                h = block(h)
            return self.out(h.sum(dim=(2, 3))).squeeze(1)

    block = ref["ResidualBlock"]
    mine = spec.seeded_weights(Renamed(), 7, spec.CRITIC_SALT, block)
    theirs = spec.seeded_weights(ref["Critic"](capacity=8), 7, spec.CRITIC_SALT, block)
    x = torch.rand(3, 1, 28, 28)
    assert torch.allclose(mine(x), theirs(x), rtol=1e-5, atol=1e-5)
    other = spec.seeded_weights(ref["Critic"](capacity=8), 8, spec.CRITIC_SALT, block)
    assert not torch.allclose(other(x), theirs(x))


# ------------------------------------------------------------------ visible tests compare with recorded values
# The converted cells' visible tests read the probe's values on the working seed's inputs and compare them with values
# the grader's references gave on those inputs when the kit was built (homeworks/hw2_wgangp/checks/expected.json); the
# hidden tests import the references in the judge and compare the values on the grading seed's inputs.
CONVERTED = {  # cell -> the answers check() is given, by name, from the source notebook (or the conjugates)
    "p1_conjugate_tests": (), "p2_conjugate_tests": (), "p3_costs_tests": ("smoothing_costs",),
    "p4_linprog_tests": ("marginal_constraints", "w1_linprog"),
    "p5_critic_tests": ("Critic", "ResidualBlock"), "p5_gradient_penalty_tests": ("gradient_penalty",),
    "p5_losses_tests": ("critic_loss", "generator_loss"), "p5_optimizers_tests": ("make_optimizers",),
    "p5_critic_step_tests": ("critic_step",), "p5_generator_step_tests": ("generator_step",),
    "p6_generator_tests": ("CifarGenerator", "ResidualBlock"), "p6_critic_tests": ("CifarCritic", "ResidualBlock"),
    "p6_schedule_tests": ("lr_at_epoch",)}


@pytest.fixture(scope="module")
def ref_all(builder):
    """The reference namespace with P3's and P6's answers too."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield builder.reference_namespace(cells=(*builder.REFERENCE_CELLS, "p3_costs", "p4_linprog", "p6_models",
                                                          "p6_schedule"))
    finally:
        torch.set_num_threads(threads)


def _converted_objects(ref, cell):
    if cell == "p1_conjugate_tests":
        return (sp.exp(sp.Symbol("t", real=True) - 1),)
    if cell == "p2_conjugate_tests":
        return (-1 - sp.log(-sp.Symbol("s", negative=True)),)
    return tuple(ref[name] for name in CONVERTED[cell])


def _test_cell_source(builder, cell):
    return next(c.source for c in builder.build().nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == cell)


@pytest.mark.parametrize("cell", CONVERTED)
@pytest.mark.parametrize("seed", [0, 987_654])
def test_the_reference_earns_every_point_of_a_converted_cell_on_any_grading_seed(builder, ref_all, cell, seed):
    """The reference earns every visible point on the working seed (against the recorded values) and on another seed
    (against the grader's references on that draw), and with the hidden tests every point."""
    from dgmlab import probes
    from dgmlab.probes import wire

    spec = probes.spec_for("hw2_wgangp", cell)
    data = wire.loads(wire.dumps(probes.run_probe(spec, _converted_objects(ref_all, cell), seed)))
    assert_earns_every_point("hw2_wgangp", spec, data, seed)


@pytest.mark.parametrize("cell", [c for c in CONVERTED if CONVERTED[c]])
def test_a_self_check_compares_the_working_draw_with_the_recorded_values(ref_all, cell):
    """In a self-check (the working seed) the visible tests compare the probe's values on the working draw with the
    recorded values: with another seed's values in their place, a visible test fails though every value is right."""
    from dgmlab import probes
    from dgmlab.probes import wire

    spec = probes.spec_for("hw2_wgangp", cell)
    objects = _converted_objects(ref_all, cell)
    data = wire.loads(wire.dumps(probes.run_probe(spec, objects, probes.WORKING_SEED)))
    other = wire.loads(wire.dumps(probes.run_probe(spec, objects, 987_654)))
    data["working"] = {k: v for k, v in other.items() if k != "working"}
    result = probes.judge("hw2_wgangp", spec, data, probes.WORKING_SEED)
    failed = {name for name, _, _, ok, _ in result.results if not ok}
    assert failed, result.lines


def test_a_critic_with_detached_features_loses_the_visible_gradient_point(ref_all):
    """P5(a) asks for the scores and the gradients of the critic described: a critic that scores right but detaches its
    features after the first convolution fails the visible gradient test alone, which says so in the statement's
    words."""
    from torch.nn import functional as F

    from dgmlab import probes
    from dgmlab.probes import wire

    class Detached(ref_all["Critic"]):
        def forward(self, x):
            h = self.blocks(F.relu(self.embed(x)).detach())
            return self.head(h.sum(dim=(2, 3))).squeeze(1)

    spec = probes.spec_for("hw2_wgangp", "p5_critic_tests")
    for make in (ref_all["Critic"], Detached):
        objects = (make, ref_all["ResidualBlock"])
        data = wire.loads(wire.dumps(probes.run_probe(spec, objects, probes.WORKING_SEED)))
        result = probes.judge("hw2_wgangp", spec, data, probes.WORKING_SEED)
        failed = {name: reason for name, _, _, ok, reason in result.results if not ok}
        if make is not Detached:
            assert not failed and result.earned == 3.5, result.lines
            continue
        assert set(failed) == {"test_every_parameter_gets_the_stated_gradient"} and result.earned == 2.5, result.lines
        assert "the scores, and the gradients, of the critic described here" in failed[
            "test_every_parameter_gets_the_stated_gradient"]


def test_the_conjugate_cells_record_one_value_per_working_point():
    """The conjugate cells' visible tests evaluate the student's expression at the working draw's points; the grader's
    numerical conjugates there are recorded, one per point."""
    from dgmlab import probes

    for cell in ("p1_conjugate_tests", "p2_conjugate_tests"):
        spec = probes.spec_for("hw2_wgangp", cell)
        x = probes.make_inputs(spec, probes.WORKING_SEED)
        assert x["working"]["points"] == x["points"]
        assert len(probes.expected("hw2_wgangp", cell)["at_points"]) == len(x["points"]) == 3


def test_the_moved_references_are_not_in_the_student_package():
    from homeworks.hw2_wgangp import checks as student
    from homeworks.hw2_wgangp.hidden import references

    for name in ("critic_after_step", "generator_after_step", "numeric_conjugate", "linear_critic_penalty",
                 "adam_first_step", "scheduled_rate", "identity_coupling_cost", "given_block_output",
                 "discrete_w1_values"):
        assert hasattr(references, name) and not hasattr(student, name), name


@pytest.mark.parametrize("seed", [0, 987_654])
def test_p4_linprog_draws_couplings_and_matrices_with_one_wrong_marginal(seed):
    """marginal_constraints is graded on the draw alone (no matrix is compared with): its couplings must meet both
    marginals, and each other matrix must break exactly one of them, so that a missing or misplaced constraint shows."""
    from dgmlab import probes

    cases = probes.spec_for("hw2_wgangp", "p4_linprog_tests").inputs(seed)["marginals"]
    assert len(cases) == 2
    for case in cases:
        p, q = case["p"], case["q"]
        for X in case["couplings"]:
            assert (X > 0).all() and np.allclose(X.sum(1), p, rtol=0, atol=1e-14)
            assert np.allclose(X.sum(0), q, rtol=0, atol=1e-14)
        for X in case["wrong_rows"]:
            assert np.allclose(X.sum(0), q, rtol=0, atol=1e-14) and np.abs(X.sum(1) - p).max() > 1e-6
        for X in case["wrong_cols"]:
            assert np.allclose(X.sum(1), p, rtol=0, atol=1e-14) and np.abs(X.sum(0) - q).max() > 1e-6


# ------------------------------------------------------------------ P4(b): the kernel hands back A_eq, the judge applies it
def _linprog_payload(seed, constraints, solver):
    from dgmlab import probes
    from dgmlab.probes import wire

    spec = probes.spec_for("hw2_wgangp", "p4_linprog_tests")
    return spec, wire.loads(wire.dumps(probes.run_probe(spec, (constraints, solver), seed)))


@pytest.mark.parametrize("seed", [0, 987_654])
def test_p4_linprog_payload_with_a_zero_a_eq_earns_nothing(ref_all, seed):
    """The probe hands back A_eq and b_eq themselves: a payload whose A_eq is 0 (with b_eq and every value and plan
    right, as a patched kernel could hand back) earns 0 of 3, since the judge computes A_eq @ X.reshape(-1) itself
    and the value and plan points need the constraints right."""
    from dgmlab import probes

    spec, data = _linprog_payload(seed, ref_all["marginal_constraints"], ref_all["w1_linprog"])
    assert probes.judge("hw2_wgangp", spec, data, seed).earned == 3  # the genuine payload earns every point

    def zeroed(node):
        if isinstance(node, dict) and "A_eq" in node:
            return {**node, "A_eq": np.zeros_like(node["A_eq"])}
        if isinstance(node, dict):
            return {k: zeroed(v) for k, v in node.items()}
        if isinstance(node, list):
            return [zeroed(v) for v in node]
        return node

    forged = zeroed(data)
    result = probes.judge("hw2_wgangp", spec, forged, seed)
    assert result.earned == 0, "\n".join(result.lines)


def test_p4_linprog_payload_with_an_a_eq_of_the_wrong_shape_fails_and_says_so(ref_all):
    """A_eq of the wrong shape is not handed back (the probe sends its shape): the tests that read it fail naming the
    shape. (The reference w1_linprog still hands linprog its own, right program: that earns its 0.75.)"""
    from dgmlab import probes

    def rows_only(p, q):
        n = len(p)
        return np.kron(np.eye(n), np.ones((1, n))), np.concatenate([p, q])

    spec, data = _linprog_payload(0, rows_only, ref_all["w1_linprog"])
    assert data["working"]["marginals"][0]["A_eq"] is None
    result = probes.judge("hw2_wgangp", spec, data, 0)
    assert result.earned == 0.75
    assert any("expected A_eq of shape (6, 9)" in line and "found (3, 9)" in line for line in result.lines), \
        result.lines


# ------------------------------------------------------------------ the student package answers nothing
# P3(b) and P4(b) ask for an exact transport cost and an LP: answer cells that hand all of the graded work to a
# callable of the student package (with POT's plan beside it, ot.emd) must earn no more than the blank stubs (0).
# The grader's own W1 (dgmlab.grading.references.transport) stands in once, to show the same answers earn points when
# the callable computes W1, so the check can fail.
def _student_callables():
    import importlib
    import inspect
    import pkgutil

    from dgmlab.probes import asserts as kit_checks
    from homeworks.hw2_wgangp import checks as kit_probe

    parts = [importlib.import_module(f"{kit_probe.__name__}.{m.name}") for m in pkgutil.iter_modules(kit_probe.__path__)]
    for module in (kit_checks, kit_probe, *parts):  # the package and each of its modules (common, one per part)
        for name, fn in vars(module).items():
            if not name.startswith("_") and inspect.isfunction(fn) and fn.__module__ == module.__name__:
                yield f"{module.__name__}.{name}", fn


def _answers_from(fn):
    """(smoothing_costs, marginal_constraints, w1_linprog) handing every graded computation to ``fn``."""
    import ot

    def smoothing_costs(x, eps):
        w = np.full(len(x), 1 / len(x))
        cost = np.linalg.norm(x[:, None, :] - (x + eps)[None, :, :], axis=-1)
        value = float(fn(w, w, cost))
        return value, value

    def marginal_constraints(p, q):
        return fn(p, q)

    def w1_linprog(p, q, C):
        return float(fn(p, q, C)), ot.emd(p, q, C)

    return smoothing_costs, marginal_constraints, w1_linprog


def _earned(builder, fn, seed=4242):
    from dgmlab import probes
    from dgmlab.grading.judge import cell_verdicts
    from dgmlab.probes import wire

    smoothing_costs, marginal_constraints, w1_linprog = _answers_from(fn)
    earned = {}
    for cell, objects in (("p3_costs_tests", (smoothing_costs,)),
                          ("p4_linprog_tests", (marginal_constraints, w1_linprog))):
        data = probes.run_probe(probes.spec_for("hw2_wgangp", cell), objects, seed)
        outputs = [{"output_type": "display_data", "metadata": {},
                    "data": {probes.PROBE_MIME: {"cell": cell, "data": wire.dumps(data)}}}]
        earned[cell] = cell_verdicts.judge_cell("hw2_wgangp", cell, _test_cell_source(builder, cell), outputs, seed).earned
    return earned


def test_student_package_callables_used_as_answers_earn_nothing_on_the_transport_cells(builder):
    """Every public function of dgmlab.probes.asserts and homeworks.hw2_wgangp.checks, used as the W1 of P3(b) and P4(b) (with
    ot.emd's plan beside it), earns what the blank earns there: 0."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        found = {name: _earned(builder, fn) for name, fn in _student_callables()}
    finally:
        torch.set_num_threads(threads)
    assert len(found) > 20, sorted(found)  # the walk found the modules' functions
    earning = {name: got for name, got in found.items() if any(got.values())}
    assert not earning, earning


def test_a_callable_that_computes_w1_would_earn_points_there(builder):
    """The same answers built on the grader's W1 earn points on P3(b): the walk above would catch a kit callable that
    computes it."""
    from dgmlab.grading.references.transport import discrete_w1

    assert _earned(builder, discrete_w1)["p3_costs_tests"] > 0


# ------------------------------------------------------------------ issue 54: what a careful student's mistakes read
def _visible(cell, *objects):
    """``(earned, printed)``: a self-check of ``cell`` on the working seed (visible tests only)."""
    from dgmlab import probes
    from dgmlab.probes import wire

    spec = probes.spec_for("hw2_wgangp", cell)
    data = wire.loads(wire.dumps(probes.run_probe(spec, objects, probes.WORKING_SEED)))
    result = probes.judge("hw2_wgangp", spec, data, probes.WORKING_SEED)
    return result.earned, "\n".join(result.lines)


def test_graded_generator_in_fast_mode_without_the_file_earns_nothing_and_says_to_train(tmp_path, fast_mode):
    """P5(g) in fast mode, which writes no p5_generator_weights.pt: the visible tests fail, saying the file is not
    there yet and that the full run writes it (they showed 2 of 2 passed)."""
    from dgmlab import probes

    spec = probes.spec_for("hw2_wgangp", CELL)
    result = probes.judge("hw2_wgangp", spec, {}, 0, folder=tmp_path, seeds={n: 0 for n in spec.files})
    printed = "\n".join(result.lines)
    assert result.earned == 0 and result.points == 2, printed
    assert printed.count(f"no {WEIGHTS} yet: fast mode writes none") == 2 and "train in full mode" in printed, printed


def test_weights_of_another_capacity_are_told_what_the_graded_file_holds(ref):
    """Fast mode's capacity-16 weights are refused, saying the file holds the weights of the Generator(capacity=32)
    given above, not 'the model the notebook builds, with its default settings' (capacity 128, whose file is refused
    for its size before it is read)."""
    import io

    from homeworks.hw2_wgangp import checks as spec

    for capacity in (16, 24):
        buffer = io.BytesIO()
        torch.save(half_state(ref["Generator"](capacity=capacity).state_dict()), buffer)
        with pytest.raises(AssertionError) as caught:  # the refusal, remembered for the file (probes.remembered)
            spec.drawn_samples(buffer.getvalue(), 0)
        said = str(caught.value)
        assert "the Generator(capacity=32) given above" in said and "default settings" not in said, said


def test_a_cut_one_epoch_late_is_told_where_the_cut_starts(ref_all):
    """`epoch <= cut_epoch` uses cut_epoch: the hint says the cut comes one epoch late and where it starts, not 'is
    cut_epoch used?'."""
    def lr_at_epoch(epoch, cut_epoch=80, lr=3e-4, lr_low=3e-5):
        return float(lr if epoch <= cut_epoch else lr_low)

    earned, printed = _visible("p6_schedule_tests", lr_at_epoch)
    assert earned == 0.5, printed
    assert "is cut_epoch used" not in printed, printed
    assert "the cut comes one epoch late; the cut starts at epoch cut_epoch" in printed, printed


def test_a_pixel_bias_shared_by_the_channels_is_told_it_is_per_channel(ref_all):
    """A CIFAR generator whose pixel bias has shape (1, 32, 32): the gradient hint names the shape and says the bias is
    per pixel and per colour channel."""
    class SharedBias(ref_all["CifarGenerator"]):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.pixel_bias = torch.nn.Parameter(torch.zeros(1, 32, 32))

    earned, printed = _visible("p6_generator_tests", SharedBias, ref_all["ResidualBlock"])
    assert earned == 2.25, printed
    assert "pixel_bias has shape (1, 32, 32)" in printed and "per pixel and per colour channel" in printed, printed


def test_a_glued_plan_from_transposed_factors_is_told_which_marginals_are_off():
    """kappa = pi_p^T diag(1/r) pi_q^T: the coupling hint says which sums are off (rows vs columns) and names the
    transposed factors."""
    def glue_couplings(pi_p, pi_q, r):
        inv = np.zeros_like(r)
        inv[r > 0] = 1.0 / r[r > 0]
        return pi_p.T @ np.diag(inv) @ pi_q.T

    earned, printed = _visible("p4_glue_tests", glue_couplings)
    assert earned == 1.0, printed
    assert "its row sums differ from p" in printed and "pi_p^T diag(1/r) pi_q^T" in printed, printed


# ------------------------------------------------------------------ issue 73: one mistake charged once
_FLIPPED_LOSSES = '''
def critic_loss(critic, x_real, x_fake, lam=LAMBDA):
    return critic(x_real).mean() - critic(x_fake).mean() + lam * gradient_penalty(critic, x_real, x_fake)

def generator_loss(critic, x_fake):
    return critic(x_fake).mean()
'''
_WRONG_PENALTY = '''
def gradient_penalty(critic, x_real, x_fake):
    eps = torch.rand(x_real.shape[0], 1, 1, 1)
    x_hat = (eps * x_real + (1 - eps) * x_fake).detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return (grad.flatten(1).norm(dim=1) ** 2).mean()  # the '- 1' missing
'''


def _reference_with(builder, source):
    """The reference's P5 losses and steps in a namespace of their own, with what ``source`` defines in place of the
    reference's own (a later part calls the earlier ones through this namespace, as in the notebook)."""
    space = builder.reference_namespace(cells=("imports", "p5_framework", "p5_gradient_penalty", "p5_losses",
                                               "p5_steps"))
    exec(source, space)  # the test's own answer text, no submission data
    return space


def _earned_in(cell, space, names, seed):
    from dgmlab import probes
    from dgmlab.grading import hidden
    from dgmlab.probes import wire

    spec = probes.spec_for("hw2_wgangp", cell)
    data = wire.loads(wire.dumps(probes.run_probe(spec, tuple(space[n] for n in names), seed)))
    return probes.judge("hw2_wgangp", spec, data, seed, hidden=hidden.tests("hw2_wgangp", cell)), spec.points


@pytest.mark.parametrize("seed", [0, 987_654])
def test_a_gradient_penalty_mistake_costs_in_its_own_cell_only(builder, seed):
    """A penalty without its '- 1' loses points in P5(b) alone: critic_loss and the critic step, which call it, are
    checked with stand-ins for the parts before them and earn every point."""
    space = _reference_with(builder, _WRONG_PENALTY)
    result, points = _earned_in("p5_gradient_penalty_tests", space, ("gradient_penalty",), seed)
    assert result.earned < points, result.lines
    for cell, names in (("p5_losses_tests", ("critic_loss", "generator_loss")), ("p5_critic_step_tests", ("critic_step",)),
                        ("p5_generator_step_tests", ("generator_step",))):
        result, points = _earned_in(cell, space, names, seed)
        assert result.earned == points, (cell, result.lines)


@pytest.mark.parametrize("seed", [0, 987_654])
def test_a_loss_mistake_costs_in_its_own_cell_only(builder, seed):
    """critic_loss and generator_loss with their signs flipped lose points in P5(c) alone: the steps that call them
    earn every point."""
    space = _reference_with(builder, _FLIPPED_LOSSES)
    result, points = _earned_in("p5_losses_tests", space, ("critic_loss", "generator_loss"), seed)
    assert result.earned < points, result.lines
    for cell, names in (("p5_critic_step_tests", ("critic_step",)), ("p5_generator_step_tests", ("generator_step",))):
        result, points = _earned_in(cell, space, names, seed)
        assert result.earned == points, (cell, result.lines)


def test_the_stand_ins_are_put_back_after_the_probe(builder):
    """The probes' stand-ins live in the notebook's namespace only while the checked function runs."""
    from dgmlab import probes

    space = _reference_with(builder, _WRONG_PENALTY)
    own = {n: space[n] for n in ("gradient_penalty", "critic_loss", "generator_loss")}
    for cell, names in (("p5_losses_tests", ("critic_loss", "generator_loss")), ("p5_critic_step_tests", ("critic_step",)),
                        ("p5_generator_step_tests", ("generator_step",))):
        probes.run_probe(probes.spec_for("hw2_wgangp", cell), tuple(space[n] for n in names), 0)
    assert all(space[n] is f for n, f in own.items())
