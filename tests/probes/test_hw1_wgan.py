"""hw1_wgan: the proofs with the artifact the reference needs, and the artifact cell on other files.

The artifact-graded cell ``q3_samples_quality_tests`` hands the grader nothing from the kernel: its hidden tests
(run by the judge, :mod:`dgmlab.grading.judge.judge`) read ``generator_weights.pt`` as handed in, load it into the kit's
own ``Generator`` (the instructor's ``wgan_networks`` cell, ``reference``), draw 1,000 samples with the graded
draw's seed and score them. Both here and in tests/authoring/test_proofs.py the notebook is copied to a temporary folder
with the builder's ``PROOF_ARTIFACTS`` (the reference generator's weights, tests/fixtures), where every graded
cell is proven. A session runs the notebook without the file (the cell earns nothing and says why, the others
everything); the cell is then judged on other files: the reference run's epoch-5 weights earn the 2 points of
well-formed weights and fail the quality bar (5 points); an untrained generator (one grey smudge), a file of
samples (the graded file before it became weights), weights of another width, weights with a NaN and a float32
state dict earn 0; the genuine weights earn all 7. The cheats a notebook could try around the file (a
``Generator`` redefined or changed in place to return stored samples, a patched scorer) change nothing: the
grader never uses the kernel's classes or scores, so the epoch-5 weights still earn 2.
"""
import io
import shutil
from pathlib import Path

import pytest
import torch

from conftest import assert_earns_every_point, half_state, homework_builders, with_a_nan
from dgmlab import probes
from dgmlab.authoring.proofs import NotebookSession, _grade_id
from dgmlab.grading.judge import judge
from dgmlab.probes import wire

HW = "hw1_wgan"
COPIED = "these samples match dataset images, not generated ones"
CELL = "q3_samples_quality_tests"
WEIGHTS = "generator_weights.pt"


@pytest.fixture(scope="module")
def builder():
    return homework_builders()[HW]


def _copy(builder, folder):
    src = builder.build().path
    dst = folder / src.name
    shutil.copy(src, dst)
    return dst


def _sources(builder):
    return {_grade_id(c): c.source for c in builder.build().nb.cells if _grade_id(c)}


def judged_file(builder, folder, seeds=None, keep=None):
    """The artifact cell judged as the grader does, on the files in ``folder``; the kit's networks from the source
    notebook. Its probe hands back nothing, so the kernel's part is an empty table."""
    sources = _sources(builder)
    shown = [{"output_type": "display_data", "metadata": {},
              "data": {probes.PROBE_MIME: {"cell": CELL, "data": wire.dumps({})}}}]
    return judge.judge_cell(HW, CELL, sources[CELL], shown, 0, folder=folder, seeds=seeds,
                            reference=judge.Reference(lambda gid: sources[gid]), keep=keep)


def test_hw1_wgan_artifact_writers_and_wrong_answers(builder, tmp_path):
    """tests/authoring/test_proofs.py proves hw1 with its PROOF_ARTIFACTS written; here: each writer writes the file
    it is keyed by, and every answer has at least two wrong answers."""
    for name, make in builder.PROOF_ARTIFACTS.items():
        assert make(tmp_path).name == name
    assert_two_wrong_answers_per_cell(builder)


def assert_two_wrong_answers_per_cell(builder):
    """Every answer cell has at least two wrong answers: mutants that fail, or earn less than the cell's points."""
    full = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"] for c in builder.build().nb.cells
            if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"}
    for answer in {m.answer for m in builder.MUTANTS}:
        wrong = [m for m in builder.MUTANTS if m.answer == answer
                 and (m.fails or any(p < full[t] for t, p in m.earns.items()))]
        assert len(wrong) >= 2, f"{answer}: fewer than two wrong answers"


@pytest.fixture(scope="module")
def graded(builder, tmp_path_factory):
    """A grading-mode session of the notebook run once without the weights file: (session, folder, results)."""
    folder = tmp_path_factory.mktemp("hw1_artifact")
    nb_path = _copy(builder, folder)
    with NotebookSession(nb_path, env={"DGMLAB_OFFLINE": "1"}) as s:
        yield s, folder, s.run_all()


