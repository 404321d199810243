"""An LMS's secrets (grading/lms/lms_secrets.py): a token from the environment or a file outside the course that
only its owner can read; never a file in the course."""
import shutil

import pytest

from canvas_fake import FakeCanvas
from conftest import ROOT
from dgmlab.grading.course import Course, CourseError
from dgmlab.grading.lms import lms, lms_secrets


@pytest.fixture()
def course(tmp_path):
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    return Course(root)


def _secret(path, text="s3cret-token", mode=0o600):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")
    path.chmod(mode)
    return path


def test_the_environment_comes_first(course, tmp_path, monkeypatch):
    monkeypatch.setenv("SOME_TOKEN", "from-env")
    assert lms_secrets.token(course, "SOME_TOKEN", _secret(tmp_path / "s" / "t"), "c.X.token_file", "a token") == \
        "from-env"


def test_a_file_outside_the_course_readable_by_its_owner_only_is_read(course, tmp_path, monkeypatch):
    monkeypatch.delenv("SOME_TOKEN", raising=False)
    assert lms_secrets.token(course, "SOME_TOKEN", _secret(tmp_path / "s" / "t"), "c.X.token_file", "a token") == \
        "s3cret-token"


def test_a_file_others_can_read_is_refused_with_the_chmod_to_run(course, tmp_path, monkeypatch):
    monkeypatch.delenv("SOME_TOKEN", raising=False)
    path = _secret(tmp_path / "s" / "t", mode=0o640)
    with pytest.raises(CourseError, match=f"chmod 600 {path}"):
        lms_secrets.token(course, "SOME_TOKEN", path, "c.X.token_file", "a token")


@pytest.mark.parametrize("where", ["token.txt", "sub/token.txt", "../course/token.txt"])
def test_a_file_in_the_course_is_refused_even_by_a_relative_path(course, monkeypatch, where):
    monkeypatch.delenv("SOME_TOKEN", raising=False)
    _secret(course.root / "sub" / "token.txt")
    _secret(course.root / "token.txt")
    with pytest.raises(CourseError, match="inside the course folder"):
        lms_secrets.token(course, "SOME_TOKEN", where, "c.X.token_file", "a token")


def test_a_link_outside_that_points_into_the_course_is_refused(course, tmp_path, monkeypatch):
    monkeypatch.delenv("SOME_TOKEN", raising=False)
    (tmp_path / "link").symlink_to(_secret(course.root / "token.txt"))
    with pytest.raises(CourseError, match="inside the course folder"):
        lms_secrets.token(course, "SOME_TOKEN", tmp_path / "link", "c.X.token_file", "a token")


def test_no_token_anywhere_says_both_ways_to_give_one(course, monkeypatch):
    monkeypatch.delenv("SOME_TOKEN", raising=False)
    with pytest.raises(CourseError, match="set SOME_TOKEN in the environment, or c.X.token_file"):
        lms_secrets.token(course, "SOME_TOKEN", "", "c.X.token_file", "a token")


def test_canvas_reads_its_token_from_the_file_the_config_names(course, tmp_path, httpserver, monkeypatch):
    monkeypatch.delenv(lms.TOKEN_ENV, raising=False)
    canvas = FakeCanvas(httpserver, {"101": {"submitted_at": None, "score": None}})
    secret = _secret(tmp_path / "secrets" / "canvas", "test-token")
    with (course.root / "nbgrader_config.py").open("a") as f:
        f.write(canvas.config("hw1_x") + f'c.DgmlabCanvas.token_file = "{secret}"\n')
    assert [s.user_id for s in lms.assignment(course, "hw1_x").get_submissions()] == [101]
    assert {r.headers["Authorization"] for r, _ in httpserver.log} == {"Bearer test-token"}
