"""hw1_wgan: the proofs with the artifact the reference needs, and the artifact cell without it.

tests/test_proofs.py runs the source notebook in its own folder, where no
``samples_100.pt`` exists (it is a training artifact, git-ignored), so there the
artifact-graded cell ``samples_quality_tests`` fails for the reference by design.
Here the notebook is copied to a temporary folder with the stand-in file of
``PROOF_ARTIFACTS`` (100 real MNIST test digits), where every graded cell is proven;
and a second run without the file checks that the cell earns nothing and says why.
"""
import shutil

import pytest

from conftest import homework_builders
from dgmlab.grading.proofs import NotebookSession, _grade_id, prove

HW = "hw1_wgan"


@pytest.fixture(scope="module")
def builder():
    return homework_builders()[HW]


def _copy(builder, folder):
    src = builder.build().path
    dst = folder / src.name
    shutil.copy(src, dst)
    return dst


@pytest.mark.slow
def test_hw1_wgan_proven_with_its_artifact(builder, tmp_path):
    nb_path = _copy(builder, tmp_path)
    for name, make in builder.PROOF_ARTIFACTS.items():
        assert make(tmp_path).name == name
    reference, outcomes = prove(nb_path, builder.MUTANTS)
    failing = {k: msg for k, (failed, msg) in reference.items() if failed}
    assert not failing, f"reference solution fails test cells: {failing}"
    wrong = [o for o in outcomes if not o.ok]
    assert not wrong, "\n".join(f"{o.mutant} -> {o.test}: expected {o.expected}, got {o.got} {o.message}"
                                for o in wrong)
    answers = {m.answer for m in builder.MUTANTS}
    for answer in answers:
        labels = [m for m in builder.MUTANTS if m.answer == answer]
        assert sum(1 for m in labels if m.fails) >= 2, f"{answer}: fewer than two wrong answers"


@pytest.mark.slow
def test_artifact_cell_without_the_file_earns_nothing_and_says_why(builder, tmp_path):
    nb_path = _copy(builder, tmp_path)
    with NotebookSession(nb_path) as s:
        results = s.run_all()
        cell = s.nb.cells[s.index["samples_quality_tests"]]
    failed, msg = results["samples_quality_tests"]
    assert failed, "the artifact-graded cell passed with no samples file"
    assert "samples_100.pt" in msg and "0 points" in msg, msg
    others = {k: m for k, (f, m) in results.items() if f and k not in builder.ARTIFACT_TESTS}
    assert not others, f"without the artifact, other cells failed too: {others}"
    assert _grade_id(cell) == "samples_quality_tests"


@pytest.mark.slow
def test_artifact_cell_rejects_noise(builder, tmp_path):
    import torch

    nb_path = _copy(builder, tmp_path)
    torch.save(torch.rand(100, 1, 28, 28) * 2 - 1, tmp_path / "samples_100.pt")
    with NotebookSession(nb_path) as s:
        results = s.run_all()
    failed, msg = results["samples_quality_tests"]
    assert failed and "below the bar" in msg, msg