@pytest.mark.slow
def test_artifact_cell_without_the_file_earns_nothing_and_says_why(builder, graded, tmp_path):
    s, _, results = graded
    got, _ = s.run_verdict(s.index[CELL])
    assert got == "earn 0 of 7", f"the artifact-graded cell with no weights file: {got}"
    result = judged_file(builder, tmp_path)
    assert result.earned == 0
    assert "generator_weights.pt was not handed in" in "\n".join(result.lines), result.lines
    others = {k: m for k, (f, m) in results.items() if f and k not in builder.ARTIFACT_TESTS}
    assert not others, f"without the artifact, other cells failed too: {others}"
    assert _grade_id(s.nb.cells[s.index[CELL]]) == CELL


def _state(make_generator):
    """The state dict of ``make_generator()`` (the builder's reference namespace) as the notebook saves it."""
    return make_generator().state_dict()


def _genuine(b):
    return torch.load(b.GENUINE_WEIGHTS, weights_only=True)


def _untrained(ns):
    torch.manual_seed(0)
    return half_state(ns["Generator"]().state_dict())


def _untrained_scaled(ns, factor):
    torch.manual_seed(0)
    state = ns["Generator"]().state_dict()
    return {k: (v * factor).half() if v.is_floating_point() and "running" not in k else
            (v.half() if v.is_floating_point() else v) for k, v in state.items()}


# file -> (maker(builder, reference namespace), the points it earns of 7, what the cell must print)
FILES = {
    # the notebook's Generator as built draws one grey smudge ([-0.05, 0.11]): refused as a collapsed generator
    "an untrained generator": (lambda b, ns: _untrained(ns), 0, "(almost) all the same"),
    # the reference run's epoch-5 checkpoint (graded draw 7.89): a run stopped early stays under the bar
    "the reference run's generator at epoch 5": (lambda b, ns: torch.load(b.EARLY_WEIGHTS, weights_only=True), 2,
                                                  "below the bar"),
    # what the graded file was before it became weights: 1,000 images, not a state dict
    "1,000 samples instead of weights": (lambda b, ns: torch.load(b.GENUINE_SAMPLES, weights_only=True), 0,
                                         "must be a state dict"),
    # a cheat who knows the graded noise (seed 0) and tuned the weights to draw MNIST digits for it
    "weights tuned so the graded draw is 1,000 MNIST digits": (
        lambda b, ns: torch.load(b.MEMORIZER_WEIGHTS, weights_only=True), 0, COPIED),
    "the weights of a generator of width 32": (lambda b, ns: half_state(ns["Generator"](width=32).state_dict()), 0,
                                               "the notebook's architecture has"),
    "the genuine weights with a NaN (a diverged run)": (lambda b, ns: with_a_nan(_genuine(b)), 0, "NaN"),
    # torch.save(generator.state_dict()) by hand: float32 is 6.1 MB, over the 4 MB limit, refused unread
    "the genuine weights in float32": (lambda b, ns: {k: v.float() if v.is_floating_point() else v
                                                      for k, v in _genuine(b).items()}, 0, "bytes"),
    # the red team's F2: the kit's Generator as initialised, its weights scaled up 30x (fp16), drew 1,000 "new" images
    # and earned the 2 points of well-formed weights; they now need a trained generator (a score of 5 or more)
    "untrained weights scaled up 30x": (lambda b, ns: _untrained_scaled(ns, 30.0), 0, "expected a trained generator"),
    "the reference generator's weights": (lambda b, ns: _genuine(b), 7,
                                          "passed test_mnist_classifier_score_above_the_bar"),
}


@pytest.fixture(scope="module")
def reference_ns(builder):
    """The notebook's reference cells run here (Generator, Z_DIM, sample_generator): the builder's REFERENCE_CELLS."""
    return builder.reference_namespace("cpu")


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(FILES))
def test_artifact_cell_on_a_file(builder, reference_ns, kind, tmp_path):
    make, earned, printed = FILES[kind]
    torch.save(make(builder, reference_ns), tmp_path / WEIGHTS)
    result = judged_file(builder, tmp_path)
    lines = "\n".join(result.lines)
    assert result.earned == earned, f"{kind}: {result.earned}\n{lines}"
    assert printed in lines, f"{kind}: {lines}"


