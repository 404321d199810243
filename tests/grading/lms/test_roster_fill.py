"""The course's id map filled from the LMSs' own rosters (grading/lms/roster_fill.py): `dgmlab lti roster` (NRPS, an
LTI platform on 127.0.0.1: tests/fixtures/lti_fake.py), `dgmlab ids canvas` and `dgmlab ids moodle`; students are
matched on ids the LMS owns, an e-mail only when asked and confirmed, and a recorded id is never changed unasked."""
import io
import json

import pytest
from werkzeug import Response

from canvas_fake import COURSE, FakeCanvas
from dgmlab import cli
from dgmlab.grading.lms import id_map as IM
from dgmlab.grading.lms import lms, lti, moodle
from grading.term.test_late_everywhere import CONFIG, HW, LMS, _make
from lti_fake import LEARNER, TEACHER, FakeLtiPlatform
from moodle_fake import TOKEN, FakeMoodle

pytestmark = pytest.mark.slow  # nbgrader makes a gradebook with alembic


def _member(sid, uid, email=None, sourcedid=None):
    return {"user_id": uid, "lis_person_sourcedid": sourcedid if sourcedid is not None else sid, "name": sid.title(),
            "roles": [LEARNER], "status": "Active", "email": email or f"{sid}@uni.edu"}


# LTI user ids as platforms make them (opaque strings), in an order where a learner comes before the one whose
# e-mail address theirs imitates
MEMBERS = [_member("bob", "8c0f9e52-77d1-4b0e-a1de-52f6c0a1d001", email="ADA@uni.edu"),
           _member("ada", "3f1b2c9d-0e4a-4b7e-9d2f-6a8c1e5b7a20"),
           _member("cy", "e4d7a6b1-93c2-4f05-8e61-2b7d9c0f4e13"), _member("dee", "5a9e3c7f-1b2d-4c8e-a0f6-d3e1b7c9a254"),
           {"user_id": "lti-prof", "lis_person_sourcedid": "prof", "roles": [TEACHER], "status": "Active"},
           _member("zed", "0b6d8f2a-4c1e-4a97-b3d5-e9f7a1c3b568")]
LTI = {m["lis_person_sourcedid"]: m["user_id"] for m in MEMBERS}


@pytest.fixture()
def platform(httpserver):
    return FakeLtiPlatform(httpserver, members=[dict(m) for m in MEMBERS])


def _course(tmp_path, platform, extra=""):
    root = tmp_path / "course"
    root.mkdir()
    course = _make(root, CONFIG + platform.config(tmp_path / "keys" / "lti.pem") + extra)  # Canvas ids 101..104
    platform.jwks.append(lti.keys(course)[1])
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:  # each student's e-mail, in lower case
        for sid in LMS:
            gb.update_or_create_student(sid, email=f"{sid}@uni.edu")
    return course


def _run(course, *args):
    return cli.main(["--course", str(course.root), *args])


def test_lti_roster_records_each_learners_lti_id_by_sis_id_over_pages(tmp_path, platform, capsys):
    course = _course(tmp_path, platform)
    assert _run(course, "lti", "roster") == 0
    assert IM.IdMap.load(course).column("lti") == {s: LTI[s] for s in LMS}
    assert ("/CourseSection/7/memberships", 3) in platform.pages_served
    out = capsys.readouterr().out
    assert "Zed (LTI user id 0b6d8f2a-4c1e-4a97-b3d5-e9f7a1c3b568, SIS id zed, zed@uni.edu)" in out  # no student
    assert IM.platform_ids(course, "canvas") == LMS  # nbgrader's lms_user_id (Canvas's) untouched


def test_an_lti_id_that_differs_from_the_recorded_one_is_kept_unless_forced(tmp_path, platform, capsys):
    course = _course(tmp_path, platform)
    (course.root / IM.FILE).write_text("student,lti\nada,11111111-old\n", encoding="utf-8")
    assert _run(course, "lti", "roster") == 1
    assert IM.IdMap.load(course).get("ada", "lti") == "11111111-old"
    assert (f"ada has LTI user id 11111111-old in lms_ids.csv, the new one is {LTI['ada']}: not changed (--force "
            "changes it") in capsys.readouterr().out
    assert _run(course, "lti", "roster", "--force") == 0
    assert IM.IdMap.load(course).get("ada", "lti") == LTI["ada"]


def test_an_email_in_capitals_does_not_take_a_classmates_lti_id(tmp_path, platform, monkeypatch):
    course = _course(tmp_path, platform, '\nc.DgmlabLti.roster_match = "email"\n')
    for m in platform.members:
        m["lis_person_sourcedid"] = ""  # matched by e-mail only, as asked
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n" * 10))
    assert _run(course, "lti", "roster") == 0
    assert IM.IdMap.load(course).get("ada", "lti") == LTI["ada"]  # bob's ADA@uni.edu is not ada@uni.edu
    assert IM.IdMap.load(course).get("bob", "lti") is None


