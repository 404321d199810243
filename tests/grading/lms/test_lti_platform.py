"""dgmlab push --lti against an LTI 1.3 platform built on the ``lti1p3platform`` library (tests/fixtures/
lti1p3_platform.py), not on the kit's own fake: its token endpoint, bearer-token checks and paging are the library's,
its gradebook follows AGS 2.0 (a score without scoreGiven clears the mark), and in Moodle's mode a score that is not
FullyGraded clears it too."""
import pytest

from dgmlab import cli
from dgmlab.grading.course import CourseError
from dgmlab.grading.lms import lti
from grading.term.test_late_everywhere import CONFIG, EXPECTED, HW, LMS, _make
from lti1p3_platform import LEARNER, LibraryPlatform

pytestmark = pytest.mark.slow  # nbgrader makes a gradebook with alembic
# an LTI course: nbgrader's lms_user_id holds the LTI user ids (dgmlab.grading.lms.id_map.legacy_platform)
IN_LTI = '\nc.DgmlabLms.platform = "lti"\n'

BEFORE = [{"label": "Quiz 1", "scoreMaximum": 5, "tag": "quiz1", "resourceId": "quiz1"},
          {"label": "Midterm", "scoreMaximum": 50, "resourceId": "midterm"},
          {"label": HW, "scoreMaximum": 20, "resourceId": HW}]  # the homework's column is on the second page


def _course(tmp_path, platform):
    from nbgrader.api import Gradebook

    root = tmp_path / "course"
    root.mkdir()
    course = _make(root, CONFIG + platform.config(tmp_path / "keys" / "lti.pem") + IN_LTI)
    platform.trust(lti.keys(course)[1])  # the admin pasted the tool's public JWK
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for sid in LMS:
            gb.update_or_create_student(sid, lms_user_id=f"lti-{sid}")
    return course


def _marks(platform):
    return {uid.removeprefix("lti-"): score for uid, score in platform.marks(platform.item(HW)).items()}


@pytest.fixture()
def platform(httpserver):
    return LibraryPlatform(httpserver, lineitems=BEFORE)


@pytest.fixture()
def course(tmp_path, platform):
    return _course(tmp_path, platform)


def test_each_final_mark_reaches_the_column_the_librarys_resource_id_filter_finds(course, platform):
    out = lti.push(course, HW)
    assert _marks(platform) == {s: float(m) for s, m in EXPECTED.items()} and len(out.sent) == 4
    assert len(platform.lineitems) == 3  # none made
    # the homework's column is on the second page unfiltered: AGS's resource_id filter lists it alone, once
    assert [p for p in platform.pages_served if p[0] == "/ags/lineitems"] == [("/ags/lineitems", "1")]
    assert {s["gradingProgress"] for s in platform.scores} == {"FullyGraded"}


def test_a_column_the_platform_holds_with_other_points_gets_no_score(tmp_path, httpserver, capsys):
    platform = LibraryPlatform(httpserver, lineitems=BEFORE[:2] + [{**BEFORE[2], "scoreMaximum": 90}])
    course = _course(tmp_path, platform)
    assert cli.main(["--course", str(course.root), "push", HW, "--lti"]) == 2
    assert f"grades {HW} out of 90 points, the homework is out of 20: no mark was sent" in capsys.readouterr().err
    assert platform.scores == [] and platform.marks(platform.item(HW)) == {}


def test_a_column_the_platform_lacks_is_made_once_with_the_homeworks_points(tmp_path, httpserver):
    platform = LibraryPlatform(httpserver, lineitems=BEFORE[:2])
    course = _course(tmp_path, platform)
    lti.push(course, HW)
    made = [li for li in platform.lineitems if li.get("resourceId") == HW]
    assert len(made) == 1 and made[0]["scoreMaximum"] == 20.0 and _marks(platform)["bob"] == 12.6
    assert lti.push(course, HW).sent == []  # found again, nothing new to send
    assert len(platform.lineitems) == 3


def test_a_key_the_platform_does_not_hold_is_a_refused_key(tmp_path, httpserver):
    platform = LibraryPlatform(httpserver, lineitems=BEFORE)
    course = _course(tmp_path, platform)
    platform.registration.get_tool_key_set()["keys"].clear()
    with pytest.raises(CourseError, match=r"refused the tool's key .*HTTP 401 invalid_client"):
        lti.push(course, HW)
    assert platform.scores == []


def test_a_platform_failing_at_its_token_endpoint_is_not_called_a_wrong_key(course, platform):
    platform.registration.set_platform_private_key(None)  # the library cannot sign a token: HTTP 500
    with pytest.raises(CourseError, match=r"token endpoint .* failed \(HTTP 500.*not the tool's key"):
        lti.push(course, HW)


@pytest.mark.parametrize("moodle", [False, True], ids=["ags", "moodle-like"])
def test_a_student_back_in_hand_grading_keeps_the_mark_the_platform_holds(tmp_path, httpserver, moodle, capsys):
    from nbgrader.api import Gradebook

    platform = LibraryPlatform(httpserver, lineitems=BEFORE, moodle=moodle)
    course = _course(tmp_path, platform)
    lti.push(course, HW)
    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gb:
        g = gb.find_grade("q_written", HW, HW, "bob")
        g.manual_score, g.needs_manual_grade = None, True
        gb.db.commit()
    assert cli.main(["--course", str(course.root), "push", HW, "--lti"]) == 1
    assert "bob: pending: 1 answer still to grade by hand" in capsys.readouterr().out
    assert _marks(platform)["bob"] == 12.6 and len(platform.scores) == 4  # nothing more was posted


def test_a_mark_a_ta_changed_in_the_platform_is_kept_unless_forced(course, platform):
    lti.push(course, HW)
    platform.results[platform.item(HW)]["lti-ada"]["resultScore"] = 19.0
    out = lti.push(course, HW)
    assert [s for s, _ in out.conflicts] == ["ada"] and _marks(platform)["ada"] == 19.0
    lti.push(course, HW, force=True)
    assert _marks(platform)["ada"] == 14.0


def test_a_column_deleted_in_the_platform_stops_the_next_push(course, platform):
    lti.push(course, HW)
    platform.lineitems.remove(next(li for li in platform.lineitems if li.get("resourceId") == HW))
    with pytest.raises(CourseError, match="deleted in the LMS"):
        lti.push(course, HW)
    assert platform.item(HW) is None


def test_the_roster_call_reads_the_librarys_membership_container(course, platform):
    platform.members = [{"user_id": "lti-ada", "roles": [LEARNER], "lis_person_sourcedid": "ada"},
                        {"user_id": "lti-prof", "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#"
                                                          "Instructor"]}]
    assert [m["user_id"] for m in lti.members(course)] == ["lti-ada"]
