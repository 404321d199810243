"""Generated mutants (dgmlab.authoring.mutation): which edits are made, and that a weak test lets them live."""
import nbformat
import pytest

from dgmlab.authoring import mutation

CELL = '''import torch


def scale(x, k=2):
    """Multiply by k."""
    ### BEGIN SOLUTION
    y = -x * k
    if k > 0 and not torch.is_tensor(k):
        y = torch.add(y, x)
    return y
    ### END SOLUTION
'''


def _labels(source=CELL):
    return [m.label for m in mutation.generate("scale", source)]


def test_each_operator_is_applied_inside_the_solution_region():
    ops = {m.operator for m in mutation.generate("scale", CELL)}
    assert ops == {"arith", "compare", "constant", "sign", "logic", "args", "delete"}


def test_nothing_outside_the_solution_region_is_mutated():
    labels = _labels()
    assert all(int(label.split()[0][1:]) in range(7, 11) for label in labels), labels
    assert not any("k=2" in label or "2 -> 3" in label for label in labels), "the default k=2 is outside the region"


def test_the_docstring_and_unchanged_rewrites_are_not_mutants():
    sources = [m.source for m in mutation.generate("scale", CELL)]
    assert all('"""Multiply by k."""' in s for s in sources)
    assert len(sources) == len(set(sources))


def test_labels_name_the_line_and_the_change():
    labels = _labels()
    assert "L7 sign: `-x` -> `x`" in labels
    assert "L8 compare: `k > 0` -> `k >= 0` (> -> >=)" in labels
    assert "L9 args: `torch.add(y, x)` -> `torch.add(x, y)` (first two arguments swapped)" in labels
    assert "L8 delete: `if k > 0 and (not torch.is_tensor(k)): ...` deleted" in labels


def test_a_cell_without_solution_markers_has_no_mutants():
    assert mutation.generate("x", "def f(x):\n    return x + 1\n") == []


def test_kill_rate_leaves_equivalent_mutants_out():
    reports = [mutation.AnswerReport("a", ["t"], generated=10, killed=8, equivalent=[("L1 x", "same value")],
                                     survivors=["L2 y"])]
    assert mutation.kill_rate(reports) == pytest.approx(8 / 9)
    assert mutation.kill_rate([mutation.AnswerReport("b", [])]) is None


# ------------------------------------------------------------------ in a kernel
DOUBLE_CHECKS = """
from dgmlab.probes import CheckSpec, attempt

def test_zero(v, ref):
    assert v.at_zero == 0, "double(0) should be 0"

def test_three(v, ref):
    assert v.at_three == 6, "double(3) should be 6"

CHECKS = [CheckSpec("weak_tests", 1, 0, ("double",), visible=(test_zero,),
                    probe=lambda o, inputs: {"at_zero": attempt(o["double"], 0)}),
          CheckSpec("strong_tests", 1, 0, ("double",), visible=(test_three,),
                    probe=lambda o, inputs: {"at_three": attempt(o["double"], 3)})]
"""


def _notebook(path, solution="    y = x * 2\n    return y\n", preamble=""):
    def graded(source, **meta):
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["nbgrader"] = {"schema_version": 3, "locked": True, **meta}
        return cell

    (path.parent / "checks.py").write_text(DOUBLE_CHECKS, encoding="utf-8")  # the notebook's own check specs
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        graded(f"import dgmlab\ndgmlab.setup({path.stem!r}, quiet=True)\nfrom dgmlab.probes import check",
               grade_id="setup", grade=False, solution=False),
        graded(f"{preamble}def double(x):\n    ### BEGIN SOLUTION\n{solution}    ### END SOLUTION\n",
               grade_id="double", grade=False, solution=True, locked=False),
        graded('check("weak_tests", double)', grade_id="weak_tests", grade=True, solution=False, points=1),
        graded('check("strong_tests", double)', grade_id="strong_tests", grade=True, solution=False, points=1),
    ]
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_a_weak_test_lets_mutants_survive_and_a_strong_one_kills_them(tmp_path):
    path = _notebook(tmp_path / "hw9_double.ipynb")
    weak, = mutation.run(path, tests_for={"double": ["weak_tests"]},
                         equivalent={"double": {"L3 delete: `y = x * 2` deleted": "not equivalent: proven wrong below"}})
    # x * 2 -> x / 2 and 2 -> 3 both give double(0) == 0
    assert weak.generated == 4 and weak.killed == 2, weak
    assert sorted(weak.survivors) == ["L3 arith: `x * 2` -> `x / 2` (* -> /)", "L3 constant: `2` -> `3` (2 -> 3)"]
    assert weak.equivalent == [], "a listed mutant that the tests kill is killed, not equivalent"
    strong, = mutation.run(path, tests_for={"double": ["strong_tests"]})
    assert strong.generated == 4 and strong.killed == 4 and not strong.survivors


