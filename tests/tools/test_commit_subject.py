"""tools/commit_subject.py, pre-commit's commit-msg hook: a subject over 72 characters is refused."""
import subprocess
import sys

from conftest import ROOT, load_script

SCRIPT = ROOT / "tools" / "commit_subject.py"
CS = load_script(SCRIPT)


def test_a_subject_of_72_characters_passes_and_73_is_refused_with_its_length():
    assert CS.problem("x" * 72 + "\n\n" + "a long body line " * 20) is None
    assert CS.problem("x" * 73).startswith("the commit subject is 73 characters, over 72")


def test_comment_and_blank_lines_before_the_subject_are_passed_over():
    assert CS.subject("\n# Please enter the commit message\n\nFold the push loop\n\nbody\n") == "Fold the push loop"
    assert CS.problem("# " + "c" * 100 + "\nshort subject\n") is None


def test_the_hook_exits_1_and_says_why_for_a_long_subject(tmp_path):
    msg = tmp_path / "COMMIT_EDITMSG"
    msg.write_text("y" * 80 + "\n\nwhy\n", encoding="utf-8")
    run = subprocess.run([sys.executable, str(SCRIPT), str(msg)], capture_output=True, text=True)
    assert run.returncode == 1 and "80 characters, over 72" in run.stderr
    msg.write_text("a subject that fits\n", encoding="utf-8")
    assert subprocess.run([sys.executable, str(SCRIPT), str(msg)]).returncode == 0
