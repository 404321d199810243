"""dgmlab collect against zips a student or a damaged download could hand it (issue 52): each case goes through the
command (``dgmlab.cli.main``) on a scratch course whose roster is nbgrader's gradebook, as an instructor runs it.

The zips are what an LMS would make from what a student uploaded: on Canvas the tail of each entry's name is the
name the student gave the file, so it can be shaped like anything, a classmate's Moodle entry included."""
import os
import shutil
import struct
import sys
import warnings
import zipfile
from pathlib import Path

import pytest

from dgmlab import cli
from dgmlab.grading.course import Course

pytestmark = pytest.mark.slow  # nbgrader makes the roster's gradebook with alembic (once for the module)

HW = "hw5_explicit"
NB = f"{HW}.ipynb"
ROSTER = {"ada": ("Ada", "Lovelace", "101"), "bob": ("Bob", "Babbage", "102"), "mal": ("Mal", "Lory", "103"),
          "cy": ("Cy", "Nolms", None),  # no LMS user id recorded: the one kind of student a name may match
          "sam1": ("Sam", "Twin", None), "sam2": ("Sam", "Twin", None)}  # namesakes: no name can tell them apart


@pytest.fixture(scope="module")
def gradebook(tmp_path_factory) -> Path:
    from nbgrader.api import Gradebook

    db = tmp_path_factory.mktemp("roster") / "gradebook.db"
    saved = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), saved])  # nbgrader runs alembic
    try:
        with Gradebook(f"sqlite:///{db}") as gb:
            for sid, (first, last, lms) in ROSTER.items():
                gb.add_student(sid, first_name=first, last_name=last, lms_user_id=lms)
    finally:
        os.environ["PATH"] = saved
    return db


@pytest.fixture()
def course(tmp_path, gradebook) -> Course:
    root = tmp_path / "course"
    (root / "source" / HW).mkdir(parents=True)
    (root / "source" / HW / NB).write_text("{}", encoding="utf-8")
    (root / "nbgrader_config.py").write_text("c = get_config()\n", encoding="utf-8")
    shutil.copy(gradebook, root / "gradebook.db")
    return Course(root)


@pytest.fixture()
def in_moodle(course) -> Course:
    """The course graded in Moodle: the roster's lms_user_id holds Moodle user ids (dgmlab.grading.lms.id_map)."""
    with (course.root / "nbgrader_config.py").open("a", encoding="utf-8") as f:
        f.write('c.DgmlabLms.platform = "moodle"\n')
    return course


def _zip(path: Path, files, compression=zipfile.ZIP_DEFLATED) -> Path:
    """``files``: ``{name: bytes}`` or a list of ``(name or ZipInfo, bytes)`` (a list may repeat a name)."""
    items = files.items() if isinstance(files, dict) else files
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns on a repeated name, which is the point of one case
        with zipfile.ZipFile(path, "w", compression) as z:
            for name, data in items:
                z.writestr(name, data)
    return path


def _collect(course: Course, zip_path: Path, *flags) -> int:
    return cli.main(["--course", str(course.root), "collect", HW, str(zip_path), *flags])


def _files(course: Course, sid: str) -> dict:
    folder = course.folder("submitted", HW, sid)
    if not folder.is_dir():
        return {}
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.name != "timestamp.txt"}


def _tree(root: Path) -> dict:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


ADA = "lovelaceada_101_5001_Lovelace_Ada_Assgn2.ipynb"
MOODLE_SHAPED = "Ada Lovelace_101_assignsubmission_file_"  # a classmate's Moodle prefix, as a Canvas file name


def test_a_canvas_upload_named_like_a_classmates_moodle_entry_never_reaches_their_folder(course, tmp_path, capsys):
    zip_path = _zip(tmp_path / "s.zip", {
        ADA: b"ada's 63/63 work",
        f"lorymal_103_5003_{MOODLE_SHAPED}{NB}": b"a blank notebook",
        f"lorymal_103_5003_{MOODLE_SHAPED}forged.pdf": b"%PDF forged"})
    rc = _collect(course, zip_path)
    assert _files(course, "ada") == {NB: b"ada's 63/63 work"}
    assert _files(course, "mal") == {}  # its name also reads as ada's user id (101): listed, placed nowhere
    out = capsys.readouterr().out
    assert "read as a Canvas download" in out and out.count("user id 101 (ada)") == 2 and rc == 1


