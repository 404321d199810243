"""The hostile corpus (tests/hostile/, built by tools/make_hostile_corpus.py) graded in one class
with honest submissions: each case gets the grade it must, none stops or changes the others, and
the course's own files are untouched. The forging cases (tools/make_hostile_corpus.py FORGING) try to
earn more than their answers through the partial-credit score; each earns at most what the honest
partial_d_star_baseline, with the same answers, earns."""
import hashlib
import json
import os
import shutil

import nbformat
import pytest

from conftest import ROOT, homework_builders
from dgmlab.authoring.examples import example_submissions
from dgmlab.grading import course as C
from dgmlab.grading.autograde.options import RunOptions
from dgmlab.grading.isolation import bubblewrap
from dgmlab.grading.isolation import kernel_sandbox as sandbox
from dgmlab.grading.report import report as R

pytestmark = [pytest.mark.slow, pytest.mark.e2e]  # make test-e2e (see the Makefile)
CORPUS = ROOT / "tests" / "hostile"
META = json.loads((CORPUS / "cases.json").read_text(encoding="utf-8"))
HW = META["hw"]
# DGMLAB_HOSTILE_CASES=a,b grades only those cases (with the honest submissions): a quick re-check of a few
ONLY = [c for c in os.environ.get("DGMLAB_HOSTILE_CASES", "").split(",") if c]


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    usable, why = sandbox.available()
    if not usable:
        pytest.skip(f"the hostile corpus needs the sandbox: {why}")
    root = tmp_path_factory.mktemp("hostile")
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copytree(ROOT / "source" / HW, root / "source" / HW, ignore=shutil.ignore_patterns("figures", "*.pt"))
    course = C.Course(root)
    C.release(course, [HW], local_only=True)  # the shipped config sets no install source
    module = homework_builders()[HW]
    honest = example_submissions(course.release_notebook(HW), course.source_notebook(HW),
                                 module.MUTANTS, module.PARTIAL)
    for student, nb in honest.items():
        path = root / "submitted" / student / HW / f"{HW}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
    unknown = sorted(set(ONLY) - set(META["cases"]))
    assert not unknown, f"DGMLAB_HOSTILE_CASES names no case {unknown}: see tests/hostile/cases.json"
    for name in ONLY or META["cases"]:
        path = root / "submitted" / name / HW / f"{HW}.ipynb"
        path.parent.mkdir(parents=True)
        shutil.copy(CORPUS / f"{name}.ipynb", path)
    guarded = [root / "nbgrader_config.py", course.source_notebook(HW), course.release_notebook(HW),
               root / "submitted" / "demo_reference" / HW / f"{HW}.ipynb"]
    before = {p: _digest(p) for p in guarded}
    results = C.autograde(course, HW, options=RunOptions(workers=2, sandbox=True, cell_timeout=30, timeout=600))
    after = {p: _digest(p) for p in guarded}
    grades = {g.student: g for g in R.grades(course, hws=[HW])}
    return course, {r.student: r for r in results}, grades, before, after


