"""`dgmlab check`: its report and its errors (its agreement with the autograder: tests/grading/test_hostile.py)."""
from pathlib import Path

import pytest

from dgmlab.cli import main
from dgmlab.selfcheck import CellResult, Report, format_report


def _report():
    cells = [CellResult("a_tests", "Q1. Flows (10 points)", 5, 2, 2, 3),
             CellResult("b_tests", "Q2. GANs (5 points)", 5, 1, 0, 4,
                        ["FAILED test_x: 0 of 1 points. expected 1/2, found 1/3"])]
    return Report(Path("hw.ipynb"), cells, [("Q2. GANs (5 points)", "q2_written")], 12)


def test_report_gives_visible_points_hidden_points_and_failures():
    text = format_report(_report())
    assert text.startswith("hw.ipynb: 2 of 3 visible points; 7 more points are decided by hidden tests")
    assert "!! b_tests: 0 of 1 visible point (+4 decided by hidden tests)" in text
    assert "expected 1/2, found 1/3" in text


def test_report_of_one_question_leaves_the_others_out():
    text = format_report(_report(), "Q2")
    assert "b_tests" in text and "a_tests" not in text


def test_a_question_the_notebook_does_not_have_is_named_with_the_ones_it_has():
    # STUDENT-HW4: hw4 numbers its problems P0-P5; `--question Q4` said "0 of 0 visible points ... all pass"
    text = format_report(_report(), "P4")
    assert "no question or test cell starts with 'P4'" in text and "give one of Q1, Q2" in text
    assert "all visible checks pass" not in text


def test_check_of_a_question_the_notebook_does_not_have_exits_2(tmp_path, monkeypatch, capsys):
    from dgmlab import selfcheck

    notebook = tmp_path / "hw.ipynb"
    notebook.write_text("{}")
    monkeypatch.setattr(selfcheck, "check_notebook", lambda *a, **k: _report())
    assert main(["check", str(notebook), "--question", "P4", "--files", str(tmp_path)]) == 2


def test_check_of_one_question_exits_1_while_a_graded_file_is_missing(tmp_path, monkeypatch, capsys):
    """trial4: `dgmlab check --question P5` exited 0 while listing graded files as MISSING; the student guide says a
    missing graded file makes it exit 1."""
    from dgmlab import selfcheck

    notebook = tmp_path / "hw.ipynb"
    notebook.write_text("{}")
    ok = CellResult("p5_tests", "P5. Duality", 7, 5.5, 5.5, 1.5)
    samples = CellResult("p2_samples_tests", "P2. Ablations", 3, 3, 0, 0, files=[("weights.pt", None)])
    monkeypatch.setattr(selfcheck, "check_notebook", lambda *a, **k: Report(notebook, [ok, samples], [], 0))
    assert main(["check", str(notebook), "--question", "P5", "--files", str(tmp_path)]) == 1
    samples.files = [("weights.pt", 1000)]
    samples.visible_earned = 3
    assert main(["check", str(notebook), "--question", "P5", "--files", str(tmp_path)]) == 0



def _blank_answer_report(notebook, hw):
    from dgmlab.unfinished import Unfinished

    passed = CellResult("q1_tests", "Q1. Flows", 5, 3, 3, 2)
    return Report(notebook, [passed], [], 3, unfinished=Unfinished(ran=True, blank=("Q1(b)",), written=2), hw=hw)


def test_check_exits_1_while_a_written_answer_is_blank(tmp_path, monkeypatch, capsys):
    """Issue 62: every visible check passed and the report listed Q1(b) as blank, and the check exited 0."""
    from dgmlab import selfcheck

    notebook = tmp_path / "hw1_wgan.ipynb"
    notebook.write_text("{}")
    monkeypatch.setattr(selfcheck, "check_notebook", lambda *a, **k: _blank_answer_report(notebook, "hw1_wgan"))
    assert main(["check", str(notebook), "--files", str(tmp_path)]) == 1
    assert "!! written answers still blank: Q1(b)" in capsys.readouterr().out