def test_forty_pdfs_of_zeros_from_one_student_are_not_unpacked(course, tmp_path, capsys):
    pdfs = {f"lorymal_103_5003_scan{i}.pdf": b"%PDF" + bytes(2 * 2 ** 20) for i in range(40)}
    zip_path = _zip(tmp_path / "s.zip", {"lorymal_103_5003_hw5_explicit.ipynb": b"nb", **pdfs})
    assert zip_path.stat().st_size < 200 * 2 ** 10  # 80 MiB of PDFs, a few KiB zipped
    assert _collect(course, zip_path) == 1
    assert _files(course, "mal") == {NB: b"nb"}
    out = capsys.readouterr().out
    assert out.count("c.DgmlabCollect.max_ratio = 100 times: a zip bomb?), not read") == 40


def test_one_student_places_at_most_max_files(course, tmp_path, capsys):
    pdfs = {f"lorymal_103_5003_scan{i:02}.pdf": b"%PDF" + os.urandom(1000) for i in range(40)}
    assert _collect(course, _zip(tmp_path / "s.zip", {"lorymal_103_5003_hw5_explicit.ipynb": b"nb", **pdfs})) == 1
    placed = _files(course, "mal")
    assert len(placed) == 20 and NB in placed and "scan18.pdf" in placed and "scan19.pdf" not in placed
    out = capsys.readouterr().out
    assert "lorymal_103_5003_scan39.pdf: mal: scan39.pdf would be file 21: over c.DgmlabCollect.max_files = 20" in out


def test_the_per_student_byte_limit_is_read_from_the_course_config(course, tmp_path, capsys):
    with (course.root / "nbgrader_config.py").open("a", encoding="utf-8") as f:
        f.write("c.DgmlabCollect.max_student_bytes = 2500\n")
    pdfs = {f"lorymal_103_5003_scan{i}.pdf": os.urandom(1000) for i in range(3)}
    assert _collect(course, _zip(tmp_path / "s.zip", {"lorymal_103_5003_hw5_explicit.ipynb": b"nb", **pdfs})) == 1
    assert sorted(_files(course, "mal")) == [NB, "scan0.pdf", "scan1.pdf"]
    assert "mal: scan2.pdf (1000 bytes) would bring mal's files to 3002 bytes: over " \
           "c.DgmlabCollect.max_student_bytes = 2500" in capsys.readouterr().out


def _corrupt(zip_path: Path, entry: str) -> None:
    """Flip a byte of ``entry``'s (stored) data: its CRC no longer matches."""
    with zipfile.ZipFile(zip_path) as z:
        info = z.getinfo(entry)
    data = bytearray(zip_path.read_bytes())
    name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26:info.header_offset + 30])
    data[info.header_offset + 30 + name_len + extra_len] ^= 0xFF
    zip_path.write_bytes(bytes(data))


def test_a_bad_checksum_changes_no_folder_and_is_a_clear_error(course, tmp_path, capsys):
    for sid in ("ada", "mal"):
        course.folder("submitted", HW, sid).mkdir(parents=True)
        (course.folder("submitted", HW, sid) / NB).write_bytes(f"{sid}'s earlier".encode())
    before = _tree(course.root)
    zip_path = _zip(tmp_path / "s.zip", {ADA: b"ada's new", "babbagebob_102_5002_hw5.ipynb": b"bob's",
                                         "lorymal_103_5003_hw5.ipynb": b"mal's new"}, zipfile.ZIP_STORED)
    _corrupt(zip_path, "lorymal_103_5003_hw5.ipynb")
    assert _collect(course, zip_path) == 2
    err = capsys.readouterr().err
    assert "'lorymal_103_5003_hw5.ipynb' cannot be read" in err and "Nothing was placed" in err
    assert "Traceback" not in err
    assert _tree(course.root) == before  # ada's and mal's folders as they were, no bob, no staging left
    assert [p.name for p in course.root.iterdir() if p.name.startswith(".")] == []