def test_an_email_match_is_recorded_only_once_the_instructor_confirms_it(tmp_path, platform, monkeypatch, capsys):
    course = _course(tmp_path, platform, '\nc.DgmlabLti.roster_match = "email"\n')
    for m in platform.members:
        m["lis_person_sourcedid"] = ""
    monkeypatch.setattr("sys.stdin", io.StringIO("n\ny\nn\n"))  # ada, cy, dee asked in order
    assert _run(course, "lti", "roster") == 0
    assert IM.IdMap.load(course).column("lti") == {"cy": LTI["cy"]}
    out = capsys.readouterr().out
    assert f"record the LTI user id of Ada (LTI user id {LTI['ada']}, ada@uni.edu) as ada's (matched by e-mail)? " \
           "[y/N]" in out
    assert f"ada <- Ada (LTI user id {LTI['ada']}, ada@uni.edu)" in out  # listed as not confirmed


def test_two_members_with_one_students_sis_id_record_neither(tmp_path, platform, capsys):
    platform.members.append(_member("ada", "99999999-impostor"))
    course = _course(tmp_path, platform)
    assert _run(course, "lti", "roster") == 1
    assert IM.IdMap.load(course).get("ada", "lti") is None
    assert "ada: 2 members match ada" in capsys.readouterr().out


CANVAS_USERS = [{"id": 48213, "name": "Ada", "sortable_name": "Ada", "sis_user_id": "ada"},
                {"id": 48377, "name": "Bob", "sortable_name": "Bob", "sis_user_id": "bob"},
                {"id": 50120, "name": "Test Student", "sortable_name": "Student, Test", "sis_user_id": None}]


def test_canvas_roster_records_canvas_user_ids_by_sis_id(tmp_path, httpserver, monkeypatch, capsys):
    canvas = FakeCanvas(httpserver, {})
    asked = []
    httpserver.expect_request(f"/api/v1/courses/{COURSE}/search_users", method="GET").respond_with_handler(
        lambda request: asked.append(request.args.getlist("enrollment_type[]")) or Response(
            json.dumps(CANVAS_USERS), content_type="application/json"))
    monkeypatch.setenv(lms.TOKEN_ENV, "test-token")
    root = tmp_path / "course"
    root.mkdir()
    course = _make(root, CONFIG + canvas.config(HW) + '\nc.DgmlabIds.nbgrader_lms_user_id = "none"\n')
    assert _run(course, "ids", "canvas") == 0
    assert IM.IdMap.load(course).column("canvas") == {"ada": "48213", "bob": "48377"}
    assert asked == [["student"]]
    assert "Test Student (Canvas user id 50120)" in capsys.readouterr().out  # no SIS id: matched to no one


class EnrolledMoodle(FakeMoodle):
    """A Moodle that lists the course's enrolled users too (``core_enrol_get_enrolled_users``, as Moodle documents
    it: ``id``, ``fullname``, ``idnumber``, ``roles``)."""

    def __init__(self, httpserver, users, mappings):
        self.users = users
        super().__init__(httpserver, {}, mappings)

    def _rest(self, request):
        params = {**request.args.to_dict(), **request.form.to_dict()}
        if params.get("wsfunction") == "core_enrol_get_enrolled_users" and params.get("wstoken") == TOKEN:
            assert params["courseid"] == "3"
            return Response(json.dumps(self.users), content_type="application/json")
        return super()._rest(request)


def test_moodle_roster_records_user_ids_by_id_number_then_each_assignments_participants(tmp_path, httpserver,
                                                                                       monkeypatch):
    student = [{"shortname": "student"}]
    site = EnrolledMoodle(httpserver, [{"id": 3120, "fullname": "Ada L", "idnumber": "ada", "roles": student},
                                       {"id": 3344, "fullname": "Bob B", "idnumber": "bob", "roles": student},
                                       {"id": 2, "fullname": "Prof", "idnumber": "ada", "roles": [{"shortname":
                                                                                                  "editingteacher"}]}],
                          mappings={"91007": "3120", "91008": "3344", "91011": "7777"})
    monkeypatch.setenv(moodle.TOKEN_ENV, TOKEN)
    root = tmp_path / "course"
    root.mkdir()
    course = _make(root, CONFIG + site.config(HW))
    assert _run(course, "ids", "moodle") == 0
    ids = IM.IdMap.load(course)
    assert ids.column("moodle") == {"ada": "3120", "bob": "3344"}
    assert ids.column(IM.participant_column(HW)) == {"ada": "91007", "bob": "91008"}
