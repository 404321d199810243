"""hw1_wgan: the proofs with the artifact the reference needs, and the artifact cell on other files.

The artifact-graded cell ``q3_samples_quality_tests`` grades ``samples_1000.pt`` next to the notebook.
Both here and in tests/test_proofs.py the notebook is copied to a temporary folder with the
builder's ``PROOF_ARTIFACTS`` (genuine samples of the reference generator, tests/fixtures), where
every graded cell is proven. A second session runs the notebook without the file (the cell earns
nothing and says why), then reruns only that cell on other files: noise earns the 2 points of a
well-formed file and fails the quality bar (5 points); real MNIST digits, the same digits shifted by
a pixel, or with small noise, earn 0 as copies; the reference run's epoch-5 samples earn the format points
only, and 0 with 50 real digits mixed in to lift their score; the genuine samples earn all 7.
"""
from pathlib import Path
import shutil

import numpy as np
import pytest
import torch

from conftest import homework_builders
from dgmlab.data import load_sample
from dgmlab.grading.proofs import NotebookSession, _grade_id
from dgmlab.testing import plan

HW = "hw1_wgan"
COPIED = "these samples match dataset images, not generated ones"
CELL = "q3_samples_quality_tests"


def _printed(s, gid):
    """What the executed cell ``gid`` printed (its per-test lines and their messages)."""
    cell = s.nb.cells[s.index[gid]]
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


@pytest.fixture(scope="module")
def builder():
    return homework_builders()[HW]


def _copy(builder, folder):
    src = builder.build().path
    dst = folder / src.name
    shutil.copy(src, dst)
    return dst