def test_an_entry_declaring_fewer_bytes_than_it_holds_is_an_error(course, tmp_path, capsys):
    zip_path = _zip(tmp_path / "s.zip", {ADA: bytes(2 ** 20)})
    data = bytearray(zip_path.read_bytes())
    with zipfile.ZipFile(zip_path) as z:
        info = z.getinfo(ADA)
    central = data.rindex(b"PK\x01\x02")
    struct.pack_into("<I", data, info.header_offset + 22, 1000)  # local header: uncompressed size
    struct.pack_into("<I", data, central + 24, 1000)  # central directory: the same
    zip_path.write_bytes(bytes(data))
    assert _collect(course, zip_path) == 2
    assert "cannot be read" in capsys.readouterr().err
    assert not course.folder("submitted", HW, "ada").exists()


def test_a_zip_bomb_entry_is_not_unpacked(course, tmp_path, capsys):
    zip_path = _zip(tmp_path / "s.zip", {ADA: bytes(64 * 2 ** 20), "babbagebob_102_5002_hw5.ipynb": b"bob's"})
    assert _collect(course, zip_path) == 1
    assert _files(course, "ada") == {} and _files(course, "bob") == {NB: b"bob's"}
    assert "a zip bomb?), not read" in capsys.readouterr().out


def test_a_zip_unpacking_to_more_than_max_total_bytes_is_refused_whole(course, tmp_path, capsys):
    with (course.root / "nbgrader_config.py").open("a", encoding="utf-8") as f:
        f.write("c.DgmlabCollect.max_total_bytes = 10000\n")
    zip_path = _zip(tmp_path / "s.zip", {ADA: os.urandom(6000), "babbagebob_102_5002_hw5.ipynb": os.urandom(6000)})
    assert _collect(course, zip_path) == 2
    assert "unpacks to 12000 bytes, more than c.DgmlabCollect.max_total_bytes = 10000" in capsys.readouterr().err
    assert not course.folder("submitted").exists()


def _mappings(tmp_path: Path, rows: dict) -> str:
    """A --moodle-mappings CSV: ``{participant id: Moodle user id}``."""
    path = tmp_path / "mappings.csv"
    path.write_text("participant,userid\n" + "".join(f"{p},{u}\n" for p, u in rows.items()), encoding="utf-8")
    return str(path)


def test_dot_dot_and_absolute_names_are_refused(in_moodle, tmp_path, capsys):
    zip_path = _zip(tmp_path / "s.zip", {
        f"{MOODLE_SHAPED}/{NB}": b"ada's",
        f"{MOODLE_SHAPED}/../../escape.pdf": b"%PDF up",
        f"/{MOODLE_SHAPED}/absolute.pdf": b"%PDF absolute"})
    assert _collect(in_moodle, zip_path, "--moodle-mappings", _mappings(tmp_path, {"101": "101"})) == 1
    assert _files(in_moodle, "ada") == {NB: b"ada's"}
    out = capsys.readouterr().out
    assert f"{MOODLE_SHAPED}/../../escape.pdf: refused: a '..' part in the name" in out
    assert f"/{MOODLE_SHAPED}/absolute.pdf: refused: an absolute path" in out
    assert not any(p.name in ("escape.pdf", "absolute.pdf") for p in tmp_path.rglob("*"))


def test_a_symbolic_link_entry_is_refused(course, tmp_path, capsys):
    link = zipfile.ZipInfo("lovelaceada_101_5001_answers.pdf")
    link.external_attr = (0o120777 << 16)
    assert _collect(course, _zip(tmp_path / "s.zip", [(ADA, b"ada's"), (link, b"/etc/passwd")])) == 1
    assert _files(course, "ada") == {NB: b"ada's"}
    assert "lovelaceada_101_5001_answers.pdf: refused: a symbolic link" in capsys.readouterr().out


