"""`dgmlab demo` on a copy of the course: every homework's examples graded end to end."""
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT
from dgmlab.grading.course import Course
from dgmlab.grading.isolation import kernel_sandbox as sandbox
from dgmlab.grading.report import report as R

pytestmark = [pytest.mark.slow, pytest.mark.e2e]  # make test-e2e (see the Makefile)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    for name in ("source", "release", "examples"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("figures", ".ipynb_checkpoints"))
    shutil.copy(ROOT / "nbgrader_config.py", root)
    res = subprocess.run([sys.executable, "-m", "dgmlab.cli", "--course", str(root), "demo"],
                         capture_output=True, text=True, timeout=1800)
    return root, res


def test_demo_exits_cleanly_and_prints_table(demo):
    root, res = demo
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "student" in res.stdout and "demo_reference" in res.stdout and "grades CSV" in res.stdout
    # the shipped config sets no install source: the demo releases local-only instead of refusing
    assert "releasing for local use only" in res.stdout
    # what an instructor need not read: nbgrader's SQLAlchemy warning, Dask's port and graph-size warnings, a
    # traceback, nbconvert's "Your element with mimetype(s) ... is not able to be represented." (feedback HTML)
    noise = ["SAWarning", "already in use", "Sending large graph", "Traceback", "is not able to be represented"]
    if sandbox.available()[0]:  # sandboxed kernels talk over ipc; a kernel over tcp logs ipykernel's warning
        noise.append("Kernel is running over TCP without encryption")
    for text in noise:
        assert text not in res.stderr, res.stderr[-3000:]


def test_demo_writes_autograded_feedback_and_csv(demo):
    root, _ = demo
    for hw in Course(root).homeworks():
        assert (root / "autograded" / "demo_reference" / hw / f"{hw}.ipynb").exists()
        assert (root / "feedback" / "demo_reference" / hw / f"{hw}.html").exists()
    assert (root / "grades.csv").read_text(encoding="utf-8").count("demo_reference") == len(Course(root).homeworks())
    # the draws the grader graded, kept for the dashboard where only the grader writes
    for hw in ("hw1_wgan", "hw2_wgangp", "hw4_gans"):
        assert (Course(root).kept_folder(hw, "demo_reference") / "graded_draw_100.pt").is_file(), hw


def test_reference_full_blank_zero_partial_between(demo):
    root, _ = demo
    grades = {(g.student, g.hw): g for g in R.grades(Course(root))}
    for hw in Course(root).homeworks():
        ref = grades[("demo_reference", hw)]
        assert ref.auto_max > 0 and ref.auto_score == ref.auto_max, f"{hw}: reference {ref.auto_score}/{ref.auto_max}"
        assert grades[("demo_blank", hw)].auto_score == 0, f"{hw}: blank earns points"
        if ("demo_partial", hw) in grades:
            partial = grades[("demo_partial", hw)]
            assert 0 < partial.auto_score < partial.auto_max, f"{hw}: partial {partial.auto_score}/{partial.auto_max}"


def test_demo_grades_the_written_answers_so_every_mark_is_final(demo):
    """examples/<hw>_written_marks.csv applied as `dgmlab grade <hw> --apply` applies it: no mark pending."""
    from dgmlab.grading.report.final_mark import final_mark

    root, res = demo
    assert "written answers: a TA's marks" in res.stdout and "0 unchanged" in res.stdout
    table = res.stdout.split("4/4 exporting grades ...")[1].split("release notebooks:")[0]
    assert "demo_reference" in table and "pending" not in table, table
    grades = R.grades(Course(root))
    assert grades and all(final_mark(g).final for g in grades), [g for g in grades if not final_mark(g).final]


def test_demo_logs_the_written_marks_it_applied(demo):
    from dgmlab.grading.hand import audit_log

    root, _ = demo
    checked = audit_log.verify(Course(root), "hw3_flows")
    assert checked.holds and len(checked.records) == 48, checked.problems  # 12 students x 4 written answers
    assert {r["via"] for r in checked.records} == {"csv hw3_flows_written_marks.csv"}


def test_demo_feedback_shows_the_written_marks(demo):
    root, _ = demo
    page = (root / "feedback" / "demo_reference" / "hw3_flows" / "hw3_flows.html").read_text(encoding="utf-8")
    assert "(d) correct" in page  # q2_written's rubric item, only in the feedback written after the marks


