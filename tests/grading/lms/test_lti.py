"""dgmlab push --lti and dgmlab lti keys (grading/lms/lti.py): final marks through LTI 1.3 Assignment and Grade
Services (nothing for a student still to grade by hand), against an LTI platform on 127.0.0.1
(tests/fixtures/lti_fake.py): the tool's key checked by the token endpoint, tokens that expire, line items found
over pages or created (never again once deleted), and a mark changed in the LMS kept unless forced. The roster
(dgmlab lti roster) is tests/grading/lms/test_roster_fill.py's."""
import json
import stat

import pytest

from dgmlab import cli
from dgmlab.grading.course import CourseError
from dgmlab.grading.lms import lti
from grading.term.test_late_everywhere import CONFIG, EXPECTED, HW, LMS, _make
from lti_fake import LEARNER, TEACHER, FakeLtiPlatform

pytestmark = pytest.mark.slow  # nbgrader makes a gradebook with alembic
# an LTI course: nbgrader's lms_user_id holds the LTI user ids (dgmlab.grading.lms.id_map.legacy_platform)
IN_LTI = '\nc.DgmlabLms.platform = "lti"\n'

MEMBERS = [{"user_id": f"lti-{sid}", "lis_person_sourcedid": sid, "name": sid.title(), "roles": [LEARNER],
            "status": "Active", "email": f"{sid}@uni.edu"} for sid in LMS] + [
    {"user_id": "lti-prof", "lis_person_sourcedid": "prof", "roles": [TEACHER], "status": "Active"},
    {"user_id": "lti-zed", "lis_person_sourcedid": "zed", "roles": [LEARNER], "status": "Active"}]


@pytest.fixture()
def platform(httpserver):
    # three line items before the homework's: its own is on the second page
    return FakeLtiPlatform(httpserver, members=MEMBERS, lineitems=[
        {"label": "Quiz 1", "scoreMaximum": 5, "tag": "quiz1"}, {"label": "Quiz 2", "scoreMaximum": 5},
        {"label": "Midterm", "scoreMaximum": 50, "resourceId": "midterm"},
        {"label": HW, "scoreMaximum": 20, "resourceId": HW}])


def _course(tmp_path, platform, extra=""):
    root = tmp_path / "course"
    root.mkdir()
    course = _make(root, CONFIG + platform.config(tmp_path / "keys" / "lti.pem") + IN_LTI + extra)
    _, jwk, _ = lti.keys(course)
    platform.jwks.append(jwk)  # the admin pasted the tool's public JWK
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:  # the LTI user ids
        for sid in LMS:
            gb.update_or_create_student(sid, lms_user_id=f"lti-{sid}")
    return course


@pytest.fixture()
def course(tmp_path, platform):
    return _course(tmp_path, platform)


def _item(platform):
    return next(li["id"] for li in platform.lineitems if li.get("resourceId") == HW)


def _marks(platform, item=None):
    item = item or _item(platform)
    return {r["userId"].removeprefix("lti-"): r["resultScore"] for r in platform.results.get(item, {}).values()}


def test_lti_keys_writes_a_private_key_outside_the_course_readable_by_its_owner_only(course, tmp_path):
    path, jwk, made = lti.keys(course)
    assert path == tmp_path / "keys" / "lti.pem" and not made  # made by the fixture, not made again
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert jwk["kty"] == "RSA" and jwk["alg"] == "RS256" and jwk["use"] == "sig" and jwk["kid"] and "d" not in jwk


def test_dgmlab_lti_keys_prints_the_public_jwk(course, capsys):
    assert cli.main(["--course", str(course.root), "lti", "keys"]) == 0
    out = capsys.readouterr().out
    jwk = json.loads(out[out.index("{"):out.rindex("}") + 1])
    assert jwk["n"] and "d" not in jwk and "PRIVATE" not in out and "-----BEGIN PUBLIC KEY-----" in out


