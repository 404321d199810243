"""dgmlab push --feedback (grading/lms/feedback_return.py, moodle.py): each student's own feedback files attached to
their own LMS submission, against a Canvas (tests/fixtures/canvas_fake.py: a submission comment's three-step file
upload) and a Moodle (tests/fixtures/moodle_fake.py: a draft area, then mod_assign_save_grade) on 127.0.0.1; never
another student's file, a link refused, a file attached once."""
import os

import pytest

from canvas_fake import FakeCanvas
from dgmlab import cli
from dgmlab.grading.lms import feedback_return as FR
from dgmlab.grading.lms import lms, moodle
from grading.term.test_late_everywhere import CONFIG, HW, LMS, _make
from moodle_fake import TOKEN, FakeMoodle

pytestmark = pytest.mark.slow  # nbgrader makes a gradebook with alembic

# a Moodle course: nbgrader's lms_user_id (the roster's) holds Moodle's user ids (dgmlab.grading.lms.id_map)
IN_MOODLE = '\nc.DgmlabLms.platform = "moodle"\n'
TWO = {"ada": "101", "bob": "102"}  # the two students with feedback here; cy and dee have none


def _feedback(course):
    """ada's and bob's feedback, each naming its student; ada's grade summary; a PDF ada handed in (autograde copies
    it there: not feedback), with a name outside ASCII."""
    for sid in TWO:
        folder = course.folder("feedback", HW, sid)
        folder.mkdir(parents=True)
        (folder / f"{HW}.html").write_text(f"<p>feedback of {sid}</p>", encoding="utf-8")
        (folder / "grade_summary.txt").write_text("not sent: not HTML or PDF", encoding="utf-8")
    (course.folder("feedback", HW, "ada") / "grade_summary.html").write_bytes(b"<p>ada's summary</p>")
    (course.folder("feedback", HW, "ada") / "Rückmeldung é.pdf").write_bytes(b"%PDF-1.4 ada's pages")


@pytest.fixture()
def canvas(httpserver):
    return FakeCanvas(httpserver, {uid: {"submitted_at": None, "score": None} for uid in LMS.values()})


@pytest.fixture()
def course(tmp_path, canvas, monkeypatch):
    monkeypatch.setenv(lms.TOKEN_ENV, "test-token")
    course = _make(tmp_path, CONFIG + canvas.config(HW))
    _feedback(course)
    return course


def _got(canvas):
    """{user id: {file name: bytes}} attached to each submission's comments."""
    out = {}
    for user, ids in canvas.comment_files.items():
        out[user] = {canvas.files[i]["name"]: canvas.files[i]["data"] for i in ids}
    return out


def test_each_student_gets_only_their_own_feedback_files_in_canvas(course, canvas):
    out = FR.to_canvas(course, HW)
    got = _got(canvas)
    assert set(got) == {"101", "102"}
    assert got["101"] == {f"{HW}.html": b"<p>feedback of ada</p>", "grade_summary.html": b"<p>ada's summary</p>"}
    assert got["102"] == {f"{HW}.html": b"<p>feedback of bob</p>"}
    assert sorted(out.attached) == [("ada", "grade_summary.html"), ("ada", f"{HW}.html"), ("bob", f"{HW}.html")]
    assert [s for s, _ in out.skipped] == ["cy", "dee"]  # no feedback files


def test_a_file_the_student_handed_in_is_never_sent_back_as_feedback(course, canvas):
    FR.to_canvas(course, HW)
    assert "Rückmeldung é.pdf" not in _got(canvas)["101"]
    assert [p.name for p in FR.feedback_files(course, HW, "ada")] == ["grade_summary.html", f"{HW}.html"]


def test_the_file_goes_to_canvass_file_store_without_the_api_token(course, canvas):
    FR.to_canvas(course, HW)
    assert canvas.files and all(f["authorization"] is None for f in canvas.files.values())


def test_a_feedback_file_is_attached_once_and_again_when_it_changes(course, canvas):
    FR.to_canvas(course, HW)
    n = len(canvas.files)
    assert FR.to_canvas(course, HW).attached == [] and len(canvas.files) == n
    (course.folder("feedback", HW, "bob") / f"{HW}.html").write_text("<p>bob, regraded</p>", encoding="utf-8")
    assert FR.to_canvas(course, HW).attached == [("bob", f"{HW}.html")]
    assert _got(canvas)["102"][f"{HW}.html"] == b"<p>bob, regraded</p>"


def test_a_link_to_a_classmates_feedback_is_refused_not_followed(course, canvas):
    bob = course.folder("feedback", HW, "bob")
    (bob / f"{HW}.html").unlink()
    os.symlink(course.folder("feedback", HW, "ada") / f"{HW}.html", bob / f"{HW}.html")
    out = FR.to_canvas(course, HW)
    assert "102" not in _got(canvas) and [s for s, _ in out.skipped][0] == "bob"
    assert "is a link" in dict(out.skipped)["bob"]


