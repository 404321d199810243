"""A plug-in LMS's download placed by the kit's rules (grading/lms/placement.py): the same choices, limits, staging
and listings as a Canvas or Moodle zip's, for files a course's own platform found the students of."""
import datetime as dt

from dgmlab.grading.course import Course
from dgmlab.grading.lms import placement

HW = "hw1_wgan"


def _course(tmp_path, extra="") -> Course:
    tmp_path.mkdir()
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n" + extra, encoding="utf-8")
    (tmp_path / "source" / HW).mkdir(parents=True)
    (tmp_path / "source" / HW / f"{HW}.ipynb").write_text("{}", encoding="utf-8")
    return Course(tmp_path)


def _file(folder, student, name, data, attempt=0):
    path = folder / "download" / student / str(attempt) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return placement.HandedIn(student, name, path, attempt)


def test_a_plugins_files_are_placed_under_the_homeworks_names(tmp_path):
    course = _course(tmp_path / "course")
    files = [_file(tmp_path, "ada", "My HW.ipynb", b"nb"), _file(tmp_path, "ada", "generator_weights.pt", b"old"),
             _file(tmp_path, "ada", "generator_weights.pt", b"new", attempt=1),
             _file(tmp_path, "ada", "Scan (p2).PDF", b"%PDF"), _file(tmp_path, "ada", "notes.txt", b"n")]
    when = dt.datetime(2026, 3, 1, 12, tzinfo=dt.timezone.utc)
    out = placement.place(course, HW, files, times={"ada": when}, where="Brightspace")
    folder = course.root / "submitted" / "ada" / HW
    assert sorted(p.name for p in folder.iterdir()) == ["Scan__p2_.pdf", "generator_weights.pt", f"{HW}.ipynb",
                                                        "timestamp.txt"]
    assert (folder / "generator_weights.pt").read_bytes() == b"new" and (folder / f"{HW}.ipynb").read_bytes() == b"nb"
    assert (folder / "timestamp.txt").read_text(encoding="utf-8") == "2026-03-01T12:00:00+00:00"
    assert [e for e, _ in out.unplaced] == ["ada/notes.txt"] and len(out.superseded) == 1
    assert out.misnamed == [("ada", f"named My HW.ipynb, the homework asks for {HW}.ipynb")]
    assert "collected 1 submissions of hw1_wgan (3 files), read as a Brightspace download" in out.lines()[0]
    assert files[0].path.read_bytes() == b"nb"  # the plug-in's files are read, never moved


def test_a_folder_that_held_another_submission_is_moved_aside(tmp_path):
    course = _course(tmp_path / "course")
    placement.place(course, HW, [_file(tmp_path, "ada", f"{HW}.ipynb", b"first")])
    out = placement.place(course, HW, [_file(tmp_path, "ada", f"{HW}.ipynb", b"second", attempt=1)])
    [(student, kept)] = out.replaced
    assert student == "ada" and (course.root / kept / f"{HW}.ipynb").read_bytes() == b"first"
    assert (course.root / "submitted" / "ada" / HW / f"{HW}.ipynb").read_bytes() == b"second"


def test_a_file_over_the_limit_or_of_no_valid_student_is_listed_not_placed(tmp_path):
    course = _course(tmp_path / "course", "c.DgmlabCollect.max_file_bytes = 4\n")
    out = placement.place(course, HW, [_file(tmp_path, "ada", f"{HW}.ipynb", b"12345"),
                                       _file(tmp_path, "..", f"{HW}.ipynb", b"1")])
    assert [why.split(":")[0] for _, why in out.unplaced] == [
        "5 bytes", "'..' is not a student id dgmlab places (letters, digits, ._@+-)"]
    assert not (course.root / "submitted").exists() or not any((course.root / "submitted").iterdir())


def test_a_student_not_in_the_gradebooks_table_is_listed_not_placed(tmp_path, monkeypatch):
    course = _course(tmp_path / "course")
    (course.root / "gradebook.db").write_bytes(b"")  # a gradebook: its student table is the roster
    monkeypatch.setattr(placement, "roster_names", lambda course: {"ada": ("Ada", "Lovelace")})
    out = placement.place(course, HW, [_file(tmp_path, "ada", f"{HW}.ipynb", b"a"),
                                       _file(tmp_path, "eve", f"{HW}.ipynb", b"e")])
    assert [s for s, _, _ in out.placed] == ["ada"]
    assert out.unplaced == [(f"eve/{HW}.ipynb", "eve is not in nbgrader's student table: add them (nbgrader db "
                                                "student add) or fix their id in lms_ids.csv, then collect again")]