@pytest.mark.slow
def test_artifact_cell_grades_the_draw_it_makes_with_the_graded_seed(builder, tmp_path):
    """The grader draws the samples itself, with the seed dgmlab autograde made for the file: the genuine weights
    earn 7 with seed 0 (the fixture's samples: the reference sample_generator, seed 0, up to float16 rounding, whose
    first 100 it leaves for the dashboard through keep) and with another seed; a file refused as a copy of the
    kit's weights earns 0 and says why."""
    shutil.copyfile(builder.GENUINE_WEIGHTS, tmp_path / WEIGHTS)
    kept = {}
    assert judged_file(builder, tmp_path, keep=judge.keeper(kept)).earned == 7
    drawn = torch.load(io.BytesIO(kept["graded_draw_100.pt"]), weights_only=True)
    expected = torch.load(builder.GENUINE_SAMPLES, weights_only=True)[:100]
    assert drawn.shape == (100, 1, 28, 28) and float((drawn - expected).abs().max()) < 0.02
    assert judged_file(builder, tmp_path, seeds={WEIGHTS: 123456789}).earned == 7
    refused = judged_file(builder, tmp_path, seeds={WEIGHTS: "refused: a copy of the kit's published weights"})
    assert refused.earned == 0 and "a copy of the kit's published weights" in "\n".join(refused.lines)


# what a notebook might run before the graded cell to pass with the epoch-5 weights -> what the cell must name
CHEATS = {
    # a Generator that loads the weights but returns a stored file of good samples (the first 1,000 are 8.87)
    "a redefined Generator returning stored samples": (
        "_Locked = Generator\n"
        "class Generator(_Locked):\n"
        "    def forward(self, z):\n"
        "        return torch.load({path!r}, weights_only=True)[:len(z)]\n",
        "the notebook's Generator"),
    "Generator.forward replaced in place": (
        "Generator.forward = lambda self, z: torch.load({path!r}, weights_only=True)[:len(z)]\n",
        "the notebook's Generator.forward"),
    "a patched scorer": (
        "import dgmlab.metrics\n"
        "dgmlab.metrics.mnist_score = lambda *a, **k: (torch.tensor(9.9), torch.tensor(0.0))\n",
        "dgmlab.metrics.mnist_score"),
}


@pytest.mark.slow
@pytest.mark.parametrize("cheat", list(CHEATS))
def test_a_notebook_that_swaps_what_it_grades_gains_nothing(builder, graded, cheat):
    """What the kernel defines or patches never reaches the grade: the epoch-5 weights earn their 2 points, as
    without the cheat."""
    s, folder, _ = graded
    shutil.copyfile(builder.EARLY_WEIGHTS, folder / WEIGHTS)
    code, _ = CHEATS[cheat]
    answer = s.index["q3_interpolate"]  # the last answer cell before the graded one
    s.run_verdict(answer, s.reference[answer] + "\n" + code.format(path=str(builder.GENUINE_SAMPLES)))
    try:
        got, msg = s.run_verdict(s.index[CELL])
    finally:
        s.run_verdict(answer)
        s.run_verdict(s.index["wgan_networks"])
        (folder / WEIGHTS).unlink()
    assert got == "earn 2 of 7", f"{cheat}: {got} {msg}"


def test_artifact_cell_points_split_so_a_copied_file_earns_nothing(builder):
    """Both tests of the artifact cell read the file as handed in, in the grader, and each needs the checks a
    copied file fails: the format points are 2 (visible, so a student sees the file load into the kit's Generator
    before handing it in), the quality bar 5 (hidden, with the instructor's own networks cell)."""
    from dgmlab.grading import hidden as grader_side
    from homeworks.hw1_wgan import checks as spec_module

    steps = probes.plan(probes.spec_for(HW, CELL), hidden=grader_side.tests(HW, CELL))
    assert {n: w for n, w, hidden in steps if hidden} == {"test_mnist_classifier_score_above_the_bar": 5}
    assert {n: w for n, w, hidden in steps if not hidden} == {"test_saved_generator_draws_1000_new_images": 2}
    tests = Path(grader_side.module(HW).__file__).with_name("q3_wgan_on_mnist.py").read_text()
    body = tests.split("def test_mnist_classifier_score_above_the_bar(v, ref):")[1]
    assert "_graded_samples(v, ref)" in body, "the quality test does not run the checks a copied file fails"
    assert 'ref.cell("wgan_networks")' in tests and "v.files[WEIGHTS_FILE]" in tests
    visible = Path(spec_module.__file__).with_name("q3_deliverables.py").read_text()  # the artifact cell's checks
    assert "require_new" in tests and "require_new" in visible