# A double() whose mutants break the kernel's limits: `k += 1` edited allocates 64 MiB blocks without end (calloc'd,
# so address space and no RAM), `0 -> 1` sends the kernel SIGHUP, `x - x` -> `x + x` sleeps 6 s for double(3).
# Its cell starts with an import, SIGHUP's default action restored (a test run under nohup would hand the kernel
# an ignored SIGHUP) and two blank lines, so the solution region is lines 7-13.
GREEDY = """    blocks, k = [], 0
    while k < 2:
        blocks.append(bytes(2 ** 26))
        k += 1
    os.kill(os.getpid(), 0)
    time.sleep(x - x)
    return x * len(blocks)
"""
GREEDY_SURVIVORS = ["L11 delete: `os.kill(os.getpid(), 0)` deleted", "L12 delete: `time.sleep(x - x)` deleted",
                    "L9 arith: `2 ** 26` -> `2 * 26` (** -> *)", "L9 constant: `26` -> `27` (26 -> 27)"]
MEMORY = 6 * 2**30  # a kernel with torch maps about 4.2 GiB


@pytest.fixture(scope="module")
def greedy(tmp_path_factory):
    path = _notebook(tmp_path_factory.mktemp("greedy") / "hw9_double.ipynb", GREEDY,
                     "import os, signal, time\nsignal.signal(signal.SIGHUP, signal.SIG_DFL)\n\n\n")
    report, = mutation.run(path, tests_for={"double": ["strong_tests"]}, timeout=4, memory=MEMORY)
    return report


@pytest.mark.slow
def test_a_mutant_that_allocates_without_bound_is_killed_by_the_memory_limit(greedy):
    limited = dict(greedy.limited)
    for label in ("L10 arith: `k += 1` -> `k -= 1` (+= -> -=)", "L10 delete: `k += 1` deleted"):
        assert limited.get(label) == "out of memory (MemoryError under the 6 GiB limit)", greedy


@pytest.mark.slow
def test_a_mutant_that_kills_its_kernel_is_killed_and_the_kernel_restarted(greedy):
    assert dict(greedy.limited).get("L11 constant: `0` -> `1` (0 -> 1)") == "kernel died (SIGHUP)", greedy


@pytest.mark.slow
def test_a_mutant_over_the_time_limit_is_killed_and_the_kernel_restarted(greedy):
    label = "L12 arith: `x - x` -> `x + x` (- -> +)"
    assert dict(greedy.limited).get(label) == "timed out (over 4 s in one cell)", greedy


@pytest.mark.slow
def test_the_run_goes_on_after_mutants_that_break_the_limits(greedy):
    # the mutants after them are still judged by the tests: the harmless edits survive, the rest are killed
    assert sorted(greedy.survivors) == sorted(GREEDY_SURVIVORS), greedy
    assert greedy.killed == greedy.generated - len(GREEDY_SURVIVORS), greedy
    # and only those that broke a limit are blamed on one (`2 ** 26` -> `3 ** 26` asks for 2.5 TB at once)
    assert sorted(label.split(":")[0] for label, _ in greedy.limited) == ["L10 arith", "L10 delete", "L11 constant",
                                                                         "L12 arith", "L9 constant"], greedy


# ------------------------------------------------------------------ the builders' lists
def _equivalent_lists():
    from conftest import homework_builders

    return {hw: getattr(m, "EQUIVALENT_MUTANTS", {}) for hw, m in sorted(homework_builders().items())}


@pytest.mark.parametrize("hw", sorted(_equivalent_lists()))
def test_every_listed_equivalent_mutant_is_still_generated_and_has_a_reason(hw):
    from conftest import ROOT

    nb = nbformat.read(ROOT / "source" / hw / f"{hw}.ipynb", as_version=4)
    sources = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in nb.cells}
    for answer, listed in _equivalent_lists()[hw].items():
        assert answer in sources, f"{hw}: EQUIVALENT_MUTANTS names {answer!r}, which is no cell of the notebook"
        labels = {m.label for m in mutation.generate(answer, sources[answer])}
        for label, reason in listed.items():
            assert label in labels, f"{hw}/{answer}: {label!r} is no longer generated (the solution changed?)"
            assert len(reason) > 10, f"{hw}/{answer}: say why {label!r} is equivalent"
