"""The course's id map, lms_ids.csv (grading/lms/id_map.py): one student's id on each platform, never changed or
given to a second student without force, written only over the file it read."""
import csv

import pytest

from dgmlab.grading.course import Course, CourseError
from dgmlab.grading.lms import id_map as IM


def _course(tmp_path, extra="") -> Course:
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n" + extra, encoding="utf-8")
    return Course(tmp_path)


def _csv(tmp_path, text, name="ids.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_an_imported_csv_becomes_the_courses_map_one_row_per_student(tmp_path):
    course = _course(tmp_path)
    changes, refused = IM.import_csv(course, _csv(tmp_path, "student,canvas,moodle_participant:hw5_explicit,moodle\n"
                                                            "ada,48213,91007,3120\nbob,48377,,3344\n"))
    assert refused == [] and len(changes) == 5
    with (tmp_path / IM.FILE).open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows == [{"student": "ada", "sis": "", "lti": "", "canvas": "48213", "moodle": "3120",
                     "moodle_participant:hw5_explicit": "91007"},
                    {"student": "bob", "sis": "", "lti": "", "canvas": "48377", "moodle": "3344",
                     "moodle_participant:hw5_explicit": ""}]
    assert oct((tmp_path / IM.FILE).stat().st_mode & 0o777) == "0o600"


def test_another_id_for_a_student_is_refused_naming_the_student_and_both_ids(tmp_path):
    course = _course(tmp_path)
    IM.import_csv(course, _csv(tmp_path, "student,canvas\nada,48213\n"))
    changes, refused = IM.import_csv(course, _csv(tmp_path, "student,canvas\nada,50001\n", "again.csv"))
    assert changes == [] and refused == ["ada has Canvas user id 48213 in lms_ids.csv, the new one is 50001: not "
                                         "changed (--force changes it, if the LMS is right)"]
    assert IM.IdMap.load(course).get("ada", "canvas") == "48213"
    changes, refused = IM.import_csv(course, _csv(tmp_path, "student,canvas\nada,50001\n", "again.csv"), force=True)
    assert [c.text() for c in changes] == ["ada: Canvas user id 48213 -> 50001"] and refused == []


def test_an_id_recorded_for_a_classmate_is_not_given_to_a_second_student(tmp_path):
    ids = IM.IdMap.load(_course(tmp_path))
    ids.set("ada", "lti", "a6d1-77")
    with pytest.raises(IM.IdConflict, match="LTI user id a6d1-77 is ada's in lms_ids.csv, not bob's"):
        ids.set("bob", "lti", "a6d1-77")
    assert [c.text() for c in ids.set("bob", "lti", "a6d1-77", force=True)] == ["ada: LTI user id a6d1-77 removed",
                                                                               "bob: LTI user id a6d1-77"]
    assert ids.column("lti") == {"bob": "a6d1-77"}


def test_the_same_id_again_changes_nothing(tmp_path):
    ids = IM.IdMap.load(_course(tmp_path))
    ids.set("ada", "canvas", "48213")
    assert ids.set("ada", "canvas", " 48213 ") == []


def test_a_file_edited_since_it_was_read_is_not_overwritten(tmp_path):
    course = _course(tmp_path)
    IM.import_csv(course, _csv(tmp_path, "student,canvas\nada,48213\n"))
    ids = IM.IdMap.load(course)
    ids.set("bob", "canvas", "48377")
    edited = (tmp_path / IM.FILE).read_text(encoding="utf-8") + "cy,,,48999,\n"
    (tmp_path / IM.FILE).write_text(edited, encoding="utf-8")
    with pytest.raises(CourseError, match="changed since it was read"):
        ids.save()
    assert (tmp_path / IM.FILE).read_text(encoding="utf-8") == edited
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left


@pytest.mark.parametrize("text, message", [
    ("id,canvas\nada,1\n", "no 'student' column"),
    ("student,email\nada,a@x\n", "'email' is not a column of lms_ids.csv"),
    ("student,canvas\nada,48a13\n", "line 2: Canvas user id '48a13' is not a whole number"),
    ("student,canvas\nada,1\nbob,1\n", "line 3: Canvas user id 1 is given to ada and bob"),
    ("student,lti\nada,x\nada,y\n", "line 3: ada has a second row"),
])
def test_a_csv_that_cannot_be_a_map_says_which_line_and_why(tmp_path, text, message):
    with pytest.raises(CourseError, match=message):
        IM.import_csv(_course(tmp_path), _csv(tmp_path, text))
    assert not (tmp_path / IM.FILE).exists()


def test_nbgraders_lms_user_id_is_read_for_the_one_platform_it_holds(tmp_path):
    course = _course(tmp_path, 'c.DgmlabLms.platform = "canvas"\n')
    IM.import_csv(course, _csv(tmp_path, "student,canvas,moodle\nada,48213,3120\n"))
    legacy = {"ada": "9", "bob": "48377", "cy": "48213"}  # cy's old id is ada's in the map: not read
    assert IM.platform_ids(course, "canvas", legacy) == {"ada": "48213", "bob": "48377"}
    assert IM.platform_ids(course, "moodle", legacy) == {"ada": "3120"}  # never read as another platform's


def test_the_platform_nbgrader_ids_are_read_as_is_a_setting(tmp_path):
    course = _course(tmp_path, 'c.DgmlabLms.platform = "canvas"\nc.DgmlabIds.nbgrader_lms_user_id = "none"\n')
    assert IM.platform_ids(course, "canvas", {"bob": "48377"}) == {}


def test_a_sis_id_is_a_students_by_the_map_or_as_their_nbgrader_id(tmp_path):
    ids = IM.IdMap.load(_course(tmp_path))
    ids.set("ada", "sis", "1009876543")
    ids.set("bob", "sis", "1000000002")
    students = {"ada", "bob", "1009876543x", "1000000001"}
    assert IM.sis_owner(ids, students, "1009876543") == "ada"
    assert IM.sis_owner(ids, students, "1000000001") == "1000000001"  # the nbgrader id is the SIS id
    assert IM.sis_owner(ids, students, "bob") is None  # bob's SIS id is another: his nbgrader id is not it
    assert IM.sis_owner(ids, students, "") is None


def test_dgmlab_ids_import_exits_1_listing_each_id_it_kept(tmp_path, capsys):
    from dgmlab import cli

    _course(tmp_path)
    first = _csv(tmp_path, "student,canvas\nada,48213\nbob,48377\n")
    assert cli.main(["--course", str(tmp_path), "ids", "import", str(first)]) == 0
    again = _csv(tmp_path, "student,canvas\nada,48213\nbob,50001\n", "again.csv")
    assert cli.main(["--course", str(tmp_path), "ids", "import", str(again)]) == 1
    out = capsys.readouterr().out
    assert "NOT RECORDED (1):\n  bob has Canvas user id 48377 in lms_ids.csv, the new one is 50001" in out
    assert cli.main(["--course", str(tmp_path), "ids", "show"]) == 0
    assert "ada,,,48213,\nbob,,,48377,\n" in capsys.readouterr().out


@pytest.fixture
def brightspace(monkeypatch):
    """A course's own LMS plug-in named brightspace installed beside the kit's."""
    from dgmlab.grading import plugins

    names = plugins.names
    monkeypatch.setattr(plugins, "names", lambda group: sorted([*names(group), "brightspace"])
                        if group == plugins.LMS else names(group))


def test_an_installed_plugins_ids_are_a_column_of_the_map(tmp_path, brightspace):
    course = _course(tmp_path)
    changes, refused = IM.import_csv(course, _csv(tmp_path, "student,brightspace,canvas\nada,u-77,48213\n"))
    assert refused == [] and [c.text() for c in changes] == ["ada: brightspace user id u-77",
                                                             "ada: Canvas user id 48213"]
    assert IM.platform_ids(course, "brightspace", {}) == {"ada": "u-77"}
    assert "student,sis,lti,canvas,moodle,brightspace" in (tmp_path / IM.FILE).read_text(encoding="utf-8")


def test_nbgraders_lms_user_id_is_read_as_a_plugins_when_the_course_grades_there(tmp_path, brightspace):
    course = _course(tmp_path, 'c.DgmlabLms.platform = "brightspace"\n')
    assert IM.platform_ids(course, "brightspace", {"bob": "u-12"}) == {"bob": "u-12"}
    assert IM.platform_ids(course, "canvas", {"bob": "u-12"}) == {}


def test_a_column_of_no_installed_plugin_is_refused_naming_the_installed_ones(tmp_path, brightspace):
    with pytest.raises(CourseError, match=r"'d2l' is not a column of lms_ids.csv: .* or an installed LMS plug-in's "
                                          r"name \(brightspace\)"):
        IM.import_csv(_course(tmp_path), _csv(tmp_path, "student,d2l\nada,u-1\n"))
    with pytest.raises(CourseError, match=r"no platform 'd2l' \(canvas, moodle, lti, brightspace\)"):
        IM.platform_ids(_course(tmp_path), "d2l", {})


def test_nbgrader_ids_read_as_no_platform_is_refused_saying_what_to_set(tmp_path):
    course = _course(tmp_path, 'c.DgmlabIds.nbgrader_lms_user_id = "d2l"\n')
    with pytest.raises(CourseError, match=r"nbgrader_lms_user_id = 'd2l' is no platform: canvas, moodle, lti, an "
                                          r"installed LMS plug-in's name"):
        IM.platform_ids(course, "canvas", {})
