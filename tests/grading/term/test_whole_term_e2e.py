"""A whole term, proven (issue 53 item 8): two homeworks with different late policies, run by the commands the
instructor guide walks, and every mark in every export checked against arithmetic written out here.

- hw3_flows: MIT's rule (``linear_7days``), due Tuesday 11 March 2025 17:00 Toronto, collected from a Canvas zip
  with the submission times from Canvas's API (a local server), pushed to that Canvas with each student's feedback.
- hw5_explicit: Toronto's rule (``ten_percent_2days``), due Tuesday 1 April 2025 23:59, collected from a Moodle zip
  with the times from a CSV, pushed to a Moodle (a local server).
- Each student has a Canvas user id, a Moodle user id and, in hw5's assignment, a Moodle participant id, all
  different, as real platforms give them (issue 63): the course's id map (``lms_ids.csv``) holds them, imported
  from a CSV and read from Moodle (the participant ids); one student's participant id is a classmate's Moodle user
  id. nbgrader's roster has no ``lms_user_id``.
- demo_amara has a one-day extension on hw3 and hands it in 7.5 hours past it; demo_reference hands hw5 in late;
  demo_bilal is excused from hw5; demo_chen dropped the course after handing hw3 in.
- Every written answer is graded through nbgrader's Gradebook (as formgrader enters a score), then demo_amara's hw3
  is regraded with ``--force``: the hand grades must survive it.
- The term: weights hw3 1, hw5 2; letters A 80, B 65, C 50, F 0.

The expected marks are computed below from the gradebook's raw cell points (the autograded score of each test
cell, the hand score given here) and the policies' rules as the course documents state them, not by the kit's
functions. 2 to 5 minutes on 2 cores shared with other jobs (``make test-e2e``)."""
import csv
import math
import re
import shutil
import subprocess
import sys
import zipfile
from fractions import Fraction

import pytest

from canvas_fake import ASSIGNMENT, FakeCanvas
from conftest import ROOT
from dgmlab import cli
from dgmlab.grading.lms import lms, moodle
from moodle_fake import TOKEN as MOODLE_TOKEN
from moodle_fake import FakeMoodle

pytestmark = [pytest.mark.slow, pytest.mark.e2e]  # grades two homeworks: make test-e2e

HW3, HW5 = "hw3_flows", "hw5_explicit"
# nbgrader id -> each platform's id for them (lms_ids.csv): Canvas's user ids, Moodle's user ids, and the participant
# ids Moodle's hw5 assignment gives them (demo_amara's is demo_reference's Moodle user id: a participant id is never
# read as a user id)
CANVAS = {"demo_reference": "48213", "demo_amara": "48377", "demo_bilal": "50120", "demo_chen": "51904"}
MOODLE = {"demo_reference": "3120", "demo_amara": "3344", "demo_bilal": "3581", "demo_chen": "3602"}
PARTICIPANT = {"demo_reference": "91007", "demo_amara": "3120", "demo_bilal": "91013"}
NAMES = {"demo_reference": "Reference", "demo_amara": "Amara", "demo_bilal": "Bilal", "demo_chen": "Chen"}
CLASS = ["demo_amara", "demo_bilal", "demo_reference"]  # demo_chen dropped
# hw3 due 2025-03-11 17:00 EDT (21:00 UTC). demo_amara's extension of 1 day: due 2025-03-12 17:00 EDT.
HW3_TIMES = {CANVAS["demo_reference"]: "2025-03-11T20:00:00Z",  # 16:00 EDT: on time
             CANVAS["demo_amara"]: "2025-03-13T04:30:00Z",  # 00:30 EDT on 03-13: past her 17:00 due time on 03-12
             CANVAS["demo_bilal"]: "2025-03-11T20:59:00Z",  # 16:59 EDT: on time
             CANVAS["demo_chen"]: "2025-03-11T19:00:00Z"}  # dropped: never graded
# hw5 due 2025-04-01 23:59 EDT; a CSV's times without an offset are wall-clock times in Toronto; a row by nbgrader id
# or by the student's Moodle user id
HW5_TIMES = {"demo_reference": "2025-04-02 10:00",  # 10 h late: one calendar day
             MOODLE["demo_amara"]: "2025-04-01 20:00"}  # on time
