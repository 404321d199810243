"""The per-student loop every LMS's push shares (grading/lms/push_marks.py), against a fake LMS (a dict of marks)
with the final marks and grade summaries stubbed: no gradebook, so this file is fast. test_push.py, test_lti.py
and test_moodle.py run the same loop against each LMS's fake server."""
import json
from decimal import Decimal
from types import SimpleNamespace

import pytest

from dgmlab.grading.lms import push_marks as PM
from dgmlab.grading.report import final_mark as FM
from dgmlab.grading.report import grade_summary as GS

HW = "hw1"
MARKS = {"ada": FM.Mark(Decimal("14.00"), Decimal("20")), "bob": FM.Mark(Decimal("12.60"), Decimal("20")),
         "cy": FM.Mark(None, Decimal("20"), "pending: 1 answer still to grade by hand (q2)"),
         "dee": FM.Mark(None, Decimal("20"), "no mark: timed out")}


@pytest.fixture(autouse=True)
def stubbed(monkeypatch):
    monkeypatch.setattr(FM, "final_mark", lambda sub: MARKS[sub.student])
    monkeypatch.setattr(GS, "rubric_lines", lambda course, sub: {})
    monkeypatch.setattr(GS, "summary_text", lambda data, sub, lines: f"summary of {sub.student}")


def _data(*students, ids=None):
    ids = {s: f"u-{s}" for s in students} if ids is None else ids
    return SimpleNamespace(roster={s: SimpleNamespace(lms_user_id=ids.get(s)) for s in students},
                           submissions=[SimpleNamespace(student=s, hw=HW) for s in students])


class FakeLms:
    def __init__(self, shown=None):
        self.marks, self.sent = dict(shown or {}), []

    def lms(self, **kw):
        return PM.Lms(id_hint="give {sid} an id", shown=self.marks.get, send=self.send, **kw)

    def send(self, st):
        self.sent.append((st.sid, st.send_mark))
        if st.send_mark:
            self.marks[st.uid] = st.mark.number


def _push(tmp_path, data, fake, force=False, **kw):
    out = PM.Pushed(HW, where="Fake")
    PM.push_marks(None, data, data.submissions, fake.lms(**kw), out, tmp_path / "push.json", force=force)
    return out


def test_each_final_mark_is_sent_and_recorded(tmp_path):
    fake = FakeLms()
    out = _push(tmp_path, _data("ada", "bob"), fake)
    assert out.sent == [("ada", 14.0), ("bob", 12.6)] and fake.marks == {"u-ada": 14.0, "u-bob": 12.6}
    record = json.loads((tmp_path / "push.json").read_text())
    assert {s: (r["score"], r["comment"], r["user_id"]) for s, r in record.items()} == {
        "ada": (14.0, "summary of ada", "u-ada"), "bob": (12.6, "summary of bob", "u-bob")}


def test_a_second_push_of_the_same_marks_sends_nothing(tmp_path):
    fake = FakeLms()
    _push(tmp_path, _data("ada", "bob"), fake)
    fake.sent.clear()
    out = _push(tmp_path, _data("ada", "bob"), fake)
    assert fake.sent == [] and out.unchanged == ["ada", "bob"] and out.sent == []


def test_a_mark_changed_in_the_lms_since_the_last_push_is_kept_unless_forced(tmp_path):
    fake = FakeLms()
    _push(tmp_path, _data("ada"), fake)
    fake.marks["u-ada"] = 19.0
    out = _push(tmp_path, _data("ada"), fake)
    assert out.conflicts == [("ada", "Fake has 19.0, the last push sent 14.00 (changed in Fake since); dgmlab's "
                                     "mark is 14.00")]
    assert fake.marks["u-ada"] == 19.0 and out.sent == []
    out = _push(tmp_path, _data("ada"), fake, force=True)
    assert fake.marks["u-ada"] == 14.0 and out.sent == [("ada", 14.0)] and len(out.conflicts) == 1


def test_a_mark_set_in_the_lms_before_any_push_is_not_overwritten(tmp_path):
    fake = FakeLms({"u-bob": 3.0})
    out = _push(tmp_path, _data("bob"), fake)
    assert out.conflicts == [("bob", "Fake has 3.0, set there, not by dgmlab push; dgmlab's mark is 12.60")]
    assert fake.sent == [] and not (tmp_path / "push.json").exists()


def test_no_final_mark_or_no_lms_id_is_skipped_with_why(tmp_path):
    fake = FakeLms()
    out = _push(tmp_path, _data("ada", "cy", "dee", ids={"cy": "u-cy", "dee": "u-dee"}), fake)
    assert out.skipped == [("ada", "no LMS user id in nbgrader's student table (give ada an id)"),
                           ("cy", MARKS["cy"].pending), ("dee", "no mark: timed out")]
    assert fake.sent == []


def test_a_pending_mark_goes_as_pending_where_the_lms_takes_it(tmp_path):
    fake = FakeLms()
    out = _push(tmp_path, _data("cy", "dee"), fake, pending_too=True)
    assert out.pending == [("cy", MARKS["cy"].pending)] and out.skipped == [("dee", "no mark: timed out")]
    assert json.loads((tmp_path / "push.json").read_text())["cy"]["score"] is None


