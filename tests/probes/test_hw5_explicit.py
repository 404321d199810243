"""hw5_explicit: the seed's point split, and the reference models learn (outside the notebook)."""
from collections import defaultdict

import pytest
import torch

from conftest import ROOT, assert_earns_every_point, homework_builders


def _builder():
    return homework_builders()["hw5_explicit"]


def test_point_split_is_the_seeds():
    nb = _builder().build()
    points = defaultdict(float)
    for cell in nb.nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            points[meta["grade_id"].split("_")[0]] += meta["points"]
    assert dict(points) == {"q1": 15, "q2": 10, "q3": 15, "q4": 10, "p1": 25, "p2": 25}


def test_every_answer_cell_has_a_wrong_answer_mutant():
    module = _builder()
    nb = module.build()
    answers = {c.metadata["nbgrader"]["grade_id"] for c in nb.nb.cells
               if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")}
    full = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"] for c in nb.nb.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")}
    # a wrong answer fails a cell, or (points per test) earns less than the cell's points there
    failing = {m.answer for m in module.MUTANTS if m.fails or any(p < full[t] for t, p in m.earns.items())}
    assert answers <= failing, f"answer cells without a failing mutant: {sorted(answers - failing)}"
    required = ["mask A and B swapped", "centre pixel left in mask A", "log-det sign flipped (coupling)",
                "missing logit-transform Jacobian", "inpainting overwrites visible pixels"]
    labels = {m.label for m in module.MUTANTS}
    assert not [r for r in required if r not in labels]
    assert set(module.PARTIAL) <= labels


@pytest.fixture(scope="module")
def ref():
    torch.set_num_threads(1)
    return _builder().reference_namespace()  # the builder's REFERENCE_CELLS


def test_reference_pixelcnn_learns_on_the_sample(ref):
    from dgmlab.data import mnist

    torch.manual_seed(0)
    x = mnist(train=True, scale="binary", source="sample", n=64).images
    model = ref["PixelCNN"](8, 1, 3)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    first = None
    for _ in range(25):
        loss = ref["bernoulli_nll"](model(x), x).mean()
        first = loss.item() if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.9 * first


def test_reference_realnvp_learns_on_the_sample(ref):
    from dgmlab.data import mnist

    torch.manual_seed(0)
    x = mnist(train=True, scale="[0,1]", source="sample", n=128).images.flatten(1)
    flow = ref["RealNVP"](784, 32, 4)
    opt = torch.optim.Adam(flow.parameters(), lr=1e-3)
    losses = []
    for _ in range(25):
        loss = ref["bits_per_dim"](ref["log_prob_data"](flow, ref["dequantize"](x), 1e-6), 784).mean()
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert losses[-1] < losses[0] - 1.0
    with torch.no_grad():
        z, _ = flow(ref["logit_transform"](ref["dequantize"](x[:4]).double().float(), 1e-6)[0])
        samples = ref["inverse_logit_transform"](flow.inverse(z), 1e-6)
    assert torch.isfinite(samples).all()


# ---------------------------------------------------------------------- the two artifact-graded cells
# Both are proven in tests/authoring/test_proofs.py with the builder's PROOF_ARTIFACTS (the genuine float16 weights of
# the calibration runs, tests/fixtures). Both are check() cells the grader judges from the file alone (the kernel
# hands back nothing): here the judge (dgmlab.probes.judge, as dgmlab autograde runs it, hidden tests included)
# decides each cell on a folder without the files (both earn nothing and say why), then on other files.
FIXTURES = ROOT / "tests" / "fixtures"
EARLY_P1 = FIXTURES / "hw5_early_pixelcnn_64_f16.pt"
P1_CELL, P2_CELL = "p1_weights_tests", "p2_weights_tests"


def _cell_source(gid):
    nb = _builder().build()
    return next(c.source for c in nb.nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == gid)


def _judged(gid, folder):
    """``(earned, printed)``: the grader's verdict on test cell ``gid`` with the files in ``folder``."""
    from dgmlab import probes
    from dgmlab.grading import hidden

    spec = probes.spec_for("hw5_explicit", gid)
    result = probes.judge("hw5_explicit", spec, {}, 0, hidden=hidden.tests("hw5_explicit", gid), folder=folder,
                          seeds={n: 0 for n in spec.files})
    return result.earned, "\n".join(result.lines)


def _half(model_or_state):
    state = model_or_state.state_dict() if isinstance(model_or_state, torch.nn.Module) else model_or_state
    return {k: (v.detach().half() if v.is_floating_point() else v) for k, v in state.items()}