def test_a_key_file_inside_the_course_is_refused(tmp_path, platform):
    root = tmp_path / "course"
    root.mkdir()
    course = _make(root, CONFIG + platform.config(root / "lti.pem"))
    with pytest.raises(CourseError, match="inside the course folder"):
        lti.keys(course)
    assert not (root / "lti.pem").exists()


def test_push_posts_each_final_mark_to_the_homeworks_line_item_found_on_a_later_page(course, platform):
    out = lti.push(course, HW)
    assert _marks(platform) == {s: float(m) for s, m in EXPECTED.items()} and len(out.sent) == 4
    assert platform.created == [] and ("/lineitems", 2) in platform.pages_served
    bob = next(s for s in platform.scores[_item(platform)] if s["userId"] == "lti-bob")
    assert bob["gradingProgress"] == "FullyGraded" and bob["activityProgress"] == "Completed"
    assert bob["scoreMaximum"] == 20.0 and bob["comment"].startswith(f"{HW}: 12.60 / 20.00")


def test_a_missing_line_item_is_created_with_the_homeworks_id_and_points(tmp_path, httpserver):
    platform = FakeLtiPlatform(httpserver, lineitems=[{"label": "Quiz 1", "scoreMaximum": 5, "tag": "quiz1"}])
    course = _course(tmp_path, platform)
    lti.push(course, HW)
    assert [(li["resourceId"], li["tag"], li["scoreMaximum"]) for li in platform.created] == [(HW, HW, 20.0)]
    assert _marks(platform, platform.created[0]["id"])["ada"] == 14.0
    lti.push(course, HW)  # found the second time, not created again
    assert len(platform.created) == 1


def test_an_expired_token_is_asked_for_again_once(course, platform):
    platform.expire_tokens(after=3)  # mid-push: the line items' pages read, then the token expires
    out = lti.push(course, HW)
    assert _marks(platform) == {s: float(m) for s, m in EXPECTED.items()} and len(out.sent) == 4
    assert len(platform.token_requests) == 2 and platform.expired_answers == 1


def test_a_wrong_key_is_a_clear_error(course, platform):
    platform.jwks[:] = [dict(platform.jwks[0], n=platform.jwks[0]["n"][::-1])]  # the LMS holds another key
    with pytest.raises(CourseError, match=r"refused the tool's key .*dgmlab lti keys"):
        lti.push(course, HW)
    assert platform.scores == {}


def test_a_mark_changed_in_the_lms_since_the_last_push_is_kept_unless_forced(course, platform):
    lti.push(course, HW)
    platform.set_result(_item(platform), "lti-bob", 15.0)  # a TA's regrade in the LMS's gradebook
    out = lti.push(course, HW)
    assert [s for s, _ in out.conflicts] == ["bob"] and "the last push sent 12.60" in out.conflicts[0][1]
    assert _marks(platform)["bob"] == 15.0 and sorted(out.unchanged) == ["ada", "cy", "dee"]
    lti.push(course, HW, force=True)
    assert _marks(platform)["bob"] == 12.6


def test_a_mark_set_in_the_lms_before_any_push_is_not_overwritten(course, platform):
    platform.set_result(_item(platform), "lti-ada", 19.0)
    out = lti.push(course, HW)
    assert out.conflicts == [("ada", "the LMS has 19.0, set there, not by dgmlab push; dgmlab's mark is 14.00")]
    assert _marks(platform)["ada"] == 19.0


def _open_hand_grading(course, sid="bob"):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gb:
        g = gb.find_grade("q_written", HW, HW, sid)
        g.manual_score, g.needs_manual_grade = None, True
        gb.db.commit()


def test_a_student_still_to_grade_by_hand_gets_no_score_so_the_lms_keeps_its_mark(course, platform, capsys):
    lti.push(course, HW)  # bob's 12.60 is in the LMS
    _open_hand_grading(course)  # a regrade reopens his written answer
    before = len(platform.scores[_item(platform)])
    assert cli.main(["--course", str(course.root), "push", HW, "--lti"]) == 1
    out = capsys.readouterr().out
    assert "bob: pending: 1 answer still to grade by hand (q_written)" in out and "still shows the 12.60" in out
    assert len(platform.scores[_item(platform)]) == before  # no score posted: AGS would clear his mark
    assert _marks(platform)["bob"] == 12.6