def test_probes_generator_is_the_notebooks(builder, reference_ns):
    """The visible test loads the file into homeworks.hw1_wgan.checks's copy of the kit's Generator: the same
    parameter names and shapes as the notebook's locked networks cell, and the same images from the same weights."""
    from homeworks.hw1_wgan import checks as spec_module

    ours, theirs = spec_module.wgan_networks_generator(), reference_ns["Generator"]()
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    state = _genuine(builder)
    ours.load_state_dict({k: v.float() for k, v in state.items()})
    theirs.load_state_dict({k: v.float() for k, v in state.items()})
    ours.eval(), theirs.eval()
    z = torch.randn(8, spec_module.Z_DIM, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        assert torch.equal(ours(z), theirs(z))


@pytest.mark.slow
def test_artifact_cell_refuses_an_oversized_file_unread(builder, tmp_path):
    """A file over the builder's MAX_FILE_BYTES (the genuine one is ~3.05 MB) earns 0 and says its size."""
    (tmp_path / WEIGHTS).write_bytes(b"\0" * (builder.MAX_FILE_BYTES + 1))
    result = judged_file(builder, tmp_path)
    assert result.earned == 0
    assert f"{builder.MAX_FILE_BYTES + 1:,} bytes" in "\n".join(result.lines), result.lines


@pytest.mark.slow
def test_weights_tuned_to_seed_0_do_not_reach_the_autograders_draw(builder, reference_ns):
    """What the autograder's own seed buys: the memorizer (tuned so that seed 0 draws MNIST training digits)
    draws new images with the seed made from the course key (here 32 zero bytes) and its file."""
    from dgmlab import artifacts, novelty
    from dgmlab.grading.autograde import draw_seeds as DS

    path = builder.MEMORIZER_WEIGHTS
    name = "generator_weights.pt"
    keyed = DS.seeds_for(bytes(32), "hw1_wgan", {name: path.read_bytes()})[name]["seed"]
    generator = artifacts.load_weights(reference_ns["Generator"](), torch.load(path, weights_only=True))
    copies = {}
    for seed in (0, keyed):
        z = torch.randn(1000, reference_ns["Z_DIM"], generator=torch.Generator().manual_seed(seed))
        with torch.no_grad():
            copies[seed] = novelty.find_copies(generator(z).float(), scale="[-1,1]").n_copies
    assert copies[0] > 100 and copies[keyed] <= 10, copies



# ---------------------------------------------------------------- the red team's forgeries (F1, F6, F3b)
def _judged(builder, cell, data, seed=4242):
    """``cell`` judged as the grader judges it on probe ``data`` shown by the kernel."""
    shown = [{"output_type": "display_data", "metadata": {},
              "data": {probes.PROBE_MIME: {"cell": cell, "data": wire.dumps(data)}}}]
    return judge.judge_cell(HW, cell, _sources(builder)[cell], shown, seed)


def _forged_step_records(x):
    """/tmp/redteam/hw1_step_forge.py: self-consistent records of critic and generator optimizer steps that no
    training step made (9 of 9 when the tests recomputed gradients from the tensors the kernel recorded)."""
    from homeworks.hw1_wgan import checks as H

    def gen_step(crit_params):
        gen, crit = H.tiny_generator(x["generator_seed"]), H.linear_critic(H.CRITIC_WEIGHT, bias=H.CRITIC_BIAS)
        with torch.no_grad():
            for p, q in zip(crit.parameters(), crit_params):
                p.copy_(q)
        z = torch.randn(5, 3)
        grads = torch.autograd.grad(-crit(gen(z)).mean(), list(gen.parameters()))
        return {"z": z, "generator_params": [p.detach().clone() for p in gen.parameters()],
                "generator_grads": [g.detach() for g in grads], "critic_params": crit_params}

    def record(n_critic, lipschitz):
        gen = H.tiny_generator(x["generator_seed"])
        start = [p.detach().clone() for p in gen.parameters()]
        w = torch.tensor([H.CRITIC_WEIGHT]) * (0.01 if lipschitz == "clip" else 1.0)
        steps = []
        for i in range(n_critic):
            fake = torch.zeros(5, 1, 2, 2)
            want = (fake.flatten(1).mean(0) - x["batches"][i].flatten(1).mean(0)).unsqueeze(0)
            if lipschitz == "gp":
                want = want + 2 * 10.0 * (w.norm() - 1) * w / w.norm()
            steps.append({"generator_params": start, "real_index": i, "fake": fake, "critic_weight": w,
                          "critic_weight_grad": want})
        crit_params = [w, torch.tensor([0.01])]
        g = gen_step(crit_params)
        return {"critic_steps": steps, "generator_steps": [g], "generator_start": start,
                "out": {"critic_loss": 0.0, "penalty": 1.0 if lipschitz == "gp" else 0.0, "generator_loss": 0.0},
                "returned_type": "dict", "batches_taken": n_critic, "noise": [torch.randn(5, 3)] * n_critic + [g["z"]],
                "critic_end": crit_params,
                # and what the probes hand back now, made up the same way: the starting networks, unchanged
                "generator_end": start, }

    out = {run: record(kw.get("n_critic", 2), kw.get("lipschitz", lip)) for run, (lip, _, kw, _) in H.RUNS.items()}
    out["first_critic_step"] = record(1, "clip")
    return out


@pytest.mark.parametrize("seed", [4242, 99])
def test_forged_training_step_records_earn_nothing(builder, seed):
    x = probes.make_inputs(probes.spec_for(HW, "q3_train_step_tests"), seed)
    result = _judged(builder, "q3_train_step_tests", _forged_step_records(x), seed)
    assert result.earned == 0, "\n".join(result.lines)


def test_flow_densities_typed_from_torch_distributions_earn_nothing(builder):
    """/tmp/redteam/hw1_flow_oracle.py: no flow_log_prob, the visible tests' oracles on the fixed flows and the
    exception names typed in (3.75 of 5 when the tests used a public flow and reported exception names)."""
    import math

    D = torch.distributions
    x = probes.make_inputs(probes.spec_for(HW, "q1_flow_log_prob_tests"), 4242)
    data = {"on_1d_affine": D.Normal(1.0, 2.0).log_prob(x["line"].squeeze(1)),
            "at_one": torch.tensor([-0.5 * math.log(2 * math.pi) - math.log(2.0)]),
            "on_2d_exp": D.Independent(D.LogNormal(torch.full((2,), -0.3), torch.full((2,), 0.8)), 1).log_prob(x["nine"]),
            "on_a_singular_affine_map": "ValueError", "on_the_cube_at_zero": "ValueError",
            "on_a_folding_map": "ValueError"}
    result = _judged(builder, "q1_flow_log_prob_tests", data)
    assert result.earned == 0, "\n".join(result.lines)


def test_samples_that_never_call_the_generator_earn_only_the_save(builder):
    """/tmp/redteam/hw1_samples.py: seeded noise in (-1, 1) instead of the generator's images (3 of 4 when the
    visible tests checked shape, range and "same seed, same samples"): only save_samples, which it does write, earns."""
    def sample_generator(generator, n=100, z_dim=64, seed=0):
        return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed)) * 1.8 - 0.9

    def save_samples(samples, path):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        torch.save(samples.detach().float(), path)
        return path

    spec = probes.spec_for(HW, "q3_samples_tests")
    result = _judged(builder, "q3_samples_tests", probes.run_probe(spec, (sample_generator, save_samples), 4242))
    passed = [name for name, _, _, ok, _ in result.results if ok]
    assert result.earned == 1 and passed == ["test_save_round_trip"], "\n".join(result.lines)


