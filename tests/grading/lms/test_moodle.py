"""dgmlab push --moodle (grading/lms/moodle.py): final marks and grade summaries through Moodle's web services,
against a Moodle on 127.0.0.1 (tests/fixtures/moodle_fake.py); a mark changed in Moodle since the last push is kept
unless forced; the token never reaches the output or the course folder."""
import pytest

from dgmlab import cli
from dgmlab.grading.course import CourseError
from dgmlab.grading.lms import moodle
from grading.term.test_late_everywhere import CONFIG, EXPECTED, HW, LMS, _make
from moodle_fake import TOKEN, FakeMoodle

pytestmark = pytest.mark.slow  # nbgrader makes a gradebook with alembic


@pytest.fixture()
def site(httpserver):
    return FakeMoodle(httpserver, {uid: None for uid in LMS.values()})


@pytest.fixture()
def course(tmp_path, site, monkeypatch):
    monkeypatch.setenv(moodle.TOKEN_ENV, TOKEN)
    return _make(tmp_path, CONFIG + site.config(HW) + '\nc.DgmlabLms.platform = "moodle"\n')


def _marks(site):
    by_uid = {v: k for k, v in LMS.items()}
    return {by_uid[u]: g for u, g in site.grades.items()}


def test_push_saves_each_final_mark_and_its_summary_as_the_feedback_comment(course, site):
    out, files = moodle.push(course, HW)
    assert _marks(site) == {s: float(m) for s, m in EXPECTED.items()} and len(out.sent) == 4 and files is None
    assert site.comments[LMS["bob"]].startswith(f"{HW}: 12.60 / 20.00")
    assert site.calls[:2] == ["core_course_get_course_module", "mod_assign_get_grades"]


def test_a_second_push_of_the_same_marks_saves_nothing(course, site):
    moodle.push(course, HW)
    site.saved.clear()
    out, _ = moodle.push(course, HW)
    assert site.saved == [] and sorted(out.unchanged) == sorted(LMS)


def test_a_mark_changed_in_moodle_since_the_last_push_is_kept_unless_forced(course, site):
    moodle.push(course, HW)
    site.grades[LMS["bob"]] = 15.0  # a TA's regrade in Moodle's grader
    out, _ = moodle.push(course, HW)
    assert [s for s, _ in out.conflicts] == ["bob"]
    assert "Moodle has 15.0, the last push sent 12.60" in out.conflicts[0][1]
    assert _marks(site)["bob"] == 15.0
    moodle.push(course, HW, force=True)
    assert _marks(site)["bob"] == 12.6


def test_a_mark_set_in_moodle_before_any_push_is_not_overwritten(course, site):
    site.grades[LMS["ada"]] = 19.0
    out, _ = moodle.push(course, HW)
    assert out.conflicts == [("ada", "Moodle has 19.0, set there, not by dgmlab push; dgmlab's mark is 14.00")]
    assert _marks(site)["ada"] == 19.0


def test_a_refused_token_is_moodles_error_with_what_to_do_and_never_the_token(course, site, monkeypatch):
    monkeypatch.setenv(moodle.TOKEN_ENV, "wrong-token-123")
    refused = r"Moodle refused core_course_get_course_module: invalidtoken: .*Manage tokens"
    with pytest.raises(CourseError, match=refused) as e:
        moodle.push(course, HW)
    assert "wrong-token-123" not in str(e.value)


@pytest.mark.parametrize("cmid, error", [(99, r"Moodle refused core_course_get_course_module: invalidrecord"),
                                         (78, r"is a Moodle forum, not an assignment")])
def test_an_address_number_of_no_assignment_is_a_clear_error(course, site, cmid, error):
    with (course.root / "nbgrader_config.py").open("a") as f:
        f.write(f'\nc.DgmlabMoodle.assignments = {{"{HW}": {cmid}}}\n')
    with pytest.raises(CourseError, match=error):
        moodle.push(course, HW)
    assert site.saved == []


def test_the_token_never_appears_in_the_output_or_the_course_folder(course, site, capsys):
    site.grades[LMS["ada"]] = 19.0
    assert cli.main(["--course", str(course.root), "push", HW]) == 1  # c.DgmlabLms.platform = "moodle"
    printed = capsys.readouterr()
    assert "pushed 3 marks of hw9_late to Moodle" in printed.out
    assert TOKEN not in printed.out + printed.err
    for p in course.root.rglob("*"):
        if p.is_file():
            assert TOKEN.encode() not in p.read_bytes(), p


def test_a_token_file_inside_the_course_is_refused(course, site, monkeypatch):
    monkeypatch.delenv(moodle.TOKEN_ENV)
    (course.root / "token.txt").write_text(TOKEN)
    with (course.root / "nbgrader_config.py").open("a") as f:
        f.write('\nc.DgmlabMoodle.token_file = "token.txt"\n')
    with pytest.raises(CourseError, match="inside the course folder"):
        moodle.push(course, HW)