def test_a_first_push_with_hand_grading_open_posts_nothing_for_that_student(course, platform):
    _open_hand_grading(course)
    out = lti.push(course, HW)
    assert [s for s, _ in out.skipped] == ["bob"] and sorted(s for s, _ in out.sent) == ["ada", "cy", "dee"]
    assert all(s["userId"] != "lti-bob" for s in platform.scores[_item(platform)])
    assert all(s["gradingProgress"] == "FullyGraded" and "scoreGiven" in s for s in platform.scores[_item(platform)])


def test_a_token_endpoint_failure_is_named_a_failure_of_the_lms_not_a_wrong_key(course, platform):
    platform.token_answer = (500, "<h1>Internal Server Error</h1>")
    with pytest.raises(CourseError, match=r"token endpoint .* failed \(HTTP 500.*not the tool's key") as err:
        lti.push(course, HW)
    assert "refused the tool's key" not in str(err.value) and platform.scores == {}


def test_an_invalid_client_answer_is_named_a_refused_key(course, platform):
    platform.token_answer = (400, '{"error": "invalid_client"}')
    with pytest.raises(CourseError, match=r"refused the tool's key .*HTTP 400 invalid_client"):
        lti.push(course, HW)


def test_a_line_item_deleted_in_the_lms_stops_the_push_and_is_not_made_again(course, platform, capsys):
    lti.push(course, HW)
    platform.delete_lineitem(_item(platform))
    assert cli.main(["--course", str(course.root), "push", HW, "--lti"]) == 2
    err = capsys.readouterr().err
    assert f"no line item (grade column) for {HW} any more" in err and "deleted in the LMS" in err
    assert platform.created == [] and not any(li.get("resourceId") == HW for li in platform.lineitems)


def test_a_line_item_replaced_in_the_lms_stops_the_push(course, platform):
    lti.push(course, HW)
    old = _item(platform)
    platform.delete_lineitem(old)
    platform.lineitems.append({"label": HW, "scoreMaximum": 20, "resourceId": HW, "id": platform.url("/lineitems/99")})
    with pytest.raises(CourseError, match=r"is .*/lineitems/99, not .*deleted or replaced"):
        lti.push(course, HW)


def test_the_line_item_made_after_a_deletion_is_taken_once_the_instructor_moves_the_records_away(course, platform):
    lti.push(course, HW)
    platform.delete_lineitem(_item(platform))
    for name in (f"{HW}.json", f"{HW}.line_item.json"):
        (course.root / ".dgmlab" / "push" / "lti" / name).unlink()
    out = lti.push(course, HW)
    assert len(platform.created) == 1 and len(out.sent) == 4


def _lms_column(platform, points):
    """The LMS's own column for the homework (found by its resourceId), worth ``points``."""
    platform.lineitems.append({"label": f"{HW} (made in the LMS)", "scoreMaximum": points, "resourceId": HW,
                               "id": platform.url("/lineitems/77")})


def test_a_column_the_lms_made_with_other_points_is_refused_before_any_score(tmp_path, httpserver, capsys):
    platform = FakeLtiPlatform(httpserver, lineitems=[{"label": "Quiz 1", "scoreMaximum": 5, "tag": "quiz1"}])
    _lms_column(platform, 90)
    course = _course(tmp_path, platform)
    assert cli.main(["--course", str(course.root), "push", HW, "--lti"]) == 2
    err = capsys.readouterr().err
    assert f"grades {HW} out of 90 points, the homework is out of 20: no mark was sent" in err
    assert "Set that column's maximum points (its scoreMaximum) to 20 in the LMS's gradebook" in err
    assert platform.scores == {} and platform.created == []
    assert not (course.root / ".dgmlab" / "push" / "lti" / f"{HW}.line_item.json").exists()  # not taken


