"""A regrade's answer reaches the LMS: `dgmlab push` sends the grade summary, which carries the reason, even when
the mark stays the same (against the Canvas fake, tests/fixtures/canvas_fake.py)."""
import pytest

from canvas_fake import FakeCanvas
from dgmlab.grading.hand import regrades as RG
from dgmlab.grading.lms import lms
from grading.term.test_late_everywhere import CONFIG, HW, LMS, _make

pytestmark = pytest.mark.slow  # nbgrader makes a gradebook with alembic


@pytest.fixture()
def canvas(httpserver):
    return FakeCanvas(httpserver, {uid: {"submitted_at": None, "score": None} for uid in LMS.values()})


@pytest.fixture()
def course(tmp_path, canvas, monkeypatch):
    monkeypatch.setenv(lms.TOKEN_ENV, "test-token")
    return _make(tmp_path, CONFIG + canvas.config(HW))


def test_the_next_push_sends_a_kept_regrades_reason_with_the_same_mark(course, canvas):
    lms.push(course, HW)
    canvas.puts.clear()
    RG.request(course, HW, "ada", "q_written", "my proof of (b) is complete")
    RG.answer(course, HW, "q_written", "ada", "kept", "(b) assumes what it proves", who="ta_kim")
    out = lms.push(course, HW)
    comments = {u: c for u, _, c in canvas.puts}
    assert [s for s, _ in out.sent] == ["ada"] and list(comments) == [LMS["ada"]]
    assert "regrade request: kept: (b) assumes what it proves" in comments[LMS["ada"]]