def test_dgmlab_push_feedback_sends_marks_and_files(course, canvas, capsys):
    assert cli.main(["--course", str(course.root), "push", HW, "--feedback"]) == 1  # cy, dee: no feedback
    out = capsys.readouterr().out
    assert "pushed 4 marks of hw9_late to Canvas" in out and "feedback files of hw9_late attached in Canvas: 3" in out
    assert set(_got(canvas)) == {"101", "102"}


def test_a_mark_kept_in_canvas_gets_no_feedback_files_showing_dgmlabs_mark(course, canvas, capsys):
    canvas.subs["101"]["score"] = 19.0  # set in Canvas: kept without --force
    assert cli.main(["--course", str(course.root), "push", HW, "--feedback"]) == 1
    assert "101" not in _got(canvas) and set(_got(canvas)) == {"102"}
    assert "ada: no feedback files: Canvas's own mark was kept" in capsys.readouterr().out


def test_each_student_gets_only_their_own_feedback_files_in_moodle(tmp_path_factory, httpserver, monkeypatch):
    site = FakeMoodle(httpserver, {uid: None for uid in LMS.values()})
    monkeypatch.setenv(moodle.TOKEN_ENV, TOKEN)
    course = _make(tmp_path_factory.mktemp("course"), CONFIG + site.config(HW) + IN_MOODLE)
    _feedback(course)
    marks, files = moodle.push(course, HW, feedback=True)
    assert site.feedback_files == {"101": [("grade_summary.html", b"<p>ada's summary</p>"),
                                           (f"{HW}.html", b"<p>feedback of ada</p>")],
                                   "102": [(f"{HW}.html", b"<p>feedback of bob</p>")]}
    assert len(marks.sent) == 4 and len(files.attached) == 3
    site.saved.clear()
    marks, files = moodle.push(course, HW, feedback=True)  # nothing new: nothing saved
    assert site.saved == [] and files.attached == [] and sorted(files.unchanged) == ["ada", "bob"]


def test_moodle_feedback_keeps_a_mark_changed_in_moodle(tmp_path_factory, httpserver, monkeypatch):
    site = FakeMoodle(httpserver, {uid: None for uid in LMS.values()})
    monkeypatch.setenv(moodle.TOKEN_ENV, TOKEN)
    course = _make(tmp_path_factory.mktemp("course"), CONFIG + site.config(HW) + IN_MOODLE)
    site.grades["101"] = 19.0  # set in Moodle: kept, and no save for her at all (no summary saying 14.00)
    _feedback(course)
    marks, files = moodle.push(course, HW, feedback=True)
    assert [s for s, _ in marks.conflicts] == ["ada"] and site.grades["101"] == 19.0
    assert "101" not in site.feedback_files and "101" not in site.comments
    assert [u for u, _ in site.saved].count("101") == 0 and ("bob", f"{HW}.html") in files.attached
    assert any(s == "ada" and "Moodle's own mark was kept" in why for s, why in files.skipped)


def test_moodle_gets_all_of_a_students_feedback_files_again_when_one_changes(tmp_path_factory, httpserver,
                                                                            monkeypatch):
    site = FakeMoodle(httpserver, {uid: None for uid in LMS.values()})
    monkeypatch.setenv(moodle.TOKEN_ENV, TOKEN)
    course = _make(tmp_path_factory.mktemp("course"), CONFIG + site.config(HW) + IN_MOODLE)
    _feedback(course)
    moodle.push(course, HW, feedback=True)
    (course.folder("feedback", HW, "ada") / f"{HW}.html").write_text("<p>ada, regraded</p>", encoding="utf-8")
    _, files = moodle.push(course, HW, feedback=True)  # the draft area replaces the feedback area: both files go
    assert site.feedback_files["101"] == [("grade_summary.html", b"<p>ada's summary</p>"),
                                          (f"{HW}.html", b"<p>ada, regraded</p>")]
    assert site.feedback_files["102"] == [(f"{HW}.html", b"<p>feedback of bob</p>")] and files.unchanged == ["bob"]


def _left_out(course, sid):
    from dgmlab.grading.preprocessors.feedback_page import LEFT_OUT

    (course.folder("feedback", HW, sid) / f"{HW}.html").write_text(
        f'<p><strong>{LEFT_OUT}</strong> cell 3: the image "attachment:none" (the notebook holds no such '
        "attachment). The rest of the page is whole.</p>", encoding="utf-8")
    return (sid, f'{HW}.html was made without part of it: cell 3: the image "attachment:none" (the notebook holds '
                 "no such attachment)")


