"""dgmlab.grading.judge (and its nbgrader plug-ins, preprocessors.probe_tests and .judge_tests): a check() test cell
is decided in the grader, from plain data, on inputs the grader makes; what the kernel prints or displays in the
cell is never taken for a score."""
import time
from pathlib import Path

import nbformat
import pytest
import torch

from conftest import ROOT
from dgmlab import probes
from dgmlab.grading.judge import judge
from dgmlab.grading.judge.judge_records import CellToJudge, JudgeRequest
from dgmlab.grading.preprocessors import UNJUDGED, ZeroUnjudgedTests
from dgmlab.grading.preprocessors.judge_tests import JudgeTests
from dgmlab.grading.preprocessors.probe_tests import ProbeTests
from dgmlab.grading.references.recorded import expected_at
from dgmlab.probes import wire

HW = "hw3_flows"
CELL = "q4_generator_losses_tests"
SOURCE = nbformat.read(ROOT / "source" / HW / f"{HW}.ipynb", as_version=4)
GRADER_SEED = 77


def _source(gid):
    return next(c.source for c in SOURCE.cells if c.metadata.get("nbgrader", {}).get("grade_id") == gid)


def saturating_loss(logits):
    return torch.nn.functional.logsigmoid(-logits).mean()


def non_saturating_loss(logits):
    return -torch.nn.functional.logsigmoid(logits).mean()


def shown(data, cell=CELL):
    """The outputs a kernel's check() shows for ``data`` (what the probe computed)."""
    return [{"output_type": "display_data", "metadata": {},
             "data": {probes.PROBE_MIME: {"cell": cell, "data": wire.dumps(data)}}}]


def probe(seed, *answers, cell=CELL):
    return probes.run_probe(probes.spec_for(HW, cell), answers, seed)


def judged(outputs, cell=CELL, seed=GRADER_SEED):
    return judge.judge_cell(HW, cell, _source(cell), outputs, seed)


def test_every_check_cell_gives_the_kernel_only_its_probe_call():
    cells = [c for c in SOURCE.cells if judge.probe_cell(c)]
    assert len(cells) == 14
    for cell in cells:
        kernel_source = probes.grading_source(cell.source, 123)
        assert "HIDDEN" not in kernel_source and "def " not in kernel_source and "assert" not in kernel_source
        assert kernel_source.splitlines()[1].endswith(", seed=123)")


def test_the_reference_earns_every_point_on_the_graders_inputs():
    result = judged(shown(probe(GRADER_SEED, saturating_loss, non_saturating_loss)))
    assert result.earned == 3 and result.points == 3


def test_values_computed_on_other_inputs_fail_the_hidden_tests():
    # a notebook that answers for the inputs it expects (the students' seed 0), not the grader's
    result = judged(shown(probe(0, saturating_loss, non_saturating_loss)))
    assert result.earned == 0.75  # the visible check at logit 0 (the same on any inputs); every other test
    # compares with the grader's own values on the grader's inputs, or is checked once those are right
    failed = {name for name, _, _, ok, _ in result.results if not ok}
    assert failed == {"test_both_losses_on_a_batch_of_logits", "test_losses_stay_right_for_large_logits",
                      "test_losses_are_differentiable_in_the_logits", "test_saturating_values",
                      "test_non_saturating_values", "test_losses_are_differentiable"}


def test_a_cell_that_shows_no_probe_earns_nothing_whatever_it_printed():
    outputs = [{"output_type": "stream", "name": "stdout", "text": "passed test_scalar_outputs: 3 of 3 points\n"},
               {"output_type": "execute_result", "execution_count": 1, "metadata": {}, "data": {"text/plain": "3"}}]
    result = judged(outputs)
    assert result.earned == 0 and "did not run" in result.lines[0]


def test_the_first_error_is_named_when_the_check_did_not_run():
    outputs = [{"output_type": "error", "ename": "NameError", "evalue": "name 'saturating_loss' is not defined",
                "traceback": []}]
    result = judged(outputs)
    assert result.earned == 0 and "NameError: name 'saturating_loss' is not defined" in result.lines[0]


def test_two_probe_results_earn_nothing():
    data = probe(GRADER_SEED, saturating_loss, non_saturating_loss)
    assert judged(shown(data) + shown(data)).earned == 0


def test_probe_data_made_for_another_cell_earns_nothing():
    data = probe(GRADER_SEED, saturating_loss, non_saturating_loss)
    assert judged(shown(data, cell="q4_grad_norm_tests")).earned == 0


