"""Structure of homework 4 (fast: builds the notebook in memory, runs no kernel).

The graded behaviour itself is proven in tests/authoring/test_proofs.py (MUTANTS of homeworks/hw4_gans/proofs.py).
"""
import re

import pytest

from conftest import assert_earns_every_point, homework_builders

BUILDER = homework_builders().get("hw4_gans")
pytestmark = pytest.mark.skipif(BUILDER is None, reason="no hw4_gans builder")

SEED_POINTS = {"P0": 1, "P1": 20, "P2": 15, "P3": 15, "P4": 20, "P5": 20}


def _cells():
    return BUILDER.build().nb.cells


def _meta(cell):
    return cell.metadata.get("nbgrader", {})


def test_points_per_problem_follow_the_seed():
    points, problem = {}, None
    for cell in _cells():
        if cell.cell_type == "markdown":
            m = re.match(r"##\s+(P\d)\b", cell.source)
            if m:
                problem = m.group(1)
        if _meta(cell).get("grade"):
            assert problem is not None, f"graded cell {_meta(cell)['grade_id']} comes before any problem heading"
            points[problem] = points.get(problem, 0) + _meta(cell).get("points", 0)
    assert points == SEED_POINTS


def test_every_test_cell_is_a_check_the_grader_judges_with_hidden_tests_except_the_artifact_cells():
    """Every graded cell is one check("<grade_id>", answers...) call whose spec (homeworks.hw4_gans.checks) splits its
    points over its tests; hidden tests decide part of every code cell's points (the two artifact cells' rules are
    all stated, so their tests are all visible, and they run in the grader on the files as handed in)."""
    from dgmlab import probes
    from dgmlab.grading import hidden

    for cell in _cells():
        meta = _meta(cell)
        if cell.cell_type == "code" and meta.get("grade"):
            gid, src = meta["grade_id"], cell.source
            found = probes.cell_call(src)
            assert found is not None and found[0] == gid, gid
            assert "run_tests" not in src and "### BEGIN HIDDEN TESTS" not in src, gid
            spec = probes.spec_for("hw4_gans", gid)
            assert spec.points == meta["points"] and found[1] == spec.names, gid
            steps = probes.plan(spec, hidden=hidden.tests("hw4_gans", gid))
            assert abs(sum(w for _, w, _ in steps) - spec.points) < 1e-9, gid
            if gid in ("p2_baseline_samples_tests", "p3_cgan_samples_tests"):
                assert spec.hidden == 0 and spec.files, gid
                assert not [n for n, _, is_hidden in steps if is_hidden], gid
            elif gid == "p4b_steps_tests":  # a note for the TA beside the written P4(b): worth nothing, all visible
                assert spec.points == 0 and not hidden.tests("hw4_gans", gid), gid
            else:
                assert 0 < spec.hidden < spec.points and hidden.tests("hw4_gans", gid), gid


def test_every_answer_cell_has_a_realistic_wrong_answer_and_partial_labels_exist():
    answers = {_meta(c)["grade_id"] for c in _cells() if c.cell_type == "code" and _meta(c).get("solution")}
    full = {_meta(c)["grade_id"]: _meta(c)["points"] for c in _cells() if c.cell_type == "code" and _meta(c).get("grade")}
    # a wrong answer loses points, or, in a cell worth none (P4(b)'s optional steps), is named by its line (says=)
    failing = {m.answer for m in BUILDER.MUTANTS if "blank" not in m.label
               and (m.fails or any(p < full[t] for t, p in m.earns.items())
                    or (m.says and all(full[t] == 0 for t in m.earns)))}
    assert answers <= failing, f"answer cells without a wrong-answer mutant: {sorted(answers - failing)}"
    labels = {m.label for m in BUILDER.MUTANTS}
    assert set(BUILDER.PARTIAL) <= labels


@pytest.mark.parametrize("needle", ["BatchNorm", "dropout in the generator", "sigmoid applied twice",
                                    "labels ignored", "dual constraint with the wrong sign"])
def test_the_issue_s_named_wrong_answers_are_mutants(needle):
    assert any(needle.lower() in m.label.lower() and (m.fails or m.earns) for m in BUILDER.MUTANTS), needle


def test_every_wrong_answer_states_what_it_earns():
    """All graded cells give points per test, so each wrong answer names its exact partial score (earns=)."""
    for m in BUILDER.MUTANTS:
        assert not m.fails and (m.earns or m.passes), f"{m.label}: give earns= instead of fails="


def test_no_absolute_paths_in_the_notebook():
    for cell in _cells():
        assert "/work/" not in cell.source and "/home/" not in cell.source


# ------------------------------------------------------------------ artifact-graded cells (slow: one kernel)
# baseline_samples_tests grades baseline_generator_weights.pt, cgan_samples_tests cgan_generator_weights.pt (each
# draws its own 100 images from the weights in the specified architecture) and, under
# grading, p0_tests reads hw4_results.json. One grading-mode session runs the notebook without any of the three
# files (the artifact cells earn nothing, P0 only the points of its other tests, and each says why; every other
# cell earns all its points); then only the artifact cells are rerun on other files, each checked for the exact
# points it earns and the reason it prints. The genuine files are outputs of the reference trained in full mode
# (tests/fixtures/README.md).
import json  # noqa: E402
import shutil  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from conftest import half_state, with_a_nan  # noqa: E402
from dgmlab import artifacts  # noqa: E402
from dgmlab.grading.judge.training_record import KEPT_NAME  # noqa: E402
from statement_mlp import StatementMLP, statement_state  # noqa: E402

COPIED = "these samples match dataset images, not generated ones"
BELOW = "below the bar"


def _copy(folder):
    src = BUILDER.build().path
    shutil.copy(src, folder / src.name)
    return folder / src.name


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A grading-mode session of the notebook run once without its graded files: (session, folder, results)."""
    from dgmlab.authoring.proofs import NotebookSession

    folder = tmp_path_factory.mktemp("hw4_artifacts")
    with NotebookSession(_copy(folder), env={"DGMLAB_OFFLINE": "1"}) as s:
        yield s, folder, s.run_all()


def _printed(s, cell):
    """The report the grader writes for the cell last run in ``s`` (each test's line, with its reason): the cell is
    judged again from what its probe showed."""
    from dgmlab.grading.judge.judge import Reference, judge_cell

    i = s.index[cell]
    kit = Reference(lambda gid: s.reference[s.index[gid]])
    return "\n".join(judge_cell(s.hw, cell, s.reference[i], s.nb.cells[i].outputs, s.seed, folder=s.path.parent,
                                 reference=kit).lines)


@pytest.mark.slow
def test_without_the_files_the_artifact_cells_earn_nothing_and_say_why(graded):
    s, _, results = graded
    for cell, name, earned in [("p2_baseline_samples_tests", BUILDER.BASELINE_FILE, "earn 0 of 3"),
                               ("p3_cgan_samples_tests", BUILDER.CGAN_FILE, "earn 0 of 3"),
                               ("p0_tests", BUILDER.RESULTS_FILE, "earn 0.5 of 1")]:
        got, _ = s.run_verdict(s.index[cell])
        assert got == earned, f"{cell} without {name}: {got}"
        assert f"no {name} in the homework folder" in _printed(s, cell), _printed(s, cell)
    for cell in ("p2_baseline_samples_tests", "p3_cgan_samples_tests"):
        assert "so this test earns 0 points" in _printed(s, cell)
    others = {k: m for k, (f, m) in results.items() if f and k not in BUILDER.ARTIFACT_TESTS}
    assert not others, f"without the files, other cells failed too: {others}"


def _real(per_class=10):
    """100 real MNIST test digits (10 per class, ordered 0..9 as the cGAN draw asks) in [-1, 1], and labels."""
    from dgmlab.data import load_sample

    x, y = load_sample(train=False)
    idx = np.concatenate([np.flatnonzero(y == k)[:per_class] for k in range(10)])
    return torch.from_numpy(x[idx].astype("float32") / 127.5 - 1.0).reshape(100, 784), torch.from_numpy(y[idx])


def _state(path):
    return torch.load(path, weights_only=True)


def _renamed(state):
    """The same tensors under other names, in reverse order: a student's own layer names (fc1, ...)."""
    return {f"layer_{i}.{k.rsplit('.', 1)[1]}": v for i, (k, v) in reversed(list(enumerate(state.items())))}


def _edited(state, **changes):
    """``state`` with entries replaced (a tensor) or removed (None)."""
    out = dict(state)
    for key, value in changes.items():
        key = key.replace("__", ".")
        if value is None:
            out.pop(key)
        else:
            out[key] = value
    return out


def _untrained(embedding=None):
    torch.manual_seed(3)
    return half_state(statement_state(embedding=embedding))


def _drawing_one_digit():
    """Weights whose last layer ignores its input and draws the same real digit every time."""
    state = _state(BUILDER.GENUINE_BASELINE)
    digit = _real()[0][3].clamp(-0.999, 0.999)
    return _edited(state, net__6__weight=torch.zeros_like(state["net.6.weight"]),
                   net__6__bias=torch.atanh(digit).half())


def _crafted_to_draw_real_digits():
    """The genuine weights with the last layer solved (least squares) so that the grader's seed-0 draw is 100 real
    MNIST digits: how far a student who knows the draw's noise can steer it. The near-copy check stops it."""
    state = {k: v.float() for k, v in _state(BUILDER.GENUINE_BASELINE).items()}
    body = StatementMLP(100, (128, 256, 512))
    body.load_state_dict(state)
    z = torch.randn(100, 100, generator=torch.Generator().manual_seed(0))  # the graded draw's noise
    with torch.no_grad():
        h = torch.cat([body.net[:-2](z), torch.ones(100, 1)], dim=1).double()  # (100, 513)
    target = torch.atanh(_real()[0].clamp(-0.99, 0.99)).double()            # (100, 784)
    solution = torch.linalg.lstsq(h, target, driver="gelsd").solution       # (513, 784): exact, 100 equations
    state["net.6.weight"], state["net.6.bias"] = solution[:-1].T.float(), solution[-1].float()
    return half_state(state)


def _swapped_concat(state):
    """A cGAN trained with [e(y), z] instead of the specified [z, e(y)]: the first layer's columns in that order."""
    w = state["net.0.weight"]
    return _edited(state, net__0__weight=torch.cat([w[:, 100:], w[:, :100]], dim=1))


def _embedding_rows_shifted(state):
    return _edited(state, embed__weight=state["embed.weight"][torch.tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 0])])