def _points(nb_path):
    nb = nbformat.read(nb_path, as_version=4)
    order, points = [], {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id"):
            order.append(meta["grade_id"])
            if meta.get("grade") and cell.cell_type == "code":
                points[meta["grade_id"]] = meta.get("points", 0)
    return order, points


def test_honest_submissions_are_graded_as_alone(graded):
    course, results, grades, _, _ = graded
    ref = grades["demo_reference"]
    assert ref.auto_score == ref.auto_max > 0
    assert grades["demo_blank"].auto_score == 0
    assert 0 < grades["demo_partial"].auto_score < ref.auto_max


def test_a_kernel_that_exits_fails_the_submission_saying_the_kernel_died(graded):
    _, results, _, _, _ = graded
    if ONLY and "os_exit" not in ONLY:
        pytest.skip("not in DGMLAB_HOSTILE_CASES")
    result = results["os_exit"]
    assert result.status == "failed", result
    assert result.reason.startswith("the kernel died while running the notebook"), result.reason


@pytest.mark.parametrize("case", sorted(META["cases"]))
def test_hostile_case_gets_its_grade(graded, case):
    course, results, grades, _, _ = graded
    if ONLY and case not in ONLY:
        pytest.skip("not in DGMLAB_HOSTILE_CASES")
    expect = META["cases"][case]["expect"]
    result = results[case]
    order, points = _points(course.source_notebook(HW))
    full = sum(points.values())
    target_points = points[META["target_tests"]]
    before_target = sum(p for gid, p in points.items() if order.index(gid) < order.index(META["target"]))
    if expect == "invalid":
        assert result.status == "invalid" and result.reason, result
        assert case not in grades or grades[case].auto_score == 0
        return
    if expect == "failed":  # notebook JSON nbgrader cannot write back: a failed record that says why
        assert result.status == "failed" and "NotebookValidationError" in result.reason, result
        assert case not in grades or grades[case].auto_score == 0
        return
    if result.status != "graded":
        assert result.reason, f"{case}: {result.status} without a reason"
        assert expect == "at_most_before_target", f"{case}: {result.status}: {result.reason}"
        assert case not in grades or grades[case].auto_score <= before_target
        return
    score = grades[case].auto_score
    baseline = grades["partial_d_star_baseline"].auto_score if "partial_d_star_baseline" in grades else None
    if expect == "baseline":  # the honest partly-wrong answer earns part of the target cell, not all or nothing
        assert full - target_points < score < full, f"{case}: {score}/{full}"
    elif expect == "as_answers":
        assert baseline is not None, "grade partial_d_star_baseline with it (DGMLAB_HOSTILE_CASES)"
        assert score == baseline, f"{case}: {score}, its answers earn {baseline}"
    elif expect == "at_most_as_answers":
        assert baseline is not None, "grade partial_d_star_baseline with it (DGMLAB_HOSTILE_CASES)"
        assert score <= baseline, f"{case}: {score} > {baseline}, what its answers earn"
    elif expect == "full":
        assert score == full, f"{case}: {score}/{full}"
    elif expect == "at_most_full":
        assert score <= full
    elif expect == "loses_target":
        assert score <= full - target_points, f"{case}: {score} > {full - target_points}"
    elif expect == "at_most_before_target":
        assert score <= before_target, f"{case}: {score} > {before_target}"
    elif expect == "others_full":  # the target cell loses points, every other cell earns all of its own
        assert full - target_points <= score < full, f"{case}: {score}/{full}, target {target_points}"
    else:
        raise AssertionError(f"unknown expectation {expect}")
    assert (course.root / "feedback" / case / HW / f"{HW}.html").exists(), "no feedback written"
    says = META["cases"][case].get("target_says")
    if says:  # the target's test cell tells why it earned what it did
        nb = nbformat.read(course.root / "autograded" / case / HW / f"{HW}.ipynb", as_version=4)
        cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == META["target_tests"])
        text = "".join(o.get("text", "") for o in cell.outputs)
        assert says in text, f"{case}: {text[:500]}"


def test_course_files_are_untouched(graded):
    course, _, _, before, after = graded
    assert before == after
    assert not (course.root / "submitted" / "other_student").exists()
    assert not (course.root / "autograded" / "other_student").exists()


def test_flooded_output_is_capped(graded):
    course, *_ = graded
    path = course.root / "autograded" / "million_lines" / HW / f"{HW}.ipynb"
    assert path.stat().st_size < 5 * 2**20