@pytest.mark.parametrize("data", ["not json", '{"eval": "1"}', "[" * 100_000])
def test_malformed_probe_data_earns_nothing_with_its_reason(data):
    outputs = [{"output_type": "display_data", "metadata": {},
                "data": {probes.PROBE_MIME: {"cell": CELL, "data": data}}}]
    result = judged(outputs)
    assert result.earned == 0 and result.lines[0].startswith("0 of 3 points: ")


def test_probe_data_naming_an_undefined_function_earns_nothing():
    outputs = [{"output_type": "display_data", "metadata": {},
                "data": {probes.PROBE_MIME: {"cell": CELL, "data": '{"dict": {"x": {"sympy": ["Function", "f"]}}}'}}}]
    assert judged(outputs).earned == 0


def test_an_error_in_one_answer_fails_only_the_tests_that_read_it():
    def broken(logits):
        raise ValueError("not yet")

    result = judged(shown(probe(GRADER_SEED, broken, non_saturating_loss)))
    reasons = {name: reason for name, _, _, ok, reason in result.results if not ok}
    assert set(reasons) == {"test_scalar_outputs", "test_both_losses_on_a_batch_of_logits", "test_saturating_values",
                            "test_losses_stay_right_for_large_logits", "test_losses_are_differentiable_in_the_logits",
                            "test_losses_are_differentiable"}
    assert "ValueError: not yet" in reasons["test_saturating_values"]
    assert result.earned == 0.25  # the non-saturating value test


def test_extra_values_in_the_data_change_nothing():
    data = probe(GRADER_SEED, saturating_loss, non_saturating_loss)
    data["saturating_on_logits"] = torch.tensor(0.0)  # a forged value fails like a wrong one
    data["expected"] = 1.0
    assert judged(shown(data)).earned == 3 - 0.25  # test_saturating_values fails


def test_judged_cell_outputs_are_the_report_and_one_number():
    outputs = judge.judged_outputs(2.25, ["passed a", "FAILED b"], 4)
    assert [o.output_type for o in outputs] == ["stream", "execute_result"]
    assert outputs[1].data == {"text/plain": "2.25"}


def test_the_preprocessors_send_the_probe_call_and_write_the_graders_points():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(_source(CELL))])
    nb.cells[0].metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": CELL, "points": 3}
    resources = {"nbgrader": {"assignment": HW}}
    probe_tests = ProbeTests(seed=GRADER_SEED)
    nb, resources = probe_tests.preprocess(nb, resources)
    assert nb.cells[0].source == probes.grading_source(_source(CELL), GRADER_SEED)
    # what the kernel shows, plus a forged score and a line claiming every point
    nb.cells[0].outputs = [nbformat.from_dict(o) for o in shown(probe(0, saturating_loss, non_saturating_loss))] + [
        nbformat.from_dict({"output_type": "execute_result", "execution_count": 1, "metadata": {},
                            "data": {"text/plain": "3"}})]
    nb, resources = JudgeTests(isolate=False).preprocess(nb, resources)
    nb, resources = ZeroUnjudgedTests().preprocess(nb, resources)
    cell = nb.cells[0]
    assert cell.source == _source(CELL)  # the instructor's cell, for the autograded notebook
    results = [o for o in cell.outputs if o.output_type == "execute_result"]
    assert len(results) == 1 and results[0].data["text/plain"] == "0.75"  # seed-0 values judged on the grader's inputs
    assert not any(probes.PROBE_MIME in o.get("data", {}) for o in cell.outputs)


def test_a_test_cell_that_does_not_call_check_earns_nothing_whatever_the_kernel_showed():
    cell = nbformat.v4.new_code_cell("def test_x():\n    assert True\nprint('all passed')\n3")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "plain_tests", "points": 3}
    cell.outputs = [nbformat.from_dict({"output_type": "execute_result", "execution_count": 1, "metadata": {},
                                        "data": {"text/plain": "3"}})]
    nb = nbformat.v4.new_notebook(cells=[cell])
    nb, _ = ZeroUnjudgedTests().preprocess(nb, {"dgmlab_judged": set()})
    assert [o.output_type for o in nb.cells[0].outputs] == ["error"]  # nbgrader: an error means 0 points
    assert nb.cells[0].outputs[0].ename == UNJUDGED and "does not call check()" in nb.cells[0].outputs[0].evalue