# file content -> (points it earns of 3, what the cell must print). Weights that fit the specified generator and
# draw 100 new images that pass a loose bar (score 3, half the digits right) earn 1 point (the file test); the other
# 2 need the graded bar too; anything else earns 0.
PASSED = "passed test_"
SPEC = "do not fit"
BASELINE_FILES = {
    "genuine weights of the reference baseline": (lambda: _state(BUILDER.GENUINE_BASELINE), 3,
                                                 PASSED + "mnist_classifier_score_above_the_bar"),
    "the same under other names and in another order": (lambda: _renamed(_state(BUILDER.GENUINE_BASELINE)), 3, PASSED),
    "the reference after 5 epochs": (lambda: _state(BUILDER.EARLY_BASELINE), 1, BELOW),
    # red team F2: an untrained generator's 100 new images earned the file point (1 of 3); it needs a score of 3 now
    "an untrained generator": (_untrained, 0, "an untrained generator scores 1.0"),
    "weights that draw one real digit": (_drawing_one_digit, 0, "all the same"),
    "weights crafted to draw 100 real digits": (_crafted_to_draw_real_digits, 0, COPIED),
    "100 samples instead of weights": (lambda: _real()[0], 0, "must be a state dict"),
    "widths reversed (512, 256, 128)": (lambda: half_state(statement_state(widths=(512, 256, 128))),
                                        0, SPEC),
    "the conditional generator's weights": (lambda: _state(BUILDER.GENUINE_CGAN), 0, SPEC),
    "the last bias missing": (lambda: _edited(_state(BUILDER.GENUINE_BASELINE), net__6__bias=None), 0, SPEC),
    "an extra tensor of 100 stored images": (
        lambda: _edited(_state(BUILDER.GENUINE_BASELINE), memory=_real()[0].half()), 0, SPEC),
    "a NaN": (lambda: with_a_nan(_state(BUILDER.GENUINE_BASELINE)), 0, "NaN"),
    "float32 weights (2.3 MB)": (lambda: {k: v.float() for k, v in _state(BUILDER.GENUINE_BASELINE).items()}, 0, "bytes"),
}
CGAN_FILES = {
    "genuine weights of the reference cGAN": (lambda: _state(BUILDER.GENUINE_CGAN), 3,
                                             PASSED + "conditional_accuracy_above_the_bar"),
    "the same under other names and in another order": (lambda: _renamed(_state(BUILDER.GENUINE_CGAN)), 3, PASSED),
    "the reference after 5 epochs": (lambda: _state(BUILDER.EARLY_CGAN), 1, BELOW),
    # the file point needs half the images to show their digit (0, 8 and 10 of 100 here)
    "embedding rows shifted by one digit": (lambda: _embedding_rows_shifted(_state(BUILDER.GENUINE_CGAN)), 0, BELOW),
    "trained with [e(y), z] instead of [z, e(y)]": (lambda: _swapped_concat(_state(BUILDER.GENUINE_CGAN)), 0, BELOW),
    "an untrained conditional generator": (lambda: _untrained((10, 10)), 0, "an untrained generator: about 10%"),
    "the baseline's weights": (lambda: _state(BUILDER.GENUINE_BASELINE), 0, SPEC),
    "a NaN": (lambda: with_a_nan(_state(BUILDER.GENUINE_CGAN)), 0, "NaN"),
}


def _grade(graded, cell, name, content):
    """(what the cell earns, e.g. "earn 1 of 3", what it printed) with ``content`` saved as ``name``."""
    s, folder, _ = graded
    path = folder / name
    torch.save(content, path)
    try:
        got, _ = s.run_verdict(s.index[cell])
        return got, _printed(s, cell)
    finally:
        path.unlink()


ARTIFACT_CASES = [("p2_baseline_samples_tests", BUILDER.BASELINE_FILE, kind, *case) for kind, case in BASELINE_FILES.items()] + \
    [("p3_cgan_samples_tests", BUILDER.CGAN_FILE, kind, *case) for kind, case in CGAN_FILES.items()]


@pytest.mark.slow
@pytest.mark.parametrize("cell, name, kind, make, earned, printed", ARTIFACT_CASES,
                         ids=[f"{cell.split('_')[0]}-{kind}" for cell, _, kind, *_ in ARTIFACT_CASES])
def test_artifact_cell_on_a_file(graded, cell, name, kind, make, earned, printed):
    got, out = _grade(graded, cell, name, make())
    assert got == f"earn {earned:g} of 3", f"{kind}: {got}\n{out}"
    assert printed in out, f"{kind}: {out}"


def test_artifact_cells_split_so_a_copied_file_earns_nothing():
    """Both tests of each artifact cell are visible (the rules are stated) and run in the grader on the file as
    handed in; each draws through the same checks that weights drawing copies, or an unusable file, fail first: the
    file's point is 1, the bar's 2."""
    import inspect

    from dgmlab import probes
    from homeworks.hw4_gans import checks as spec_module

    for cell, files, tests in [
            ("p2_baseline_samples_tests", (BUILDER.BASELINE_FILE, "baseline_training_record.pt"),
             {"test_saved_generator_draws_1000_new_images": 1, "test_mnist_classifier_score_above_the_bar": 2}),
            ("p3_cgan_samples_tests", (BUILDER.CGAN_FILE,),
             {"test_saved_generator_draws_1000_new_labelled_images": 1, "test_conditional_accuracy_above_the_bar": 2})]:
        spec = probes.spec_for("hw4_gans", cell)
        assert spec.hidden == 0 and spec.files == files and spec.names == (), cell
        assert {n: w for n, w, _ in probes.plan(spec)} == tests, cell
        for test in spec.visible:
            assert "graded_draw(v.files, v.seed_of" in inspect.getsource(test), f"{cell}: {test.__name__}"
    graded = inspect.getsource(spec_module.graded_draw)
    loaded = inspect.getsource(spec_module.graded_generator)
    # drawn by the grader's own copy of the specified generator (the grader's mlp_generator: the student package
    # holds none), from noise it seeds itself: 0 while the student works, the autograder's own seed when graded
    assert "graded_generator(files, seed_of, name" in graded and "manual_seed(seed)" in graded
    assert "_drawing(state, layout, conditional, own=own, seed=seed)" in loaded and "seed_of(name)" in loaded
    assert "weights_only=True" in loaded
    assert "grader.mlp_generator(state, **layout)" in inspect.getsource(spec_module._drawing)
    assert "artifacts.require_new(" in graded


