"""The reference lottery (issue 62): the model answer and every correct variant of a homework's proofs earn every
point on each of 50 graded draws, drawn as the autograder draws a student's (a course key of its own per draw, a
distinct notebook), judged in this process (dgmlab.authoring.lottery). A failure names the answer, the test cell,
the draw (its key and seeds, to grade it again with DGMLAB_LOTTERY_KEY) and the points lost. The figures per homework
are in benchmarks/results/performance.md (benchmarks/reference_lottery.py --record)."""
import hashlib
import os

import pytest

from conftest import ROOT, homework_builders, load_script
from dgmlab.authoring.lottery import course_keys, make_draws
from dgmlab.grading.autograde import draw_seeds

LOTTERY = load_script(ROOT / "benchmarks" / "reference_lottery.py")
DRAWS = int(os.environ.get("DGMLAB_LOTTERY_DRAWS", "50"))
# The test cells CI's lottery grades: every cell but those that judge handed-in weights or a training run on each
# draw (hw1 Q3, hw2 P5-P6, hw4 P0, P2 and the samples cells, hw5 P1-P2), which take hours on 2 cores.
# DGMLAB_LOTTERY_FULL=1 grades every cell (benchmarks/reference_lottery.py <hw> does by default).
CI_CELLS = {"hw1_wgan": "^q[12]_", "hw2_wgangp": "^p[1-4]", "hw3_flows": None,
            "hw4_gans": "^p(1_|3_cond|3_cgan_steps|4|5)", "hw5_explicit": "^q"}


def test_each_draw_is_a_students_draw_under_a_key_of_its_own(tmp_path):
    import nbformat

    notebook = tmp_path / "hw9.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), notebook)
    (tmp_path / "gen_weights.pt").write_bytes(b"weights")
    draws = make_draws("hw9", notebook, 20, key="ab" * 16)
    keys = course_keys(20, key="ab" * 16)
    assert len({d.seed for d in draws}) == 20 and len({d.key for d in draws}) == 20
    digest = hashlib.sha256(b"weights").hexdigest()
    assert [d.files[0][1] for d in draws] == [draw_seeds.seed(k, "hw9", "gen_weights.pt", digest) for k in keys]
    assert make_draws("hw9", notebook, 20, key="ab" * 16) == draws  # a key given: the same draws again


@pytest.fixture
def one_torch_thread():
    """The draws are judged in this process while another worker runs beside it on 2 cores: torch's default (a thread
    a core) oversubscribes them and OpenMP's spin-waits burn CPU. hw2's and hw3's lotteries side by side took 266 s
    and 484 s of CPU with the default, 189 s and 325 s with this fixture (2026-11-29)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.slow
@pytest.mark.e2e  # make test-e2e: under load 18, hw3 8 min, hw2 P1-P4 24 min, hw4's CI cells 32 min, hw5 Q 15 min
@pytest.mark.parametrize("hw", sorted(homework_builders()))
def test_every_correct_answer_earns_every_point_on_every_draw(hw, tmp_path, one_torch_thread):
    only = None if os.environ.get("DGMLAB_LOTTERY_FULL") else CI_CELLS.get(hw)
    result = LOTTERY.lottery(hw, DRAWS, only=only, workdir=tmp_path)
    assert len(result.draws) >= min(DRAWS, 50) and result.cells
    assert not result.losses, result.summary() + "\n" + "\n".join(str(loss) for loss in result.losses[:40])