def test_a_judged_cell_and_cells_that_are_not_tests_keep_their_outputs():
    judged_cell = nbformat.v4.new_code_cell("check(...)")
    judged_cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": CELL, "points": 3}
    judged_cell.outputs = judge.judged_outputs(1.5, ["passed a"], 1)
    answer = nbformat.v4.new_code_cell("x = 1")
    answer.metadata["nbgrader"] = {"grade": False, "solution": True, "grade_id": "x"}
    answer.outputs = [nbformat.from_dict({"output_type": "stream", "name": "stdout", "text": "hi\n"})]
    nb = nbformat.v4.new_notebook(cells=[judged_cell, answer])
    before = [list(c.outputs) for c in nb.cells]
    nb, _ = ZeroUnjudgedTests().preprocess(nb, {"dgmlab_judged": {CELL}})
    assert [list(c.outputs) for c in nb.cells] == before


def test_handed_in_files_are_read_as_handed_in_within_limits(tmp_path):
    (tmp_path / "generator_weights.pt").write_bytes(b"weights")
    (tmp_path / "other.pt").write_bytes(b"x")
    files = probes.HandedIn(tmp_path, ("generator_weights.pt", "missing.pt"))
    assert files["generator_weights.pt"] == b"weights"
    with pytest.raises(probes.TestFailure, match="was not handed in"):
        files["missing.pt"]
    with pytest.raises(probes.TestFailure, match="not a file this cell grades"):
        files["other.pt"]
    (tmp_path / "missing.pt").symlink_to(tmp_path / "generator_weights.pt")
    with pytest.raises(probes.TestFailure, match="was not handed in"):
        files["missing.pt"]  # a link is not a file handed in


def test_a_refused_file_fails_the_tests_that_draw_from_it():
    seeds = judge.handed_seeds('{"w.pt": {"seed": 5, "sha256": "x"}, "k.pt": {"seed": 1, "sha256": "y", '
                               '"refused": "k.pt holds the kit\'s network"}}')
    answers = probes.Answers({}, {}, seeds=seeds)
    assert answers.seed_of("w.pt") == 5 and answers.seed_of("absent.pt") == 0
    with pytest.raises(probes.TestFailure, match="holds the kit's network"):
        answers.seed_of("k.pt")


def test_the_kits_networks_come_from_the_instructors_cells_once():
    calls = []

    def source_of(grade_id):
        calls.append(grade_id)
        return "class Generator(nn.Module):\n    pass\nSIZE = 3\n"

    kit = judge.Reference(source_of)
    assert issubclass(kit("p1_generator")["Generator"], torch.nn.Module) and kit("p1_generator")["SIZE"] == 3
    assert calls == ["p1_generator"]


def test_hidden_tests_may_leave_a_small_file_for_the_dashboard_and_nothing_else(tmp_path):
    """``keep`` (what the judge hands hidden tests) keeps a plain .pt file's bytes, which the grading worker writes
    into the submission's kept folder (write_kept), replacing a link of that name without writing through it; other
    names and large data are refused by both. Without a keeper (a student working, proofs) a hidden test's keep
    writes nothing."""
    outside = tmp_path / "outside.pt"
    outside.write_bytes(b"kept safe")
    folder = tmp_path / "autograded"
    folder.mkdir()
    (folder / "graded_draw_100.pt").symlink_to(outside)
    kept = {}
    keep = judge.keeper(kept)
    keep("graded_draw_100.pt", b"draw")
    assert kept == {"graded_draw_100.pt": b"draw"}
    judge.write_kept(folder, "graded_draw_100.pt", kept["graded_draw_100.pt"])
    assert (folder / "graded_draw_100.pt").read_bytes() == b"draw" and not (folder / "graded_draw_100.pt").is_symlink()
    assert outside.read_bytes() == b"kept safe"
    for name in ("../x.pt", "sub/x.pt", "x.ipynb", ".."):
        with pytest.raises(ValueError):
            keep(name, b"x")
        with pytest.raises(ValueError):
            judge.write_kept(folder, name, b"x")
    with pytest.raises(ValueError):
        keep("big.pt", b"\0" * (judge.MAX_KEPT_BYTES + 1))
    with pytest.raises(ValueError):
        judge.write_kept(folder, "big.pt", b"\0" * (judge.MAX_KEPT_BYTES + 1))

    def test_keeps(v, ref):
        ref.keep("k.pt", b"1")

    spec = probes.spec_for(HW, CELL)
    data = probe(GRADER_SEED, saturating_loss, non_saturating_loss)
    kept = {}
    result = probes.judge(HW, spec, data, GRADER_SEED, hidden=(test_keeps,), keep=lambda n, d: kept.update({n: d}),
                          expected_at=expected_at)
    assert kept == {"k.pt": b"1"} and result.earned == 3
    # keeps nothing, fails nothing
    assert probes.judge(HW, spec, data, GRADER_SEED, hidden=(test_keeps,), expected_at=expected_at).earned == 3