@pytest.mark.slow
def test_artifact_cells_refuse_an_oversized_file(graded):
    s, folder, _ = graded
    path = folder / BUILDER.BASELINE_FILE
    path.write_bytes(b"\0" * (BUILDER.MAX_FILE_BYTES + 1))
    try:
        got, _ = s.run_verdict(s.index["p2_baseline_samples_tests"])
        printed = _printed(s, "p2_baseline_samples_tests")
    finally:
        path.unlink()
    assert got == "earn 0 of 3" and "bytes" in printed, got


def _fast_mode_results():
    r = json.loads(BUILDER.GENUINE_RESULTS.read_text())
    r["d_steps_10"]["epochs"] = 2
    return json.dumps(r)


def _typed_baseline_score():
    r = json.loads(BUILDER.GENUINE_RESULTS.read_text())
    r["baseline"]["mnist_score"] = 9.5  # better than the handed-in weights score: typed, not measured
    return json.dumps(r)


@pytest.mark.slow
@pytest.mark.parametrize("content, weights, expected", [
    (lambda: BUILDER.GENUINE_RESULTS.read_text(), True, None),
    (_fast_mode_results, True, "not trained in full mode"),
    (lambda: json.dumps({k: v for k, v in json.loads(BUILDER.GENUINE_RESULTS.read_text()).items() if k != "cgan"}),
     True, "no result for cgan"),
    (lambda: "{not json", True, "not valid JSON"),
    (_typed_baseline_score, True, "the weights handed in give"),
    (lambda: BUILDER.GENUINE_RESULTS.read_text(), False, f"no {BUILDER.BASELINE_FILE} in the homework folder"),
], ids=["genuine", "one model in fast mode", "cgan missing", "not JSON", "a typed baseline score", "no weights"])
def test_p0_grades_the_results_file(graded, content, weights, expected):
    """The results file decides half of P0's point, its baseline and cGAN results checked against what the grader
    measures from the handed-in weights (grade what cannot be typed); the other half needs every answer defined and
    running."""
    s, folder, _ = graded
    path = folder / BUILDER.RESULTS_FILE
    path.write_text(content())
    written = [path]
    if weights:
        for name, write in BUILDER.PROOF_ARTIFACTS.items():
            if name != BUILDER.RESULTS_FILE:
                written.append(write(folder))
    try:
        got, _ = s.run_verdict(s.index["p0_tests"])
        printed = _printed(s, "p0_tests")
    finally:
        for written_path in written:
            Path(written_path).unlink()
    if expected is None:
        assert got == "earn 1 of 1", f"{got}\n{printed}"
    else:
        assert got == "earn 0.5 of 1" and expected in printed, f"{got}\n{printed}"


def _runner_namespace(monkeypatch, folder):
    """The source notebook's definitions (no tests, no training cells) in fast mode, working in ``folder``."""
    import torch

    from conftest import ROOT
    from dgmlab.authoring.reference import reference_namespace

    monkeypatch.setenv("DGMLAB_FAST", "1")
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    folder.mkdir()
    monkeypatch.chdir(folder)
    ns = reference_namespace(ROOT / "source" / "hw4_gans" / "hw4_gans.ipynb", None,
                             {"__name__": "hw4_runner_test", "device": torch.device("cpu")})
    ns["display"] = lambda *a, **k: None
    return ns