def test_what_the_lms_refuses_is_skipped_and_not_recorded(tmp_path):
    fake = FakeLms()

    def refuse(uid):
        raise PM.Skip(f"no submission for {uid}")

    out = PM.Pushed(HW, where="Fake")
    PM.push_marks(None, _data("ada"), _data("ada").submissions, PM.Lms("", refuse, fake.send), out,
                  tmp_path / "push.json")
    assert out.skipped == [("ada", "no submission for u-ada")] and fake.sent == []


def test_each_mark_sent_is_on_disk_before_the_next_is_tried(tmp_path):
    fake = FakeLms()

    def crash_on_bob(st):
        if st.sid == "bob":
            raise RuntimeError("the network went down")
        fake.send(st)

    data = _data("ada", "bob")
    with pytest.raises(RuntimeError):
        PM.push_marks(None, data, data.submissions, PM.Lms("", fake.marks.get, crash_on_bob),
                      PM.Pushed(HW), tmp_path / "push.json")
    assert list(json.loads((tmp_path / "push.json").read_text())) == ["ada"]


def test_beside_calls_send_for_a_kept_mark_without_recording_it(tmp_path):
    fake = FakeLms()
    _push(tmp_path, _data("ada"), fake)
    before = (tmp_path / "push.json").read_text()
    fake.sent.clear()
    out = _push(tmp_path, _data("ada"), fake, beside=True)
    assert fake.sent == [("ada", False)] and out.unchanged == ["ada"] and out.sent == []
    assert (tmp_path / "push.json").read_text() == before


def test_a_mark_not_sent_now_says_the_lms_still_shows_the_one_sent_before(tmp_path):
    fake = FakeLms()
    _push(tmp_path, _data("cy"), fake)  # nothing sent: no earlier mark to mention
    record = {"cy": {"score": 20.0, "comment": "summary of cy", "user_id": "u-cy", "pushed_at": "2024-12-03T10:00:00"}}
    (tmp_path / "push.json").write_text(json.dumps(record))
    fake.marks["u-cy"] = 20.0  # then a resubmission reopened an answer: pending now
    out = _push(tmp_path, _data("cy"), fake)
    assert out.skipped == [("cy", MARKS["cy"].pending + "; Fake still shows the 20.00 an earlier push sent "
                                  "(2024-12-03), until this mark is final and pushed")]
    assert fake.sent == [] and fake.marks["u-cy"] == 20.0


def test_an_lms_push_sends_to_its_own_platforms_ids_not_nbgraders_lms_user_id(tmp_path):
    from dgmlab.grading.course import Course

    (tmp_path / "nbgrader_config.py").write_text('c = get_config()\nc.DgmlabLms.platform = "lti"\n', encoding="utf-8")
    (tmp_path / "lms_ids.csv").write_text("student,canvas,lti\nada,48213,3f1b-ada\nbob,48377,8c0f-bob\n",
                                          encoding="utf-8")
    fake, out = FakeLms(), PM.Pushed(HW, where="Canvas")
    data = _data("ada", "bob", "cy", ids={"ada": "3f1b-ada", "bob": "8c0f-bob"})  # lms_user_id: LTI's, as before
    PM.push_marks(Course(tmp_path), data, data.submissions[:2], fake.lms(platform="canvas"), out,
                  tmp_path / "push.json")
    assert fake.marks == {"48213": 14.0, "48377": 12.6}


def test_a_student_without_an_id_on_the_platform_is_named_with_where_to_record_it(tmp_path):
    from dgmlab.grading.course import Course

    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n", encoding="utf-8")
    (tmp_path / "lms_ids.csv").write_text("student,moodle\nada,3120\n", encoding="utf-8")
    fake, out = FakeLms(), PM.Pushed(HW, where="Moodle")
    data = _data("ada", "bob", ids={"ada": "101", "bob": "102"})  # lms_user_id: Canvas's (the course's platform)
    PM.push_marks(Course(tmp_path), data, data.submissions, fake.lms(platform="moodle"), out, tmp_path / "push.json")
    assert fake.marks == {"3120": 14.0}
    assert out.skipped == [("bob", "no Moodle user id in lms_ids.csv (give bob an id)")]


def test_a_plugins_push_reads_its_user_ids_from_the_id_map_column_of_its_name(tmp_path, monkeypatch):
    from dgmlab.grading import plugins
    from dgmlab.grading.course import Course

    monkeypatch.setattr(plugins, "names", lambda group: ["brightspace", "canvas", "lti", "moodle"])
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n", encoding="utf-8")
    (tmp_path / "lms_ids.csv").write_text("student,brightspace\nada,b-1\n", encoding="utf-8")
    fake, out = FakeLms(), PM.Pushed(HW, where="Brightspace")
    data = _data("ada", "bob", ids={})
    PM.push_marks(Course(tmp_path), data, data.submissions, fake.lms(platform="brightspace"), out,
                  tmp_path / "push.json")
    assert fake.marks == {"b-1": 14.0}
    assert out.skipped == [("bob", "no brightspace user id in lms_ids.csv (give bob an id)")]
