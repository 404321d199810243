"""Structure of homework 4 (fast: builds the notebook in memory, runs no kernel).

The graded behaviour itself is proven in tests/test_proofs.py (MUTANTS of tools/notebooks/hw4_gans.py).
"""
import re

import pytest

from conftest import homework_builders

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


def test_every_test_cell_has_hidden_checks_and_ends_with_run_tests():
    for cell in _cells():
        meta = _meta(cell)
        if cell.cell_type == "code" and meta.get("grade"):
            src = cell.source
            assert "### BEGIN HIDDEN TESTS" in src and "### END HIDDEN TESTS" in src, meta["grade_id"]
            assert src.rstrip().endswith("run_tests()"), meta["grade_id"]


def test_every_answer_cell_has_a_realistic_wrong_answer_and_partial_labels_exist():
    answers = {_meta(c)["grade_id"] for c in _cells() if c.cell_type == "code" and _meta(c).get("solution")}
    failing = {m.answer for m in BUILDER.MUTANTS if m.fails and "blank" not in m.label}
    assert answers <= failing, f"answer cells without a wrong-answer mutant: {sorted(answers - failing)}"
    labels = {m.label for m in BUILDER.MUTANTS}
    assert set(BUILDER.PARTIAL) <= labels


@pytest.mark.parametrize("needle", ["BatchNorm", "dropout in the generator", "sigmoid applied twice",
                                    "labels ignored", "dual constraint with the wrong sign"])
def test_the_issue_s_named_wrong_answers_are_mutants(needle):
    assert any(needle.lower() in m.label.lower() and m.fails for m in BUILDER.MUTANTS), needle


def test_no_absolute_paths_in_the_notebook():
    for cell in _cells():
        assert "/work/" not in cell.source and "/home/" not in cell.source


# ------------------------------------------------------------------ artifact-graded cells (slow: one kernel)
# baseline_samples_tests grades baseline_samples_100.pt, cgan_samples_tests grades cgan_samples_100.pt and, under
# grading, p0_tests reads hw4_results.json. One grading-mode session runs the notebook without any of the three
# files (those cells earn nothing and say why, every other cell passes); then only the artifact cells are rerun
# on other files. The genuine files are outputs of the reference trained in full mode (tests/fixtures/README.md).
import json  # noqa: E402
import shutil  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

COPIED = "these samples match dataset images, not generated ones"
BELOW = "below the bar"


