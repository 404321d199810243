"""A handed-in copy of the kit's published weights earns 0 on every cell graded from it, in every homework that
grades handed-in weights (docs/novelty.md, "A copy of a published network is not graded"), and
``--grade-published`` grades it again.

Each homework is proved the way ``dgmlab autograde`` decides it: the coordinator's seeds
(:func:`dgmlab.grading.autograde.draw_seeds.seeds_for` against the kit's files as
:func:`dgmlab.grading.copies.shared_weights.published_weights` reads them from a course, passed as the JSON the grading
worker hands its judge), then the judge's request (:func:`dgmlab.grading.judge.cell_verdicts.judge_cells`) with the
instructor's cells and the files as handed in. The kernel's part is an empty table: these cells grade the file."""
import json
import shutil

import nbformat
import pytest

from conftest import ROOT
from dgmlab import cli, probes
from dgmlab.grading import course as C
from dgmlab.grading.autograde import draw_seeds as DS
from dgmlab.grading.copies import shared_weights as SW
from dgmlab.grading.judge import cell_verdicts
from dgmlab.grading.judge.judge_records import CellToJudge, JudgeRequest
from dgmlab.grading.layout import Course
from dgmlab.probes import wire

pytestmark = pytest.mark.slow  # reads the kit's networks and judges draws from them (torch)

KEY = bytes(range(32))
WEIGHTS_HOMEWORKS = ["hw1_wgan", "hw2_wgangp", "hw4_gans", "hw5_explicit"]


def test_every_homework_that_grades_weights_is_proved_here():
    kit = sorted(p.name for p in (ROOT / "source").iterdir() if (p / f"{p.name}.ipynb").is_file())
    graded = sorted(hw for hw in kit if any(
        n.endswith("weights.pt") for s in probes.specs(hw).values() for n in s.files))
    assert graded == WEIGHTS_HOMEWORKS


def _instructor_cells(hw) -> dict:
    """``{grade id: source}`` of the kit's source notebook of ``hw``: what the gradebook holds and the judge runs."""
    nb = nbformat.read(ROOT / "source" / hw / f"{hw}.ipynb", as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade_id")}


def _published_copy(tmp_path, hw):
    """A course publishing the kit's files of ``hw`` (examples/demo_reference/<hw>/, as the kit ships them) and a
    submission folder holding copies of them under their graded names."""
    kit = ROOT / "examples" / "demo_reference" / hw
    course = tmp_path / "course"
    (course / "examples" / "demo_reference" / hw).mkdir(parents=True)
    (course / "nbgrader_config.py").write_text("")
    handed = tmp_path / "submitted"
    handed.mkdir()
    for path in kit.iterdir():
        if path.suffix != ".ipynb":
            shutil.copy(path, handed / path.name)
        if path.name.endswith("weights.pt"):
            shutil.copy(path, course / "examples" / "demo_reference" / hw / path.name)
    return Course(course), handed


def _judged(hw, handed, published) -> dict:
    """``{cell: (earned, lines)}`` of every cell of ``hw`` that grades a handed-in file, judged as under grading."""
    files = {p.name: p.read_bytes() for p in handed.iterdir()}
    seeds = json.dumps(DS.seeds_for(KEY, hw, files, published), sort_keys=True)
    sources = _instructor_cells(hw)
    specs = [s for s in probes.specs(hw).values() if s.files]
    empty = lambda gid: [{"output_type": "display_data", "metadata": {},  # noqa: E731
                          "data": {probes.PROBE_MIME: {"cell": gid, "data": wire.dumps({})}}}]
    request = JudgeRequest(hw, 4242, tuple(CellToJudge(s.cell, sources[s.cell], tuple(empty(s.cell))) for s in specs),
                           seeds=cell_verdicts.handed_seeds(seeds), references=sources,
                           files=cell_verdicts.handed_files(handed, [n for s in specs for n in s.files]))
    return {gid: (got.earned, "\n".join(got.lines)) for gid, got in cell_verdicts.judge_cells(request).items()}


@pytest.mark.parametrize("hw", WEIGHTS_HOMEWORKS)
def test_a_copy_of_the_kits_published_weights_earns_0_and_grade_published_grades_it(hw, tmp_path, monkeypatch):
    monkeypatch.delenv("DGMLAB_FAST", raising=False)
    course, handed = _published_copy(tmp_path, hw)
    published = SW.published_weights(course, hw)
    assert {rel.rsplit("/", 1)[1] for rel, _ in published} == {p.name for p in handed.glob("*weights.pt")}
    refused = _judged(hw, handed, published)
    assert refused and all(earned == 0 for earned, _ in refused.values()), refused
    for gid, (_, lines) in refused.items():  # each says why: the file, not the answer
        assert "course kit's published examples/demo_reference" in lines and "only weights you trained" in lines, gid
    graded = _judged(hw, handed, [])  # --grade-published: the coordinator reads no published file
    assert all(earned > 0 for earned, _ in graded.values()), graded


def test_grade_published_is_the_flag_that_turns_the_refusal_off(tmp_path, monkeypatch):
    (tmp_path / "nbgrader_config.py").write_text("")
    calls = []
    monkeypatch.setattr(C, "autograde", lambda *a, **kw: calls.append(kw) or [])
    for flags in ([], ["--grade-published"]):
        assert cli.main(["--course", str(tmp_path), "autograde", "hw5_explicit", *flags]) == 0
    assert [kw["options"].refuse_published for kw in calls] == [True, False]


def test_a_refused_file_zeroes_its_cells_before_anything_the_kernel_showed_is_read():
    """The judge decides it: whatever the kernel printed for the cell (even a forged full score), 0."""
    spec = probes.spec_for("hw5_explicit", "p1_weights_tests")
    forged = [{"output_type": "execute_result", "execution_count": 1, "metadata": {},
               "data": {"text/plain": "3.0"}}]
    source = _instructor_cells("hw5_explicit")[spec.cell]
    why = "refused: p1_pixelcnn_weights.pt holds the course kit's published p1"
    result = cell_verdicts.judge_cell("hw5_explicit", spec.cell, source, forged, 0, seeds={spec.files[0]: why})
    assert result.earned == 0 and result.points == spec.points
    assert result.lines == [f"0 of {spec.points:g} points: {why.removeprefix('refused: ')}"]
    assert result.results and not any(r[3] for r in result.results)  # each test, visible and hidden, failed
    assert cell_verdicts.refused_files(spec, {spec.files[0]: 123}) == []  # a seed: graded as usual