def test_a_zip_inside_the_zip_is_listed_not_unpacked(course, tmp_path, capsys):
    inner = _zip(tmp_path / "inner.zip", {"Lovelace_Ada_Assgn2.ipynb": b"inside"}).read_bytes()
    assert _collect(course, _zip(tmp_path / "s.zip", {ADA: b"ada's", "lovelaceada_101_5001_more.zip": inner})) == 1
    assert _files(course, "ada") == {NB: b"ada's"}
    assert "lovelaceada_101_5001_more.zip: ada: an archive inside the zip: not unpacked" in capsys.readouterr().out


def test_a_name_the_zip_holds_twice_is_refused(course, tmp_path, capsys):
    assert _collect(course, _zip(tmp_path / "s.zip", [(ADA, b"one"), (ADA, b"two")])) == 1
    assert _files(course, "ada") == {}
    assert capsys.readouterr().out.count(f"{ADA}: refused: 2 entries have this name") == 2


def test_a_folder_holding_another_submission_is_kept_and_listed(course, tmp_path, capsys):
    folder = course.folder("submitted", HW, "ada")
    folder.mkdir(parents=True)
    (folder / NB).write_bytes(b"collected last week")
    assert _collect(course, _zip(tmp_path / "s.zip", {ADA: b"ada's new"})) == 0
    assert _files(course, "ada") == {NB: b"ada's new"}
    (kept,) = (course.root / ".dgmlab" / "replaced" / HW).glob("*/ada")
    assert (kept / NB).read_bytes() == b"collected last week"
    assert f"ada/{HW}/ was moved to {kept.relative_to(course.root)}" in capsys.readouterr().out


def test_collecting_the_same_zip_again_replaces_nothing(course, tmp_path, capsys):
    zip_path = _zip(tmp_path / "s.zip", {ADA: b"ada's"})
    assert _collect(course, zip_path) == 0 and _collect(course, zip_path) == 0
    assert not (course.root / ".dgmlab" / "replaced").exists()
    assert "moved to" not in capsys.readouterr().out


def test_written_answers_as_images_are_placed_under_a_safe_name(course, tmp_path):
    assert _collect(course, _zip(tmp_path / "s.zip", {ADA: b"nb", "lovelaceada_101_5001_Q2 answer.JPG": b"jpg",
                                                      "lovelaceada_101_5001_Q3.png": b"png"})) == 0
    assert _files(course, "ada") == {NB: b"nb", "Q2_answer.jpg": b"jpg", "Q3.png": b"png"}


def test_a_zip_that_fits_both_formats_asks_for_lms(course, tmp_path, capsys):
    zip_path = _zip(tmp_path / "s.zip", {f"lorymal_103_5003_{MOODLE_SHAPED}{NB}": b"blank"})
    assert _collect(course, zip_path) == 2
    assert "--lms canvas or --lms moodle" in capsys.readouterr().err
    assert _collect(course, zip_path, "--lms", "canvas") == 1  # read as Canvas's, it names mal and ada: not placed
    assert _files(course, "mal") == {} and _files(course, "ada") == {}


def test_moodle_folders_are_read_as_moodle_and_lms_overrides(in_moodle, tmp_path, capsys):
    zip_path = _zip(tmp_path / "s.zip", {f"{MOODLE_SHAPED}/Lovelace_Ada_Assgn2.ipynb": b"ada's"})
    assert _collect(in_moodle, zip_path, "--lms", "canvas") == 1
    assert "not named as Canvas names a submission" in capsys.readouterr().out and _files(in_moodle, "ada") == {}
    assert _collect(in_moodle, zip_path, "--moodle-mappings", _mappings(tmp_path, {"101": "101"})) == 0
    assert _files(in_moodle, "ada") == {NB: b"ada's"} and "read as a Moodle download" in capsys.readouterr().out


# who is who (attack 52): an account the roster does not hold by id, and Moodle's participant ids

def _times(tmp_path: Path, rows: dict) -> str:
    path = tmp_path / "times.csv"
    path.write_text("student,submitted_at\n" + "".join(f"{k},{t}\n" for k, t in rows.items()), encoding="utf-8")
    return str(path)