def _one_cell_notebook(outputs):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(_source(CELL))])
    nb.cells[0].metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": CELL, "points": 3}
    resources = {"nbgrader": {"assignment": HW}}
    nb, resources = ProbeTests(seed=GRADER_SEED).preprocess(nb, resources)
    nb.cells[0].outputs = [nbformat.from_dict(o) for o in outputs]
    return nb, resources


def _earned(nb):
    return next(o for o in nb.cells[0].outputs if o.output_type == "execute_result").data["text/plain"]


def _tiny_request(cell, data, hidden=True, source=None, seed=GRADER_SEED):
    """A judge's request for one cell of a course's own homework (tests/fixtures/tiny_homework.py), as the grading
    worker assembles it: the course's checks.py and (unless not ``hidden``) hidden.py as text, the instructor's cell
    and what the kernel showed for ``data``."""
    from fixtures import tiny_homework

    fixtures = Path(tiny_homework.__file__).parent
    hidden_text = "" if not hidden else hidden if isinstance(hidden, str) else (fixtures / "tiny_hidden.py").read_text()
    return JudgeRequest(tiny_homework.HW, seed, (CellToJudge(cell, source or f"check({cell!r}, answer)",
                                                             tuple(shown(data, cell=cell))),),
                        checks=(fixtures / "tiny_checks.py").read_text(), hidden=hidden_text)


def _tiny_probe(cell, answer, seed=GRADER_SEED):
    from fixtures import tiny_homework

    probes.load_checks_text(tiny_homework.HW, (Path(tiny_homework.__file__).with_name("tiny_checks.py")).read_text())
    return probes.run_probe(probes.spec_for(tiny_homework.HW, cell), (answer,), seed)


def test_a_course_homeworks_hidden_py_decides_its_hidden_points():
    """The course's hidden.py, handed to the judge as text and loaded as a module, decides the cell's 2 hidden
    points on the grader's draw: the reference earns 3 of 3, the sum of squares (right shape) the visible 1."""
    from dgmlab.grading.judge import cell_verdicts

    right = _tiny_probe("mean_square_tests", lambda x: (x ** 2).mean())
    wrong = _tiny_probe("mean_square_tests", lambda x: (x ** 2).sum())
    assert cell_verdicts.judge_cells(_tiny_request("mean_square_tests", right))["mean_square_tests"].earned == 3
    graded = cell_verdicts.judge_cells(_tiny_request("mean_square_tests", wrong))["mean_square_tests"]
    assert graded.earned == 1
    assert any(line.startswith("FAILED test_value_on_the_graders_input") and "hidden" in line
               for line in graded.lines), graded.lines


HIDDEN_WITH_REF = """
from dgmlab.probes import asserts
from dgmlab.probes.points import points


@points(2)
def test_value_on_the_graders_input(v, ref):
    asserts.assert_close(v.on_x, ref.mean_square, name="mean_square(x)")


HIDDEN = {"mean_square_tests": (test_value_on_the_graders_input,)}
EXPECTED = {"mean_square_tests": lambda inputs: {"mean_square": (inputs["x"] ** 2).mean()}}
"""


@pytest.mark.parametrize("seed", [GRADER_SEED, probes.WORKING_SEED])
def test_a_course_hidden_test_reads_ref_from_its_hidden_pys_expected_on_the_graded_draw(seed):
    """ref.<name> in a course's hidden test is what its hidden.py's EXPECTED gives on the graded draw, computed in
    the grader at any seed (plain nbgrader grades at the working seed: a course records no values)."""
    from dgmlab.grading.judge import cell_verdicts

    earned = {}
    for name, answer in (("right", lambda x: (x ** 2).mean()), ("sum", lambda x: (x ** 2).sum())):
        data = _tiny_probe("mean_square_tests", answer, seed)
        request = _tiny_request("mean_square_tests", data, hidden=HIDDEN_WITH_REF, seed=seed)
        earned[name] = cell_verdicts.judge_cells(request)["mean_square_tests"].earned
    assert earned == {"right": 3, "sum": 1}