# ------------------------------------------------------------------ visible tests compare with recorded values
# The converted cells' visible tests read the probe's values on their own draw (under "working"; where the grader's
# value depends on no input, the cell's main draw) and compare them with the grader's references' values on it: in a
# self-check the working seed's, recorded when the kit was built (homeworks/hw1_wgan/checks/expected.json); when graded
# the grading seed's, computed in the judge. The hidden tests compute their own on the grading seed's inputs.
CONVERTED = ("q1_flow_log_prob_tests", "q1_flow_sample_tests", "q2_kl_gaussians_tests", "q2_kl_limits_tests",
             "q2_combined_generator_loss_tests", "q2_js_divergence_tests", "q3_wgan_losses_tests",
             "q3_gradient_penalty_tests", "q3_clip_weights_tests", "q3_train_step_tests", "q3_samples_tests",
             "q3_interpolate_tests")
ANSWERS = ("q2_symbols", "q1_flow_log_prob", "q1_flow_sample", "q2_kl_gaussians", "q2_kl_limits",
           "q2_combined_generator_loss", "q2d_helpers", "q2_js_divergence", "q3_wgan_losses", "q3_gradient_penalty",
           "wgan_networks", "q3_clip_weights", "q3_train_step", "q3_samples", "q3_interpolate")