def test_an_unknown_canvas_id_with_a_classmates_name_does_not_take_their_submission(course, tmp_path, capsys):
    zip_path = _zip(tmp_path / "s.zip", {"lovelaceada_101_5001_hw5.ipynb": b"ada's own",
                                         "lovelaceada_999_5009_hw5.ipynb": b"an impostor's (later submission id)"})
    times = _times(tmp_path, {"101": "2025-04-01T10:00:00+00:00", "999": "2025-04-30T10:00:00+00:00"})
    assert _collect(course, zip_path, "--times", times) == 1
    assert _files(course, "ada") == {NB: b"ada's own"}
    stamp = (course.folder("submitted", HW, "ada") / "timestamp.txt").read_text(encoding="utf-8")
    assert stamp.startswith("2025-04-01T10:00")  # ada's own time, not the impostor's
    out = capsys.readouterr().out
    assert "lovelaceada_999_5009_hw5.ipynb: 'lovelaceada' (user id 999): no student has Canvas user id 999 in " \
           "lms_ids.csv" in out
    assert "ada has the name 'lovelaceada' but Canvas user id 101: another person" in out
    assert "dgmlab ids import CSV, a row student,canvas with <their id>,999" in out and "earlier uploads" not in out


def _answers(monkeypatch, *answers):
    """The instructor's answers to collect --match-names's questions, in order."""
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("".join(f"{a}\n" for a in answers)))


def test_a_name_alone_places_nothing(course, tmp_path, capsys):
    assert _collect(course, _zip(tmp_path / "s.zip", {"nolmscy_555_1_hw5.ipynb": b"cy's"})) == 1
    assert _files(course, "cy") == {}
    assert "cy has the name 'nolmscy' and no Canvas id: a name does not tell who handed it in" in \
        capsys.readouterr().out


def test_a_confirmed_name_match_places_a_roster_student_without_an_lms_id(course, tmp_path, monkeypatch, capsys):
    _answers(monkeypatch, "y")
    assert _collect(course, _zip(tmp_path / "s.zip", {"nolmscy_555_1_hw5.ipynb": b"cy's"}), "--match-names") == 0
    assert _files(course, "cy") == {NB: b"cy's"}
    out = capsys.readouterr().out
    assert "place the files of 'nolmscy' (Canvas user id 555) as cy's, and record the id? [y/N]" in out
    assert "cy,,,555," in (course.root / "lms_ids.csv").read_text(encoding="utf-8")  # found by id from now on


def test_a_name_match_is_never_offered_for_a_student_with_an_lms_id(course, tmp_path, monkeypatch, capsys):
    _answers(monkeypatch, "y")
    zip_path = _zip(tmp_path / "s.zip", {"lovelaceada_999_5009_hw5.ipynb": b"an impostor's"})
    assert _collect(course, zip_path, "--match-names") == 1
    assert _files(course, "ada") == {} and "[y/N]" not in capsys.readouterr().out


def test_two_lms_ids_never_land_in_one_folder(course, tmp_path, monkeypatch, capsys):
    _answers(monkeypatch, "y", "y")
    zip_path = _zip(tmp_path / "s.zip", {"nolmscy_555_1_hw5.ipynb": b"one account's",
                                         "nolmscy_556_2_hw5.ipynb": b"another account's"})
    assert _collect(course, zip_path, "--match-names") == 1
    assert _files(course, "cy") == {} and not (course.root / "lms_ids.csv").exists()
    out = capsys.readouterr().out
    assert out.count("cy: entries of 2 different LMS users (555, 556) match cy: none is placed") == 2


def test_a_name_two_roster_students_share_matches_neither(course, tmp_path, capsys):
    assert _collect(course, _zip(tmp_path / "s.zip", {"twinsam_777_1_hw5.ipynb": b"which sam?"})) == 1
    assert _files(course, "sam1") == {} and _files(course, "sam2") == {}
    assert "2 students are named 'twinsam' (sam1, sam2)" in capsys.readouterr().out


# Moodle's folder number is the assignment's participant id (mod/assign's get_uniqueid_for_user, a row of
# assign_user_mapping), not the user id: here mal's participant id is 101, which is ada's Moodle user id
MOODLE_ZIP = {"Mal Lory_101_assignsubmission_file_/hw5.ipynb": b"mal's",
              "Ada Lovelace_1050_assignsubmission_file_/hw5.ipynb": b"ada's"}