CONFIG = f"""
c.DgmlabDeadlines.timezone = "America/Toronto"
c.DgmlabDeadlines.due = {{"{HW3}": "2025-03-11 17:00", "{HW5}": "2025-04-01 23:59"}}
c.DgmlabDeadlines.policies = {{"{HW3}": "linear_7days", "{HW5}": "ten_percent_2days"}}
c.DgmlabDeadlines.extensions = {{"{HW3}": {{"demo_amara": "1 day"}}}}
c.DgmlabTerm.weights = {{"{HW3}": 1, "{HW5}": 2}}
c.DgmlabTerm.letters = {{"A": 80, "B": 65, "C": 50, "F": 0}}
c.DgmlabTerm.excused = {{"{HW5}": ["demo_bilal"]}}
c.DgmlabTerm.dropped = ["demo_chen"]
"""

# The policies' factors, from the course documents' words (not from the kit):
# MIT: late at all is day 1, each 11:59 pm cutoff passed since the due time adds a day; day k keeps 1 - 0.5 k / 7.
#   demo_amara: due 03-12 17:00, handed in 03-13 00:30: the cutoff of 03-12 23:59 passed, so day 2.
MIT_DAY2 = 1 - Fraction(1, 2) * 2 / 7  # 6/7
# Toronto: 10% of the mark after grading per calendar day of delay. demo_reference: 10 h late, day 1.
TORONTO_DAY1 = 1 - Fraction(10, 100)
FACTOR = {(HW3, "demo_reference"): 1, (HW3, "demo_amara"): MIT_DAY2, (HW3, "demo_bilal"): 1,
          (HW5, "demo_reference"): TORONTO_DAY1, (HW5, "demo_amara"): 1}


def two_decimals(x: Fraction) -> Fraction:
    """Half up to 2 decimals, as the course documents write a mark."""
    return Fraction(math.floor(x * 100 + Fraction(1, 2)), 100)


def text(x: Fraction) -> str:
    """A mark already at 2 decimals as every export writes it: ``'58.93'``."""
    return f"{x.numerator * 100 // x.denominator // 100}.{x.numerator * 100 // x.denominator % 100:02d}"


def decimal(x) -> Fraction:
    return Fraction(repr(float(x)))  # the decimal the gradebook's float was written as


def _example(sid, hw, name):
    return (ROOT / "examples" / sid / hw / name).read_bytes()


def _course(tmp_path, canvas, moodle_site):
    for hw in (HW3, HW5):
        shutil.copytree(ROOT / "source" / hw, tmp_path / "source" / hw, ignore=shutil.ignore_patterns("figures"))
    base = (ROOT / "nbgrader_config.py").read_text(encoding="utf-8")
    (tmp_path / "nbgrader_config.py").write_text(base + CONFIG + canvas.config(HW3) + moodle_site.config(HW5),
                                                 encoding="utf-8")
    roster = tmp_path / "roster.csv"  # the roster, as the guide imports it: no LMS id
    roster.write_text("id,first_name,last_name,email\n" + "".join(
        f"{sid},{NAMES[sid]},Demo,{sid}@example.edu\n" for sid in CANVAS), encoding="utf-8")
    ids = tmp_path / "ids.csv"  # each student's Canvas and Moodle user ids, as the registrar's export gives them
    ids.write_text("student,canvas,moodle\n" + "".join(f"{sid},{CANVAS[sid]},{MOODLE[sid]}\n" for sid in CANVAS),
                   encoding="utf-8")
    return roster, ids


def _canvas_zip(path):
    with zipfile.ZipFile(path, "w") as z:  # <sortable name>[_LATE]_<user id>_<submission id>_<name>
        for i, sid in enumerate(("demo_reference", "demo_amara", "demo_bilal", "demo_chen")):
            late = "_LATE" if sid == "demo_amara" else ""
            z.writestr(f"demo{sid[5:]}{late}_{CANVAS[sid]}_{7301 + i}_hw3_flows.ipynb", _example(sid, HW3, f"{HW3}.ipynb"))
    return path