def test_hw1_wgan_artifact_writers_and_wrong_answers(builder, tmp_path):
    """tests/test_proofs.py proves hw1 with its PROOF_ARTIFACTS written; here: each writer writes the file
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
    """A grading-mode session of the notebook run once without a samples file: (session, folder, results)."""
    folder = tmp_path_factory.mktemp("hw1_artifact")
    nb_path = _copy(builder, folder)
    with NotebookSession(nb_path, env={"DGMLAB_OFFLINE": "1"}) as s:
        yield s, folder, s.run_all()


@pytest.mark.slow
def test_artifact_cell_without_the_file_earns_nothing_and_says_why(builder, graded):
    s, _, results = graded
    got, _ = s.run_verdict(s.index[CELL])
    assert got == "earn 0 of 7", f"the artifact-graded cell with no samples file: {got}"
    printed = _printed(s, CELL)
    assert "no samples_1000.pt in the homework folder, so this test earns 0 points" in printed, printed
    others = {k: m for k, (f, m) in results.items() if f and k not in builder.ARTIFACT_TESTS}
    assert not others, f"without the artifact, other cells failed too: {others}"
    assert _grade_id(s.nb.cells[s.index[CELL]]) == CELL


def _real_digits(n=1000):
    """``n`` real MNIST training digits (n/10 per class, shuffled) from dgmlab's shipped sample, in [-1, 1]."""
    x, y = load_sample(train=True)
    idx = np.concatenate([np.flatnonzero(y == k)[:n // 10] for k in range(10)])
    return torch.from_numpy(x[np.random.default_rng(0).permutation(idx)].astype("float32") / 127.5 - 1.0)


def _shifted_by_a_pixel(x):
    """Each digit moved by one pixel (right, down, left or up in turn), the gap filled with background."""
    out = torch.full_like(x, -1.0)
    for i in range(len(x)):
        dy, dx = [(0, 1), (1, 0), (0, -1), (-1, 0)][i % 4]
        out[i, :, max(dy, 0):28 + min(dy, 0), max(dx, 0):28 + min(dx, 0)] = \
            x[i, :, max(-dy, 0):28 + min(-dy, 0), max(-dx, 0):28 + min(-dx, 0)]
    return out


def _with_noise(x, std=0.1):
    return (x + std * torch.randn(x.shape, generator=torch.Generator().manual_seed(0))).clamp(-1, 1)


def _turned_without_ones(degrees):
    """1,000 real digits other than 1s (a turned 1 is like many other 1s), turned by ``degrees``, in [-1, 1]."""
    from dgmlab import novelty

    x, y = load_sample(train=True)
    x2, y2 = load_sample(train=False)
    digits = np.concatenate([x, x2])[np.flatnonzero(np.concatenate([y, y2]) != 1)[:1000]]
    return novelty.rotate(torch.from_numpy(digits.astype("float32") / 255.0), degrees) * 2 - 1


EARLY_SAMPLES = Path(__file__).parent / "fixtures" / "hw1_early_samples_1000_f16.pt"  # float16 to keep it small


def _early():
    return torch.load(EARLY_SAMPLES, weights_only=True).float()


def _mixed_with_real_digits(x, n_real=50):
    """``x`` with its first ``n_real`` images replaced by real digits: a file padded to lift its score."""
    x = x.clone()
    x[:n_real] = _real_digits(n_real)
    return x

# file -> (maker, the points it earns of 7, what the cell must print)
FILES = {
    "uniform noise": (lambda b: torch.rand(1000, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1,
                      2, "below the bar"),  # a well-formed file of new images: the format points only
    "real MNIST digits": (lambda b: _real_digits(), 0, COPIED),
    "real digits shifted by a pixel": (lambda b: _shifted_by_a_pixel(_real_digits()), 0, COPIED),
    "real digits with noise of std 0.1": (lambda b: _with_noise(_real_digits()), 0, COPIED),
    "real digits shifted by a pixel, with noise of std 0.05": (
        lambda b: _with_noise(_shifted_by_a_pixel(_real_digits()), 0.05), 0, COPIED),
    # turned by 15 degrees, real digits look new to an unturned search and score 8.56 (over the bar) with 9 classes
    "real digits turned by 15 degrees, the 1s left out": (lambda b: _turned_without_ones(15), 0, COPIED),
    # the same run's epoch-5 checkpoint, graded seed 0 (score 7.89): a run stopped early stays under the bar
    "genuine samples of the reference run stopped at epoch 5": (lambda b: _early(), 2, "below the bar"),
    "the same epoch-5 samples with 50 real digits mixed in": (lambda b: _mixed_with_real_digits(_early()), 0, COPIED),
    # 100 samples only, as the graded file held before it grew to 1,000: refused with the shape it needs
    "100 genuine samples instead of 1,000": (lambda b: torch.load(b.GENUINE_SAMPLES, weights_only=True)[:100].clone(), 0,
                                             "expected (1000, 1, 28, 28)"),
    "genuine samples of the reference generator": (lambda b: torch.load(b.GENUINE_SAMPLES, weights_only=True),
                                                   7, "passed test_mnist_classifier_score_above_the_bar"),
}


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(FILES))
def test_artifact_cell_on_a_file(builder, graded, kind):
    s, folder, _ = graded
    make, earned, printed = FILES[kind]
    x = make(builder)
    assert tuple(x.shape[1:]) == (1, 28, 28) and x.dtype == torch.float32 and x.min() >= -1 and x.max() <= 1
    torch.save(x, folder / "samples_1000.pt")
    got, msg = s.run_verdict(s.index[CELL])
    assert got == f"earn {earned:g} of 7", f"{kind}: {got} {msg}\n{_printed(s, CELL)}"
    assert printed in _printed(s, CELL), f"{kind}: {_printed(s, CELL)}"


def test_artifact_cell_points_split_so_a_copied_file_earns_nothing(builder):
    """Both tests of the artifact cell are visible (nothing about the rule is secret), and each needs the
    checks a copied file fails: the format points are 2, the quality bar 5."""
    cell = next(c for c in builder.build().nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == CELL)
    cell_plan = plan(cell.source)
    assert cell_plan.hidden == 0
    assert {t.name: t.points for t in cell_plan.tests} == {
        "test_saved_samples_are_1000_new_images_in_range": 2, "test_mnist_classifier_score_above_the_bar": 5}
    for test in ("test_saved_samples_are_1000_new_images_in_range", "test_mnist_classifier_score_above_the_bar"):
        body = cell.source.split(f"def {test}():")[1].split("\ndef ")[0].split("\n        @points")[0]
        assert "_graded_samples()" in body, f"{test} does not run the checks a copied file fails"


@pytest.mark.slow
def test_artifact_cell_refuses_an_oversized_file_unread(builder, graded):
    """A file over the builder's MAX_FILE_BYTES (the genuine one is ~3.1 MB) earns 0 and says its size."""
    s, folder, _ = graded
    path = folder / "samples_1000.pt"
    path.write_bytes(b"\0" * (builder.MAX_FILE_BYTES + 1))
    try:
        got, _ = s.run_verdict(s.index[CELL])
    finally:
        path.unlink()
    assert got == "earn 0 of 7", got
    assert f"{builder.MAX_FILE_BYTES + 1:,} bytes" in _printed(s, CELL), _printed(s, CELL)