@pytest.fixture
def graded(tmp_path, monkeypatch):
    """An empty homework folder, judged as dgmlab autograde does (not fast mode: a missing file counts)."""
    monkeypatch.delenv("DGMLAB_FAST", raising=False)
    return tmp_path, _builder()


def test_weights_cells_without_the_files_earn_nothing_and_say_why(graded):
    folder, builder = graded
    for cell, name in ((P1_CELL, builder.P1_WEIGHTS_FILE), (P2_CELL, builder.P2_WEIGHTS_FILE)):
        earned, printed = _judged(cell, folder)
        assert earned == 0, f"{cell} with no weights file: {earned}"
        assert f"{name} was not handed in" in printed, printed


def _early_realnvp(ns):
    """The reference flow after 30 Adam steps (lr 1e-4, batch 128) on the shipped training digits."""
    from dgmlab.data import mnist

    torch.manual_seed(0)
    x = mnist(train=True, scale="[0,1]", source="sample").images.flatten(1)
    flow = ns["RealNVP"](784, 256, 6)
    opt = torch.optim.Adam(flow.parameters(), lr=1e-4)
    for step in range(30):
        xb = x[(step * 128) % 896:(step * 128) % 896 + 128]
        loss = ns["bits_per_dim"](ns["log_prob_data"](flow, ns["dequantize"](xb), 1e-6), 784).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return flow


def _pickled_model():
    """torch.save(model) instead of its state dict: a pickled nn.Module (the notebook's classes live in the kernel)."""
    return torch.nn.Sequential(torch.nn.Conv2d(1, 1, 3, padding=1))


def _nan(state):
    state = dict(state)
    key = next(k for k, v in state.items() if v.is_floating_point() and v.dim() >= 2 and not k.endswith("mask"))
    state[key] = torch.full_like(state[key], float("nan"))
    return state


def _mask_opened(state):
    state = dict(state)
    key = next(k for k in state if k.endswith("mask"))
    state[key] = torch.ones_like(state[key])
    return state


def _untrained_layout(which):
    """Red team F2's file: the stand-in the visible check loads into, as constructed (zero masks, default init)."""
    from homeworks.hw5_explicit.hidden import references as graded

    torch.manual_seed(0)
    return graded.file_pixelcnn() if which == "pixelcnn" else graded.file_realnvp()


# cell -> {file: (maker(ns, builder) -> object to torch.save, or None for no file; points of 3; printed)}
FILES = {
    P1_CELL: {
        "genuine weights (epoch 10 of 10)": (lambda ns, b: torch.load(b.GENUINE_P1_WEIGHTS, weights_only=True),
                                             3, "passed test_held_in_nats_of_a_full_run"),
        "early checkpoint (epoch 1, step 468)": (lambda ns, b: torch.load(EARLY_P1, weights_only=True), 1, "where a run of the training cell with the full settings gives about"),
        # red team F2: untrained weights in the stated layout earned the visible point (1 of 3) before it needed training
        "untrained PixelCNN()": (lambda ns, b: _half(ns["PixelCNN"]()), 0, "untrained: about 87%"),
        "channels 32": (lambda ns, b: _half(ns["PixelCNN"](channels=32)), 0, "has shape (32, 1, 7, 7)"),
        "a pickled model object": (lambda ns, b: _pickled_model(), 0, "could not be read with torch.load(weights_only=True)"),
        "NaN weights": (lambda ns, b: _nan(torch.load(b.GENUINE_P1_WEIGHTS, weights_only=True)), 0, "NaN"),
        # the visible point runs the file's own masks: opened, the network sees its own pixel (not causal); the
        # hidden test refuses any mask but the one the architecture builds
        "a mask opened to ones": (lambda ns, b: _mask_opened(torch.load(b.GENUINE_P1_WEIGHTS, weights_only=True)), 0,
                                  "differs from the one the notebook's architecture builds"),
        "the red team's untrained layout (zero masks)": (lambda ns, b: _half(_untrained_layout("pixelcnn")), 0,
                                                         "untrained: about 87%"),
    },
    P2_CELL: {
        "genuine weights (epoch 20)": (lambda ns, b: torch.load(b.GENUINE_P2_WEIGHTS, weights_only=True),
                                       3, "passed test_held_in_bits_per_dim_of_a_full_run"),
        # 5.49 bits/dim: above the visible point's loose bar (3) too
        "30 training steps": (lambda ns, b: _half(_early_realnvp(ns)), 0, "where a run of the training cell with the full settings gives about"),
        "untrained RealNVP(784, 256, 6)": (lambda ns, b: _half(ns["RealNVP"](784, 256, 6)), 0, "untrained: 30-90"),
        "the red team's untrained layout (zero masks)": (lambda ns, b: _half(_untrained_layout("realnvp")), 0,
                                                         "untrained: 30-90"),
        "hidden 1024 (the old setting)": (lambda ns, b: _half(ns["RealNVP"](784, 1024, 6)), 0,
                                          "far more than the weights of RealNVP(784, 256, 6) take"),
        "hidden 128": (lambda ns, b: _half(ns["RealNVP"](784, 128, 6)), 0, "has shape (128, 784)"),
        "a pickled model object": (lambda ns, b: _pickled_model(), 0,
                                   "could not be read with torch.load(weights_only=True)"),
        "NaN weights": (lambda ns, b: _nan(torch.load(b.GENUINE_P2_WEIGHTS, weights_only=True)), 0, "NaN"),
    },
}