@pytest.fixture(scope="module")
def answers_ns():
    from conftest import ROOT
    from dgmlab.authoring.reference import reference_namespace

    return reference_namespace(ROOT / "source" / HW / f"{HW}.ipynb", ["imports", *ANSWERS],
                               {"__name__": "hw1_wgan_answers"})


@pytest.mark.parametrize("cell", CONVERTED)
@pytest.mark.parametrize("seed", [0, 987_654])
def test_the_reference_earns_every_point_of_a_converted_cell_on_any_grading_seed(builder, answers_ns, cell, seed):
    """The reference earns every visible point on the working seed (against the recorded values) and on another seed
    (against the grader's references on that draw), and with the hidden tests every point."""
    spec = probes.spec_for(HW, cell)
    data = wire.loads(wire.dumps(probes.run_probe(spec, tuple(answers_ns[n] for n in spec.names), seed)))
    assert_earns_every_point(HW, spec, data, seed)


def test_a_visible_test_reads_the_values_under_working(answers_ns):
    """A converted visible test reads the probe's values on its own draw (under "working"), not the hidden tests':
    with those taken out, the train step's visible tests fail though every other value is right."""
    spec = probes.spec_for(HW, "q3_train_step_tests")
    data = wire.loads(wire.dumps(probes.run_probe(spec, (answers_ns["wgan_train_step"],), 987_654)))
    assert probes.judge(HW, spec, data, 987_654).earned == spec.points - spec.hidden
    del data["working"]
    result = probes.judge(HW, spec, data, 987_654)
    assert result.earned == 0 and "working" in "\n".join(result.lines), result.lines


# ------------------------------------------------------------------ issue 54: what a careful student's mistakes read
def _mutated(answers_ns, answer, old, new):
    """The source notebook's answer cell ``answer`` with ``old`` replaced by ``new``, run on the reference answers."""
    import nbformat

    from conftest import ROOT

    nb = nbformat.read(ROOT / "source" / HW / f"{HW}.ipynb", as_version=4)
    source = next(c.source for c in nb.cells if _grade_id(c) == answer)
    assert source.count(old) == 1, f"{answer}: {old!r}"
    ns = dict(answers_ns)
    exec(source.replace(old, new), ns)  # noqa: S102 (the kit's own reference code, with one mistake)
    return ns


def _visible(cell, ns):
    """``(earned, printed)``: a self-check of ``cell`` on the working seed (visible tests only)."""
    spec = probes.spec_for(HW, cell)
    data = wire.loads(wire.dumps(probes.run_probe(spec, tuple(ns[n] for n in spec.names), probes.WORKING_SEED)))
    result = probes.judge(HW, spec, data, probes.WORKING_SEED)
    return result.earned, "\n".join(result.lines)