def test_a_page_made_without_part_of_it_is_attached_and_listed_in_canvas(course, canvas):
    listed = _left_out(course, "bob")
    out = FR.to_canvas(course, HW)
    assert ("bob", f"{HW}.html") in out.attached and listed in out.skipped


def test_a_notebooks_missing_page_is_listed_though_the_summary_goes(course, canvas, capsys):
    (course.folder("feedback", HW, "ada") / f"{HW}.html").unlink()  # autograde could not make it
    assert cli.main(["--course", str(course.root), "push", HW, "--feedback"]) == 1
    assert f"ada: no feedback page {HW}.html (its notebook was not handed in" in capsys.readouterr().out
    assert set(_got(canvas)["101"]) == {"grade_summary.html"}


def test_a_page_made_without_part_of_it_is_attached_and_listed_in_moodle(tmp_path_factory, httpserver, monkeypatch):
    site = FakeMoodle(httpserver, {uid: None for uid in LMS.values()})
    monkeypatch.setenv(moodle.TOKEN_ENV, TOKEN)
    course = _make(tmp_path_factory.mktemp("course"), CONFIG + site.config(HW) + IN_MOODLE)
    _feedback(course)
    listed = _left_out(course, "bob")
    _, files = moodle.push(course, HW, feedback=True)
    assert ("bob", f"{HW}.html") in files.attached and listed in files.skipped


def test_canvass_redirect_after_the_upload_is_followed_with_the_api_token(course, canvas):
    canvas.step2 = 301  # Canvas's file store answers with a redirect back to Canvas (its documented step 3)
    out = FR.to_canvas(course, HW)
    assert sorted(canvas.confirmed) == sorted(canvas.files) and len(out.attached) == 3
    assert all(f["authorization"] is None for f in canvas.files.values())  # still none to the file store
    assert _got(canvas)["101"][f"{HW}.html"] == b"<p>feedback of ada</p>"


def test_a_redirect_to_another_host_than_the_courses_canvas_never_gets_the_api_token(course, canvas):
    canvas.step2 = 302
    canvas.redirect_to = "http://files.elsewhere.invalid/api/v1/files/1/create_success"
    out = FR.to_canvas(course, HW)
    assert out.attached == [] and canvas.confirmed == [] and _got(canvas) == {}
    assert "files.elsewhere.invalid, not the course's Canvas" in dict(out.skipped)["ada"]


def _hand_grading(course, sid, score):
    """``sid``'s written answer reopened (``score`` None: pending) or graded ``score``."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gb:
        g = gb.find_grade("q_written", HW, HW, sid)
        g.manual_score, g.needs_manual_grade = score, score is None
        gb.db.commit()


def test_a_pending_student_gets_no_feedback_files_in_canvas_until_the_mark_is_final(course, canvas, capsys):
    _hand_grading(course, "bob", None)
    assert cli.main(["--course", str(course.root), "push", HW, "--feedback"]) == 1
    out = capsys.readouterr().out
    assert "102" not in _got(canvas) and all(user != "102" for user, _, _ in canvas.slots.values())  # no upload
    assert all(user != "102" for user, _, _ in canvas.puts)  # no mark, no "pending" summary
    assert "feedback held back, mark pending (1" in out and "bob: pending: 1 answer still to grade by hand" in out
    _hand_grading(course, "bob", 6.0)  # graded: the next push sends his mark and his feedback
    cli.main(["--course", str(course.root), "push", HW, "--feedback"])
    assert _got(canvas)["102"] == {f"{HW}.html": b"<p>feedback of bob</p>"}
    n = len(canvas.files)
    cli.main(["--course", str(course.root), "push", HW, "--feedback"])
    assert len(canvas.files) == n  # once


def test_a_pending_student_gets_no_save_and_no_feedback_files_in_moodle_until_the_mark_is_final(
        tmp_path_factory, httpserver, monkeypatch):
    site = FakeMoodle(httpserver, {uid: None for uid in LMS.values()})
    monkeypatch.setenv(moodle.TOKEN_ENV, TOKEN)
    course = _make(tmp_path_factory.mktemp("course"), CONFIG + site.config(HW) + IN_MOODLE)
    _feedback(course)
    _hand_grading(course, "bob", None)
    marks, files = moodle.push(course, HW, feedback=True)
    assert "102" not in site.feedback_files and [u for u, _ in site.saved].count("102") == 0
    assert [s for s, _ in files.pending] == ["bob"] and [s for s, _ in marks.skipped] == ["bob"]
    _hand_grading(course, "bob", 6.0)
    marks, files = moodle.push(course, HW, feedback=True)
    assert site.feedback_files["102"] == [(f"{HW}.html", b"<p>feedback of bob</p>")] and files.pending == []
    site.saved.clear()
    moodle.push(course, HW, feedback=True)
    assert site.saved == []  # once