@pytest.mark.slow
@pytest.mark.parametrize("cell, kind", [(c, k) for c, files in FILES.items() for k in files])
def test_weights_cell_on_a_file(graded, ref, cell, kind):
    folder, builder = graded
    make, earned, printed = FILES[cell][kind]
    name = builder.P1_WEIGHTS_FILE if cell == P1_CELL else builder.P2_WEIGHTS_FILE
    torch.save(make(ref, builder), folder / name)
    got, lines = _judged(cell, folder)
    assert got == earned, f"{kind}: earned {got} of 3\n{lines}"
    assert printed in lines, f"{kind}: {lines}"


def test_weights_cells_split_their_points_and_both_tests_load_the_file():
    """Each weights cell: 1 visible point for a trained file (the stated network with the file's own masks, no mask
    built in dgmlab.probes: causal or log-det = Jacobian's, then a loose bar an untrained network is far from, with no
    likelihood formula: the share of pixels predicted right, the scale of z and of the log-det), 2 hidden points for
    the grader's likelihood bar, whose test loads the file into the kit's own network (never a class from the
    student's kernel) with its masks checked."""
    import inspect

    from dgmlab import probes
    from dgmlab.grading import hidden as hidden_tests

    for gid in (P1_CELL, P2_CELL):
        spec = probes.spec_for("hw5_explicit", gid)
        tests = hidden_tests.tests("hw5_explicit", gid)
        source = inspect.getsource(inspect.getmodule(tests[0]))  # its part in homeworks/hw5_explicit/hidden/
        assert spec.points == 3 and spec.hidden == 2 and spec.names == () and len(spec.files) == 1
        steps = probes.plan(spec, hidden=tests)
        assert sorted(w for _, w, hidden in steps if hidden) == [2]
        assert sorted(w for _, w, hidden in steps if not hidden) == [1]
        for test in tests:
            assert "_graded_model(v)" in inspect.getsource(test), \
                f"{gid}: {test.__name__} does not load the file through the checks"
        assert "constant_buffers=True" in source and "v.files[" in source and "_Kit" in source


def test_the_visible_layouts_have_the_kit_networks_names_and_shapes(ref):
    """The kit's layouts (names and shapes only) and the grader's stand-ins the visible checks load a file into have
    exactly the names and shapes of the reference PixelCNN() and RealNVP(784, 256, 6), so a file the hidden test
    accepts is never refused by the visible one."""
    from homeworks.hw5_explicit import checks as spec
    from homeworks.hw5_explicit.hidden import references as graded

    for made, layout, stand_in in ((ref["PixelCNN"](), spec._layout_pixelcnn(), graded.file_pixelcnn()),
                                   (ref["RealNVP"](784, 256, 6), spec._layout_realnvp(), graded.file_realnvp())):
        want = {k: tuple(v.shape) for k, v in made.state_dict().items()}
        assert layout == want
        assert {k: tuple(v.shape) for k, v in stand_in.state_dict().items()} == want


def test_the_visible_file_checks_read_no_grading_digit():
    """issue 54: the weights cells' visible points run on the first digits of the shipped training sample, never on
    the shipped test digits the grader's likelihood bars use (those live with the grader only)."""
    from homeworks.hw5_explicit.checks import common
    from homeworks.hw5_explicit.hidden.references import grading_digits

    seen, graded = common._training_digits(200, "[0,1]").flatten(1), grading_digits(200, "[0,1]").flatten(1)
    assert seen.shape == graded.shape == (200, 784)
    assert not (seen[:, None, :] == graded[None, :, :]).all(-1).any()
    assert torch.equal(common._training_digits(100, "binary"), (seen[:100] > 0.5).float().view(100, 1, 28, 28))


