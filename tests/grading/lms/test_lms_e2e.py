"""Issue 56 end to end: hw3's demo class autograded, hand grades entered, then `dgmlab lti roster` fills the LMS ids
from an LTI platform on 127.0.0.1 (tests/fixtures/lti_fake.py), `dgmlab push --lti` posts the marks (equal to
grades.csv), nothing for the one student still to grade by hand (exit 1); and `dgmlab push --canvas --feedback` returns each
student's own nbgrader feedback page to their Canvas submission (tests/fixtures/canvas_fake.py)."""
import csv
import shutil

import pytest

from canvas_fake import FakeCanvas
from conftest import ROOT
from dgmlab import cli
from dgmlab.grading import course as C
from dgmlab.grading.autograde.options import RunOptions
from dgmlab.grading.lms import lms, lti
from lti_fake import LEARNER, FakeLtiPlatform

pytestmark = [pytest.mark.slow, pytest.mark.e2e]  # grades a class: make test-e2e

HW = "hw3_flows"
STUDENTS = ("demo_reference", "demo_amara", "demo_blank")
CANVAS_IDS = {"demo_reference": "201", "demo_amara": "202", "demo_blank": "203"}


def test_a_graded_class_through_lti_and_its_feedback_through_canvas(tmp_path, httpserver, monkeypatch):
    from nbgrader.api import Gradebook

    root = tmp_path / "course"
    shutil.copytree(ROOT / "source" / HW, root / "source" / HW, ignore=shutil.ignore_patterns("figures"))
    members = [{"user_id": f"lti-{s}", "lis_person_sourcedid": s, "roles": [LEARNER], "status": "Active"}
               for s in STUDENTS]
    platform = FakeLtiPlatform(httpserver, members=members, page_size=1)
    canvas = FakeCanvas(httpserver, {u: {"submitted_at": None, "score": None} for u in CANVAS_IDS.values()})
    canvas.points_possible = 100  # hw3 is out of 100: push refuses a Canvas assignment worth other points
    monkeypatch.setenv(lms.TOKEN_ENV, "test-token")
    base = (ROOT / "nbgrader_config.py").read_text(encoding="utf-8")
    (root / "nbgrader_config.py").write_text(base + platform.config(tmp_path / "keys" / "lti.pem")
                                             + canvas.config(HW) + '\nc.DgmlabLms.platform = "lti"\n',
                                             encoding="utf-8")
    course = C.Course(root)
    C.release(course, [HW], local_only=True)
    for sid in STUDENTS:
        folder = course.folder("submitted", HW, sid)
        folder.mkdir(parents=True)
        shutil.copy(ROOT / "examples" / sid / HW / f"{HW}.ipynb", folder / f"{HW}.ipynb")
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for sid in STUDENTS:
            gb.add_student(sid)
    results = C.autograde(course, HW, options=RunOptions(timeout=600, workers=2))
    assert {r.student: r.status for r in results} == dict.fromkeys(STUDENTS, "graded")
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:  # hand grades; demo_blank's still to grade
        for sid in STUDENTS[:2]:
            for nb in gb.find_submission(HW, sid).notebooks:
                for g in nb.grades:
                    if g.cell.cell_type == "markdown":
                        g.manual_score, g.needs_manual_grade = g.max_score / 2, False
        for nb in gb.find_submission(HW, "demo_blank").notebooks:
            for g in nb.grades:
                if g.cell.cell_type == "markdown":
                    g.manual_score, g.needs_manual_grade = None, True
        gb.db.commit()

    assert cli.main(["--course", str(root), "lti", "keys"]) == 0
    platform.jwks.append(lti.keys(course)[1])
    assert cli.main(["--course", str(root), "lti", "roster"]) == 0
    assert cli.main(["--course", str(root), "report", HW, "--no-similarity"]) == 0
    # c.DgmlabLms.platform = "lti"; exit 1: demo_blank is still to grade by hand, and gets no score (AGS 2.0: a score
    # without scoreGiven would clear the LMS's mark)
    assert cli.main(["--course", str(root), "push", HW]) == 1
    with (root / "grades.csv").open(encoding="utf-8") as f:
        csv_marks = {r["student_id"]: r["score"] for r in csv.DictReader(f)}
    item = platform.created[0]["id"]
    posted = {r["userId"].removeprefix("lti-"): r["resultScore"] for r in platform.results[item].values()}
    assert posted == {s: float(csv_marks[s]) for s in STUDENTS[:2]} and csv_marks["demo_blank"] == ""
    assert not [s for s in platform.scores[item] if s["userId"] == "lti-demo_blank"]

    from dgmlab.grading.lms import id_map as IM

    ids = IM.IdMap.load(course)  # Canvas's ids beside the LTI ones, for the Canvas API
    for sid, uid in CANVAS_IDS.items():
        ids.set(sid, "canvas", uid)
    ids.save()
    assert cli.main(["--course", str(root), "push", HW, "--canvas", "--feedback"]) == 1  # demo_blank: pending
    assert CANVAS_IDS["demo_blank"] not in canvas.comment_files  # no feedback while its mark is pending
    for sid, uid in list(CANVAS_IDS.items())[:2]:
        got = [canvas.files[i] for i in canvas.comment_files[uid]]
        own = sorted(p.name for p in course.folder("feedback", HW, sid).iterdir() if p.suffix in (".html", ".pdf"))
        assert sorted(f["name"] for f in got) == own and own
        assert all(f["data"] == (course.folder("feedback", HW, sid) / f["name"]).read_bytes() for f in got)
