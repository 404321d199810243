"""dgmlab collect: a Canvas or Moodle download zip into submitted/<student>/<hw>/ (grading/lms/intake.py), with
submission times from a CSV or from Canvas's API (a local server answering as Canvas does)."""
import datetime as dt
import zipfile

import pytest

from canvas_fake import FakeCanvas
from dgmlab.grading.course import Course, CourseError
from dgmlab.grading.lms import intake as I
from dgmlab.grading.lms import lms

HW = "hw5_explicit"
ROSTER = I.index_of([("ada", "Ada", "Lovelace", "101"), ("bob", "Bob", "Babbage", "102"), ("alan", "Alan", "Turing", "")])
UTC = dt.timezone.utc


def _course(tmp_path, extra="") -> Course:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n" + extra, encoding="utf-8")
    (tmp_path / "source" / HW).mkdir(parents=True)
    (tmp_path / "source" / HW / f"{HW}.ipynb").write_text("{}", encoding="utf-8")
    return Course(tmp_path)


def _zip(tmp_path, files: dict):
    path = tmp_path / "submissions.zip"
    with zipfile.ZipFile(path, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return path


CANVAS_ZIP = {
    "lovelaceada_101_5001_Lovelace_Ada_Assgn2.ipynb": b"ada's notebook",
    "lovelaceada_101_5001_p1_pixelcnn_weights.pt": b"ada's weights",
    "lovelaceada_101_5001_p1_pixelcnn_weights-1.pt": b"ada's weights, uploaded again",
    "babbagebob_LATE_102_5002_hw5_explicit.ipynb": b"bob's first",
    "babbagebob_LATE_102_5002_hw5_explicit-2.ipynb": b"bob's latest",
    "babbagebob_LATE_102_5002_hw5_explicit-1.ipynb": b"bob's second",
    "babbagebob_LATE_102_5002_notes.txt": b"notes",
    "hoppergrace_103_5003_hw5.ipynb": b"not in the roster",
    "stray.ipynb": b"no LMS name",
}


def test_canvas_names_are_read_late_flag_and_reupload_number_included():
    e = I.parse_entry("babbagebob_LATE_102_5002_hw5_explicit-2.ipynb", "canvas")
    assert (e.lms, e.name, e.user, e.submission, e.late_flag, e.base) == \
        ("canvas", "babbagebob", "102", 5002, True, ("hw5_explicit.ipynb", 2))


def test_moodle_folders_and_flat_names_are_read():
    e = I.parse_entry("Alan Turing_88_assignsubmission_file_/Turing_Alan_Assgn2.ipynb", "moodle")
    assert (e.lms, e.name, e.user, e.original) == ("moodle", "Alan Turing", "88", "Turing_Alan_Assgn2.ipynb")
    assert I.parse_entry("Alan Turing_88_assignsubmission_file_weights (2).pt", "moodle").base == ("weights.pt", 2)


def test_a_canvas_zip_is_placed_under_the_homeworks_names(tmp_path):
    course = _course(tmp_path)
    got = I.collect(course, HW, _zip(tmp_path, CANVAS_ZIP), roster=ROSTER)
    ada, bob = course.folder("submitted", HW, "ada"), course.folder("submitted", HW, "bob")
    assert (ada / f"{HW}.ipynb").read_bytes() == b"ada's notebook"  # the Toronto name, renamed
    assert (ada / "p1_pixelcnn_weights.pt").read_bytes() == b"ada's weights, uploaded again"  # graded name, latest
    assert (bob / f"{HW}.ipynb").read_bytes() == b"bob's latest"
    assert sorted(p.name for p in bob.iterdir()) == [f"{HW}.ipynb"]
    assert got.late_flagged == ["bob"] and got.no_time == ["ada", "bob"]


def test_every_file_not_placed_is_listed_with_why(tmp_path):
    got = I.collect(_course(tmp_path), HW, _zip(tmp_path, CANVAS_ZIP), roster=ROSTER)
    why = dict(got.unplaced)
    assert set(why) == {"babbagebob_LATE_102_5002_notes.txt", "hoppergrace_103_5003_hw5.ipynb", "stray.ipynb"}
    assert "not a file hw5_explicit grades" in why["babbagebob_LATE_102_5002_notes.txt"]
    assert "a row student,canvas with <their id>,103" in why["hoppergrace_103_5003_hw5.ipynb"]
    assert "not named as Canvas names a submission" in why["stray.ipynb"]
    placed = {e for _, _, e in got.placed}
    assert placed | set(why) | {e for e, _ in got.superseded} == set(CANVAS_ZIP)  # nothing dropped silently


def test_a_handed_in_pdf_is_placed_beside_the_notebook_under_a_safe_name(tmp_path):
    course = _course(tmp_path)
    got = I.collect(course, HW, _zip(tmp_path, {
        "lovelaceada_101_5001_hw5_explicit.ipynb": b"nb",
        "lovelaceada_101_5001_My derivation (scan).PDF": b"%PDF first",
        "lovelaceada_101_5001_My derivation (scan)-1.PDF": b"%PDF again",
        "lovelaceada_101_5001_..pdf": b"%PDF hidden name"}), roster=ROSTER)
    ada = course.folder("submitted", HW, "ada")
    assert sorted(p.name for p in ada.iterdir()) == ["My_derivation__scan_.pdf", "answers.pdf", f"{HW}.ipynb"]
    assert (ada / "My_derivation__scan_.pdf").read_bytes() == b"%PDF again"  # the latest upload
    assert [e for e, _ in got.superseded] == ["lovelaceada_101_5001_My derivation (scan).PDF"]
    assert not got.unplaced


def test_earlier_uploads_are_listed_as_replaced_by_the_latest(tmp_path):
    got = I.collect(_course(tmp_path), HW, _zip(tmp_path, CANVAS_ZIP), roster=ROSTER)
    assert dict(got.superseded) == {
        "lovelaceada_101_5001_p1_pixelcnn_weights.pt": "ada: lovelaceada_101_5001_p1_pixelcnn_weights-1.pt is later",
        "babbagebob_LATE_102_5002_hw5_explicit.ipynb": "bob: babbagebob_LATE_102_5002_hw5_explicit-2.ipynb is later",
        "babbagebob_LATE_102_5002_hw5_explicit-1.ipynb": "bob: babbagebob_LATE_102_5002_hw5_explicit-2.ipynb is later"}


ALAN = {"Alan Turing_88_assignsubmission_file_/Turing_Alan_Assgn2.ipynb": b"nb"}


def test_a_name_alone_places_nothing(tmp_path):
    course = _course(tmp_path)
    got = I.collect(course, HW, _zip(tmp_path, ALAN), roster=ROSTER)
    assert got.placed == [] and not course.folder("submitted", HW, "alan").exists()
    assert "alan has the name 'Alan Turing' and no Moodle id: a name does not tell who handed it in" in \
        got.unplaced[0][1] and "--match-names" in got.unplaced[0][1]


def test_a_name_match_the_instructor_confirms_is_placed_and_its_id_recorded(tmp_path):
    from dgmlab.grading.lms import id_map as IM

    course, asked = _course(tmp_path), []
    got = I.collect(course, HW, _zip(tmp_path, ALAN), roster=ROSTER, confirm=lambda *a: asked.append(a) or True)
    assert asked == [("alan", "'Alan Turing' (Moodle participant 88)")]
    assert (course.folder("submitted", HW, "alan") / f"{HW}.ipynb").read_bytes() == b"nb"
    assert got.by_name == [("alan", "'Alan Turing', Moodle participant 88")]
    assert IM.participant_ids(course, HW) == {"alan": "88"}


def test_a_name_match_the_instructor_declines_is_not_placed(tmp_path):
    course = _course(tmp_path)
    got = I.collect(course, HW, _zip(tmp_path, ALAN), roster=ROSTER, confirm=lambda *a: False)
    assert got.placed == [] and len(got.unplaced) == 1 and not (tmp_path / "lms_ids.csv").exists()


def test_a_second_notebook_is_listed_and_the_homeworks_own_name_wins(tmp_path):
    course = _course(tmp_path)
    got = I.collect(course, HW, _zip(tmp_path, {"lovelaceada_101_5001_scratch.ipynb": b"scratch",
                                                "lovelaceada_101_5001_hw5_explicit.ipynb": b"homework"}), roster=ROSTER)
    assert (course.folder("submitted", HW, "ada") / f"{HW}.ipynb").read_bytes() == b"homework"
    assert "another notebook" in dict(got.unplaced)["lovelaceada_101_5001_scratch.ipynb"]


def test_times_from_a_csv_reach_nbgraders_timestamp_file(tmp_path):
    course = _course(tmp_path)
    csv_path = tmp_path / "times.csv"
    csv_path.write_text("student,submitted_at\nada,2025-04-01 23:30\n102,2025-04-03T01:00:00+00:00\n")
    times = I.read_times(csv_path, I_zone := dt.timezone(dt.timedelta(hours=-4)))
    got = I.collect(course, HW, _zip(tmp_path, CANVAS_ZIP), times=times, roster=ROSTER)
    assert got.no_time == []
    from nbgrader.utils import parse_utc

    stamp = (course.folder("submitted", HW, "ada") / "timestamp.txt").read_text()
    assert parse_utc(stamp) == dt.datetime(2025, 4, 2, 3, 30, 59)  # 23:30 (-04:00), the whole minute
    assert parse_utc((course.folder("submitted", HW, "bob") / "timestamp.txt").read_text()) == \
        dt.datetime(2025, 4, 3, 1, 0)
    assert I_zone


def test_a_csv_without_the_columns_says_which(tmp_path):
    (tmp_path / "t.csv").write_text("name,time\nada,2025-01-01\n")
    with pytest.raises(CourseError, match="expected the columns student,submitted_at"):
        I.read_times(tmp_path / "t.csv", UTC)


def test_times_come_from_canvas_api(tmp_path, httpserver):
    canvas = FakeCanvas(httpserver, {"101": {"submitted_at": "2025-04-02T03:10:00Z"},
                                     "102": {"submitted_at": None}})
    course = _course(tmp_path, canvas.config(HW))
    times = lms.submission_times(course, HW, token="test-token")
    assert times == {"101": dt.datetime(2025, 4, 2, 3, 10, tzinfo=UTC)}
    got = I.collect(course, HW, _zip(tmp_path, CANVAS_ZIP), times=times, roster=ROSTER)
    assert got.no_time == ["bob"]
    assert (course.folder("submitted", HW, "ada") / "timestamp.txt").read_text() == "2025-04-02T03:10:00+00:00"


def test_canvas_without_settings_or_token_says_what_to_set(tmp_path, monkeypatch):
    monkeypatch.delenv(lms.TOKEN_ENV, raising=False)
    with pytest.raises(CourseError, match=r"c.DgmlabCanvas.url, c.DgmlabCanvas.course_id, c.DgmlabCanvas"):
        lms.assignment(_course(tmp_path), HW)
    course = _course(tmp_path / "b", 'c.DgmlabCanvas.url = "http://127.0.0.1:9"\nc.DgmlabCanvas.course_id = 7\n'
                                     f'c.DgmlabCanvas.assignments = {{"{HW}": 42}}\n')
    with pytest.raises(CourseError, match="CANVAS_API_TOKEN"):
        lms.assignment(course, HW)


def test_graded_file_names_are_the_probes():
    from homeworks.hw1_wgan import checks as hw1_wgan
    from homeworks.hw2_wgangp import checks as hw2_wgangp
    from homeworks.hw4_gans import checks as hw4_gans
    from homeworks.hw5_explicit import checks as hw5_explicit

    assert I.GRADED_FILES["hw1"] == [hw1_wgan.WEIGHTS_FILE]
    assert I.GRADED_FILES["hw2"] == [hw2_wgangp.WEIGHTS]
    assert I.GRADED_FILES["hw4"] == [hw4_gans.BASELINE_FILE, hw4_gans.CGAN_FILE, hw4_gans.RESULTS_FILE]
    assert I.GRADED_FILES["hw5"] == [hw5_explicit.P1_WEIGHTS_FILE, hw5_explicit.P2_WEIGHTS_FILE]


@pytest.mark.slow  # nbgrader makes the gradebook (its roster) with alembic
def test_dgmlab_collect_finds_students_in_nbgraders_roster_and_lists_what_it_left(tmp_path, capsys):
    from dgmlab import cli
    from grading.term.test_late_everywhere import HW as LATE_HW
    from grading.term.test_late_everywhere import _make

    course = _make(tmp_path)
    (tmp_path / "source" / LATE_HW).mkdir(parents=True)
    (tmp_path / "source" / LATE_HW / f"{LATE_HW}.ipynb").write_text("{}", encoding="utf-8")
    (tmp_path / "times.csv").write_text("student,submitted_at\n102,2025-02-12 16:00\n", encoding="utf-8")
    zip_path = _zip(tmp_path, {"doebob_LATE_102_9_Doe_Bob_Assgn2.ipynb": b"bob", "\x1b[2Jodd.txt": b"?"})
    assert cli.main(["--course", str(tmp_path), "collect", LATE_HW, str(zip_path), "--times",
                     str(tmp_path / "times.csv")]) == 1
    out = capsys.readouterr().out
    assert f"bob/{LATE_HW}/{LATE_HW}.ipynb <- doebob_LATE_102_9_Doe_Bob_Assgn2.ipynb" in out
    assert "NOT PLACED (1)" in out and "  odd.txt: not named as Canvas names" in out and "\x1b" not in out
    assert (course.folder("submitted", LATE_HW, "bob") / "timestamp.txt").read_text() == "2025-02-12T21:00:59+00:00"


def test_a_dropped_students_files_are_placed_kept_and_noted(tmp_path):
    course = _course(tmp_path, 'c.DgmlabTerm.dropped = ["bob"]\n')
    got = I.collect(course, HW, _zip(tmp_path, CANVAS_ZIP), roster=ROSTER)
    assert (course.folder("submitted", HW, "bob") / f"{HW}.ipynb").read_bytes() == b"bob's latest"
    assert got.dropped == ["bob"]
    assert "dropped the course (c.DgmlabTerm.dropped), files kept but not graded (1): bob" in got.lines()