def test_the_visible_property_checks_refuse_a_model_that_sees_its_pixel_and_a_flipped_log_det():
    from homeworks.hw5_explicit.checks import common

    class SeesItself(torch.nn.Module):
        def forward(self, x):
            return x * 2.0

    class Previous(torch.nn.Module):
        def forward(self, x):
            flat = x.flatten(1)
            return torch.cat([torch.zeros_like(flat[:, :1]), flat[:, :-1]], dim=1).view_as(x)

    class Scale(torch.nn.Module):
        def __init__(self, flipped):
            super().__init__()
            self.a, self.flipped = torch.nn.Parameter(torch.linspace(0.5, 2.0, 784)), flipped

        def forward(self, v):
            ld = torch.log(self.a).sum().expand(len(v))
            return v * self.a, -ld if self.flipped else ld

    common._assert_causal(Previous())
    with pytest.raises(AssertionError, match=r"not causal: its logit at pixel \(10, 10\) depends on pixel \(10, 10\)"):
        common._assert_causal(SeesItself())
    v = common.flow_input(common._training_digits(1, "[0,1]"))
    common._assert_log_det(Scale(False), v)
    with pytest.raises(AssertionError, match=r"log-determinant is .* but the Jacobian.s log\|det\| is"):
        common._assert_log_det(Scale(True), v)


def test_copy_detection_loads_both_weights_files_as_the_hidden_tests_do():
    """dgmlab.grading.copies.functional_copies compares hw5's handed-in files in the hidden tests' own networks
    (homeworks/hw5_explicit/hidden/), with their size limits: both genuine fixtures load and give a fingerprint."""
    from dgmlab.grading.copies import functional_copies as FC
    from dgmlab.grading.course import Course
    from homeworks.hw5_explicit.hidden import p1_masked_cnn_inpainting, p2_real_nvp_mnist

    builder = _builder()
    networks = FC.kit_networks(Course(ROOT), "hw5_explicit")
    assert [(n.name, n.max_bytes) for n in networks] == [
        (builder.P1_WEIGHTS_FILE, p1_masked_cnn_inpainting.MAX_P1_BYTES),
        (builder.P2_WEIGHTS_FILE, p2_real_nvp_mnist.MAX_P2_BYTES)]
    for path, network in ((builder.GENUINE_P1_WEIGHTS, networks[0]), (builder.GENUINE_P2_WEIGHTS, networks[1])):
        found = FC.fingerprint(path.read_bytes(), networks)
        assert found is not None and found.network is network and found.energy > 0, path.name


@pytest.mark.slow
def test_pixelcnn_bar_rejects_the_early_fixture_and_passes_the_genuine_one(ref):
    """P1's bar (``P1_BAR_NATS`` of its hidden test) lies between the grading-set NLL of the GPU calibration run's
    epoch-1 checkpoint and of its final one (benchmarks/results/hw5_explicit_notes.md), which the statement gives as
    what a full run and one epoch reach, and the two fixtures still give the values the builder records for them."""
    import inspect
    import re

    from dgmlab import artifacts
    from homeworks.hw5_explicit.hidden import p1_masked_cnn_inpainting as hidden_p1
    from homeworks.hw5_explicit.hidden.references import bernoulli_nll_nats, grading_digits

    builder = _builder()
    nb = builder.build()
    bar = hidden_p1.P1_BAR_NATS
    said = f"about {builder.P1_CALIBRATED_NLL:.1f} nats per image on MNIST test digits (one epoch: {builder.P1_EARLY_NLL:.1f}"
    assert any(said in " ".join(c.source.split()) for c in nb.nb.cells if c.cell_type == "markdown")
    graded = inspect.getsource(hidden_p1.test_held_in_nats_of_a_full_run)
    n = int(re.search(r"grading_digits\((\d+), scale=\"binary\"\)", graded).group(1))
    x = grading_digits(n, scale="binary")
    for path, recorded in ((EARLY_P1, builder.P1_EARLY_NLL), (builder.GENUINE_P1_WEIGHTS, builder.P1_CALIBRATED_NLL)):
        net = artifacts.load_weights(ref["PixelCNN"](), torch.load(path, weights_only=True), constant_buffers=True)
        assert bernoulli_nll_nats(net, x) == pytest.approx(recorded, abs=0.01), path.name
    assert builder.P1_CALIBRATED_NLL < bar < builder.P1_EARLY_NLL