def test_a_token_file_outside_the_course_is_read_when_only_its_owner_can(course, site, monkeypatch, tmp_path_factory):
    monkeypatch.delenv(moodle.TOKEN_ENV)
    secret = tmp_path_factory.mktemp("secrets") / "moodle_token"
    secret.write_text(TOKEN + "\n")
    secret.chmod(0o644)
    with (course.root / "nbgrader_config.py").open("a") as f:
        f.write(f'\nc.DgmlabMoodle.token_file = "{secret}"\n')
    with pytest.raises(CourseError, match="chmod 600"):
        moodle.push(course, HW)
    secret.chmod(0o600)
    assert len(moodle.push(course, HW)[0].sent) == 4


@pytest.mark.parametrize("maximum, said", [(63.0, "out of 63 points"), (-4.0, "on a scale, not in points"),
                                           (0.0, "no points maximum")])
def test_an_assignment_whose_maximum_is_not_the_homeworks_points_gets_no_mark(course, site, capsys, maximum, said):
    site.maximum = maximum
    assert cli.main(["--course", str(course.root), "push", HW]) == 2
    err = capsys.readouterr().err
    assert f"Moodle grades {HW} {said}, the homework is out of 20: no mark was sent" in err
    assert "Maximum grade to 20 in Moodle" in err and site.saved == []


def test_the_maximum_comes_from_mod_assign_get_assignments_where_the_course_module_lacks_it(course, site):
    site.maximum_in_cm, site.maximum = False, 63.0  # a token user who may grade but not manage activities
    with pytest.raises(CourseError, match="out of 63 points"):
        moodle.push(course, HW)
    assert "mod_assign_get_assignments" in site.calls and site.saved == []
    site.maximum = 20.0
    assert len(moodle.push(course, HW)[0].sent) == 4


def test_every_save_carries_the_comment_and_each_student_is_saved_once(course, site, tmp_path):
    moodle.push(course, HW)  # the marks first, then the feedback files (the guide's order)
    for sid in ("ada", "bob"):
        folder = course.folder("feedback", HW, sid)
        folder.mkdir(parents=True)
        (folder / f"{HW}.html").write_text(f"<p>{sid}</p>", encoding="utf-8")
    moodle.push(course, HW, feedback=True)
    users = [p["userid"] for p in site.save_params]
    assert sorted(users) == sorted(list(LMS.values()) + [LMS["ada"], LMS["bob"]])  # 4 marks, then 2 file saves
    for p in site.save_params:
        assert p["plugindata[assignfeedbackcomments_editor][text]"].startswith(f"{HW}: ")
    assert site.comments[LMS["bob"]].startswith(f"{HW}: 12.60 / 20.00") and site.grades[LMS["bob"]] == 12.6


def test_submission_times_are_each_handed_in_submissions_latest_time_and_drafts_have_none(course, site):
    uid = sorted(LMS.values())
    site.submissions = [{"userid": int(uid[0]), "status": "submitted", "timemodified": 1733111999},
                        {"userid": int(uid[0]), "status": "submitted", "timemodified": 1733000000},
                        {"userid": int(uid[1]), "status": "draft", "timemodified": 1733000000},
                        {"userid": int(uid[2]), "status": "new", "timemodified": 0}]
    got = moodle.submission_times(course, HW)
    assert {k: v.isoformat() for k, v in got.items()} == {uid[0]: "2024-12-02T03:59:59+00:00"}
    assert "mod_assign_get_submissions" in site.calls


def test_collect_moodle_flag_reads_the_times_from_moodle(course, site, monkeypatch):
    seen = {}
    monkeypatch.setattr(moodle, "submission_times", lambda c, hw, session=None: {"2231": "t"})
    from dgmlab.grading.lms import intake

    monkeypatch.setattr(intake, "collect", lambda course, hw, zip_path, times=None, **kw: seen.update(times=times)
                        or type("Got", (), {"lines": lambda self: [], "unplaced": []})())
    assert cli.main(["--course", str(course.root), "collect", HW, "x.zip", "--moodle", "--lms", "moodle"]) == 0
    assert seen["times"] == {"2231": "t"}


def test_overrides_moodle_saves_each_extension_as_that_students_due_date_and_lists_an_unknown_user(course, site):
    from dgmlab.grading.term import canvas_dates as CD

    site.extensions = {LMS["bob"]: 1733111940, "999": 1733111940}  # 2024-12-02 03:59:00 UTC, set to the minute
    (course.root / "source" / HW).mkdir(parents=True, exist_ok=True)  # a homework of the course, as released
    (course.root / "source" / HW / f"{HW}.ipynb").write_text("{}", encoding="utf-8")
    assert cli.main(["--course", str(course.root), "overrides", HW, "--moodle"]) == 0
    assert {s: t.isoformat() for s, t in CD.read(course)[HW].items()} == {"bob": "2024-12-02T03:59:59+00:00"}
    assert "mod_assign_get_user_flags" in site.calls
    from dgmlab.grading.lms import overrides as O

    got = O.fetch_moodle(course, HW)
    assert got.lines()[0].startswith(f"{HW}: 1 per-student due date(s) from Moodle saved in")
    assert [w for w, _ in got.not_applied] == ["extension of Moodle user 999"]