def test_corpus_matches_its_generator():
    import subprocess
    import sys

    res = subprocess.run([sys.executable, str(ROOT / "tools" / "make_hostile_corpus.py"), "--check"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def test_partial_credit_feedback_names_failed_hidden_test_not_its_source(graded):
    course, *_ = graded
    html = (course.root / "feedback" / "partial_d_star_baseline" / HW / f"{HW}.html").read_text(encoding="utf-8")
    assert "FAILED test_second_derivative_is_negative_and_correct: 0 of 0.75 points (hidden test)" in html
    assert "passed test_D_star_is_the_stationary_point: 0.5 of 0.5 points (hidden test)" in html
    hidden_line = "want = sp.diff(g_, D, 2)"  # a line of that hidden test's source (the grader's hidden/ module)
    assert hidden_line in (ROOT / "homeworks" / HW / "hidden" / "q3_optimal_discriminator.py").read_text()
    returned = course.root / "feedback" / "partial_d_star_baseline" / HW / f"{HW}.ipynb"
    assert hidden_line not in returned.read_text(encoding="utf-8") and hidden_line not in html


def test_a_second_probe_result_is_refused_with_a_reason_in_feedback(graded):
    course, *_ = graded
    html = (course.root / "feedback" / "shows_a_second_probe" / HW / f"{HW}.html").read_text(encoding="utf-8")
    assert "showed 2 check results" in html


def _hidden_lines(hw) -> set:
    """Lines of the kit homework's hidden tests (homeworks/<hw>/hidden/) worth looking for (not an import, a def, a
    decorator, a comment or a short line)."""
    lines = set()
    for path in sorted((ROOT / "homeworks" / hw / "hidden").glob("*.py")):
        for line in path.read_text(encoding="utf-8").splitlines():
            text = line.strip()
            if len(text) >= 30 and not text.startswith(("def ", "@", "#", "import ", "from ", '"""')):
                lines.add(text)
    return lines


def test_no_hidden_test_source_reaches_any_students_feedback(graded):
    """Whatever a notebook printed (its input history, globals, live objects: dumps_history_and_memory),
    no line of a hidden test is in the feedback HTML or the returned notebook of anyone."""
    import html

    course, *_ = graded
    hidden = _hidden_lines(HW)
    assert len(hidden) > 20
    leaks = []
    for path in sorted((course.root / "feedback").glob(f"*/{HW}/*")):
        text = html.unescape(path.read_text(encoding="utf-8", errors="replace"))
        leaks += [f"{path.relative_to(course.root)}: {line}" for line in hidden if line in text]
    assert not leaks, leaks[:5]


def test_files_a_notebook_writes_while_graded_are_not_graded_or_returned(graded):
    course, results, grades, _, _ = graded
    for case, stray in [("writes_an_extra_notebook", "extra"), ("thousands_of_files", "f4999")]:
        for kind in ("autograded", "feedback"):
            names = {p.stem for p in (course.root / kind / case / HW).iterdir()}
            assert stray not in names and len(names) <= 3, (case, kind, sorted(names)[:5])
    # sandboxed, what the kernel writes stays in its working folder's tmpfs: nothing reaches the disk, so there is
    # nothing to set aside or name (unsandboxed, the reason names it: tests/grading/autograde/test_grading_limits.py)
    assert "neither graded nor kept" not in results["writes_an_extra_notebook"].reason
    assert not any(p.name == "extra.ipynb" for p in (course.root / "autograded").rglob("*"))


def test_one_huge_output_line_is_refused_unread_saying_why(graded):
    """One 100 MB line is one message over the grader's cap (an attacker's trial put 9 GiB in a worker with such
    messages): refused before the worker reads it, and the grading fails saying so; nothing of it reaches the disk."""
    course, results, *_ = graded
    result = results["one_huge_output_line"]
    assert result.status == "failed" and "sent a message over 32 MiB" in result.reason, result
    path = course.root / "autograded" / "one_huge_output_line" / HW / f"{HW}.ipynb"
    assert not path.exists() or path.stat().st_size < 5 * 2**20


@pytest.mark.parametrize("student", ["demo_reference", "demo_partial", "demo_blank"])
def test_self_check_agrees_with_the_autograder_on_visible_points(graded, student):
    """`dgmlab check` on the submitted notebook gives each test cell the visible points the
    autograder's run gave it (read from the autograded notebook the same way)."""
    from dgmlab.selfcheck import check_notebook, visible_points

    course, *_ = graded
    autograder = visible_points(nbformat.read(course.root / "autograded" / student / HW / f"{HW}.ipynb",
                                              as_version=4))
    report = check_notebook(course.root / "submitted" / student / HW / f"{HW}.ipynb", timeout=30)
    mine = {c.grade_id: c.visible_earned for c in report.cells}
    differ = sorted(g for g in set(mine) | set(autograder) if mine.get(g) != autograder.get(g))
    assert mine == autograder, "\n".join(  # each differing cell: what the check printed and what the autograder did
        f"{g}: check {[c.failures for c in report.cells if c.grade_id == g]}; autograder "
        f"{_cell_text(course.root / 'autograded' / student / HW / f'{HW}.ipynb', g)}" for g in differ)
    assert (student == "demo_blank") == (sum(mine.values()) == 0)


def _case(name):
    if ONLY and name not in ONLY:
        pytest.skip("not in DGMLAB_HOSTILE_CASES")


def _cell_text(nb_path, grade_id) -> str:
    nb = nbformat.read(nb_path, as_version=4)
    return "".join(o.get("text", "") for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                   == grade_id for o in c.get("outputs", []))


def _outputs_text(nb_path) -> str:
    nb = nbformat.read(nb_path, as_version=4)
    return "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


def test_string_answers_that_would_run_code_are_never_run(graded):
    """Answers given as strings of code earn 0 (checked above) and run nowhere: neither the kernel, the judge nor
    the grader evaluates them, so the file each would write does not exist."""
    _case("string_answers_that_would_run_code")
    from pathlib import Path

    assert not Path(META["side_effect"]).exists()


def test_a_kernel_walking_the_root_finds_only_the_allow_list(graded):
    """Every path the kernel found under / is in the sandbox's allow-list (host_view, its own tmpfs mounts, the
    folders above its working and runtime folders) or above one of them: no course, gradebook, key, home or other
    grading is there; no secret is in its environment."""
    import re

    _case("walks_the_root")
    course, *_ = graded
    text = _outputs_text(course.root / "autograded" / "walks_the_root" / HW / f"{HW}.ipynb")
    line = next(x for x in text.splitlines() if x.startswith(META["walk_mark"]))
    found = json.loads(line[len(META["walk_mark"]):])
    view = bubblewrap.host_view()
    allowed = [view[i + 2] for i, a in enumerate(view) if a in ("--ro-bind", "--ro-bind-try", "--symlink")]
    own = re.compile(r".*/dgmlab-grading/course-[^/]+/autograded/walks_the_root/" + HW)  # its working folder
    workdir = [p for p in found if own.fullmatch(p)]
    assert len(workdir) == 1, workdir
    allowed += ["/dev", "/proc", "/var/tmp", "/tmp/dgmlab-sandboxes", workdir[0]]

    def seen_ok(path):
        return any(path == a or path.startswith(a.rstrip("/") + "/") or a.startswith(path.rstrip("/") + "/")
                   for a in allowed)

    assert len(found) > 10 and "/usr" in found
    outside = [p for p in found if not seen_ok(p)]
    assert not outside, outside[:10]
    for secret in ("gradebook.db", "draw.key", "nbgrader_config.py", "submitted", "source", "release", ".ssh"):
        assert not [p for p in found if p.rsplit("/", 1)[-1] == secret], secret
    env = json.loads(next(x for x in text.splitlines() if x.startswith("ENVIRONMENT:"))[len("ENVIRONMENT:"):])
    assert "DGMLAB_DRAW_KEY" not in env and not [k for k in env if "SECRET" in k or "TOKEN" in k], env


def test_a_formula_grade_id_reaches_no_report_as_a_formula_or_escape_code(graded, tmp_path):
    """The added cell's grade id (a formula, escape codes, a script) is dropped (the cell runs as the student's);
    no result reason, grade export, runtime listing or feedback carries it live."""
    import csv

    from dgmlab.grading.copies import runtime_code as RC

    _case("formula_grade_id")
    course, results, *_ = graded
    evil = META["evil"]
    nb = nbformat.read(course.root / "autograded" / "formula_grade_id" / HW / f"{HW}.ipynb", as_version=4)
    assert evil not in [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    assert not [r for r in results.values() if "\x1b" in r.reason]
    html = (course.root / "feedback" / "formula_grade_id" / HW / f"{HW}.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in html
    paths = [R.export_csv(course, tmp_path / "grades.csv"),
             RC.write_csv([RC.scan_homework(course, HW)], tmp_path / "runtime_code.csv")]
    for path in paths:
        cells = [v for row in csv.reader(path.open(encoding="utf-8", newline="")) for v in row]
        assert not [v for v in cells if v.startswith(("=", "+", "@", "\t", "\r"))
                    or v.startswith("-") and v.strip("-.0123456789")], path


def test_runtime_built_code_is_listed_by_the_report(graded):
    """dgmlab report's runtime_code listing names what each case builds at run time, at the target answer cell."""
    from dgmlab.grading.copies import runtime_code as RC

    course, *_ = graded
    listed = {c: m["runtime_code"] for c, m in META["cases"].items() if m.get("runtime_code") and (not ONLY or c in ONLY)}
    if not listed:
        pytest.skip("not in DGMLAB_HOSTILE_CASES")
    found = RC.scan_homework(course, HW).flagged()
    for case, constructs in listed.items():
        at_target = {f.construct for f in found.get(case, []) if f.grade_id == META["target"]}
        assert set(constructs) <= at_target, (case, at_target)