def _moodle_zip(path):
    with zipfile.ZipFile(path, "w") as z:  # <Full Name>_<id>_assignsubmission_file_/<name>
        ref = f"Reference Demo_{PARTICIPANT['demo_reference']}_assignsubmission_file_/"
        for name in (f"{HW5}.ipynb", "p1_pixelcnn_weights.pt", "p2_realnvp_weights.pt"):
            z.writestr(ref + name, _example("demo_reference", HW5, name))
        z.writestr(f"Amara Demo_{PARTICIPANT['demo_amara']}_assignsubmission_file_/{HW5}.ipynb",
                   _example("demo_partial", HW5, f"{HW5}.ipynb"))
    return path


def _cells(gb, hw, sid):
    """{(notebook, cell): (kind, points, max, still to grade)} of a submission from the gradebook: ``points`` the
    hand score when one was given, else the autograded score."""
    out = {}
    for nb in gb.find_submission(hw, sid).notebooks:
        for g in nb.grades:
            pts = g.manual_score if g.manual_score is not None else g.auto_score
            out[(nb.name, g.name)] = (g.cell.cell_type, pts, g.max_score, g.needs_manual_grade)
    return out


def _grade_by_hand(gb, hw, sid, i):
    """Every written answer (a markdown grade cell) of the submission scored as a TA would: a quarter step of its
    points that differs from student to student and cell to cell."""
    given = {}
    for nb in gb.find_submission(hw, sid).notebooks:
        for j, g in enumerate(sorted(nb.grades, key=lambda g: g.name)):
            if g.cell.cell_type == "markdown":
                g.manual_score, g.needs_manual_grade = g.max_score * ((i + j) % 5) / 4, False  # 0, 1/4, ... all
                given[(nb.name, g.name)] = g.manual_score
    gb.db.commit()
    return given