def _copy(folder):
    src = BUILDER.build().path
    shutil.copy(src, folder / src.name)
    return folder / src.name


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A grading-mode session of the notebook run once without its graded files: (session, folder, results)."""
    from dgmlab.grading.proofs import NotebookSession

    folder = tmp_path_factory.mktemp("hw4_artifacts")
    with NotebookSession(_copy(folder), env={"DGMLAB_OFFLINE": "1"}) as s:
        yield s, folder, s.run_all()


@pytest.mark.slow
def test_without_the_files_the_artifact_cells_earn_nothing_and_say_why(graded):
    _, _, results = graded
    for cell, name in [("baseline_samples_tests", BUILDER.BASELINE_FILE), ("cgan_samples_tests", BUILDER.CGAN_FILE),
                       ("p0_tests", BUILDER.RESULTS_FILE)]:
        failed, msg = results[cell]
        assert failed and name in msg, f"{cell} without {name}: {msg}"
    assert "0 points" in results["baseline_samples_tests"][1] and "0 points" in results["cgan_samples_tests"][1]
    others = {k: m for k, (f, m) in results.items() if f and k not in BUILDER.ARTIFACT_TESTS}
    assert not others, f"without the files, other cells failed too: {others}"


def _real(per_class=10):
    """100 real MNIST test digits (10 per class, ordered 0..9 as the cGAN file asks) in [-1, 1], and labels."""
    from dgmlab.data import load_sample

    x, y = load_sample(train=False)
    idx = np.concatenate([np.flatnonzero(y == k)[:per_class] for k in range(10)])
    return torch.from_numpy(x[idx].astype("float32") / 127.5 - 1.0).reshape(100, 784), torch.from_numpy(y[idx])


def _shifted(x):
    """Each digit moved by one pixel (right, down, left or up in turn), the gap filled with background."""
    x = x.reshape(-1, 1, 28, 28)
    out = torch.full_like(x, -1.0)
    for i in range(len(x)):
        dy, dx = [(0, 1), (1, 0), (0, -1), (-1, 0)][i % 4]
        out[i, :, max(dy, 0):28 + min(dy, 0), max(dx, 0):28 + min(dx, 0)] = \
            x[i, :, max(-dy, 0):28 + min(-dy, 0), max(-dx, 0):28 + min(-dx, 0)]
    return out.reshape(-1, 784)


def _noise():
    return torch.rand(100, 784, generator=torch.Generator().manual_seed(0)) * 2 - 1


def _genuine():
    return torch.load(BUILDER.GENUINE_BASELINE, weights_only=True)


def _genuine_cgan():
    return torch.load(BUILDER.GENUINE_CGAN, weights_only=True)


def _early(kind):
    obj = torch.load(BUILDER.FIXTURES / f"hw4_early_{kind}_samples_100_f16.pt", weights_only=True)
    return {"images": obj["images"].float(), "labels": obj["labels"]} if kind == "cgan" else obj.float()


def _with(x, i, value):
    x = x.clone()
    x.view(-1)[i] = value
    return x


# file content -> expected message (None: the cell passes)
BASELINE_FILES = {
    "genuine samples of the reference baseline": (lambda: _genuine(), None),
    "the same, shaped (100, 1, 28, 28)": (lambda: _genuine().reshape(100, 1, 28, 28), None),
    "uniform noise": (_noise, BELOW),
    "the reference after 2 epochs": (lambda: _early("baseline"), BELOW),
    "real MNIST digits": (lambda: _real()[0], COPIED),
    "real digits shifted by a pixel": (lambda: _shifted(_real()[0]), COPIED),
    "50 samples": (lambda: _genuine()[:50], "shape"),
    "a NaN": (lambda: _with(_genuine(), 7, float("nan")), "NaN"),
    "float64": (lambda: _genuine().double(), "dtype"),
    "a numpy array": (lambda: _genuine().numpy(), "could not be read"),
}
CGAN_FILES = {
    "genuine samples of the reference cGAN": (lambda: _genuine_cgan(), None),
    "the same, labels in another order with their images": (
        lambda: (lambda d, p: {"images": d["images"][p], "labels": d["labels"][p]})(
            _genuine_cgan(), torch.randperm(100, generator=torch.Generator().manual_seed(1))), None),
    "labels shuffled": (lambda: (lambda d: {"images": d["images"], "labels": d["labels"][
        torch.randperm(100, generator=torch.Generator().manual_seed(1))]})(_genuine_cgan()), BELOW),
    "labels off by one": (lambda: (lambda d: {"images": d["images"], "labels": (d["labels"] + 1) % 10})(
        _genuine_cgan()), BELOW),
    "only easy digits asked for": (lambda: (lambda d: {"images": d["images"], "labels": torch.ones(100, dtype=torch.long)})(
        _genuine_cgan()), "exactly 10 times"),
    "float labels": (lambda: (lambda d: {"images": d["images"], "labels": d["labels"].float()})(_genuine_cgan()),
                     "int64"),
    "the reference after 2 epochs": (lambda: _early("cgan"), BELOW),
    "real digits with their true labels": (lambda: dict(zip(("images", "labels"), _real())), COPIED),
    "real digits shifted by a pixel, true labels": (
        lambda: (lambda x, y: {"images": _shifted(x), "labels": y})(*_real()), COPIED),
    "images only, no labels": (lambda: _genuine_cgan()["images"], "dict"),
    "a NaN in the images": (lambda: (lambda d: {"images": _with(d["images"], 3, float("nan")), "labels": d["labels"]})(
        _genuine_cgan()), "NaN"),
}


def _grade(graded, cell, name, content):
    s, folder, _ = graded
    path = folder / name
    torch.save(content, path)
    try:
        return s.run(s.index[cell])
    finally:
        path.unlink()


ARTIFACT_CASES = [("baseline_samples_tests", BUILDER.BASELINE_FILE, kind, *case) for kind, case in BASELINE_FILES.items()] + \
    [("cgan_samples_tests", BUILDER.CGAN_FILE, kind, *case) for kind, case in CGAN_FILES.items()]


@pytest.mark.slow
@pytest.mark.parametrize("cell, name, kind, make, expected", ARTIFACT_CASES,
                         ids=[f"{cell.split('_')[0]}-{kind}" for cell, _, kind, *_ in ARTIFACT_CASES])
def test_artifact_cell_on_a_file(graded, cell, name, kind, make, expected):
    failed, msg = _grade(graded, cell, name, make())
    if expected is None:
        assert not failed, f"{kind}: {msg}"
    else:
        assert failed and expected in msg, f"{kind}: {msg}"


@pytest.mark.slow
def test_artifact_cells_refuse_an_oversized_file(graded):
    s, folder, _ = graded
    path = folder / BUILDER.BASELINE_FILE
    path.write_bytes(b"\0" * (BUILDER.MAX_FILE_BYTES + 1))
    try:
        failed, msg = s.run(s.index["baseline_samples_tests"])
    finally:
        path.unlink()
    assert failed and "bytes" in msg, msg


def _fast_mode_results():
    r = json.loads(BUILDER.GENUINE_RESULTS.read_text())
    r["d_steps_10"]["epochs"] = 2
    return json.dumps(r)


@pytest.mark.slow
@pytest.mark.parametrize("content, expected", [
    (lambda: BUILDER.GENUINE_RESULTS.read_text(), None),
    (_fast_mode_results, "not trained in full mode"),
    (lambda: json.dumps({k: v for k, v in json.loads(BUILDER.GENUINE_RESULTS.read_text()).items() if k != "cgan"}),
     "no result for cgan"),
    (lambda: "{not json", "not valid JSON"),
], ids=["genuine", "one model in fast mode", "cgan missing", "not JSON"])
def test_p0_grades_the_results_file(graded, content, expected):
    s, folder, _ = graded
    path = folder / BUILDER.RESULTS_FILE
    path.write_text(content())
    try:
        failed, msg = s.run(s.index["p0_tests"])
    finally:
        path.unlink()
    if expected is None:
        assert not failed, msg
    else:
        assert failed and expected in msg, msg