def test_a_course_homeworks_hidden_tests_read_no_name_the_probe_hands_in():
    """Probe data never becomes a name of hidden.py: an extra value ``x`` (the symbol its test compares with) in a
    forged probe changes nothing, where a test run with the values as globals would compare d_cube = 3 with 3*1**2."""
    import sympy as sp

    from dgmlab.grading.judge import cell_verdicts

    honest = {"d_cube": sp.Integer(3)}
    forged = {**honest, "x": sp.Integer(1), "checks": None, "sp": None}
    earned = [cell_verdicts.judge_cells(_tiny_request("derivative_tests", data))["derivative_tests"].earned
              for data in (honest, forged)]
    assert earned == [1, 1]  # the visible point (an expression in x); the hidden one fails on both


def test_a_course_cell_whose_hidden_tests_are_missing_says_its_hidden_points_were_not_graded(caplog):
    """A course's instructor cell that still holds hidden tests as text, graded without a hidden.py: the text is never
    run, the visible tests decide, and the student's lines and the grader's log say what happened."""
    from dgmlab.grading.judge import cell_verdicts

    right = _tiny_probe("mean_square_tests", lambda x: (x ** 2).mean())
    source = ('check("mean_square_tests", mean_square)\n### BEGIN HIDDEN TESTS\ndef test_old():\n'
              '    raise SystemExit("ran")\n### END HIDDEN TESTS')
    with caplog.at_level("ERROR"):
        graded = cell_verdicts.judge_cells(_tiny_request("mean_square_tests", right, hidden=False, source=source))
    graded = graded["mean_square_tests"]
    assert graded.earned == 1
    assert any("2 points of hidden tests were not graded" in line and "hidden-test markers" in line
               for line in graded.lines), graded.lines
    assert "hidden.py" in caplog.text and "mean_square_tests" in caplog.text


@pytest.mark.slow  # starts a judge process
def test_the_judge_process_gives_what_judging_here_gives():
    outputs = shown(probe(GRADER_SEED, saturating_loss, non_saturating_loss))
    here, _ = JudgeTests(isolate=False).preprocess(*_one_cell_notebook(outputs))
    there, _ = JudgeTests(isolate=True).preprocess(*_one_cell_notebook(outputs))
    assert _earned(here) == _earned(there) == "3"
    assert here.cells[0].outputs[0].text == there.cells[0].outputs[0].text


@pytest.mark.slow  # starts judge processes
def test_cells_not_judged_in_time_earn_nothing_and_the_next_grading_judges_again(monkeypatch):
    import subprocess
    import sys

    from dgmlab.grading.judge import judge_process

    def stuck(sandbox=False):  # a judge that never answers, as one busy for hours on a crafted answer would
        return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True, start_new_session=True)

    outputs = shown(probe(GRADER_SEED, saturating_loss, non_saturating_loss))
    judge_process.stop()
    monkeypatch.setattr(judge_process, "_start", stuck)
    late, _ = JudgeTests(isolate=True, timeout=1).preprocess(*_one_cell_notebook(outputs))
    assert _earned(late) == "0" and "1 s for this notebook ran out" in late.cells[0].outputs[0].text
    assert judge_process._PROCESS is None  # killed
    monkeypatch.undo()
    again, _ = JudgeTests(isolate=True).preprocess(*_one_cell_notebook(outputs))
    assert _earned(again) == "3"


def test_probe_data_cannot_replace_a_name_the_hidden_tests_rely_on():
    """(found by a red-team run: extra keys a, b in q3_d_star's data replaced the symbols, and wrong answers
    earned 5 of 5)"""
    import sympy as sp

    a, b = sp.symbols("a b", positive=True)
    alpha = sp.symbols("alpha", positive=True)
    wrong = {"D_star": sp.Rational(1, 2), "second_derivative_at_D_star": sp.Integer(-8),
             "D_star_smoothed": (1 - alpha) / 2}
    honest = judged(shown(wrong, cell="q3_d_star_tests"), cell="q3_d_star_tests").earned
    forged = {**wrong, "a": sp.Integer(1), "b": sp.Integer(1), "checks": None, "__builtins__": {}}
    assert judged(shown(forged, cell="q3_d_star_tests"), cell="q3_d_star_tests").earned == honest < 5


def test_probe_data_named_like_a_builtin_changes_nothing():
    """Extra values named abs, len or print in a probe's data are never names of the hidden tests."""
    wrong = probe(GRADER_SEED, non_saturating_loss, saturating_loss)
    honest = judged(shown(wrong)).earned
    assert judged(shown({**wrong, "abs": 1, "len": 2, "print": 3})).earned == honest < 3