def test_a_whole_term_every_mark_in_every_export_is_the_hand_computed_one(tmp_path, httpserver, monkeypatch,
                                                                         capsys):
    from nbgrader.api import Gradebook

    monkeypatch.setenv(lms.TOKEN_ENV, "test-token")
    monkeypatch.setenv(moodle.TOKEN_ENV, MOODLE_TOKEN)
    canvas = FakeCanvas(httpserver, {u: {"submitted_at": HW3_TIMES[u], "score": None} for u in CANVAS.values()})
    moodle_site = FakeMoodle(httpserver, {MOODLE[s]: None for s in ("demo_reference", "demo_amara", "demo_bilal")},
                             mappings={PARTICIPANT[s]: MOODLE[s] for s in PARTICIPANT})
    roster, ids = _course(tmp_path, canvas, moodle_site)
    run = lambda *args: cli.main(["--course", str(tmp_path), *args])  # noqa: E731

    # setup, roster, release
    assert run("release", HW3, HW5, "--local-only") == 0
    subprocess.run([sys.executable, "-m", "nbgrader", "db", "student", "import", str(roster)], cwd=tmp_path,
                   check=True, capture_output=True)
    assert run("ids", "import", str(ids)) == 0

    # collect: hw3 from Canvas's zip (times from Canvas's API), hw5 from Moodle's (times from a CSV)
    assert run("collect", HW3, str(_canvas_zip(tmp_path / "canvas.zip")), "--canvas") == 0
    times = tmp_path / "hw5_times.csv"
    times.write_text("student,submitted_at\n" + "".join(f"{s},{t}\n" for s, t in HW5_TIMES.items()), encoding="utf-8")
    assert run("collect", HW5, str(_moodle_zip(tmp_path / "moodle.zip")), "--times", str(times)) == 0
    assert (tmp_path / "submitted" / "demo_chen" / HW3 / f"{HW3}.ipynb").is_file()  # a dropped student's files kept

    # autograde both: the dropped student is not graded
    assert run("autograde", HW3, "--jobs", "2") == 0
    assert run("autograde", HW5, "--jobs", "2") == 0
    db = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with Gradebook(db) as gb:
        assert {s.student.id for s in gb.find_assignment(HW3).submissions} == set(CLASS)
        assert {s.student.id for s in gb.find_assignment(HW5).submissions} == {"demo_reference", "demo_amara"}
        hand = {(hw, sid): _grade_by_hand(gb, hw, sid, i) for i, (hw, sid) in enumerate(FACTOR)}

    # a forced regrade of one student: their hand grades survive it
    graded = tmp_path / "autograded" / "demo_amara" / HW3 / f"{HW3}.ipynb"
    before = graded.stat().st_mtime_ns
    assert run("autograde", HW3, "--student", "demo_amara", "--force") == 0
    assert graded.stat().st_mtime_ns != before  # graded again, not skipped
    with Gradebook(db) as gb:
        cells = {(hw, sid): _cells(gb, hw, sid) for hw, sid in FACTOR}
    for key, given in hand.items():
        assert given and {c: cells[key][c][1] for c in given} == given, key
        assert not any(c[3] for c in cells[key].values()), key  # nothing left to grade by hand

    # the marks by hand: each cell's points (exact decimals), summed, times the policy's factor, to 2 decimals
    raw = {key: sum((decimal(c[1]) for c in cs.values() if c[1] is not None), Fraction(0)) for key, cs in cells.items()}
    top = {hw: sum((decimal(c[2]) for c in cells[(hw, "demo_amara")].values()), Fraction(0)) for hw in (HW3, HW5)}
    final = {key: two_decimals(raw[key] * FACTOR[key]) for key in FACTOR}
    assert final[(HW3, "demo_amara")] < raw[(HW3, "demo_amara")] and final[(HW5, "demo_reference")] < raw[
        (HW5, "demo_reference")]
    # the course total: each homework's final mark over its maximum, times its weight, over the weights that count
    # (demo_bilal's excused hw5 counts in neither sum), in percent to 2 decimals; the letter of that rounded total
    total = {sid: two_decimals(100 * (1 * final[(HW3, sid)] / top[HW3] + 2 * final[(HW5, sid)] / top[HW5]) / 3)
             for sid in ("demo_reference", "demo_amara")}
    total["demo_bilal"] = two_decimals(100 * final[(HW3, "demo_bilal")] / top[HW3])
    letter = {sid: next(L for L, cut in (("A", 80), ("B", 65), ("C", 50), ("F", 0)) if t >= cut)
              for sid, t in total.items()}

    # report, exports, registrar, push
    capsys.readouterr()
    assert run("report", "--no-similarity", "--html", "--exports") == 0  # hw5 is Moodle's: not in canvas.csv
    report_out = capsys.readouterr().out
    assert run("registrar") == 0
    canvas.points_possible, moodle_site.maximum = float(top[HW3]), float(top[HW5])  # each column's points
    assert run("push", HW3, "--feedback") == 0
    assert run("push", HW5) == 0  # Moodle's: c.DgmlabMoodle.assignments alone names hw5
    assert sorted(u for u, _ in moodle_site.saved) == sorted(MOODLE[s] for s in ("demo_reference", "demo_amara"))
    for sid in CLASS:  # each student's own feedback, on their own Canvas submission
        got = {canvas.files[f]["name"]: canvas.files[f]["data"] for f in canvas.comment_files[CANVAS[sid]]}
        assert got["grade_summary.html"] == (tmp_path / "feedback" / sid / HW3 / "grade_summary.html").read_bytes()
        assert got[f"{HW3}.html"] == (tmp_path / "feedback" / sid / HW3 / f"{HW3}.html").read_bytes()
    assert CANVAS["demo_chen"] not in canvas.comment_files  # dropped: nothing returned

    want = {key: float(m) for key, m in final.items()}
    shown = {}
    with (tmp_path / "grades.csv").open(encoding="utf-8") as f:
        grades = {(r["assignment"], r["student_id"]): r for r in csv.DictReader(f)}
    assert set(grades) == set(FACTOR) | {(HW5, "demo_bilal")}  # the dropped student in no export
    assert (grades[(HW5, "demo_bilal")]["score"], grades[(HW5, "demo_bilal")]["pending"]) == ("", "excused")
    shown["grades.csv"] = {key: float(grades[key]["score"]) for key in FACTOR}
    for key in FACTOR:  # raw score less the late penalty is the mark, to the digit
        r = grades[key]
        assert Fraction(r["raw_score"]) == raw[key], key
        assert Fraction(r["raw_score"]) - Fraction(r["late_submission_penalty"]) == final[key], key
    with (tmp_path / "reports" / "canvas.csv").open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0][5:] == [f"{HW3} ({ASSIGNMENT})"] and rows[1][5:] == [text(top[HW3])]
    assert sorted(r[2] for r in rows[2:]) == CLASS
    assert {r[2]: r[1] for r in rows[2:]} == {sid: CANVAS[sid] for sid in CLASS}  # ID: Canvas's user id
    shown["canvas.csv"] = {(HW3, r[2]): float(r[5]) for r in rows[2:]}
    with (tmp_path / "reports" / "questions.csv").open(encoding="utf-8") as f:
        qs = list(csv.DictReader(f))
    shown["questions.csv"] = {(r["homework"], r["student"]): float(r["points"]) for r in qs
                              if r["cell"] == "final_mark"}
    for key in FACTOR:  # its cell rows add up to the raw points, and with the late penalty's row to the mark
        rows_of = [r for r in qs if (r["homework"], r["student"]) == key]
        assert sum((Fraction(r["points"]) for r in rows_of if r["graded_by"] not in ("late", "final")),
                   Fraction(0)) == raw[key], key
        assert raw[key] + sum((Fraction(r["points"]) for r in rows_of if r["graded_by"] == "late"),
                              Fraction(0)) == final[key], key
    assert not (tmp_path / "reports" / "gradescope").exists()  # Gradescope imports no scores
    page = (tmp_path / "reports" / "dashboard.html").read_text(encoding="utf-8")
    assert "demo_chen" not in page
    shown["dashboard"] = {(hw, sid): float(m) for sid, hw, m in
                          re.findall(r'data-student="(\w+)" data-hw="(\w+)" data-mark="([\d.]+)"', page)}
    shown["terminal"] = {}  # dgmlab report's table: "<student>  <hw3 mark> / <max> (...)  <hw5 mark> / <max> (...)"
    for line in report_out.splitlines():
        if line.split(" ", 1)[0] in CLASS:
            marks = re.findall(r"([\d.]+) / [\d.]+ \(", line)
            for hw, m in zip((HW3, HW5), marks):
                shown["terminal"][(hw, line.split(" ", 1)[0])] = float(m)
    shown["summary"] = {}
    for hw, sid in FACTOR:
        summary = (tmp_path / "feedback" / sid / hw / "grade_summary.txt").read_text(encoding="utf-8")
        shown["summary"][(hw, sid)] = float(re.match(rf"{hw}: ([\d.]+) /", summary).group(1))
    shown["canvas"] = {(HW3, sid): canvas.subs[CANVAS[sid]]["score"] for sid in CLASS}
    shown["moodle"] = {(HW5, sid): moodle_site.grades[MOODLE[sid]] for sid in ("demo_reference", "demo_amara")}
    assert canvas.subs[CANVAS["demo_chen"]]["score"] is None  # dropped: nothing pushed
    assert moodle_site.grades[MOODLE["demo_bilal"]] is None  # excused from hw5: nothing pushed
    for source, marks in shown.items():
        assert marks == pytest.approx({k: want[k] for k in marks}, abs=1e-9), source
        assert set(marks) == {k for k in FACTOR if k[0] in {hw for hw, _ in marks}}, source  # nothing missing
    assert len(shown) == 8 and {hw for marks in shown.values() for hw, _ in marks} == {HW3, HW5}

    with (tmp_path / "registrar.csv").open(encoding="utf-8") as f:
        reg = {r["student_id"]: r for r in csv.DictReader(f)}
    assert sorted(reg) == CLASS
    for sid in CLASS:
        r = reg[sid]
        assert (r["total"], r["letter"]) == (text(total[sid]), letter[sid]), sid
        assert r[f"{HW3} (of {float(top[HW3]):g})"] == text(final[(HW3, sid)])
        assert r[f"{HW5} (of {float(top[HW5]):g})"] == ("excused" if sid == "demo_bilal" else text(final[(HW5, sid)]))
