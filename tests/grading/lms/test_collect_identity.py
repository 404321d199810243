"""Who handed in a file comes only from the LMS's fields (issue 52): whatever a student names their files, no file
of theirs lands in another student's folder. Hypothesis makes Canvas and Moodle downloads whose student-chosen
parts hold classmates' ids and names, separators, ``/``, ``..`` and the other format's shape, and the real collect
places each in a scratch course."""
import tempfile
import warnings
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dgmlab.grading.course import Course, CourseError
from dgmlab.grading.lms import intake as I

HW = "hw5_explicit"
# student: (Canvas's sortable name, Moodle's full name, LMS user id)
STUDENTS = {"ada": ("lovelaceada", "Ada Lovelace", "101"), "bob": ("babbagebob", "Bob Babbage", "102"),
            "mal": ("lorymal", "Mal Lory", "103")}
ROSTER = I.index_of((sid, full.split()[0], full.split()[1], uid) for sid, (_, full, uid) in STUDENTS.items())
# Moodle's folder number is the assignment's participant id; here each one is a classmate's user id
PARTICIPANT = {"ada": "102", "bob": "103", "mal": "101"}
MAPPINGS = {PARTICIPANT[sid]: uid for sid, (_, _, uid) in STUDENTS.items()}

# what a student can put in a file name: classmates' fields, both formats' whole prefixes (a classmate's), separators
# and extensions
SHAPES = ["Ada Lovelace_101_assignsubmission_file_", "Ada Lovelace_101_assignsubmission_file_/",
          "Ada Lovelace_102_assignsubmission_file_/",  # ada's own Moodle prefix (participant 102)
          "Bob Babbage_102_assignsubmission_onlinetext_", "lovelaceada_101_5001_", "babbagebob_LATE_102_5002_",
          "lovelaceada_101_"]
PIECES = ["_", "-", " ", "/", "..", ".", "101", "102", "5001", "_LATE", "lovelaceada", "Ada Lovelace", HW,
          "p1_pixelcnn_weights", "Lovelace_Ada_Assgn2", ".ipynb", ".pdf", ".PNG", ".pt", ".zip", "-1", " (2)"]
CHOSEN = st.lists(st.sampled_from(SHAPES) | st.sampled_from(PIECES) | st.text("ab1_/. ", min_size=1, max_size=3),
                  min_size=1, max_size=5).map("".join)
UPLOAD = st.tuples(st.sampled_from(sorted(STUDENTS)), CHOSEN, st.booleans(), st.integers(1, 9999))


def _entry(lms: str, sid: str, chosen: str, flag: bool, sub: int) -> str:
    sortable, full, uid = STUDENTS[sid]
    if lms == "canvas":  # flag: Canvas marked it late
        return f"{sortable}{'_LATE' if flag else ''}_{uid}_{sub}_{chosen}"
    return f"{full}_{PARTICIPANT[sid]}_assignsubmission_file_{'/' if flag else ''}{chosen}"  # flag: a folder


def _course(root: Path) -> Course:
    (root / "source" / HW).mkdir(parents=True)
    (root / "source" / HW / f"{HW}.ipynb").write_text("{}", encoding="utf-8")
    (root / "nbgrader_config.py").write_text("c = get_config()\n", encoding="utf-8")
    return Course(root)


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lms=st.sampled_from(I.FORMATS), uploads=st.lists(UPLOAD, min_size=1, max_size=8), told=st.booleans())
def test_no_file_lands_outside_the_folder_the_lms_fields_name(tmp_path, lms, uploads, told):
    work = Path(tempfile.mkdtemp(dir=tmp_path))
    course = _course(work / "course")
    owner = {}  # each entry's bytes -> the student whose LMS fields the entry carries
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a repeated name (refused by collect) makes zipfile warn
        with zipfile.ZipFile(work / "s.zip", "w") as z:
            for i, (sid, chosen, flag, sub) in enumerate(uploads):
                data = f"{sid}#{i}".encode()
                owner[data] = sid
                z.writestr(_entry(lms, sid, chosen, flag, sub), data)
    try:
        got = I.collect(course, HW, work / "s.zip", roster=ROSTER, lms=lms if told else None, mappings=MAPPINGS)
    except CourseError:  # a zip whose format cannot be told (or holds no LMS name) is refused whole
        assert not told
        assert not course.folder("submitted").exists()
        return
    assert got.lms == lms
    written = [p for p in course.root.rglob("*") if p.is_file()]
    for path in written:
        rel = path.relative_to(course.root).parts
        if rel[0] in ("source", "nbgrader_config.py") or rel == (".dgmlab", "hand_in_names", f"{HW}.json"):
            continue  # the notebook-name check's record (dgmlab.grading.lms.hand_in_names): no file of a student's
        assert rel[0] == "submitted" and rel[2] == HW and len(rel) == 4, path  # submitted/<student>/<hw>/<file>
        if rel[3] != "timestamp.txt":
            assert owner[path.read_bytes()] == rel[1], (path, path.read_bytes())
    for sid, name, entry in got.placed:
        data = (course.folder("submitted", HW, sid) / name).read_bytes()
        assert owner[data] == sid and entry == _entry(lms, *uploads[int(data.split(b"#")[1])])
