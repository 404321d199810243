"""A term's deadlines end to end (issue 47 item 5): hw3's demo class through a Canvas-shaped zip with a late and a
resubmitted student, submission times from Canvas's API (a local server), autograded, hand grades entered through
nbgrader's gradebook, each late policy applied and the marks pushed: every export and Canvas agree to the point."""
import csv
import re
import shutil
import zipfile

import pytest

from canvas_fake import ASSIGNMENT, FakeCanvas
from conftest import ROOT
from dgmlab import cli
from dgmlab.grading import course as C
from dgmlab.grading.autograde.options import RunOptions
from dgmlab.grading.lms import lms
from dgmlab.grading.marks import exact, round_half_up
from dgmlab.grading.marks import factor as exact_factor
from dgmlab.grading.report import analysis as A
from dgmlab.grading.report import exports as X
from dgmlab.grading.report import report as R
from dgmlab.grading.report.final_mark import final_mark
from dgmlab.grading.term.late import POLICIES

pytestmark = [pytest.mark.slow, pytest.mark.e2e]  # grades a class: make test-e2e

HW = "hw3_flows"
LMS = {"demo_reference": "201", "demo_amara": "202", "demo_bilal": "203"}
# due 2025-03-11 23:59 Toronto (EDT, after the change of 2025-03-09) = 03:59:59 UTC on 03-12
# amara at 04:30 UTC: 00:30 EDT on 03-12, a day late (on a fixed EST clock, 23:30 on 03-11: on time)
SUBMITTED = {"201": "2025-03-11T20:00:00Z", "202": "2025-03-12T04:30:00Z", "203": "2025-03-12T03:00:00Z"}


def _config(policy: str, canvas: FakeCanvas) -> str:
    return (f'\nc.DgmlabDeadlines.timezone = "America/Toronto"\nc.DgmlabDeadlines.due = {{"{HW}": "2025-03-11 23:59"}}\n'
            f'c.DgmlabDeadlines.policies = {{"{HW}": "{policy}"}}\n' + canvas.config(HW))


def test_a_term_from_the_lms_zip_to_the_lms_gradebook(tmp_path, httpserver, monkeypatch):
    from nbgrader.api import Gradebook

    monkeypatch.setenv(lms.TOKEN_ENV, "test-token")
    canvas = FakeCanvas(httpserver, {u: {"submitted_at": SUBMITTED[u], "score": None} for u in LMS.values()})
    canvas.points_possible = 100  # hw3 is out of 100: push refuses a Canvas assignment worth other points
    shutil.copytree(ROOT / "source" / HW, tmp_path / "source" / HW, ignore=shutil.ignore_patterns("figures"))
    base = (ROOT / "nbgrader_config.py").read_text(encoding="utf-8")
    (tmp_path / "nbgrader_config.py").write_text(base + _config("none", canvas), encoding="utf-8")
    course = C.Course(tmp_path)
    C.release(course, [HW], local_only=True)
    first = (tmp_path / "release" / HW / f"{HW}.ipynb").read_text(encoding="utf-8")
    assert "Due: Tuesday 11 March 2025, 23:59 EDT" in first
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gb:
        for sid, uid in LMS.items():
            gb.add_student(sid, first_name=sid.split("_")[1].title(), last_name="Demo", lms_user_id=uid)

    example = lambda sid: (ROOT / "examples" / sid / HW / f"{HW}.ipynb").read_bytes()  # noqa: E731
    zip_path = tmp_path / "submissions.zip"
    with zipfile.ZipFile(zip_path, "w") as z:
        z.writestr("demoreference_201_1_Demo_Reference_Assgn2.ipynb", example("demo_reference"))
        z.writestr("demoamara_LATE_202_2_hw3_flows.ipynb", example("demo_amara"))
        z.writestr("demobilal_203_3_hw3_flows.ipynb", example("demo_blank"))  # first upload
        z.writestr("demobilal_203_3_hw3_flows-1.ipynb", example("demo_bilal"))  # the one that counts
    assert cli.main(["--course", str(tmp_path), "collect", HW, str(zip_path), "--canvas"]) == 0
    assert (course.folder("submitted", HW, "demo_bilal") / f"{HW}.ipynb").read_bytes() == example("demo_bilal")

    results = C.autograde(course, HW, options=RunOptions(timeout=600, workers=2))
    assert {r.student: r.status for r in results} == dict.fromkeys(LMS, "graded")
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gb:  # hand grades, as formgrader enters them
        for sid in LMS:
            for nb in gb.find_submission(HW, sid).notebooks:
                for g in nb.grades:
                    if g.cell.cell_type == "markdown":
                        g.manual_score, g.needs_manual_grade = g.max_score / 2, False
        gb.db.commit()

    raw = {s.student: s.raw_score for s in A.collect(course).submissions}
    for policy in ("none", "zero", "linear_7days", "ten_percent_2days"):
        (tmp_path / "nbgrader_config.py").write_text(base + _config(policy, canvas), encoding="utf-8")
        factor = POLICIES[policy].factor(1)
        expected = {"demo_reference": exact(raw["demo_reference"]), "demo_bilal": exact(raw["demo_bilal"]),
                    "demo_amara": exact(raw["demo_amara"]) * exact_factor(factor)}
        expected = {s: float(round_half_up(m)) for s, m in expected.items()}  # every surface's 2 decimals
        data = A.collect(course)
        shown = {"collect": {s.student: final_mark(s).number for s in data.submissions}}
        with R.export_csv(course, tmp_path / "grades.csv").open(encoding="utf-8") as f:
            shown["grades.csv"] = {r["student_id"]: float(r["score"]) for r in csv.DictReader(f)}
        rows = list(csv.reader(X.canvas_csv(data, tmp_path / "canvas.csv", {HW: ASSIGNMENT}).open(encoding="utf-8")))
        shown["canvas.csv"] = {r[2]: float(r[5]) for r in rows[2:]}
        assert cli.main(["--course", str(tmp_path), "report", HW, "--no-similarity", "--html"]) == 0
        page = (tmp_path / "reports" / "dashboard.html").read_text(encoding="utf-8")
        shown["dashboard"] = {m[0]: float(m[1]) for m in
                              re.findall(r'data-student="(\w+)" data-final="([\d.]+)"', page)}
        shown["summary"] = {s: float(re.match(rf"{HW}: ([\d.]+) /", (course.folder("feedback", HW, s) /
                                                                     "grade_summary.txt").read_text()).group(1))
                            for s in LMS}
        lms.push(course, HW)
        shown["canvas"] = {sid: canvas.subs[uid]["score"] for sid, uid in LMS.items()}
        for source, marks in shown.items():
            assert marks == pytest.approx(expected, abs=1e-9), (policy, source)
    assert 0 < expected["demo_amara"] < raw["demo_amara"]