def test_check_exits_0_with_a_blank_answer_the_handout_takes_handwritten(tmp_path, monkeypatch):
    from dgmlab import selfcheck

    notebook = tmp_path / "Doe_Jane_Assgn2.ipynb"
    notebook.write_text("{}")
    monkeypatch.setattr(selfcheck, "check_notebook", lambda *a, **k: _blank_answer_report(notebook, "hw5_explicit"))
    assert main(["check", str(notebook), "--files", str(tmp_path)]) == 0


def test_check_exits_1_while_the_notebook_ran_in_quick_mode(tmp_path, monkeypatch, capsys):
    """The hand-in list said the notebook ran in quick mode (a careful-student trial, issue 62), and the check
    exited 0."""
    from dgmlab import selfcheck
    from dgmlab.unfinished import Unfinished

    notebook = tmp_path / "hw3_flows.ipynb"
    notebook.write_text("{}")
    passed = CellResult("q1_tests", "Q1. Flows", 5, 3, 3, 2)
    report = Report(notebook, [passed], [], 0, unfinished=Unfinished(ran=True, quick=(2,)), hw="hw3_flows")
    monkeypatch.setattr(selfcheck, "check_notebook", lambda *a, **k: report)
    assert main(["check", str(notebook), "--files", str(tmp_path)]) == 1


def test_check_exits_1_while_a_handed_in_file_is_incomplete(tmp_path, monkeypatch, capsys):
    """Issue 62: hw4_results.json holding 1 of the 5 models' results; every visible check passed."""
    from dgmlab import selfcheck

    notebook = tmp_path / "hw4_gans.ipynb"
    notebook.write_text("{}")
    (tmp_path / "hw4_results.json").write_text('{"baseline": {"epochs": 50, "data": "full", "mnist_score": 9.1}}')
    passed = CellResult("p0_tests", "P0", 1, 0.25, 0.25, 0.75, files=[("hw4_results.json", 70)])
    monkeypatch.setattr(selfcheck, "check_notebook", lambda *a, **k: Report(notebook, [passed], [], 0, hw="hw4_gans"))
    assert main(["check", str(notebook), "--files", str(tmp_path)]) == 1


def test_check_exits_1_while_the_report_pdf_is_older_than_the_notebook(tmp_path, monkeypatch, capsys):
    """Careful-student trial HW4D: a PDF made before the notebook was re-run and saved was listed ok."""
    import os

    from dgmlab import selfcheck

    notebook = tmp_path / "hw4_gans.ipynb"
    notebook.write_text("{}")
    (tmp_path / "pdf").mkdir()
    (tmp_path / "pdf" / "hw4_gans.pdf").write_bytes(b"%PDF")
    os.utime(tmp_path / "pdf" / "hw4_gans.pdf", (1000, 1000))
    passed = CellResult("p1_tests", "P1", 1, 0.25, 0.25, 0.75)
    monkeypatch.setattr(selfcheck, "check_notebook", lambda *a, **k: Report(notebook, [passed], [], 0, hw="hw4_gans"))
    assert main(["check", str(notebook), "--files", str(tmp_path)]) == 1
    os.utime(tmp_path / "pdf" / "hw4_gans.pdf")  # made again, after the notebook was saved
    assert main(["check", str(notebook), "--files", str(tmp_path)]) == 0


def test_a_file_fails_only_with_a_cell_whose_checks_fail_on_it():
    """trial4: weights that passed their own cell were listed as failing P0's checks, which lacked only the results
    file."""
    from dgmlab.handin import failing_files

    samples = CellResult("p2_samples_tests", "P2", 3, 3, 1, 0, ["FAILED test_bar: 0 of 2 points. below the bar"],
                         files=[("weights.pt", 1000)])
    p0 = CellResult("p0_tests", "P0", 1, 0.25, 0.25, 0.75, files=[("results.json", None), ("weights.pt", 1000)])
    assert failing_files([p0]) == {}
    assert failing_files([samples, p0]) == {"weights.pt": "p2_samples_tests"}