# ---------------------------------------------------------------------- red team F1: forged probe data
def _forged_f1(cell):
    """The probe data red team F1's notebook showed (/tmp/redteam/hw5_cell.py): no MaskedConv2d or PixelCNN written,
    check() replaced in the kernel, each type's mask and 0/1 gradient patterns typed in. It earned 5/5 and 5/5."""
    def mask(k, kind):
        m = torch.zeros(k, k)
        c = k // 2
        m[:c] = 1
        m[c, :c + (kind == "B")] = 1
        return m

    def grad(n, pos):
        g = torch.zeros(n * n)
        g[:pos] = 1.0
        return g

    if cell == "p1_masked_conv_tests":
        out = {"shape_out": torch.zeros(2, 4, 9, 9), "centre_now_and_later": [torch.zeros(2), torch.zeros(2)]}
        out.update({f"taps_{kind}{k}": mask(k, kind) for kind in "AB" for k in (3, 5, 7)})
        return out
    return {"out_small": torch.zeros(2, 1, 10, 10), "grad_at_3_2": grad(6, 3 * 6 + 2),
            "grads_8x8": [grad(8, i * 8 + j) for i, j in ((0, 0), (2, 5), (4, 4), (7, 7), (5, 0))],
            "default_grads": [grad(9, 4 * 9 + 4), grad(20, 19 * 20 + 10)]}


