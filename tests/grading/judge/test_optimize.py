"""Grading never depends on `assert` surviving Python's -O: the kit's checks raise without it, a course's own checks
keep their asserts, and the judge process will not start under -O (issue 64, item 1)."""
import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT
from dgmlab import syntax_tree

# hw3 Q4 judged on the grader's draw for answers computed on another (visible and hidden tests: 0.75 of 3), hw3
# Q2's k negative (its visible test fails), and a course's own checks.py whose only test is an assert (earned 0 of 1)
_JUDGE_BOTH = textwrap.dedent('''
    import torch
    from dgmlab import probes
    from dgmlab.grading import hidden

    def saturating_loss(logits):
        return torch.nn.functional.logsigmoid(-logits).mean()

    def non_saturating_loss(logits):
        return -torch.nn.functional.logsigmoid(logits).mean()

    spec = probes.spec_for("hw3_flows", "q4_generator_losses_tests")
    data = probes.run_probe(spec, (saturating_loss, non_saturating_loss), 0)
    kit = probes.judge("hw3_flows", spec, data, 77, hidden=hidden.tests("hw3_flows", spec.cell)).earned
    k_spec = probes.spec_for("hw3_flows", "q2_normalising_k_tests")  # a negative k: its visible test fails
    k = probes.judge("hw3_flows", k_spec, probes.run_probe(k_spec, (-1.0,), 0), 77,
                     hidden=hidden.tests("hw3_flows", k_spec.cell)).earned

    probes.load_checks_text("hw8_assert", """
    from dgmlab.probes import CheckSpec

    def test_is_one(v):
        assert v.x == 1, "x should be 1"

    CHECKS = [CheckSpec("x_tests", points=1, names=("x",), visible=(test_is_one,))]
    """)
    course_spec = probes.spec_for("hw8_assert", "x_tests")
    course = probes.judge("hw8_assert", course_spec, probes.run_probe(course_spec, (2,), 0), 0).earned
    print(kit, k, course)
''')


def _earned(*flags):
    done = subprocess.run([sys.executable, *flags, "-c", _JUDGE_BOTH], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.split()


@pytest.mark.slow  # two interpreters importing torch and sympy
def test_checks_earn_the_same_under_python_O():
    plain = _earned()
    # the wrong draw fails all but Q4's scalar-output test; a negative k earns nothing (4 under -O before the checks
    # raised themselves); x = 2 fails the course's assert (1 under -O before its checks.py was compiled with optimize=0)
    assert plain == ["0.75", "0", "0"]
    assert _earned("-O") == plain
    assert _earned("-OO") == plain


@pytest.mark.slow  # starts a judge process
def test_the_judge_process_refuses_to_start_under_pythonoptimize(monkeypatch):
    from dgmlab.grading.judge import judge_process
    from dgmlab.grading.judge.judge_records import CellToJudge, JudgeRequest

    judge_process.stop()
    monkeypatch.setenv("PYTHONOPTIMIZE", "1")
    request = JudgeRequest(hw="hw3_flows", seed=77, cells=(CellToJudge(gid="q4_generator_losses_tests", source="",
                                                                       outputs=[]),))
    try:
        with pytest.raises(judge_process.JudgeRefused, match="PYTHONOPTIMIZE"):
            judge_process.judge(request, 60, sandbox=False)
    finally:
        judge_process.stop()


def test_no_check_or_hidden_test_of_the_kit_uses_assert():
    # ruff's S101 keeps new ones out of src/ and homeworks/ (pyproject.toml); this says why a finding matters
    import ast

    found = [f"{path.relative_to(ROOT)}:{node.lineno}"
             for folder in ("homeworks", "src/dgmlab")
             for path in sorted((ROOT / folder).rglob("*.py"))
             for node in ast.walk(syntax_tree.parse(path.read_text(encoding="utf-8")))
             if isinstance(node, ast.Assert)]
    assert found == [], f"`assert` vanishes under python -O, so these checks would pass anything: {found[:10]}"