def test_check_of_a_missing_notebook_is_a_clear_error(tmp_path, capsys):
    assert main(["check", str(tmp_path / "nope.ipynb")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_check_of_a_file_that_is_not_a_notebook_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "hw.ipynb"
    bad.write_text("{ not json", encoding="utf-8")
    assert main(["check", str(bad)]) == 2
    assert "not a readable notebook" in capsys.readouterr().err


def test_report_says_which_graded_files_are_present_or_missing():
    present = CellResult("s_tests", "Q4. Samples", 7, 7, 7, 0, files=[("samples_100.pt", 313_000)])
    missing = CellResult("c_tests", "Q4. Samples", 3, 3, 3, 0, files=[("cgan_samples_100.pt", None)])
    assert present.ok and not missing.ok, "a missing graded file fails the check even when no visible test ran"
    text = format_report(Report(Path("hw.ipynb"), [present, missing], [], 0))
    assert "graded file samples_100.pt: present (313,000 bytes)" in text
    assert "!! c_tests" in text and "graded file cgan_samples_100.pt: MISSING beside the notebook" in text


FILE_CHECKS = """
from dgmlab.probes import CheckSpec
from dgmlab.probes.points import points

@points(2)
def test_the_file_says_42(v):
    assert v.files["answer.txt"].decode().strip() == "42", "answer.txt should hold 42"

CHECKS = [CheckSpec("file_tests", 2, 0, (), visible=(test_the_file_says_42,), files=("answer.txt",))]
"""


def _notebook_grading_a_file(path):
    from dgmlab.authoring import Notebook

    (path.parent / "checks.py").write_text(FILE_CHECKS, encoding="utf-8")  # the homework's own checks
    nb = Notebook("hw9_file")
    nb.checks_file(path.parent / "checks.py")
    nb.md("## Q1. A file (2 points)")
    nb.setup()
    nb.code("from dgmlab.probes import check")
    nb.tests("file_tests", 2, 'check("file_tests")')
    nb.save(path)


@pytest.mark.slow  # runs a notebook in a kernel
def test_check_fails_without_the_graded_file_and_passes_with_it(tmp_path, capsys):
    notebook = tmp_path / "hw.ipynb"
    _notebook_grading_a_file(notebook)
    assert main(["check", str(notebook)]) == 1
    out = capsys.readouterr().out
    assert "graded file answer.txt: MISSING" in out and "answer.txt was not handed in" in out
    (tmp_path / "answer.txt").write_text("42\n")
    assert main(["check", str(notebook)]) == 0
    assert "graded file answer.txt: present (3 bytes)" in capsys.readouterr().out


BOX_CHECKS = """
import os
from dgmlab.probes import CheckSpec

def test_runs_in_the_sandbox(v):
    assert v.sandbox == "1", "this kernel is not in the grading sandbox"
    assert v.writable, "the notebook's folder is read-only in the sandbox (a notebook could not save a figure)"

CHECKS = [CheckSpec("box_tests", 1, 0, (), visible=(test_runs_in_the_sandbox,),
                    probe=lambda o, inputs: {"sandbox": os.environ.get("DGMLAB_SANDBOX", ""),
                                             "writable": os.access(os.getcwd(), os.W_OK)})]
"""


def _box_notebook(folder):
    from dgmlab.authoring import Notebook

    (folder / "checks.py").write_text(BOX_CHECKS, encoding="utf-8")
    nb = Notebook("hw9_box")
    nb.checks_file(folder / "checks.py")
    nb.md("## Q1. Where am I (1 point)")
    nb.setup()
    nb.code("from dgmlab.probes import check")
    nb.tests("box_tests", 1, 'check("box_tests")')
    return nb.save(folder / "hw.ipynb")


@pytest.mark.slow  # runs a notebook in a kernel
def test_check_runs_in_the_autograders_sandbox_when_there_is_one(tmp_path, capsys):
    from dgmlab.grading.isolation import kernel_sandbox as sandbox

    usable, why = sandbox.available()
    if not usable:
        pytest.skip(f"no sandbox on this machine: {why}")
    notebook = _box_notebook(tmp_path)
    assert main(["check", str(notebook)]) == 0
    assert main(["check", "--no-sandbox", str(notebook)]) == 1
    assert "this kernel is not in the grading sandbox" in capsys.readouterr().out


@pytest.mark.slow  # runs a notebook in a kernel
def test_a_check_in_the_sandbox_leaves_no_kernel_running(tmp_path):
    """The sandboxed kernel is stopped when the check returns (nbclient stops only a kernel it made itself): a
    process that checks again and again (a notebook, a test run) does not gather kernels of 750 MB each."""
    import psutil

    from dgmlab.grading.isolation import kernel_sandbox as sandbox

    usable, why = sandbox.available()
    if not usable:
        pytest.skip(f"no sandbox on this machine: {why}")
    me = psutil.Process()
    before = {p.pid for p in me.children(recursive=True)}
    assert main(["check", str(_box_notebook(tmp_path))]) == 0
    left = [p for p in me.children(recursive=True) if p.pid not in before and p.is_running()
            and p.status() != psutil.STATUS_ZOMBIE]
    assert not left, [" ".join(p.cmdline())[:200] for p in left]


# dgmlab.check() without a path, in Colab: the notebook is in MyDrive/Colab Notebooks/, its files in the homework
# folder on Drive (a stand-in Drive in a temporary folder, as tests/test_workspace.py fakes it)

@pytest.fixture
def colab_drive(tmp_path, monkeypatch):
    """A stand-in Colab: ``google.colab`` importable, Drive mounted at tmp/drive, the runtime's folder tmp/content."""
    import sys
    import types

    from dgmlab import workspace

    google, colab, drive = (types.ModuleType(n) for n in ("google", "google.colab", "google.colab.drive"))
    drive.mount = lambda mountpoint, force_remount=False: (Path(mountpoint) / "MyDrive").mkdir(parents=True,
                                                                                                exist_ok=True)
    colab.drive, google.colab = drive, colab
    for name, module in (("google", google), ("google.colab", colab), ("google.colab.drive", drive)):
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setenv(workspace.MOUNT_ENV, str(tmp_path / "drive"))
    monkeypatch.delenv(workspace.COURSE_ENV, raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setattr(workspace, "_folder", None)
    monkeypatch.setattr(workspace, "_homework", None)
    (tmp_path / "content").mkdir()
    monkeypatch.chdir(tmp_path / "content")
    return tmp_path / "drive" / "MyDrive"


def _save_notebook(path, hw="hw1_wgan"):
    """A saved notebook whose setup cell names ``hw`` (what dgmlab.probes.homework_of reads)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    setup = nbformat.v4.new_code_cell(f'dgmlab.setup("{hw}")')
    setup.metadata["nbgrader"] = {"grade_id": "setup"}
    nb.cells.append(setup)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def test_check_finds_the_notebook_where_colab_keeps_it(colab_drive):
    import dgmlab
    from dgmlab.selfcheck import find_notebook

    dgmlab.workspace.enter("hw1_wgan", quiet=True)                     # the setup cell: cwd is MyDrive/dgm-course/hw1_wgan
    _save_notebook(colab_drive / "Colab Notebooks" / "Untitled3.ipynb", hw="hw3_flows")  # another homework's
    saved = _save_notebook(colab_drive / "Colab Notebooks" / "hw1_wgan.ipynb")
    path, others = find_notebook()
    assert path == saved and others == []


def test_check_knows_a_renamed_notebook_by_its_setup_cell(colab_drive):
    from dgmlab import workspace
    from dgmlab.selfcheck import find_notebook

    workspace.enter("hw1_wgan", quiet=True)
    saved = _save_notebook(colab_drive / "Colab Notebooks" / "my homework.ipynb")
    assert find_notebook()[0] == saved


def test_check_takes_the_copy_saved_last_and_names_the_others(colab_drive):
    import os

    from dgmlab import workspace
    from dgmlab.selfcheck import find_notebook

    workspace.enter("hw1_wgan", quiet=True)
    old = _save_notebook(colab_drive / "Colab Notebooks" / "hw1_wgan.ipynb")
    new = _save_notebook(colab_drive / "Colab Notebooks" / "Copy of hw1_wgan.ipynb")
    os.utime(old, (1_000_000, 1_000_000))
    assert find_notebook() == (new, [old])


def test_check_finds_a_notebook_saved_in_the_homework_folder(colab_drive):
    from dgmlab import workspace
    from dgmlab.selfcheck import find_notebook

    workspace.enter("hw1_wgan", quiet=True)
    saved = _save_notebook(colab_drive / "dgm-course" / "hw1_wgan" / "hw1_wgan.ipynb")
    assert find_notebook()[0] == saved


def test_check_without_a_notebook_lists_where_it_looked(colab_drive):
    from dgmlab import workspace
    from dgmlab.selfcheck import find_notebook

    workspace.enter("hw1_wgan", quiet=True)
    with pytest.raises(FileNotFoundError) as err:
        find_notebook()
    text = str(err.value)
    assert "found no saved notebook of homework hw1_wgan" in text
    assert str(colab_drive / "Colab Notebooks") in text and str(colab_drive / "dgm-course" / "hw1_wgan") in text
    assert "dgmlab.check(path=" in text


def test_check_reads_graded_files_from_the_homework_folder(colab_drive, monkeypatch, capsys):
    import subprocess

    import dgmlab

    dgmlab.workspace.enter("hw1_wgan", quiet=True)
    notebook = _save_notebook(colab_drive / "Colab Notebooks" / "hw1_wgan.ipynb")
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda args, **kw: calls.append(args) or
                        subprocess.CompletedProcess(args, 0, stdout="", stderr=""))
    assert dgmlab.check() is True
    args = calls[0]
    assert args[args.index("check") + 1] == str(notebook)
    assert args[args.index("--files") + 1] == str((colab_drive / "dgm-course" / "hw1_wgan").resolve())


def test_report_names_the_folder_graded_files_are_missing_from(tmp_path):
    missing = CellResult("c_tests", "Q3. Samples", 7, 2, 2, 5, files=[("generator_weights.pt", None)])
    text = format_report(Report(Path("hw.ipynb"), [missing], [], 0, files_folder=tmp_path / "hw1_wgan"))
    assert f"graded file generator_weights.pt: MISSING in {tmp_path / 'hw1_wgan'}" in text


def test_check_of_a_missing_files_folder_is_a_clear_error(tmp_path, capsys):
    notebook = _save_notebook(tmp_path / "hw1_wgan.ipynb")
    assert main(["check", str(notebook), "--files", str(tmp_path / "nowhere")]) == 2
    assert "the folder of graded files" in capsys.readouterr().err


@pytest.mark.slow  # runs a notebook in a kernel
def test_check_grades_the_files_of_the_folder_files_names(tmp_path, capsys):
    notebook = tmp_path / "Colab Notebooks" / "hw.ipynb"
    notebook.parent.mkdir()
    _notebook_grading_a_file(notebook)
    homework = tmp_path / "hw9_file"
    homework.mkdir()
    (homework / "answer.txt").write_text("42\n")
    assert main(["check", str(notebook)]) == 1, "answer.txt is not beside the notebook"
    capsys.readouterr()
    assert main(["check", str(notebook), "--files", str(homework)]) == 0
    out = capsys.readouterr().out
    assert f"graded files read from {homework}" in out and "graded file answer.txt: present (3 bytes)" in out


def test_check_of_a_given_path_before_setup_reads_the_files_beside_it(tmp_path, monkeypatch):
    import subprocess

    import dgmlab
    from dgmlab import workspace

    monkeypatch.setattr(workspace, "_folder", None)
    monkeypatch.chdir(tmp_path)
    notebook = _save_notebook(tmp_path / "elsewhere" / "hw1_wgan.ipynb")
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda args, **kw: calls.append(args) or
                        subprocess.CompletedProcess(args, 1, stdout="", stderr=""))
    assert dgmlab.check(path=str(notebook)) is False
    assert calls[0][calls[0].index("--files") + 1] == str(notebook.parent)


def test_without_the_grader_a_check_runs_unsandboxed_and_refuses_a_required_sandbox(monkeypatch, tmp_path):
    """A student's environment has the student package only: dgmlab check then starts a plain kernel, and says the
    sandbox comes with the grader when --sandbox asks for it."""
    import contextlib
    import sys

    import pytest

    from dgmlab import selfcheck

    monkeypatch.setitem(sys.modules, "dgmlab.grading", None)  # as installed from the student wheel
    for name in ("dgmlab.grading.isolation", "dgmlab.grading.isolation.kernel_sandbox"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    with contextlib.ExitStack() as stack:
        assert selfcheck._sandboxed_kernel(stack, tmp_path, tmp_path, None) is None
        with pytest.raises(ValueError, match="dgmlab-grader"):
            selfcheck._sandboxed_kernel(stack, tmp_path, tmp_path, True)


# dgmlab.check() where a student runs it: never again inside its own run, failures said, any Drive folder

def test_check_does_nothing_while_graded_or_checked(monkeypatch, capsys):
    """The check's own run and the autograder's run the notebook in grading mode: a dgmlab.check() cell there
    returns at once instead of running the notebook again (a cell past the time limit, 122 s of a grader's)."""
    import subprocess

    import dgmlab

    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.setattr(subprocess, "run", lambda *a, **kw: pytest.fail("the check ran the notebook again"))
    assert dgmlab.check() is None
    assert "does nothing while the notebook is graded or checked" in capsys.readouterr().out


def test_dgmlab_check_in_a_graded_run_refuses_at_once(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    notebook = _save_notebook(tmp_path / "hw1_wgan.ipynb")
    assert main(["check", str(notebook)]) == 2
    assert "does nothing while the notebook is graded or checked" in capsys.readouterr().err


def test_check_prints_what_went_wrong_when_the_run_fails(tmp_path, monkeypatch, capsys):
    import subprocess

    import dgmlab

    notebook = _save_notebook(tmp_path / "hw1_wgan.ipynb")
    said = "dgmlab check: error: the check stopped at cell 7 ('train(epochs)'): the kernel died"
    monkeypatch.setattr(subprocess, "run", lambda args, **kw: subprocess.CompletedProcess(args, 2, "", said))
    assert dgmlab.check(path=str(notebook)) is False
    assert said in capsys.readouterr().out
    monkeypatch.setattr(subprocess, "run", lambda args, **kw: subprocess.CompletedProcess(args, 1, "", "Traceback"))
    assert dgmlab.check(path=str(notebook)) is False
    assert "dgmlab check said:\nTraceback" in capsys.readouterr().out


def test_check_finds_a_notebook_saved_in_another_drive_folder(colab_drive):
    from dgmlab import workspace
    from dgmlab.selfcheck import find_notebook

    workspace.enter("hw1_wgan", quiet=True)
    _save_notebook(colab_drive / "Fall 2026" / "DGM" / "hw3_flows.ipynb", hw="hw3_flows")
    saved = _save_notebook(colab_drive / "Fall 2026" / "DGM" / "week 3" / "my homework.ipynb")
    assert find_notebook() == (saved, [])


def test_check_without_a_notebook_anywhere_says_every_folder_it_searched(colab_drive):
    from dgmlab import workspace
    from dgmlab.selfcheck import find_notebook

    workspace.enter("hw1_wgan", quiet=True)
    (colab_drive / "Fall 2026" / "DGM").mkdir(parents=True)
    with pytest.raises(FileNotFoundError) as err:
        find_notebook()
    assert f"every folder of {colab_drive} (" in str(err.value) and "all of them" in str(err.value)


def test_report_ends_with_the_hand_in_list():
    report = _report()
    report.hand_in = ["Hand in on Canvas, as the handout of hw1_wgan asks:", "missing from the hand-in: nothing"]
    assert format_report(report).endswith("Hand in on Canvas, as the handout of hw1_wgan asks:\n"
                                          "missing from the hand-in: nothing")


def test_report_without_a_hand_in_list_says_whether_the_notebook_ran_and_which_answers_are_blank():
    from dgmlab.unfinished import Unfinished

    report = _report()
    report.unfinished = Unfinished(ran=False, blank=("Q2 (b)",), written=2)
    text = format_report(report)
    assert "\n  !! the notebook has not been run: no cell has an output." in text
    assert "\n  !! written answers still blank: Q2 (b)" in text and "q2_written" not in text


def test_report_names_the_cells_that_raised():
    report = _report()
    report.errors = [(7, "train(epochs)", "it ran longer than the autograder's limit of 120 s for one cell")]
    assert "!! cell 7 ('train(epochs)'): it ran longer than the autograder's limit" in format_report(report)


def _notebook_with(path, *cells):
    from dgmlab.authoring import Notebook

    (path.parent / "checks.py").write_text(FILE_CHECKS, encoding="utf-8")
    nb = Notebook("hw9_file")
    nb.checks_file(path.parent / "checks.py")
    nb.md("## Q1. A file (2 points)")
    nb.setup()
    nb.code("from dgmlab.probes import check")
    for source in cells:
        nb.code(source)
    nb.tests("file_tests", 2, 'check("file_tests")')
    nb.save(path)
    (path.parent / "answer.txt").write_text("42\n")


@pytest.mark.slow  # runs a notebook in a kernel
def test_a_check_cell_in_the_notebook_is_not_run_again_by_the_check(tmp_path, capsys):
    import time

    notebook = tmp_path / "hw.ipynb"
    _notebook_with(notebook, "import dgmlab\ndgmlab.check()")
    start = time.monotonic()
    assert main(["check", str(notebook), "--no-sandbox", "--cell-timeout", "60"]) == 0
    assert time.monotonic() - start < 50, "the check cell ran the notebook again"
    out = capsys.readouterr().out
    assert "all visible checks pass" in out and "cells that raised" not in out


@pytest.mark.slow  # runs a notebook in a kernel
def test_check_of_a_notebook_never_run_says_so_and_names_its_blank_written_answer(tmp_path, capsys):
    """Careful-student trial (issue 62): the check's own run passed every visible check and it said nothing of the
    saved notebook having no output and a written answer still the template's line."""
    import nbformat

    from dgmlab.unfinished import TEXT_STUB

    notebook = tmp_path / "hw.ipynb"
    _notebook_with(notebook, "x = 1")
    nb = nbformat.read(notebook, as_version=4)
    written = nbformat.v4.new_markdown_cell(TEXT_STUB)
    written.metadata["nbgrader"] = {"grade": True, "solution": True, "locked": False, "points": 3,
                                    "grade_id": "q1_written", "schema_version": 3}
    nb.cells.insert(1, nbformat.v4.new_markdown_cell("### Q1(b) (3 points, written): why 42"))
    nb.cells.insert(2, written)
    nbformat.write(nb, notebook)
    assert main(["check", str(notebook), "--no-sandbox", "--cell-timeout", "60"]) == 1  # a written answer is blank
    out = capsys.readouterr().out
    assert "all visible checks pass" in out
    assert "!! the notebook has not been run: no cell has an output" in out
    assert "!! written answers still blank: Q1(b)" in out and "q1_written" not in out


@pytest.mark.slow  # runs a notebook in a kernel
def test_a_cell_past_the_time_limit_is_interrupted_and_named(tmp_path, capsys):
    notebook = tmp_path / "hw.ipynb"
    _notebook_with(notebook, "import time\ntime.sleep(600)")
    # the limit: past what the setup cell takes (torch's import: 1.5-5 s on a busy machine), far below the sleep
    assert main(["check", str(notebook), "--no-sandbox", "--cell-timeout", "20"]) == 0  # the test cell still ran
    out = capsys.readouterr().out
    assert "!! cell 4 ('import time'): it ran longer than the autograder's limit of 20 s" in out
    assert "cell 2 " not in out


# dgmlab.check() in a notebook: the report and nothing else

KERNEL_WARNING = ("[IPKernelApp] WARNING | Kernel is running over TCP without encryption. All communication (including "
                  "code and outputs) is sent in plain text and is susceptible to eavesdropping. Use IPC transport or "
                  "launch with kernel manager-provisioned CurveZMQ keys to enable transport encryption.\n")


def _in_a_kernel(monkeypatch):
    import IPython

    monkeypatch.setattr(IPython, "get_ipython", lambda: type("Shell", (), {"kernel": object()})())


def test_check_in_a_notebook_returns_nothing_for_the_cell_to_echo(tmp_path, monkeypatch, capsys):
    import subprocess

    import dgmlab

    notebook = _save_notebook(tmp_path / "hw1_wgan.ipynb")
    monkeypatch.setattr(subprocess, "run", lambda args, **kw: subprocess.CompletedProcess(args, 1, "report\n", ""))
    _in_a_kernel(monkeypatch)
    assert dgmlab.check(path=str(notebook)) is None
    assert capsys.readouterr().out.endswith("this takes a minute ...\nreport\n")


def test_check_leaves_out_the_kernels_tcp_warning(tmp_path, monkeypatch, capsys):
    import subprocess

    import dgmlab

    notebook = _save_notebook(tmp_path / "hw1_wgan.ipynb")
    monkeypatch.setattr(subprocess, "run", lambda args, **kw: subprocess.CompletedProcess(args, 1, "report",
                                                                                          KERNEL_WARNING))
    assert dgmlab.check(path=str(notebook)) is False
    out = capsys.readouterr().out
    assert "TCP" not in out and "dgmlab check said" not in out


def test_check_still_prints_what_else_the_run_said_beside_the_tcp_warning(tmp_path, monkeypatch, capsys):
    import subprocess

    import dgmlab

    notebook = _save_notebook(tmp_path / "hw1_wgan.ipynb")
    monkeypatch.setattr(subprocess, "run", lambda args, **kw: subprocess.CompletedProcess(
        args, 1, "report", KERNEL_WARNING + "Traceback: the kernel died\n"))
    dgmlab.check(path=str(notebook))
    assert "dgmlab check said:\nTraceback: the kernel died" in capsys.readouterr().out


def test_report_shows_question_titles_as_plain_text():
    import nbformat

    from dgmlab.selfcheck import _questions

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(r"## Q1 (4 points): the log density of $\mathcal N(\mu, \sigma^2)$"),
                nbformat.v4.new_code_cell("check('q1_tests')")]
    assert _questions(nb)[1] == "Q1 (4 points): the log density of N(μ, σ²)"


def test_the_check_command_in_colab_reads_graded_files_from_the_homework_folder_on_drive(colab_drive, monkeypatch):
    # `!dgmlab check "/content/drive/MyDrive/Colab Notebooks/hw1_wgan.ipynb"`: the files are where the setup cell
    # saved them, MyDrive/dgm-course/hw1_wgan/, as dgmlab.check() finds them
    import dgmlab
    from dgmlab import selfcheck

    dgmlab.workspace.enter("hw1_wgan", quiet=True)
    notebook = _save_notebook(colab_drive / "Colab Notebooks" / "hw1_wgan.ipynb")
    seen = {}
    monkeypatch.setattr(selfcheck, "check_notebook", lambda path, files=None, **kw: seen.update(files=files)
                        or Report(Path(path), [], [], 0))
    assert main(["check", str(notebook)]) == 0
    assert Path(seen["files"]).resolve() == (colab_drive / "dgm-course" / "hw1_wgan").resolve()
    assert main(["check", str(notebook), "--files", str(notebook.parent)]) == 0  # a folder named is the one read
    assert Path(seen["files"]) == notebook.parent


def test_the_check_command_outside_colab_reads_the_files_beside_the_notebook(tmp_path):
    from dgmlab.selfcheck import graded_files_folder

    notebook = _save_notebook(tmp_path / "work" / "hw1_wgan.ipynb")
    (tmp_path / "dgm-course" / "hw1_wgan").mkdir(parents=True)
    assert graded_files_folder(notebook) == notebook.parent


def test_a_cell_the_student_added_in_colab_raises_no_warning_on_reading(tmp_path, recwarn):
    import json

    from dgmlab.selfcheck import graded_files_folder

    notebook = _save_notebook(tmp_path / "hw1_wgan.ipynb")
    raw = json.loads(notebook.read_text())
    raw["nbformat_minor"] = 5
    raw["cells"].append({"cell_type": "code", "metadata": {}, "source": "x = 1", "outputs": [],
                         "execution_count": None})  # no id, as Colab writes a cell it added
    notebook.write_text(json.dumps(raw))
    graded_files_folder(notebook)
    from dgmlab import selfcheck

    selfcheck._read(notebook)
    assert [str(w.message) for w in recwarn] == []


@pytest.mark.slow  # runs a notebook in a kernel
def test_the_check_commands_output_starts_with_the_result_not_the_kernels_log(tmp_path, capfd):
    notebook = tmp_path / "hw.ipynb"
    _notebook_grading_a_file(notebook)
    (tmp_path / "answer.txt").write_text("42\n")
    assert main(["check", str(notebook)]) == 0
    out, err = capfd.readouterr()
    assert "running over TCP" not in out + err and err.strip() == ""
    assert "graded file answer.txt: present (3 bytes)" in out