SLOW_CHECKS = """
from dgmlab.probes import CheckSpec

def test_last_digit(v):  # one C call (a big integer power) that no signal interrupts, for a large n
    assert pow(7, v.n) % 10 in (1, 3, 7, 9)

CHECKS = [CheckSpec("first_tests", 1, 0, ("n",), visible=(test_last_digit,)),
          CheckSpec("second_tests", 1, 0, ("n",), visible=(test_last_digit,)),
          CheckSpec("third_tests", 1, 0, ("n",), visible=(test_last_digit,))]
"""


@pytest.mark.slow  # starts judge processes
def test_a_cell_too_slow_to_judge_earns_nothing_and_the_next_cells_are_still_judged(tmp_path, monkeypatch):
    """(red team F6: an answer whose checking never ended, there a nested exp, kept the judge busy until the
    notebook's timeout, and every later cell of the submission earned 0.) Here the slow work is one C call,
    which only killing the judge process stops."""
    from dgmlab.grading.judge import judge_process

    (tmp_path / "checks.py").write_text(SLOW_CHECKS, encoding="utf-8")
    probes.load_checks("slowhw", tmp_path)
    cells = tuple(CellToJudge(gid, f'check("{gid}", n)', tuple(shown({"n": n}, cell=gid)))
                  for gid, n in [("first_tests", 3), ("second_tests", 10**10), ("third_tests", 5)])
    request = JudgeRequest("slowhw", 0, cells, checks=SLOW_CHECKS)
    judge_process.judge(JudgeRequest("slowhw", 0, cells[:1], checks=SLOW_CHECKS), timeout=120)  # a judge is ready
    start = time.monotonic()
    answers = judge_process.judge(request, timeout=120, cell_cpu=3)
    assert time.monotonic() - start < 30
    assert answers["first_tests"].earned == answers["third_tests"].earned == 1
    assert answers["second_tests"].earned == 0
    assert "took the grader more than 3 s" in answers["second_tests"].lines[0]


@pytest.mark.parametrize("module", ["hw1_wgan", "hw2_wgangp"])
def test_the_judges_draw_cache_keeps_only_the_last_files(module, monkeypatch):
    """The cache of graded draws (3 MB a file) keeps only the last few files, however many distinct files one
    notebook's judging draws from."""
    import importlib

    hw = importlib.import_module(f"homeworks.{module}.checks")
    hw = importlib.import_module(hw.drawn_samples.__module__)  # the module of the cache (a split checks package's part)
    monkeypatch.setattr(hw, "_DRAWS", {})
    for i in range(3 * hw.MAX_DRAWS):
        with pytest.raises(AssertionError):  # not a weights file: the reason is what is cached
            hw.drawn_samples(b"not weights %d" % i, seed=1)
    assert len(hw._DRAWS) == hw.MAX_DRAWS
    oldest, second = list(hw._DRAWS)[:2]
    with pytest.raises(AssertionError):  # the oldest file kept (one entry a file) used again: now the most recent
        hw.drawn_samples(b"not weights %d" % (2 * hw.MAX_DRAWS), seed=1)
    assert list(hw._DRAWS)[-1] == oldest
    with pytest.raises(AssertionError):
        hw.drawn_samples(b"another file", seed=1)
    assert oldest in hw._DRAWS and second not in hw._DRAWS and len(hw._DRAWS) == hw.MAX_DRAWS


@pytest.mark.slow  # starts a judge process (imports torch and sympy)
def test_the_judge_process_exits_when_its_worker_does_even_mid_cell(tmp_path):
    """A worker that exits on a hung grading (os._exit) leaves no judge process computing on, neither the judge nor
    the request's fork (red team F9: orphans ran for minutes). Here the judge is inside one C call that holds the GIL (a big-integer power) when its worker goes."""
    import subprocess
    import sys

    import psutil

    (tmp_path / "checks.py").write_text(SLOW_CHECKS, encoding="utf-8")
    worker = f"""
import json, os, sys, time
from dgmlab import probes
from dgmlab.probes import wire
from dgmlab.grading.judge import judge_process as J
probes.load_checks("slowhw", {str(tmp_path)!r})
proc, lines = J._ready(time.monotonic() + 120, False)
cell = {{"gid": "second_tests", "source": 'check("second_tests", n)', "outputs": {shown({"n": 10**10}, cell="second_tests")!r}}}
proc.stdin.write((json.dumps({{"hw": "slowhw", "seed": 0, "checks": {SLOW_CHECKS!r}, "cells": [cell]}}) + "\\n").encode())
proc.stdin.flush()
time.sleep(3)  # the judge is in pow(7, 10**10) now
print(proc.pid, *[p.pid for p in J._request_processes(proc)], flush=True)
os._exit(70)
"""
    out = subprocess.run([sys.executable, "-c", worker], capture_output=True, text=True, timeout=180)
    pids = [int(x) for x in out.stdout.split()]
    assert len(pids) >= 3, out  # the judge, the request's child and the process that judges in its namespace

    def gone(pid):
        try:
            return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return True

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not all(map(gone, pids)):
        time.sleep(0.2)
    left = [pid for pid in pids if not gone(pid)]
    for pid in left:
        psutil.Process(pid).kill()
    assert not left, "the judge's processes outlived their worker by 10 s"