def test_artifact_cell_in_fast_mode_without_the_file_earns_nothing_and_says_to_train(tmp_path, fast_mode):
    """finding 2: fast mode writes no generator_weights.pt; the visible points are not shown earned without it."""
    spec = probes.spec_for(HW, CELL)
    result = probes.judge(HW, spec, {}, 0, folder=tmp_path, seeds={n: 0 for n in spec.files})
    printed = "\n".join(result.lines)
    assert result.earned == 0, printed
    assert f"no {WEIGHTS} yet: fast mode writes none" in printed and "train in full mode" in printed, printed


def test_a_penalty_without_its_minus_one_is_named_by_both_tests(answers_ns):
    """finding 5: with only the '- 1' missing, the interpolation test no longer blames the interpolation weights."""
    earned, printed = _visible("q3_gradient_penalty_tests",
                               _mutated(answers_ns, "q3_gradient_penalty", "((norms - 1) ** 2)", "(norms ** 2)"))
    assert earned == 0, printed
    assert printed.count("the '- 1' is missing") == 2 and "interpolation weight per sample" not in printed, printed


def test_a_penalty_wrong_on_a_linear_critic_is_not_blamed_on_the_interpolation(answers_ns):
    earned, printed = _visible("q3_gradient_penalty_tests", _mutated(
        answers_ns, "q3_gradient_penalty", "((norms - 1) ** 2).mean()", "((norms - 1) ** 2).sum()"))
    assert "fix the penalty itself first" in printed and "interpolation weight per sample" not in printed, printed


def test_clipping_a_copy_says_the_parameters_were_not_changed_in_place(answers_ns):
    """finding 5: p = p.clamp(...) rebinds p; both tests say so, neither suggests [0, c]."""
    ns = _mutated(answers_ns, "q3_clip_weights", "p.clamp_(-c, c)", "p = p.clamp(-c, c)")
    earned, printed = _visible("q3_clip_weights_tests", ns)
    assert earned == 0, printed
    assert printed.count("not changed in place") == 2 and "[0, c]" not in printed, printed


def test_clipping_to_zero_and_c_is_named(answers_ns):
    earned, printed = _visible("q3_clip_weights_tests",
                               _mutated(answers_ns, "q3_clip_weights", "p.clamp_(-c, c)", "p.clamp_(0, c)"))
    assert earned == 0 and printed.count("that is clamped to [0, c]") == 2 and "in place" not in printed, printed


def test_one_critic_update_short_names_the_critic_updates_per_generator_update(answers_ns):
    """finding: range(1, n_critic) raised UnboundLocalError with n_critic=1 and said nothing else."""
    ns = _mutated(answers_ns, "q3_train_step", "for _ in range(n_critic):", "for _ in range(1, n_critic):")
    earned, printed = _visible("q3_train_step_tests", ns)
    assert earned == 0, printed
    assert printed.count("with n_critic=3 the step took 2 real batches") == 5, printed  # each run with n_critic=1
    assert "n_critic critic updates per generator update" in printed, printed


def test_a_derivative_in_theta0_names_the_variable(answers_ns):
    earned, printed = _visible("q2_kl_limits_tests",
                               _mutated(answers_ns, "q2_kl_limits", "sp.diff(kl, theta)", "sp.diff(kl, theta0)"))
    assert "that is the derivative with respect to theta0" in printed, printed
    assert "before substituting" not in printed, printed


def test_a_flipped_log_determinant_reads_as_a_sentence(answers_ns):
    """finding: the hint was spliced into the value's name ('... has the wrong sign is not close to ...')."""
    ns = _mutated(answers_ns, "q1_flow_log_prob", "base.log_prob(z) - log_det", "base.log_prob(z) + log_det")
    earned, printed = _visible("q1_flow_log_prob_tests", ns)
    assert "wrong sign is not close" not in printed, printed
    assert printed.count("is not close to the expected value") == 4, printed
    assert printed.count(": the log-determinant term has the wrong sign") == 2, printed
    assert "base.log_prob at" not in printed, printed


def test_a_step_that_raises_for_another_reason_is_not_told_about_critic_updates(answers_ns):
    ns = _mutated(answers_ns, "q3_train_step", "for _ in range(n_critic):",
                  "raise ValueError('stopped early')\n    for _ in range(n_critic):")
    earned, printed = _visible("q3_train_step_tests", ns)
    assert earned == 0 and "stopped early" in printed and "critic update" not in printed, printed
