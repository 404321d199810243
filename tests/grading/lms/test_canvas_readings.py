"""A Canvas name that ends in ``_<digits>`` (Canvas keeps ``x_1003``) makes the entries of the student so named read as
the user id in it too: collect places no entry that another whole reading (or a text entry's) gives to another
user id, or another reading to another student of the course, unless the download tells (an id with a leading 0 is
not Canvas's; one user id has one name in a download) and no classmate's reading was struck
(grading/lms/download_names.py: canvas_readings, canvas_pins, canvas_entry)."""
import zipfile

from dgmlab.grading.course import Course
from dgmlab.grading.lms import intake as I
from dgmlab.grading.lms.download_names import canvas_entry, canvas_pins, canvas_readings

HW = "hw5_explicit"
ROSTER = I.index_of([("victim", "Vic", "Tim", "1003"), ("atk", "Mal", "Lory", "1004")])
VICTIM = "timvic_1003_208490284_Copy of hw5_explicit.ipynb"
# what Canvas writes for user 1004 whose sortable name is "x_1003": a notebook, a PDF and a text entry
FORGED = ["x_1003_1004_208490999_a_Assgn3.ipynb", "x_1003_1004_208491000_Q1.pdf", "x_1003_1004_text.html"]


def _collect(tmp_path, names, roster=ROSTER):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n", encoding="utf-8")
    (tmp_path / "source" / HW).mkdir(parents=True)
    (tmp_path / "source" / HW / f"{HW}.ipynb").write_text("{}", encoding="utf-8")
    with zipfile.ZipFile(tmp_path / "s.zip", "w") as z:
        for name in names:
            z.writestr(name, name.encode())
    course = Course(tmp_path)
    return course, I.collect(course, HW, tmp_path / "s.zip", roster=roster, lms="canvas")


def test_every_split_of_a_forged_name_is_read():
    users = {r.user for r in canvas_readings(FORGED[0])}
    assert {"1003", "1004"} <= users


def test_a_name_ending_in_a_classmates_id_puts_nothing_in_their_folder(tmp_path):
    course, got = _collect(tmp_path, [VICTIM, *FORGED])
    folder = course.folder("submitted", HW, "victim")
    assert sorted(p.name for p in folder.iterdir() if p.name != "timestamp.txt") == [f"{HW}.ipynb"]
    assert (folder / f"{HW}.ipynb").read_bytes() == VICTIM.encode()
    assert not course.folder("submitted", HW, "atk").exists()


def test_a_forged_entry_is_listed_with_both_students_and_what_to_do(tmp_path):
    _, got = _collect(tmp_path, [VICTIM, *FORGED])
    why = dict(got.unplaced)
    assert set(why) == set(FORGED)
    for reason in why.values():
        assert "user id 1003 (victim)" in reason and "user id 1004 (atk)" in reason
        assert "Check in Canvas" in reason and "by hand" in reason


def test_a_forged_name_of_a_student_missing_from_the_id_map_is_not_placed_either(tmp_path):
    # ATTACK2: with the forger's own id unknown (a late add; one `dgmlab ids` could not match), only the victim's
    # reading named a student, and the forged notebook took the victim's place
    only_the_victim = I.index_of([("victim", "Vic", "Tim", "1003")])
    course, got = _collect(tmp_path, [VICTIM, *FORGED[:2]], roster=only_the_victim)
    folder = course.folder("submitted", HW, "victim")
    assert (folder / f"{HW}.ipynb").read_bytes() == VICTIM.encode()
    assert sorted(p.name for p in folder.iterdir() if p.name != "timestamp.txt") == [f"{HW}.ipynb"]
    assert set(dict(got.unplaced)) == set(FORGED[:2])


def test_a_forged_text_entry_of_a_student_missing_from_the_id_map_is_not_placed_either(tmp_path):
    # a text entry has no attachment id: Canvas writes <name>_<user id>_text.html, so user 1004 named x_1003 gets
    # x_1003_1004_text.html, which reads as user 1003 with attachment id 1004
    only_the_victim = I.index_of([("victim", "Vic", "Tim", "1003")])
    _, got = _collect(tmp_path, [VICTIM, FORGED[2], "timvic_1003_text.html"], roster=only_the_victim)
    why = dict(got.unplaced)
    assert "user id 1003 (victim) and user id 1004 (no student)" in why[FORGED[2]]
    assert "reads as" not in why["timvic_1003_text.html"]  # the victim's own text entry is not held back


def _entry(names, known=("1003",)):
    def student_of(uid):
        return {"1003": "victim", "1004": "atk", "2000": "jane"}.get(uid) if uid in known else None
    return canvas_entry(names[0], student_of, canvas_pins(names, student_of))


def test_an_upload_named_with_a_zero_padded_number_first_is_placed():
    e, why = _entry(["smithjohn_1003_55555_01_intro.pdf"])
    assert (e.user, e.submission, e.original, why) == ("1003", 55555, "01_intro.pdf", "")


def test_a_sortable_name_ending_in_a_zero_padded_number_is_placed(tmp_path):
    course, got = _collect(tmp_path, ["group_07_1003_208490284_Copy of hw5_explicit.ipynb"])
    assert (course.folder("submitted", HW, "victim") / f"{HW}.ipynb").exists() and not got.unplaced


def test_a_reading_that_renames_a_user_of_the_download_is_struck():
    # user 2000 (no student) is doejane elsewhere in the download: the entry is not theirs but 1003's, smith_2000
    e, why = _entry(["smith_2000_1003_55555_hw.ipynb", "doejane_2000_55560_x.pdf"])
    assert (e.user, e.name, e.original, why) == ("1003", "smith_2000", "hw.ipynb", "")


def test_an_entry_whose_struck_reading_was_a_students_is_still_held():
    e, why = _entry(["smith_2000_1003_55555_hw.ipynb", "doejane_2000_55560_x.pdf"], known=("1003", "2000"))
    assert e is None and "gives user id 2000 another name" in why


def test_a_forgery_copying_the_victims_name_is_held():
    e, why = _entry(["timvic_1003_1004_208490999_a_Assgn3.ipynb", VICTIM])
    assert e is None and "user id 1003 (victim) and user id 1004 (no student)" in why


def test_an_upload_named_with_a_number_first_is_held_when_nothing_tells():
    # smithjohn (1003)'s 2024_report.pdf, or user 55555 named smithjohn_1003's report.pdf: the name cannot tell
    e, why = _entry(["smithjohn_1003_55555_2024_report.pdf", "smithjohn_1003_55556_hw.ipynb"])
    assert e is None and "user id 55555 (no student)" in why


def test_two_names_for_one_user_id_pin_nothing():
    assert canvas_pins(["a_7_55_x.pdf", "b_7_56_y.pdf"], lambda uid: None) == {}


def test_an_entry_with_an_empty_name_pins_nothing():
    # Canvas's reading of _1004_<attachment>_q_2000_5_z.pdf (a name sanitized away) is none of canvas_readings'
    assert canvas_pins(["_1004_208490999_q_2000_5_z.pdf"], lambda uid: None) == {}