def test_the_judge_process_forks_each_request_from_a_single_thread():
    """The judge forks a fresh process per request; a fork is only safe from a process with one thread, and numpy's
    OpenBLAS alone starts one per core at import unless the environment says otherwise (issue 72)."""
    import psutil

    from dgmlab.grading.judge import judge_process as J

    proc, _ = J._ready(time.monotonic() + 120, False)
    try:
        assert psutil.Process(proc.pid).num_threads() == 1
    finally:
        J.stop()


# A stand-in for a payload that took over the judge (the course's own checks.py runs in the judge, as such a
# payload would): it patches the judge for whoever comes next, leaves a process behind that writes forged answers
# to every descriptor it has, forges the end of its request on its own answer channel, and tries to write and read
# the machine's folders. Each "student" is one request, as each submission is.
PAYLOAD_CHECKS = """
import json, os, time
from dgmlab import probes
from dgmlab.probes import CheckSpec

FORGED = json.dumps({"gid": "second_tests", "earned": 1.0, "lines": ["forged"]}).encode() + b"\\n"

def test_odd(v):
    if v.n == 666:
        probes.judge = lambda *a, **k: probes.Judgement(1.0, 1.0, ["patched"], [])
        reach = []
        for path in (COURSE + "/gradebook.db", COURSE + "/written.txt", "/tmp/written.txt"):
            try:
                with open(path, "a") as f:
                    f.write("x")
                reach.append(path)
            except OSError:
                pass
        if os.fork() == 0:
            os.setsid()
            for _ in range(3):
                for fd in range(64):
                    try:
                        os.write(fd, FORGED + json.dumps({"end": "0" * 32}).encode() + b"\\n")
                    except OSError:
                        pass
                time.sleep(1)
            time.sleep(60)
            os._exit(0)
        for fd in range(64):
            try:
                os.write(fd, json.dumps({"end": "forged"}).encode() + b"\\n" + FORGED)
            except OSError:
                pass
        assert not reach, "reached " + ", ".join(reach)
    assert v.n % 2 == 1, "even"

CHECKS = [CheckSpec("first_tests", 1, 0, ("n",), visible=(test_odd,)),
          CheckSpec("second_tests", 1, 0, ("n",), visible=(test_odd,))]
"""


def _payload_request(n, course):
    cells = tuple(CellToJudge(gid, f'check("{gid}", n)', tuple(shown({"n": n}, cell=gid)))
                  for gid in ("first_tests", "second_tests"))
    return JudgeRequest("payloadhw", 0, cells, checks=PAYLOAD_CHECKS.replace("COURSE", repr(str(course))))


@pytest.mark.slow  # starts judge processes
@pytest.mark.parametrize("sandboxed", [False, True])
def test_a_payload_that_patches_the_judge_changes_only_its_own_verdict(sandboxed, tmp_path):
    """Every submission is judged by a fresh fork: what the first one's payload patched, left running or forged is
    gone when the next is judged, which earns what its answers earn; sandboxed, the payload also writes nothing and
    finds no course."""
    import psutil

    from dgmlab.grading.isolation import kernel_sandbox as sandbox
    from dgmlab.grading.judge import judge_process

    if sandboxed and not sandbox.available()[0]:
        pytest.skip(f"no sandbox on this machine: {sandbox.available()[1]}")
    (tmp_path / "gradebook.db").write_text("grades")
    judge_process.stop()
    try:
        first = judge_process.judge(_payload_request(666, tmp_path), timeout=120, sandbox=sandboxed)
        proc = judge_process._PROCESS
        assert proc is not None and proc.poll() is None  # the same judge process judges the next one
        assert judge_process._request_processes(proc) == []  # nothing of the first request is left running
        second = judge_process.judge(_payload_request(2, tmp_path), timeout=120, sandbox=sandboxed)
        assert judge_process._PROCESS is proc
    finally:
        judge_process.stop()
    # the payload runs inside its own request's fork, so it owns that request's later verdicts: its grandchild may
    # write second_tests' forged line before the fork's own (a race the load decides). What it cannot forge is a
    # verdict of a cell judged before it ran, or anything of the next request.
    assert first["first_tests"].earned == 0
    assert {gid: (a.earned, a.lines) for gid, a in second.items()} == {
        gid: (0.0, ("FAILED test_odd: 0 of 1 point. even", "0 of 1 point (0 of 1 visible, 0 of 0 hidden)"))
        for gid in ("first_tests", "second_tests")}, second
    if sandboxed:
        assert "reached" not in " ".join(first["first_tests"].lines), first
        assert (tmp_path / "gradebook.db").read_text() == "grades" and not (tmp_path / "written.txt").exists()
    assert not [p for p in psutil.process_iter(["cmdline"]) if "os._exit(0)" in " ".join(p.info["cmdline"] or [])]