def test_demo_dashboard_shows_the_example_class_and_its_shared_mistakes(demo):
    """hw3's CLASS (homeworks/hw3_flows/proofs.py): at least 10 students, different totals, and a
    mistake several students share grouped under one failure reason on the dashboard."""
    from dgmlab.authoring import homeworks
    from dgmlab.grading.report import analysis

    root, res = demo
    assert "dashboard (HTML)" in res.stdout
    builder = homeworks(ROOT)["hw3_flows"]
    data = analysis.collect(Course(root), ["hw3_flows"])
    graded = data.graded("hw3_flows")
    assert len(graded) >= 10 and set(builder.CLASS) <= {s.student for s in graded}
    totals = {s.student: s.auto_score for s in graded}
    assert len(set(totals.values())) >= 5, totals
    assert all(totals[s] < totals["demo_reference"] for s in builder.CLASS), totals
    shared = [(row["cell"], reason, who) for row in analysis.cell_stats(data, "hw3_flows")
              for reason, who in row["failures"] if len(who) >= 3]
    assert any(cell == "q1_density_tests" and {"demo_bilal", "demo_chen", "demo_ines"} <= set(who)
               for cell, _, who in shared), shared
    page = (root / "reports" / "dashboard.html").read_text(encoding="utf-8")
    assert all(student in page for student in builder.CLASS)


def test_the_demos_dashboard_and_feedback_pages_pass_axe_core(demo):
    """The real pages (docs/dashboard.md, "Accessibility"): the class's dashboard and the feedback of a student
    whose checks failed, plots and tracebacks included, have no serious or critical axe-core violation."""
    from a11y import axe_violations, browser, describe

    root, _ = demo
    pages = [root / "reports" / "dashboard.html", *sorted((root / "feedback" / "demo_bilal").glob("*/*.html"))]
    assert len(pages) >= 2, pages  # the dashboard and hw3's feedback page
    driver = browser()
    try:
        for page in pages:
            driver.get(page.resolve().as_uri())
            bad = axe_violations(driver)
            assert not bad, f"{page.relative_to(root)}:\n{describe(bad)}"
    finally:
        driver.quit()


def test_regrading_every_homework_gives_identical_grades(demo):
    """Determinism: the partial submission of every homework (some cells pass, some fail), graded
    again on its own, gets exactly the grades the parallel demo gave it, cell by cell."""
    root, _ = demo
    course = Course(root)

    def cell_scores():
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
            return {(s.student.id, a.name, nb.name, g.name): g.score
                    for a in gb.assignments for s in a.submissions for nb in s.notebooks for g in nb.grades}

    before = cell_scores()
    for hw in course.homeworks():
        res = subprocess.run([sys.executable, "-m", "dgmlab.cli", "--course", str(root), "autograde", hw,
                              "--student", "demo_partial", "--jobs", "1",
                              "--no-feedback", "--force"], capture_output=True, text=True, timeout=1800)
        assert res.returncode == 0, res.stdout + res.stderr
    assert cell_scores() == before
    assert not (root / ".dgmlab" / "backups").exists()


def _changed_earlier_submission(root):
    """A course at ``root`` whose submitted/ holds someone's own work where the demo stages its example."""
    shutil.copy(ROOT / "nbgrader_config.py", root)
    (root / "examples" / "demo_x" / "hw1_a").mkdir(parents=True)
    (root / "examples" / "demo_x" / "hw1_a" / "hw1_a.ipynb").write_text("example")
    mine = root / "submitted" / "demo_x" / "hw1_a" / "hw1_a.ipynb"
    mine.parent.mkdir(parents=True)
    mine.write_text("someone's own work")
    return mine


def test_demo_keeps_a_changed_earlier_submission(tmp_path):
    from dgmlab.grading.demo import stage_examples

    mine = _changed_earlier_submission(tmp_path)
    stage_examples(Course(tmp_path), ["hw1_a"])
    backups = list((tmp_path / ".dgmlab" / "backups").rglob("hw1_a.ipynb"))
    assert [b.read_text() for b in backups] == ["someone's own work"]
    assert mine.read_text() == "example"


def test_demo_says_where_a_changed_earlier_submission_went(tmp_path):
    from dgmlab.grading.demo import stage_examples

    _changed_earlier_submission(tmp_path)
    said = []
    stage_examples(Course(tmp_path), ["hw1_a"], say=said.append)
    (backup,) = (tmp_path / ".dgmlab" / "backups").glob("*/submitted/demo_x/hw1_a")
    assert said == [f"moved the earlier submitted/demo_x/hw1_a to {backup.relative_to(tmp_path)}"]