@pytest.mark.slow
def test_the_runner_samples_the_generator_average_and_a_resumed_run_keeps_it(tmp_path, monkeypatch, capsys):
    """run_experiment trains the student's train_gan but draws from the moving average of the generator's
    weights; the average is in the checkpoint, so a run resumed after epoch 1 ends with the same average, although
    the rerun starts its networks from other random weights (a fresh run_seed) before the checkpoint replaces them."""
    import torch

    monkeypatch.setenv("DGMLAB_SEED", "0")
    ns = _runner_namespace(monkeypatch, tmp_path / "straight")
    ns["EPOCHS"] = 2
    returned = ns["run_experiment"]("baseline", ns["load_training_data"]())
    straight = torch.load("checkpoints/baseline_fast.pt", weights_only=True)["state"]
    averaged = {k.removeprefix("module."): v for k, v in straight["average"].items() if k.startswith("module.")}
    assert averaged.keys() == straight["generator"].keys()
    assert all(torch.equal(returned.state_dict()[k], v) for k, v in averaged.items()), \
        "run_experiment should return (and sample from) the averaged generator"
    assert any(not torch.equal(v, straight["generator"][k]) for k, v in averaged.items()), \
        "the average should differ from the last trained weights"
    assert int(straight["average"]["n_averaged"]) == 2 * (640 // 64), "one average update per generator step"

    ns = _runner_namespace(monkeypatch, tmp_path / "resumed")
    ns["EPOCHS"] = 1
    ns["run_experiment"]("baseline", ns["load_training_data"]())      # a run that stopped after epoch 1
    ns["EPOCHS"] = 2
    capsys.readouterr()
    monkeypatch.setenv("DGMLAB_SEED", "1")
    ns["run_experiment"]("baseline", ns["load_training_data"]())      # run again: resumes after epoch 1
    assert "resuming after epoch 1 of 2" in capsys.readouterr().out
    resumed = torch.load("checkpoints/baseline_fast.pt", weights_only=True)["state"]
    for net in ("generator", "average"):
        for k, v in straight[net].items():
            assert torch.equal(v, resumed[net][k]), f"{net}.{k} differs from the uninterrupted run"


def _keyed_seed(state, hw="hw4_gans", name="baseline_generator_weights.pt"):
    """The seed `dgmlab autograde` draws ``state``'s file with, under a course key (here 32 zero bytes)."""
    import io

    from dgmlab.grading.autograde import draw_seeds as DS

    buf = io.BytesIO()
    torch.save(state, buf)
    return DS.seeds_for(bytes(32), hw, {name: buf.getvalue()})[name]["seed"]


@pytest.mark.slow  # solves a layer and scores draws
def test_a_last_layer_solved_for_seed_0_does_not_reach_the_autograders_draw():
    """What the autograder's own seed buys: weights whose seed-0 draw is 100 chosen images (here real digits)
    draw none of them with the seed made from the course key and the file."""
    from dgmlab import novelty

    state = _crafted_to_draw_real_digits()
    from homeworks.hw4_gans.hidden.references import mlp_generator

    generator = mlp_generator(state, in_dim=100, widths=(128, 256, 512))
    keyed, draws = _keyed_seed(state), {}
    for seed in (0, keyed):
        with torch.no_grad():
            draws[seed] = generator(torch.randn(100, 100, generator=torch.Generator().manual_seed(seed)))
    copies = {seed: novelty.find_copies(x, scale="[-1,1]").n_copies for seed, x in draws.items()}
    assert copies[0] >= 90 and copies[keyed] <= 3, copies


@pytest.mark.slow  # draws and scores samples
def test_the_grader_leaves_its_baseline_draw_for_the_dashboard(tmp_path):
    """The baseline cell's first visible test hands the grader's draw of 100 images to the judge's ``keep`` (written
    to the submission's autograded folder, which the dashboard reads; the cell has no hidden test); without ``keep``,
    or without a usable file, it does nothing and never raises."""
    import io

    from dgmlab import probes
    from dgmlab.grading import hidden
    from dgmlab.grading.report.analysis import ARTIFACTS
    from dgmlab.probes import HandedIn
    from homeworks.hw4_gans import checks as spec_module

    hidden.module("hw4_gans")  # the grader hands the checks its side (its generator), as under grading
    kept = {}
    files = HandedIn(tmp_path, (BUILDER.BASELINE_FILE,))
    spec_module.keep_graded_draw(files, lambda name: 0, lambda name, data: kept.update({name: data}))
    assert kept == {}  # no file: nothing kept, nothing raised
    BUILDER.PROOF_ARTIFACTS[BUILDER.BASELINE_FILE](tmp_path)
    spec_module.keep_graded_draw(files, lambda name: 0, None)  # a judge without keep
    spec_module.keep_graded_draw(files, lambda name: 0, lambda name, data: kept.update({name: data}))
    assert list(kept) == [ARTIFACTS["hw4"][0]] and ARTIFACTS["hw4"][1] == "p2_baseline_samples_tests"
    drawn = torch.load(io.BytesIO(kept[ARTIFACTS["hw4"][0]]), weights_only=True)
    x, _ = spec_module.graded_draw(files, lambda name: 0, BUILDER.BASELINE_FILE, made_by="the runner")
    assert torch.equal(drawn, x[:100]), "the dashboard shows the graded draw's first 100 images"
    judged = {}
    probes.judge("hw4_gans", probes.spec_for("hw4_gans", "p2_baseline_samples_tests"), {}, 4242, folder=tmp_path,
                 seeds={BUILDER.BASELINE_FILE: 0}, keep=lambda name, data: judged.update({name: data}))
    # the draw for the dashboard, and the training record's verdict (no record was handed in: needs a look)
    assert sorted(judged) == sorted([ARTIFACTS["hw4"][0], KEPT_NAME]), "the judged cell keeps the draw"
    assert torch.equal(torch.load(io.BytesIO(judged[ARTIFACTS["hw4"][0]]), weights_only=True), x[:100])


# ---------------------------------------------------------------------- red team F1: facts typed into the probe data
def _forged_calls(widths):
    calls, width_in = [], widths[0]
    for width in widths[1:]:
        calls += [{"kind": "Linear", "in": width_in, "out": width}, {"kind": "LeakyReLU", "slope": 0.2}]
        width_in = width
    return calls[:-1] + [{"kind": "Tanh"}]


@pytest.mark.parametrize("cell", ["p1_generator_tests", "p1_discriminator_tests"])
def test_forged_network_facts_earn_nothing(cell):
    """The F1 attack on P1's networks: a notebook that writes no network, replaces check() and shows the facts the
    old probes recorded (layer widths and activations in call order, slopes, no norm layer), plus outputs of the
    right shape, earns nothing: every point compares outputs on the grader's seeded parameters with its own."""
    from dgmlab import probes
    from dgmlab.grading.judge import cell_verdicts
    from dgmlab.probes import wire

    seed = 4242
    if cell == "p1_generator_tests":
        data = {"default_calls": _forged_calls((100, 128, 256, 512, 784)), "layers": {"norm": 0, "dropout": 0},
                "latent_dim_7": 7, "out16": torch.zeros(16, 784), "saturated": torch.zeros(16, 784),
                "one_at_a_time": torch.zeros(4, 784), "small_out": torch.zeros(4, 784)}
    else:
        data = {"default_calls": _forged_calls((784, 512, 256, 128, 1)), "layers": {"norm": 0, "dropout": 3},
                **{k: torch.zeros(n, 1) for k, n in (("flat_out", 10), ("image_out", 10), ("small_out", 4),
                                                     ("train_out", 32), ("half_dropout_train_out", 32))}}
    source = next(c.source for c in _cells() if _meta(c).get("grade_id") == cell)
    shown = [{"output_type": "display_data", "metadata": {},
              "data": {probes.PROBE_MIME: {"cell": cell, "data": wire.dumps(data)}}}]
    result = cell_verdicts.judge_cell("hw4_gans", cell, source, shown, seed)
    assert result.earned == 0, "\n".join(result.lines)


@pytest.mark.parametrize("cell", ["p3_cond_generator_tests", "p3_cond_discriminator_tests"])
def test_forged_conditional_network_facts_earn_nothing(cell):
    """The same attack on P3's networks: the facts the old probes recorded (an Embedding(10, 10) in the calls, a
    gradient reaching it, no norm or dropout layer, outputs that change with the label) earn nothing."""
    from dgmlab import probes
    from dgmlab.grading.judge import cell_verdicts
    from dgmlab.probes import wire

    generator = cell == "p3_cond_generator_tests"
    calls = [{"kind": "Embedding", "num": 10, "dim": 10}] + _forged_calls(
        (110, 128, 256, 512, 784) if generator else (794, 512, 256, 128, 1))
    width = 784 if generator else 1
    data = {"calls": calls, "layers": {"norm": 0, "dropout": 0 if generator else 3},
            "embedding_grads": [torch.ones(10, 10)],
            **{k: torch.arange(n * width, dtype=torch.float32).reshape(n, width) / (n * width)
               for k, n in (("out12", 12), ("per_label", 10), ("one_at_a_time", 4), ("saturated", 12),
                            ("flat_out", 6), ("image_out", 6), ("train_out", 32))}}
    source = next(c.source for c in _cells() if _meta(c).get("grade_id") == cell)
    shown = [{"output_type": "display_data", "metadata": {},
              "data": {probes.PROBE_MIME: {"cell": cell, "data": wire.dumps(data)}}}]
    assert cell_verdicts.judge_cell("hw4_gans", cell, source, shown, 4242).earned == 0


def _judged_forgery(cell, data, seed=4242):
    """What the grader gives test cell ``cell`` when the kernel shows ``data`` as its probe's record."""
    from dgmlab import probes
    from dgmlab.grading.judge import cell_verdicts
    from dgmlab.probes import wire

    source = next(c.source for c in _cells() if _meta(c).get("grade_id") == cell)
    shown = [{"output_type": "display_data", "metadata": {},
              "data": {probes.PROBE_MIME: {"cell": cell, "data": wire.dumps(data)}}}]
    return cell_verdicts.judge_cell("hw4_gans", cell, source, shown, seed)


@pytest.mark.parametrize("cell", ["p1_d_step_tests", "p1_g_step_tests"])
def test_forged_step_records_earn_nothing(cell):
    """F1 on the update steps: records typed in without running a step (a float loss, parameters moved by a made-up
    gradient, the other player untouched with no gradient, as the old probes reported them) earn nothing: every
    point compares with what the grader computes from its seeded start (the statement's loss of the batch, its own
    SGD step, the other player's seeded parameters and planted gradients)."""
    mine, other = ((784, 4), (784,)), ((1, 784), (1,))
    if cell == "p1_d_step_tests":
        mine, other = other, mine
    record = {"returned": 1.386, "after": [torch.full(s, -0.1) for s in mine], "other_after": [torch.zeros(s) for s in other],
              "other_grads": [None, None]}
    data = {"fresh_step": record, "stale_step": record, "fakes_as_reals": record, "no_move": record,
            # what the old probes recorded
            "returned": 0.5, "this_batch": {"want": 1.0, "swapped": 2.0, "got": 1.0, "logits": torch.zeros(8, 1)},
            "untouched": {"before": [torch.zeros(1)], "after": [torch.zeros(1)], "grads": [None]},
            "moves": {"before": [torch.zeros(1)], "after": [torch.ones(1)]}}
    result = _judged_forgery(cell, data)
    assert result.earned == 0, "\n".join(result.lines)


def test_forged_conditional_step_records_earn_nothing():
    """F1 on P3.3: records typed in without running a step earn nothing: the returned losses are compared with the
    grader's own (from a label-blind start, and with the batch's or requested labels), the parameters with its own
    SGD step."""
    def record(shape_after, shape_other):
        return {"returned": 1.386, "start": [torch.zeros(shape_after)], "grads": [torch.ones(shape_after)],
                "after": [torch.full(shape_after, -0.1)], "other_before": [torch.zeros(shape_other)],
                "other_after": [torch.zeros(shape_other)]}

    d, g = record((1, 794), (784, 14)), record((784, 14), (1, 794))
    data = {"returned": {"d": 0.5, "g": 0.5}, "d_batch": {"want": 1.0, "got": 1.0}, "g_batch": {"want": 1.0, "got": 1.0},
            "d_blind": d, "g_blind": g, "d_fresh": d, "d_stale": d, "g_fresh": g, "g_stale": g}
    result = _judged_forgery("p3_cgan_steps_tests", data)
    assert result.earned == 0, "\n".join(result.lines)


def test_forged_make_gan_records_earn_nothing():
    """F1 on P2.1: the facts the old probe recorded (each experiment's layer shapes and activations in call order, no
    norm layer, d_steps, 'raised ValueError', fresh networks) and outputs of the right shapes earn nothing: every
    point compares each experiment's outputs on the grader's seeded parameters with the statement's networks."""
    from homeworks.hw4_gans import checks as spec_module

    experiments = {}
    for name, (gw, dw, k) in spec_module.STATEMENT_EXPERIMENTS.items():
        experiments[name] = {"triple": True, "g_module": True, "d_module": True, "k": k, "k_is_int": True, "norm": 0,
                             "g_calls": _forged_calls((100, *gw, 784)), "d_calls": _forged_calls((784, *dw, 1)),
                             "g_out": torch.zeros(4, 784), "d_out": torch.zeros(4, 1), "d_train": torch.zeros(32, 1),
                             "d_steps": k}
    data = {"experiments": experiments, "fresh": {"g_out": torch.zeros(4, 784), "d_out": torch.zeros(4, 1)},
            "unknown": "raised ValueError",
            "calls": ["raised ValueError", {"g_out": torch.zeros(4, 784)}, "raised ValueError",
                      {"g_out": torch.zeros(4, 784)}, "raised ValueError"]}
    result = _judged_forgery("p2_make_gan_tests", data)
    assert result.earned == 0, "\n".join(result.lines)


def test_forged_train_gan_records_earn_nothing():
    """F1 on P2.2: a record typed in without training (the optimizer log D G D G..., one float per update in the
    history, parameters that moved) earns nothing: the grader replays the statement's schedule from the seeded start
    and compares the history and the parameters train_gan leaves with its own."""
    from homeworks.hw4_gans import checks as spec_module

    def record(n_batches, epochs, d_steps):
        n_d = n_batches * epochs
        return {"hist": {"d_loss": [0.5] * n_d, "g_loss": [0.5] * (n_d // d_steps)},
                "log": ("D" * d_steps + "G") * (n_d // d_steps),
                "G": [torch.full((784, 4), 0.01), torch.zeros(784)], "D": [torch.full((1, 784), 0.01), torch.zeros(1)]}

    data = {"runs": {"-".join(map(str, r)): record(*r) for r in spec_module.RUNS},
            **{f"{name}_run": record(*run) for name, run in spec_module.SPECIAL_RUNS.items()},
            "noise_shapes": [["D", [6, 4]], ["G", [6, 4]]] * 2, "devices": [["D", "meta"], ["G", "meta"]],
            "both_learn": {"g_before": [torch.zeros(1)], "g_after": [torch.ones(1)], "d_before": [torch.zeros(1)],
                           "d_after": [torch.ones(1)]}}
    result = _judged_forgery("p2_train_gan_tests", data)
    assert result.earned == 0, "\n".join(result.lines)


# ---------------------------------------------------------------------- red team 2: short records, stripped modules
@pytest.fixture(scope="module")
def reference_objects():
    """The notebook's reference answers, run in one namespace (with the names the notebook's setup imports)."""
    from homeworks.hw4_gans import checks as spec_module

    ns = dict(spec_module.symbols())
    exec("import math\nimport numpy as np\nimport sympy as sp\nimport torch\nimport torch.nn as nn\n"
         "import torch.nn.functional as F\nfrom tqdm.auto import tqdm\nfrom scipy.special import xlogy\n"
         "from scipy.optimize import linprog\n", ns)
    for cell in _cells():
        if cell.cell_type == "code" and _meta(cell).get("solution") and not _meta(cell).get("grade"):
            exec(cell.source, ns)
    return ns


def _reference_record(reference_objects, cell, seed=4242):
    from dgmlab import probes
    from dgmlab.probes import wire

    spec = probes.spec_for("hw4_gans", cell)
    return wire.loads(wire.dumps(probes.run_probe(spec, tuple(reference_objects[n] for n in spec.names), seed)))


def _lists_cut(record, how):
    """``record`` with every list in it (at any depth) emptied (``how="empty"``) or one entry shorter ("short")."""
    if isinstance(record, dict):
        return {k: _lists_cut(x, how) for k, x in record.items()}
    if isinstance(record, list):
        return [] if how == "empty" else [_lists_cut(x, how) for x in record[:-1]]
    return record


def _has_list(record) -> bool:
    if isinstance(record, dict):
        return any(_has_list(x) for x in record.values())
    return isinstance(record, list)


# the tests of each cell that read no list of the probe's record (a float returned, a sympy expression...): the only
# ones a record with its lists cut may still pass
NO_LIST_READ = {
    "p1_losses_tests": {"test_scalar_tensors_that_keep_the_graph", "test_zero_logits_give_log_two_per_term",
                        "test_values_on_fixed_logits", "test_finite_and_right_at_logits_of_30",
                        "test_generator_gradient_does_not_saturate", "test_generator_loss_falls_as_fake_logits_rise"},
    "p1_d_step_tests": {"test_returns_a_float", "test_returns_the_loss_of_this_batch",
                        "test_dropout_on_while_the_discriminator_learns"},
    "p1_g_step_tests": {"test_returns_a_float", "test_returns_the_non_saturating_loss_of_this_batch"},
    "p2_make_gan_tests": {"test_baseline_generator_is_p1s", "test_baseline_discriminator_and_d_steps_are_p1s",
                          "test_wide_generator_doubles_only_the_generator", "test_deep_discriminator_adds_a_layer",
                          "test_d_steps_10_keeps_p1s_networks", "test_fresh_networks_on_every_call",
                          "test_d_steps_is_ten_only_for_d_steps_10"},
    "p2_train_gan_tests": set(),
    # the parameter shapes at other sizes than the defaults are a list: only the sizes tests read it
    "p3_cond_generator_tests": {"test_conditional_generator_is_the_statements_network", "test_the_label_changes_the_image",
                                "test_one_image_at_a_time", "test_saturates_like_a_tanh"},
    "p3_cond_discriminator_tests": {"test_one_logit_per_image", "test_the_label_changes_the_logit",
                                    "test_dropout_argument_sets_the_dropout", "test_dropout_in_training_mode"},
    "p3_cgan_steps_tests": {"test_return_floats", "test_discriminator_loss_uses_the_batch_labels",
                            "test_generator_loss_uses_the_requested_labels",
                            "test_dropout_on_while_the_conditional_discriminator_learns"},
    "p4b_tests": {"test_types", "test_equal_distributions", "test_disjoint_supports_give_log_two",
                  "test_c_point_is_the_substitution", "test_c_point_vanishes_where_only_one_density_is_positive"},
    "p5_ot_primal_tests": set(),
    "p5_ot_dual_tests": set(),
}


def test_every_check_whose_record_holds_a_list_is_tried_with_short_records(reference_objects):
    """The cells below are exactly those whose probe record (of the reference answers) holds a list."""
    from homeworks.hw4_gans import checks as spec_module

    # p4b_steps_tests, worth nothing, reads a list the student chooses the length of (the steps)
    with_lists = {spec.cell for spec in spec_module.CHECKS
                  if not spec.files and spec.cell != "p4b_steps_tests"
                  and _has_list(_reference_record(reference_objects, spec.cell))}
    assert with_lists == set(NO_LIST_READ)


@pytest.mark.parametrize("how", ["empty", "short"])
@pytest.mark.parametrize("cell", sorted(NO_LIST_READ))
def test_a_record_with_its_lists_cut_earns_only_what_reads_no_list(reference_objects, cell, how):
    """The reference answers' own record with every list emptied, or one entry short, passes no test that reads a
    list: checks pair the record with the grader's values entry for entry and fail when the lengths differ (a bare
    zip stopped at the shorter and passed on what was left)."""
    record = _reference_record(reference_objects, cell)
    honest = _judged_forgery(cell, record)
    assert honest.earned == honest.points, "\n".join(honest.lines)
    result = _judged_forgery(cell, _lists_cut(record, how))
    passed = {name for name, _, _, ok, _ in result.results if ok}
    assert passed <= NO_LIST_READ[cell], "\n".join(result.lines)
    assert result.earned < honest.points


def _stripping(step):
    """``step``, then the modules it was given stripped of their layers and parameters."""
    def stripped(*args):
        out = step(*args)
        for m in args[:2]:
            m._modules.clear()
            m._parameters.clear()
        return out
    return stripped


def _judged_objects(cell, objects, seed=4242):
    from dgmlab import probes

    return _judged_forgery(cell, probes.run_probe(probes.spec_for("hw4_gans", cell), objects, seed), seed)


@pytest.mark.parametrize("moves", [True, False])
def test_a_step_that_strips_the_networks_earns_what_it_would_without(reference_objects, moves):
    """Red team 2: a step that empties the modules after it (``m._modules.clear(); m._parameters.clear()``) used to
    leave an empty parameter record that the checks zipped into passing. The grader reads the Parameter objects it
    captured before the step, so stripping changes nothing: the reference steps earn 3/3 and 4/4 stripped or not,
    a step that never updates earns the same stripped or not (what returning the loss is worth)."""
    ns = reference_objects
    d_loss, g_loss = ns["discriminator_loss"], ns["generator_loss"]

    def d_still(g, d, opt, real, z):
        with torch.no_grad():
            return d_loss(d(real), d(g(z))).item()

    def cd_still(g, d, opt, real, labels, z):
        with torch.no_grad():
            return d_loss(d(real, labels), d(g(z, labels), labels)).item()

    def cg_still(g, d, opt, z, labels):
        with torch.no_grad():
            return g_loss(d(g(z, labels), labels)).item()

    if moves:
        d_step, cd, cg = ns["discriminator_step"], ns["cgan_discriminator_step"], ns["cgan_generator_step"]
    else:
        d_step, cd, cg = d_still, cd_still, cg_still
    for cell, steps, losses in (("p1_d_step_tests", (d_step,), (d_loss,)),
                                ("p3_cgan_steps_tests", (cd, cg), (d_loss, g_loss))):
        plain = _judged_objects(cell, (*steps, *losses))
        stripped = _judged_objects(cell, (*map(_stripping, steps), *losses))
        assert stripped.earned == plain.earned, "\n".join(stripped.lines)
        assert (plain.earned == plain.points) == moves, "\n".join(plain.lines)


# ------------------------------------------------------------------ visible tests compare with recorded values
# The converted cells' visible tests read the probe's values on the working seed's inputs and compare them with values the
# grader's references gave on those inputs when the kit was built (homeworks/hw4_gans/checks/expected.json); the hidden
# tests import the references in the judge and compare the values on the grading seed's inputs.
CONVERTED = ("p1_generator_tests", "p1_discriminator_tests", "p1_d_step_tests", "p1_g_step_tests", "p2_make_gan_tests",
             "p2_train_gan_tests", "p3_cond_generator_tests", "p3_cond_discriminator_tests", "p3_cgan_steps_tests",
             "p5_ot_primal_tests", "p5_ot_dual_tests")


def _p1_reference():
    from conftest import ROOT
    from dgmlab.authoring.reference import reference_namespace

    F = torch.nn.functional
    return reference_namespace(ROOT / "source" / "hw4_gans" / "hw4_gans.ipynb",
                               ["p1_generator", "p1_discriminator", "p1_losses", "p1_d_step", "p1_g_step",
                                "p2_make_gan", "p2_train_gan", "p3_cond_generator", "p3_cond_discriminator",
                                "p3_cgan_steps", "p5_ot_primal", "p5_ot_dual"],
                               {"__name__": "hw4_p1_reference", "torch": torch, "nn": torch.nn, "F": F, "np": np,
                                "tqdm": __import__("tqdm").tqdm, "linprog": __import__("scipy.optimize").optimize.linprog})


@pytest.mark.parametrize("cell", CONVERTED)
@pytest.mark.parametrize("seed", [0, 987_654])
def test_the_reference_earns_every_point_of_a_converted_cell_on_any_grading_seed(cell, seed):
    """The reference earns every visible point on the working seed (against the recorded values) and on another seed
    (against the grader's references on that draw, computed in the judge), and with the hidden tests (which import
    the references in the judge) every point."""
    from dgmlab import probes
    from dgmlab.probes import wire

    ns, spec = _p1_reference(), probes.spec_for("hw4_gans", cell)
    data = wire.loads(wire.dumps(probes.run_probe(spec, tuple(ns[n] for n in spec.names), seed)))
    assert_earns_every_point("hw4_gans", spec, data, seed)


def test_a_self_check_compares_with_the_recorded_values_and_a_graded_run_with_the_judges(monkeypatch):
    """On the working seed (a self-check) the visible tests compare with the values recorded in the student package:
    with those values moved off, the reference fails them. Graded (another seed), the judge computes what they are
    compared with on the grading seed's draw, so the recorded file decides nothing."""
    from dgmlab import probes
    from dgmlab.probes import recorded_values, wire

    ns, spec = _p1_reference(), probes.spec_for("hw4_gans", "p1_generator_tests")
    recorded = probes.expected("hw4_gans", "p1_generator_tests")
    moved = {**recorded_values._expected_cache["hw4_gans"],
             "p1_generator_tests": {k: v + 0.5 for k, v in recorded.items()}}
    monkeypatch.setitem(recorded_values._expected_cache, "hw4_gans", moved)
    compared = ("test_generator_is_the_statements_network", "test_latent_dim_and_widths_are_used",
                "test_saturates_like_a_tanh")
    for seed, passes in ((probes.WORKING_SEED, False), (987_654, True)):
        data = wire.loads(wire.dumps(probes.run_probe(spec, (ns["Generator"],), seed)))
        result = probes.judge("hw4_gans", spec, data, seed)
        assert [ok for name, _, _, ok, _ in result.results if name in compared] == [passes] * 3, (seed, result.lines)


# ------------------------------------------------------------------ trainable means trainable; no answer in the package
def _network(cell, forward):
    """A class for network cell ``cell`` with the statement's layers as parameters, whose forward is ``forward(self,
    tensors, x[, labels])`` with the tensors in :func:`dgmlab.artifacts.mlp_shapes` order."""
    from dgmlab import artifacts

    generator = "generator" in cell
    conditional = cell.startswith("p3")

    class Network(torch.nn.Module):
        def __init__(self, latent_dim=100, widths=None, dropout=0.3, **_):
            super().__init__()
            self.latent_dim = latent_dim
            widths = tuple(widths or ((128, 256, 512) if generator else (512, 256, 128)))
            shapes = artifacts.mlp_shapes(latent_dim if generator else 784, widths, 784 if generator else 1,
                                          (10, 10) if conditional else None)
            self.tensors = torch.nn.ParameterList(torch.nn.Parameter(torch.randn(s) * 0.05) for s in shapes)

        def forward(self, x, labels=None):
            x = x.reshape(len(x), -1)
            return forward(self, list(self.tensors), x, labels) if conditional else forward(self, list(self.tensors), x)

    return Network


NETWORK_CELLS = ("p1_generator_tests", "p1_discriminator_tests", "p3_cond_generator_tests",
                 "p3_cond_discriminator_tests")


@pytest.mark.parametrize("cell", NETWORK_CELLS)
def test_a_network_computed_outside_autograd_earns_nothing(cell):
    """Issue 54: the statement's computation itself, evaluated without autograd (the grader's mlp_forward, which the
    student package used to hold as dgmlab.artifacts.mlp_forward), gives every output the cells compare, yet earns
    nothing: no gradient reaches the parameters, and every test of a network's cell asks for one first."""
    from homeworks.hw4_gans.hidden.references import mlp_forward

    tanh = "generator" in cell
    detached = _network(cell, lambda self, tensors, x, labels=None: mlp_forward(tensors, x, labels, tanh=tanh))
    result = _judged_objects(cell, (detached,))
    assert result.earned == 0, "\n".join(result.lines)
    assert all("no gradient flows through" in line for line in result.lines if "FAILED" in line), result.lines


def _student_package_functions():
    """The public functions of the student package's modules that hold hw4's layout and checks (each part's module)."""
    import importlib
    import inspect
    import pkgutil

    from dgmlab import artifacts
    from dgmlab.probes import asserts
    from homeworks.hw4_gans import checks as hw4_gans

    parts = [importlib.import_module(f"{hw4_gans.__name__}.{m.name}") for m in pkgutil.iter_modules(hw4_gans.__path__)]
    assert len(parts) == 10, "common, activations, players, replay and one module per part"
    return [f for module in (artifacts, asserts, hw4_gans, *parts) for name, f in sorted(vars(module).items())
            if not name.startswith("_") and inspect.isfunction(f) and f.__module__ == module.__name__]


def _takes(f, n: int) -> bool:
    """Whether ``f`` can be called with ``n`` positional arguments."""
    import inspect

    try:
        inspect.signature(f).bind(*range(n))
    except TypeError:
        return False
    return True


def _callable_as_a_forward_pass():
    return [pytest.param(f, id=f"{f.__module__}.{f.__name__}") for f in _student_package_functions()
            if _takes(f, 2) or _takes(f, 3)]


def test_the_rest_of_the_student_package_cannot_be_called_as_a_forward_pass():
    """The functions the next test leaves out take neither (tensors, x) nor (tensors, x, labels): called as a forward
    pass they raise TypeError, which earns what the blank earns (the judge runs nothing of theirs)."""
    rest = [f for f in _student_package_functions() if not (_takes(f, 2) or _takes(f, 3))]
    for f in rest:
        with pytest.raises(TypeError):
            f([torch.zeros(1)], torch.zeros(1, 784))


@pytest.mark.parametrize("f", _callable_as_a_forward_pass())
def test_no_callable_of_the_student_package_answers_a_network_cell(f):
    """Issue 55: every public function of dgmlab.artifacts, dgmlab.probes.asserts and homeworks.hw4_gans.checks that takes two or
    three arguments, called as a network's forward pass (``f(tensors, x)``, with the labels for P3's networks), earns
    what the blank earns, 0, on each of hw4's four network cells: the networks as a computation are the grader's."""
    for cell in NETWORK_CELLS:
        if not _takes(f, 3 if cell.startswith("p3") else 2):
            continue
        network = _network(cell, lambda self, tensors, *args: f(tensors, *args))
        result = _judged_objects(cell, (network,))
        assert result.earned == 0, f"{cell}: " + "\n".join(result.lines)


@pytest.mark.parametrize("conditional", [False, True])
def test_a_self_check_without_the_grader_draws_with_the_notebooks_own_class(monkeypatch, conditional):
    """A student's environment has no grader, so no statement network: the file cells' visible tests draw from the
    handed-in weights with the notebook's own Generator (ConditionalGenerator), the tensors placed by shape; with the
    grader installed they draw with its network. For the statement's class both give the same images."""
    import io
    import sys

    from homeworks.hw4_gans import checks as spec_module

    embedding = (10, 10) if conditional else None
    torch.manual_seed(3)
    state = {k: v.half() for k, v in statement_state(embedding=embedding).items()}  # float16, as saved
    buf = io.BytesIO()
    torch.save(state, buf)
    name = spec_module.CGAN_FILE if conditional else spec_module.BASELINE_FILE
    files = {name: buf.getvalue()}
    labels = torch.arange(100) % 10 if conditional else None
    z = torch.randn(100, 100, generator=torch.Generator().manual_seed(0))
    from dgmlab import probes
    from dgmlab.grading import hidden

    hidden.module("hw4_gans")  # the grader hands the checks its side of the homework
    grader, _ = spec_module.graded_generator(files, lambda n: 0, name, made_by="the cell", conditional=conditional)
    monkeypatch.setattr(probes, "_GRADER_SIDE", {})  # a student's kernel: nothing handed over
    kind = "ConditionalGenerator" if conditional else "Generator"
    with pytest.raises(artifacts.ArtifactError, match=f"defines {kind}"):
        spec_module.graded_generator(files, lambda n: 0, name, made_by="the cell", conditional=conditional)
    monkeypatch.setattr(sys.modules["__main__"], kind, lambda: StatementMLP(100, (128, 256, 512), 784, embedding),
                        raising=False)
    own, _ = spec_module.graded_generator(files, lambda n: 0, name, made_by="the cell", conditional=conditional)
    with torch.no_grad():
        args = (z, labels) if conditional else (z,)
        torch.testing.assert_close(own(*args), grader(*args))


# ---------------------------------------------------------------------- P4 with the student's own plain symbols
PLAIN_SYMBOLS_P4 = """
p_data, p_g, d = sp.symbols("p_data p_g d")          # re-declared without the notebook's positive=True
pi_real = sp.Symbol("pi_real")
V_point = p_data * sp.log(d) + p_g * sp.log(1 - d)
D_star = sp.solve(sp.Eq(sp.diff(V_point, d), 0), d)[0]
second_derivative = sp.simplify(sp.diff(V_point, d, 2).subs(d, D_star))
D_star_pi = sp.solve(sp.Eq(sp.diff(pi_real * p_data * sp.log(d) + (1 - pi_real) * p_g * sp.log(1 - d), d), 0), d)[0]
C_point = V_point.subs(d, D_star)
"""


@pytest.mark.parametrize("cell", ["p4a_tests", "p4b_tests"])
def test_a_correct_derivation_in_plain_symbols_earns_every_point(reference_objects, cell):
    # the statement's symbols are positive; a student who declares their own, with the same names, is still right
    from dgmlab import probes

    ns = dict(reference_objects)
    exec(PLAIN_SYMBOLS_P4, ns)
    spec = probes.spec_for("hw4_gans", cell)
    result = _judged_objects(cell, tuple(ns[n] for n in spec.names))
    assert result.earned == result.points, "\n".join(result.lines)


# ------------------------------------------------------------------ correct forms a careful student wrote (issue 62)
# Each is right by the statement's words and once lost points: a positive factor on the LP's costs (the same program's
# solutions), a list that unpacks as make_gan's triple, a stable BCE written by hand (autograd gives its max and |x|
# zero slope at a logit of exactly 0, so the sign check reads gradients at nonzero logits).
STUDENT_FORMS = {
    "p5_ot_dual_tests": '''
def ot_dual(v, w, C):
    k1, k2 = C.shape
    A_ub = np.hstack([np.kron(np.eye(k1), np.ones((k2, 1))), np.kron(np.ones((k1, 1)), np.eye(k2))])
    res = linprog(-0.5 * np.r_[v, w], A_ub=A_ub, b_ub=C.ravel(), bounds=(None, None), method="highs")
    return float(-2 * res.fun), res.x[:k1], res.x[k1:]
''',
    "p5_ot_primal_tests": '''
def ot_primal(v, w, C):
    k1, k2 = C.shape
    s = C.max() if C.max() > 0 else 1.0
    A_eq = np.vstack([np.kron(np.eye(k1), np.ones((1, k2))), np.kron(np.ones((1, k1)), np.eye(k2))])
    res = linprog(C.ravel() / s, A_eq=A_eq, b_eq=np.concatenate([v, w]), bounds=(0, None), method="highs")
    return float(res.fun * s), res.x.reshape(k1, k2)
''',
    "p2_make_gan_tests": '''
def make_gan(experiment, latent_dim=100):
    if experiment not in EXPERIMENTS:
        raise ValueError("bad experiment")
    g = Generator(latent_dim, [256, 512, 1024] if experiment == "wide_generator" else [128, 256, 512])
    d = Discriminator([1024, 512, 256, 128] if experiment == "deep_discriminator" else [512, 256, 128])
    return [g, d, 10 if experiment == "d_steps_10" else 1]
''',
    "p1_losses_tests": '''
def _bce_logits(x, y):
    return (x.clamp(min=0) - x * y + torch.log1p(torch.exp(-x.abs()))).mean()
def discriminator_loss(real_logits, fake_logits):
    return _bce_logits(real_logits, 1.0) + _bce_logits(fake_logits, 0.0)
def generator_loss(fake_logits):
    return _bce_logits(fake_logits, 1.0)
''',
}


@pytest.mark.parametrize("seed", [0, 987_654])  # the self-check's working seed, and a graded draw
@pytest.mark.parametrize("cell", sorted(STUDENT_FORMS))
def test_a_correct_form_a_student_wrote_earns_every_point(reference_objects, cell, seed):
    from dgmlab import probes
    from dgmlab.probes import wire

    ns = dict(reference_objects)
    exec(STUDENT_FORMS[cell], ns)
    spec = probes.spec_for("hw4_gans", cell)
    data = wire.loads(wire.dumps(probes.run_probe(spec, tuple(ns[n] for n in spec.names), seed)))
    assert_earns_every_point("hw4_gans", spec, data, seed)


# two more a second careful student wrote (the trial's exact forms): a Piecewise D_star_pi that guards its zero
# denominator (sp.limit of it raised sympy's NotImplementedError, so the limit is read by value near pi_real = 1), and
# make_gan's d_steps as a numpy integer (an int by the statement's words; once charged in three tests)
CAREFUL_FORMS = [
    ("p4a_tests", "D_star_pi = sp.Piecewise((pi_real * p_data / (pi_real * p_data + (1 - pi_real) * p_g), "
                  "sp.Ne(pi_real * p_data + (1 - pi_real) * p_g, 0)), (sp.Rational(1, 2), True))\n"),
    ("p2_make_gan_tests", "_mk = make_gan\ndef make_gan(experiment, latent_dim=100):\n"
                          "    g, d_, k = _mk(experiment, latent_dim)\n    return g, d_, np.int64(k)\n"),
]


@pytest.mark.parametrize("seed", [0, 987_654])
@pytest.mark.parametrize("cell, source", CAREFUL_FORMS, ids=[c for c, _ in CAREFUL_FORMS])
def test_a_guarded_or_numpy_typed_correct_form_earns_every_point(reference_objects, cell, source, seed):
    from dgmlab import probes
    from dgmlab.probes import wire

    ns = dict(reference_objects)
    exec(source, ns)
    spec = probes.spec_for("hw4_gans", cell)
    data = wire.loads(wire.dumps(probes.run_probe(spec, tuple(ns[n] for n in spec.names), seed)))
    assert_earns_every_point("hw4_gans", spec, data, seed)


def test_an_unevaluated_second_derivative_is_told_to_call_doit_not_about_integrals(reference_objects):
    # sp.Derivative(...).subs(d, D_star) is a Subs: as handed in, sympy has not computed it
    from dgmlab import probes
    from dgmlab.probes import wire

    ns = dict(reference_objects)
    exec("second_derivative = sp.Derivative(V_point, (d, 2)).subs(d, D_star)\n", ns)
    spec = probes.spec_for("hw4_gans", "p4a_tests")
    data = wire.loads(wire.dumps(probes.run_probe(spec, tuple(ns[n] for n in spec.names), probes.WORKING_SEED)))
    failed = [line for line in probes.judge("hw4_gans", spec, data, probes.WORKING_SEED).lines if "FAILED" in line]
    assert failed and all("unevaluated Subs" in line and "call .doit()" in line for line in failed), failed
    assert not any("integral" in line or "conds" in line for line in failed), failed


SLACK_DUAL = '''
def ot_dual(v, w, C):
    k1, k2 = C.shape
    A = np.hstack([np.kron(np.eye(k1), np.ones((k2, 1))), np.kron(np.ones((k1, 1)), np.eye(k2))])
    A_eq = np.hstack([A, np.eye(k1 * k2)])
    c = np.concatenate([-v, -w, np.zeros(k1 * k2)])
    bounds = [(None, None)] * (k1 + k2) + [(0, None)] * (k1 * k2)
    res = linprog(c, A_eq=A_eq, b_eq=C.ravel(), bounds=bounds, method="highs")
    return float(-res.fun), res.x[:k1], res.x[k1:k1 + k2]
'''


def test_a_dual_with_slack_variables_is_told_the_statement_asks_for_one_inequality_per_pair(reference_objects):
    # P5(c) asks for (phi, psi) stacked into one vector with one inequality per pair: the standard form with a slack
    # per pair is another program (over k1 + k2 + k1*k2 unknowns); it loses the formulation's points, and is told so
    # in its own terms (not as the primal, whose unknowns number k1*k2)
    from dgmlab import probes

    ns = dict(reference_objects)
    exec(SLACK_DUAL, ns)
    result = _judged_objects("p5_ot_dual_tests", (ns["ot_dual"],), seed=probes.WORKING_SEED)
    line = next(line for line in result.lines if "test_dual_is_formulated_as_the_statement_s_program" in line)
    assert result.earned == result.points - 3.5, result.lines  # all but the formulation's 3.5
    assert "a slack per pair" in line and "one inequality" in line and "primal" not in line, line


# mistakes the same trial made, each told what is wrong in its own terms: (cell, the mistake, the failing test, words)
_TRAIN_GAN = '''
def train_gan(generator, discriminator, g_opt, d_opt, loader, epochs, d_steps=1, progress=True):
    dev = next(generator.parameters()).device
    history = {"d_loss": [], "g_loss": []}
    count = 0
    for _ in range(epochs):
        for i, (real, _labels) in enumerate(loader):
            real = real.to(dev)
            z = torch.randn(len(real), generator.latent_dim, device=dev)
            history["d_loss"].append(discriminator_step(generator, discriminator, d_opt, real, z))
            if WHEN:
                history["g_loss"].append(generator_step(generator, discriminator, g_opt,
                                                        torch.randn(len(real), generator.latent_dim, device=dev)))
            count += 1
    return history
'''
TOLD_MISTAKES = [
    ("p2_train_gan_tests", _TRAIN_GAN.replace("WHEN", "count % d_steps == 0"),
     "test_generator_update_follows_d_steps_discriminator_updates", "none after update number 1"),
    ("p2_train_gan_tests", _TRAIN_GAN.replace("WHEN", "(i + 1) % d_steps == 0"),
     "test_generator_update_follows_d_steps_discriminator_updates", "does not restart with each epoch"),
    ("p4b_tests", "from scipy.spatial.distance import jensenshannon\n"
                  "def js_divergence(p, q):\n    return float(jensenshannon(p, q))\n",
     "test_disjoint_supports_give_log_two", "with no root taken"),
    ("p4a_tests", "second_derivative = sp.diff(V_point, d, 2)\n",
     "test_second_derivative_is_negative", "substitute D_star for d"),
    ("p1_losses_tests", "def discriminator_loss(real_logits, fake_logits):\n"
                        "    return (F.binary_cross_entropy_with_logits(real_logits, torch.zeros_like(real_logits))\n"
                        "            + F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits)))\n",
     "test_real_logits_pushed_up_fake_logits_down", "labels are swapped"),
]


@pytest.mark.parametrize("cell, source, test, words", TOLD_MISTAKES, ids=[f"{m[0]}-{m[3]}" for m in TOLD_MISTAKES])
def test_a_mistake_is_told_what_is_wrong(reference_objects, cell, source, test, words):
    from dgmlab import probes

    ns = dict(reference_objects)
    exec(source, ns)
    spec = probes.spec_for("hw4_gans", cell)
    result = probes.judge("hw4_gans", spec, probes.run_probe(spec, tuple(ns[n] for n in spec.names), probes.WORKING_SEED),
                          probes.WORKING_SEED)
    line = next((line for line in result.lines if line.startswith(f"FAILED {test}:")), None)
    assert line is not None and words in line, result.lines
    assert "TypeError" not in " ".join(result.lines), result.lines


@pytest.mark.parametrize("score, accuracy", [("9" * 400, "0.97"), ("9.1", "true"), ("true", "0.97")])
def test_a_results_file_with_a_huge_or_boolean_number_is_named_not_raised(score, accuracy):
    """Attacker trial: a 400-digit score raised OverflowError in the hand-in check; `true` passed as an accuracy."""
    from homeworks.hw4_gans.checks.p0_runs_top_to_bottom import EXPERIMENTS, results_file_problems

    run = '{"epochs": 50, "data": "full", "mnist_score": %s}'
    models = ", ".join(f'"{name}": {run % score}' for name in EXPERIMENTS)
    cgan = run[:-1] % score + ', "conditional_accuracy": %s}' % accuracy
    problems = results_file_problems(("{%s, \"cgan\": %s}" % (models, cgan)).encode())
    assert problems and all("not a finite number" in p or "not a share" in p for p in problems), problems