def test_a_column_the_lms_made_after_the_records_were_moved_away_is_compared_not_adopted(course, platform):
    lti.push(course, HW)
    platform.delete_lineitem(_item(platform))
    for name in (f"{HW}.json", f"{HW}.line_item.json"):
        (course.root / ".dgmlab" / "push" / "lti" / name).unlink()
    _lms_column(platform, 90)  # the trial's repro: the LMS's own column, 90 points
    with pytest.raises(CourseError, match="out of 90 points, the homework is out of 20: no mark was sent"):
        lti.push(course, HW)
    assert platform.results.get(platform.url("/lineitems/77"), {}) == {}


def test_a_column_the_lms_made_with_the_homeworks_points_is_taken_and_named(tmp_path, httpserver):
    platform = FakeLtiPlatform(httpserver)
    _lms_column(platform, 20)
    course = _course(tmp_path, platform)
    out = lti.push(course, HW)
    assert len(out.sent) == 4 and platform.created == []
    assert any(f"took the LMS's grade column '{HW} (made in the LMS)'" in line for line in out.lines())
    assert not any("took" in line for line in lti.push(course, HW).lines())  # named once, when taken


def test_the_line_items_are_asked_for_by_resource_id(course, platform, httpserver):
    lti.push(course, HW)
    lists = [r for r in httpserver.log if r[0].path == "/lineitems" and r[0].method == "GET"]
    assert lists and lists[0][0].args.get("resource_id") == HW


def test_dgmlab_push_lti_prints_what_it_sent_and_what_it_kept(course, platform, capsys):
    platform.set_result(_item(platform), "lti-ada", 19.0)
    assert cli.main(["--course", str(course.root), "push", HW, "--lti"]) == 1
    out = capsys.readouterr().out
    assert "pushed 3 marks" in out and "NOT OVERWRITTEN" in out and "ada: the LMS has 19.0" in out


def test_the_marks_posted_are_grades_csvs(course, platform):
    import csv

    from dgmlab.grading.report import report as R

    lti.push(course, HW)
    with R.export_csv(course, course.root / "grades.csv").open(encoding="utf-8") as f:
        csv_marks = {r["student_id"]: float(r["score"]) for r in csv.DictReader(f)}
    assert _marks(platform) == csv_marks


def test_feedback_files_through_lti_are_refused_before_anything_is_sent(course, platform, capsys):
    assert cli.main(["--course", str(course.root), "push", HW, "--lti", "--feedback"]) == 2
    assert "no files" in capsys.readouterr().err and platform.scores == {}


def test_an_http_endpoint_is_refused_naming_its_setting():
    with pytest.raises(CourseError, match=r"c\.DgmlabLti\.lineitems_url is 'http://lms\.uni\.edu/x', not an https"):
        lti.require_tls("http://lms.uni.edu/x", "c.DgmlabLti.lineitems_url")


def test_http_to_a_loopback_host_is_allowed_for_tests():
    for url in ("http://127.0.0.1:8000/token", "http://[::1]:8000/token", "http://localhost:8000/token",
                "https://lms.uni.edu/token"):
        lti.require_tls(url, "c.DgmlabLti.auth_token_url")


def test_a_push_to_an_http_token_endpoint_sends_nothing(tmp_path, platform, httpserver):
    course = _course(tmp_path, platform, '\nc.DgmlabLti.auth_token_url = "http://lms.uni.edu/login/oauth2/token"\n')
    with pytest.raises(CourseError, match=r"c\.DgmlabLti\.auth_token_url is 'http://lms\.uni\.edu/"):
        lti.push(course, HW)
    assert not httpserver.log  # no signed assertion, no token, no request at all


def test_an_http_address_the_lms_gives_gets_no_access_token(course, platform, httpserver):
    conn = lti.connector(course)
    with pytest.raises(CourseError, match="an address the LMS gave"):
        conn.make_service_request(lti.AGS_SCOPES, "http://lms.uni.edu/lineitems/1/results")
    assert not httpserver.log