PARTICIPANTS = {"101": "103", "1050": "101"}  # participant id -> Moodle user id


def test_a_moodle_participant_id_is_mapped_to_its_user_never_read_as_a_user_id(in_moodle, tmp_path):
    zip_path = _zip(tmp_path / "s.zip", MOODLE_ZIP)
    assert _collect(in_moodle, zip_path, "--moodle-mappings", _mappings(tmp_path, PARTICIPANTS)) == 0
    assert _files(in_moodle, "ada") == {NB: b"ada's"} and _files(in_moodle, "mal") == {NB: b"mal's"}


def test_a_moodle_zip_without_mappings_places_no_student_who_has_an_lms_id(in_moodle, tmp_path, capsys):
    assert _collect(in_moodle, _zip(tmp_path / "s.zip", MOODLE_ZIP)) == 1
    assert _files(in_moodle, "ada") == {} and _files(in_moodle, "mal") == {}
    out = capsys.readouterr().out
    assert "'Mal Lory' (Moodle participant 101): participant 101 is no student's in lms_ids.csv and its Moodle user " \
           "id is not known (give --moodle-mappings CSV" in out
    assert "mal has the name 'Mal Lory' and Moodle user id 103: a name does not tell whether this is mal" in out


def test_a_moodle_zip_is_placed_by_the_participant_ids_the_id_map_records(in_moodle, tmp_path):
    (in_moodle.root / "lms_ids.csv").write_text(f"student,moodle_participant:{HW}\nmal,101\nada,1050\n",
                                                encoding="utf-8")
    assert _collect(in_moodle, _zip(tmp_path / "s.zip", MOODLE_ZIP)) == 0
    assert _files(in_moodle, "ada") == {NB: b"ada's"} and _files(in_moodle, "mal") == {NB: b"mal's"}


def test_a_participant_id_the_map_and_moodle_give_two_students_places_neither(in_moodle, tmp_path, capsys):
    (in_moodle.root / "lms_ids.csv").write_text(f"student,moodle_participant:{HW}\nada,101\n", encoding="utf-8")
    assert _collect(in_moodle, _zip(tmp_path / "s.zip", MOODLE_ZIP), "--moodle-mappings",
                    _mappings(tmp_path, PARTICIPANTS)) == 1
    assert _files(in_moodle, "mal") == {} and _files(in_moodle, "ada") == {NB: b"ada's"}
    assert "lms_ids.csv gives Moodle participant 101 to ada but its user id 103 to mal: not placed" in \
        capsys.readouterr().out


def test_a_moodle_zips_participant_ids_are_read_from_the_courses_moodle(in_moodle, tmp_path, httpserver, monkeypatch):
    from dgmlab.grading.lms import moodle
    from moodle_fake import TOKEN, FakeMoodle

    site = FakeMoodle(httpserver, {}, mappings=PARTICIPANTS)
    monkeypatch.setenv(moodle.TOKEN_ENV, TOKEN)
    with (in_moodle.root / "nbgrader_config.py").open("a", encoding="utf-8") as f:
        f.write(site.config(HW))
    assert _collect(in_moodle, _zip(tmp_path / "s.zip", MOODLE_ZIP)) == 0
    assert _files(in_moodle, "ada") == {NB: b"ada's"} and _files(in_moodle, "mal") == {NB: b"mal's"}
    assert "mod_assign_get_user_mappings" in site.calls


def test_a_refused_upload_does_not_count_toward_the_zips_byte_limit(course, tmp_path, capsys):
    with (course.root / "nbgrader_config.py").open("a", encoding="utf-8") as f:
        f.write("c.DgmlabCollect.max_total_bytes = 10000\n")
    zip_path = _zip(tmp_path / "s.zip", {ADA: os.urandom(6000), "lorymal_103_5003_Q1.pdf": bytes(8 * 2 ** 20)})
    assert _collect(course, zip_path) == 1  # mal's 8 MiB of zeros is refused as a zip bomb, not counted
    assert len(_files(course, "ada")[NB]) == 6000
    assert "lorymal_103_5003_Q1.pdf: refused: 8388608 bytes packed" in capsys.readouterr().out