def _forged_now(cell, seed):
    """The same attack against today's probes: every value the probe hands back, typed in with the right shapes
    (zeros; and, for the convolutions, the unmasked output of the grader's weights, which the kernel can compute)."""
    from dgmlab import probes

    inputs = probes.make_inputs(probes.spec_for("hw5_explicit", cell), seed)
    if cell == "p1_masked_conv_tests":
        return {f"out_{kind}{k}": [torch.nn.functional.conv2d(inputs["x"], w, inputs[f"b_{kind}{k}"], padding=k // 2)
                                   for w in inputs[f"w_{kind}{k}"]]
                for kind, k in (("A", 3), ("B", 3), ("A", 5), ("B", 5), ("A", 7), ("B", 7))}
    return {key: torch.zeros_like(inputs["x_small" if key.startswith("small") else "x_default"])
            for key in ("small_upper", "default_upper", "small_full", "default_full")}


@pytest.mark.parametrize("cell", ["p1_masked_conv_tests", "p1_model_tests"])
@pytest.mark.parametrize("forge", [_forged_f1, _forged_now])
def test_forged_probe_data_earns_nothing(cell, forge):
    """Red team F1: the grade compares the student's outputs on the grader's seeded weights and images with what
    the grader computes itself, so typed-in facts (masks, gradient patterns, shapes) earn nothing."""
    from dgmlab import probes
    from dgmlab.grading.judge import cell_verdicts
    from dgmlab.probes import wire

    seed = 4242
    data = forge(cell) if forge is _forged_f1 else forge(cell, seed)
    shown = [{"output_type": "display_data", "metadata": {},
              "data": {probes.PROBE_MIME: {"cell": cell, "data": wire.dumps(data)}}}]
    result = cell_verdicts.judge_cell("hw5_explicit", cell, _cell_source(cell), shown, seed)
    assert result.earned == 0, "\n".join(result.lines)


# ---------------------------------------------------------------------- visible tests compare with recorded values
# The converted cells' visible tests read the probe's values on the working seed's inputs and compare them with values
# the grader's references gave on those inputs when the kit was built (homeworks/hw5_explicit/checks/expected.json); the
# hidden tests import the references in the judge and compare the values on the grading seed's inputs.
CONVERTED = ("q1_steps_tests", "q4_frechet_tests", "p1_masked_conv_tests", "p1_model_tests", "p2_logit_tests", "p2_coupling_tests",
             "p2_realnvp_tests", "p2_log_prob_tests")


@pytest.mark.parametrize("cell", CONVERTED)
@pytest.mark.parametrize("seed", [0, 987_654])
def test_the_reference_earns_every_point_of_a_converted_cell_on_any_grading_seed(ref, cell, seed):
    """The reference earns every visible point on the working seed (against the recorded values) and on another seed
    (against the grader's references on that draw), and with the hidden tests every point."""
    from dgmlab import probes
    from dgmlab.probes import wire

    if cell.startswith("q1"):
        ns = _builder().reference_namespace(("imports", "q1_discriminative", "q1_generative", "q1_steps"))
    elif cell.startswith("q4"):
        ns = _builder().reference_namespace(("imports", "q4_frechet"))
    else:
        ns = ref
    spec = probes.spec_for("hw5_explicit", cell)
    data = wire.loads(wire.dumps(probes.run_probe(spec, tuple(ns[n] for n in spec.names), seed)))
    assert_earns_every_point("hw5_explicit", spec, data, seed)


def test_a_visible_test_compares_the_working_values_with_the_recorded_ones(ref):
    """In a self-check (the working seed) the coupling layer's visible tests compare its values with the recorded
    ones: z moved by 1e-3 fails the forward test alone, and the recorded file is what it was compared with."""
    from dgmlab import probes
    from dgmlab.probes import wire

    spec = probes.spec_for("hw5_explicit", "p2_coupling_tests")
    data = wire.loads(wire.dumps(probes.run_probe(spec, (ref["CouplingLayer"],), probes.WORKING_SEED)))
    assert torch.allclose(data["working"]["main_forward"]["z"], probes.expected("hw5_explicit", "p2_coupling_tests")["z"])
    data["working"]["main_forward"]["z"] = data["working"]["main_forward"]["z"] + 1e-3
    result = probes.judge("hw5_explicit", spec, data, probes.WORKING_SEED)
    failed = {name for name, _, _, ok, _ in result.results if not ok}
    assert failed == {"test_forward_is_the_statements_map"}, result.lines


def test_the_theta_star_check_reads_the_students_own_divergences():
    """q3's minimiser check compares theta* with the student's own kl_PQ and js_PQ a step either side (the kit ships
    no divergence table, whose minimiser would be the answer): a minimiser passes, 0.31 for 0.3 and a maximiser fail."""
    import sympy as sp

    from dgmlab import probes
    from homeworks.hw5_explicit import checks as spec_module

    theta = spec_module.symbols()["theta"]
    kl = theta * sp.log(theta / sp.Rational(3, 10)) + (1 - theta) * sp.log((1 - theta) / sp.Rational(7, 10))
    spec = probes.spec_for("hw5_explicit", "q3_theta_star_tests")

    others = [float(b) for b in spec_module.q3_jensen_shannon_divergence._q3_theta_star_inputs(0)["b"]]

    def failed(kl_star, js_star):
        result = probes.judge("hw5_explicit", spec, {"theta_star_kl": kl_star, "theta_star_js": js_star,
                                                     "kl_PQ": kl, "js_PQ": kl, "others": others}, 0)
        return {name for name, _, hidden, ok, _ in result.results if not ok and not hidden}

    assert failed(0.3, 0.3) == set()
    assert failed(0.31, 0.3) == {"test_minimises_your_divergences"}
    assert failed(0.3, 0.95) == {"test_minimises_your_divergences"}


def test_a_typed_minimiser_fails_on_divergences_the_statement_does_not_ask_for():
    """Q = Bern(0.3) makes theta* = 0.3 readable from the statement: divergence_minimiser is also run on two other
    divergences (squared Hellinger, chi^2) minimised at b = k/40 of the draw, where a typed 0.3 is no minimiser."""
    from dgmlab import probes
    from homeworks.hw5_explicit.checks import q3_jensen_shannon_divergence as q3

    spec = probes.spec_for("hw5_explicit", "q3_theta_star_tests")
    inputs = q3._q3_theta_star_inputs(0)
    assert 0.3 not in [float(b) for b in inputs["b"]]

    def failed(others):
        result = probes.judge("hw5_explicit", spec, {"theta_star_kl": 0.3, "theta_star_js": 0.3,
                                                     "kl_PQ": _kl_to_3_10(), "js_PQ": _kl_to_3_10(),
                                                     "others": others}, 0)
        return {name for name, _, hidden, ok, _ in result.results if not ok and not hidden}

    assert failed([float(b) for b in inputs["b"]]) == set()
    assert failed([0.3, 0.3]) == {"test_finds_the_minimiser_of_other_divergences"}
    assert failed([float(b) + 0.01 for b in inputs["b"]]) == {"test_finds_the_minimiser_of_other_divergences"}


def _kl_to_3_10():
    import sympy as sp

    from homeworks.hw5_explicit import checks as spec_module

    theta = spec_module.symbols()["theta"]
    return theta * sp.log(theta / sp.Rational(3, 10)) + (1 - theta) * sp.log((1 - theta) / sp.Rational(7, 10))


def test_the_kit_ships_no_minimiser_table():
    """issue 55: expected.json holds nothing for q3_theta_star_tests (a table of the statement's divergences on a grid
    answers theta* = 0.3 whatever the seed)."""
    from importlib import resources

    from dgmlab.probes import wire

    recorded = wire.loads(resources.files("homeworks.hw5_explicit.checks").joinpath("expected.json").read_text())
    assert "q3_theta_star_tests" not in recorded


def test_the_weights_cells_say_what_a_full_run_gives_and_name_no_bar():
    """issue 73: each weights cell says what is asked of the file and what a full run of the training cell gives on the
    measures its checks read, in the homework's words: no bar, no points earned, no grader."""
    cells = [c.source for c in _builder().build().nb.cells if c.cell_type == "markdown"]
    p1 = " ".join(next(c for c in cells if "### Your trained PixelCNN" in c).split())
    p2 = " ".join(next(c for c in cells if "### Your trained Real NVP" in c).split())
    assert "predicts about 96.5% of the pixels of training digits" in p1  # P1_VISIBLE_BAR_ACCURACY is 95%
    assert "latents of mean square about 0.3 per coordinate" in p2  # P2_VISIBLE_BAR_Z2 is 2
    for text in (p1, p2):
        body = text.split(")", 1)[1]  # after the heading's points
        assert "with the full settings" in body and "The cell below measures both" in body, body
        assert not any(word in body.lower() for word in ("earn", "point", "bar", "at most", "at least", "grade")), body


@pytest.mark.parametrize("cell, name", [("p1_model_tests", "PixelCNN"), ("p2_coupling_tests", "CouplingLayer")])
def test_a_network_without_the_stated_parameters_is_told_so_not_that_its_code_raised(cell, name):
    """issue 54: the kit's loader, not the student's code, finds a network without the docstring's parameters; the
    hint says what differs and never "your code raised"."""
    from dgmlab import probes
    from dgmlab.probes import wire

    class Unstated(torch.nn.Module):
        def __init__(self, *args):
            super().__init__()
            self.only = torch.nn.Linear(2, 2)

        def forward(self, x):
            return self.only(x)

    spec = probes.spec_for("hw5_explicit", cell)
    objects = tuple(Unstated if n == name else None for n in spec.names)
    data = wire.loads(wire.dumps(probes.run_probe(spec, objects, probes.WORKING_SEED)))
    from dgmlab.grading import hidden

    result = probes.judge("hw5_explicit", spec, data, probes.WORKING_SEED, hidden=hidden.tests("hw5_explicit", cell))
    failed = [line for line in result.lines if line.startswith("FAILED")]
    assert failed and result.earned == 0, result.lines
    told = [line for line in failed if "docstring" in line and "parameters" in line]
    assert told and not any("your code raised" in line for line in told), failed
    assert any("(hidden test)" in line for line in told), failed  # the hidden tests say it too
    assert not any("KeyError" in line or "TypeError" in line for line in failed), failed


@pytest.mark.slow
def test_a_self_check_without_the_grader_loads_the_file_into_the_students_own_class(graded, ref, monkeypatch):
    """Where the grader is not installed (a student's kernel), the visible weights check loads the file into the
    notebook's own PixelCNN (the kit holds no network that computes), and says which class to define when there is
    none."""
    import types

    import IPython

    from dgmlab import probes

    folder, builder = graded
    torch.save(torch.load(builder.GENUINE_P1_WEIGHTS, weights_only=True), folder / builder.P1_WEIGHTS_FILE)
    monkeypatch.setattr(probes, "_GRADER_SIDE", {})  # the grader has handed the checks nothing (use_grader_side)
    spec = probes.spec_for("hw5_explicit", P1_CELL)
    shell = types.SimpleNamespace(user_ns={"PixelCNN": ref["PixelCNN"]})
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    mine = probes.judge("hw5_explicit", spec, {}, 0, folder=folder, seeds={n: 0 for n in spec.files})
    assert mine.earned == 1, mine.lines
    shell.user_ns.clear()
    none = probes.judge("hw5_explicit", spec, {}, 0, folder=folder, seeds={n: 0 for n in spec.files})
    assert none.earned == 0 and any("run the cells that define PixelCNN first" in line for line in none.lines), \
        none.lines


# ---------------------------------------------------------------------- issue 54 (student54): points and hints
def _visible(cell, *objects):
    """``(earned, printed)``: a self-check of ``cell`` on the working seed (visible tests only)."""
    from dgmlab import probes
    from dgmlab.probes import wire

    spec = probes.spec_for("hw5_explicit", cell)
    data = wire.loads(wire.dumps(probes.run_probe(spec, objects, probes.WORKING_SEED)))
    result = probes.judge("hw5_explicit", spec, data, probes.WORKING_SEED)
    return result.earned, "\n".join(result.lines)


def test_weights_cells_in_fast_mode_without_the_file_earn_nothing_and_say_to_train(tmp_path, monkeypatch):
    """finding 1: fast mode writes no weights file; the visible point is not earned without one."""
    from dgmlab import probes

    monkeypatch.setenv("DGMLAB_FAST", "1")
    builder = _builder()
    for cell, name in ((P1_CELL, builder.P1_WEIGHTS_FILE), (P2_CELL, builder.P2_WEIGHTS_FILE)):
        spec = probes.spec_for("hw5_explicit", cell)
        result = probes.judge("hw5_explicit", spec, {}, 0, folder=tmp_path, seeds={n: 0 for n in spec.files})
        printed = "\n".join(result.lines)
        assert result.earned == 0, printed
        assert f"no {name} yet: train in full mode" in printed, printed


def test_a_posterior_computed_in_numpy_earns_nothing_and_is_told_why():
    """finding 4 / mistake 2: right values rebuilt from numpy have no gradient, which the statement requires."""
    import numpy as np

    def numpy_posterior(p_z_given_y, F_table, prior_y, x):
        P, Fn, py = p_z_given_y.detach().numpy(), F_table.numpy(), prior_y.numpy()
        rows = []
        for xv in x.numpy():
            lik = P[:, Fn == xv].sum(1) * py
            rows.append(lik / lik.sum() if lik.sum() > 0 else np.full(P.shape[0], 1.0 / P.shape[0]))
        return torch.tensor(np.array(rows), dtype=p_z_given_y.dtype)

    earned, printed = _visible("q1_generative_tests", numpy_posterior)
    assert earned == 0, printed
    assert "keep the result differentiable" in printed and "your code raised" not in printed, printed


def _frechet(mu1, cov1, mu2, cov2, factor=2.0):
    w, v = torch.linalg.eigh((cov1 + cov1.T) / 2)
    root1 = (v * torch.sqrt(torch.clamp(w, min=0))) @ v.T
    middle = root1 @ cov2 @ root1
    tr_sqrt = torch.sqrt(torch.clamp(torch.linalg.eigvalsh((middle + middle.T) / 2), min=0)).sum()
    return (mu1 - mu2) @ (mu1 - mu2) + torch.trace(cov1) + torch.trace(cov2) - factor * tr_sqrt


def test_a_frechet_distance_with_its_cross_term_from_scipy_earns_nothing():
    """finding 5: a cross term through scipy.linalg.sqrtm has no gradient; the statement says it earns nothing."""
    import numpy as np
    import scipy.linalg

    def with_sqrtm(mu1, cov1, mu2, cov2):
        s = scipy.linalg.sqrtm(cov1.detach().numpy() @ cov2.detach().numpy()).real
        return ((mu1 - mu2) ** 2).sum() + torch.trace(cov1 + cov2) - 2 * torch.tensor(np.trace(s))

    earned, printed = _visible("q4_frechet_tests", with_sqrtm)
    assert earned == 0, printed
    assert "part of the distance has no gradient" in printed, printed
    assert _visible("q4_frechet_tests", _frechet)[0] == 3


def test_a_missing_factor_2_is_blamed_on_the_formula_not_the_square_root():
    """finding 5 / mistake 10: no test blames the matrix square root or the clamp for a cross term without its 2."""
    earned, printed = _visible("q4_frechet_tests", lambda *a: _frechet(*a, factor=1.0))
    assert earned == 0
    assert "matrix square root (the element-wise" not in printed and "clamp them at 0" not in printed, printed
    assert printed.count("the cross term's factor 2") == 3, printed


def test_log_prob_without_the_normaliser_names_the_constant():
    """mistake 18: no -D/2 log 2 pi (with a logit log-det lacking log(1 - 2 alpha)): the hint names both."""
    def logit_transform(y, alpha):
        s = alpha + (1 - 2 * alpha) * y
        v = torch.log(s) - torch.log1p(-s)
        return v, (-torch.log(s) - torch.log1p(-s)).sum(dim=1)  # log(1 - 2 alpha) left out

    def log_prob_data(flow, y, alpha):
        v, log_det_logit = logit_transform(y, alpha)
        z, log_det_flow = flow(v)
        return -0.5 * (z ** 2).sum(dim=1) + log_det_flow + log_det_logit

    earned, printed = _visible("p2_log_prob_tests", log_prob_data, logit_transform)
    assert "found 2.07944" in printed and "expected" in printed
    assert "off by the constant D/2 log 2 pi" in printed and "log(1 - 2 alpha)" in printed, printed
    assert earned == 0.5