TMP_CHECKS = """
import os, tempfile
from dgmlab.probes import CheckSpec

def test_writes_a_temporary_file(v):
    folder = tempfile.gettempdir()
    left = sorted(os.listdir(folder))
    with tempfile.NamedTemporaryFile(dir=folder, prefix="left-", delete=False) as f:
        f.write(b"x")
    assert not left, "found " + ", ".join(left)

CHECKS = [CheckSpec("tmp_tests", 1, 0, ("n",), visible=(test_writes_a_temporary_file,))]
"""


@pytest.mark.slow  # starts judge processes
@pytest.mark.parametrize("sandboxed", [False, True])
def test_each_submissions_judging_has_an_empty_temporary_folder_of_its_own(sandboxed):
    """Hidden tests may need a temporary folder (torch's compile machinery does; hw1's Q3 lost 6.25 points in the
    sandbox without one): each request gets an empty one, and what it leaves there is gone for the next."""
    import os

    from dgmlab.grading.isolation import kernel_sandbox as sandbox
    from dgmlab.grading.judge import judge_process

    if sandboxed and not sandbox.available()[0]:
        pytest.skip(f"no sandbox on this machine: {sandbox.available()[1]}")
    request = JudgeRequest("tmphw", 0, (CellToJudge("tmp_tests", 'check("tmp_tests", n)',
                                                    tuple(shown({"n": 1}, "tmp_tests"))),), checks=TMP_CHECKS)
    judge_process.stop()
    try:
        answers = [judge_process.judge(request, timeout=120, sandbox=sandboxed)["tmp_tests"] for _ in range(2)]
        folder = judge_process._PROCESS._dgmlab_tmp
        assert os.listdir(folder) == []  # nothing reached the machine's disk
    finally:
        judge_process.stop()
    assert [a.earned for a in answers] == [1.0, 1.0], answers


KEEP_HIDDEN = """
def test_keeps_a_draw(v, ref):  # the cell's 2 hidden points
    ref.keep("graded_draw_100.pt", bytes(range(256)) * 3)
    assert abs(float(v.on_x) - float((v.inputs.x ** 2).mean())) < 1e-6


HIDDEN = {"mean_square_tests": (test_keeps_a_draw,)}
"""


@pytest.mark.slow  # starts a judge process
def test_what_a_hidden_test_keeps_comes_back_from_the_judge_process_as_its_bytes():
    """The judge's answer line carries the files a cell's hidden tests kept (base64 on the wire): the worker's
    verdict holds the very bytes, with the same points and lines as judging here."""
    from dgmlab.grading.judge import cell_verdicts, judge_process

    right = _tiny_probe("mean_square_tests", lambda x: (x ** 2).mean())
    request = _tiny_request("mean_square_tests", right, hidden=KEEP_HIDDEN)
    there = judge_process.judge(request, timeout=120)["mean_square_tests"]
    here = cell_verdicts.judge_cells(request)["mean_square_tests"]
    assert there.kept == {"graded_draw_100.pt": bytes(range(256)) * 3}
    assert there == here and there.earned == 3


@pytest.mark.slow  # starts a judge process
def test_a_process_that_ends_leaves_no_judge_folder_behind(tmp_path):
    """A grading worker that exits (the end of a run) stops its judge and removes the judge's temporary folder."""
    import os
    import subprocess
    import sys

    script = ("from dgmlab.grading.judge import judge_process as j\n"
              "j._PROCESS = j._start(False)\n"
              "print(j._PROCESS._dgmlab_tmp, j._PROCESS.pid, flush=True)\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    folder, pid = out.stdout.split()
    assert not os.path.exists(folder), f"{folder} left behind"
    assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z"
