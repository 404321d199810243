"""A hand-written timestamp.txt in a form nbgrader misreads (dgmlab.grading.term.timestamp_file): told from the forms
it reads as written, saying what to write instead."""
from dgmlab.grading.term import timestamp_file as TF


def test_an_offset_nbgrader_takes_as_seconds_is_flagged_with_the_iso_time_to_write():
    why = TF.misread("2026-11-21 10:00:00.000000 -0500")
    assert "nbgrader takes as 2026-11-21 10:08:20 UTC, not the 2026-11-21 15:00:00 UTC it writes" in why
    assert "write 2026-11-21T15:00:00+00:00 in its place" in why


def test_an_offset_with_a_colon_after_a_space_nbgrader_drops_is_flagged():
    assert "takes as 2026-11-21 10:00:00 UTC, not the 2026-11-21 15:00:00 UTC" in TF.misread(
        "2026-11-21 10:00:00 -05:00")


def test_the_forms_nbgrader_reads_as_written_are_not_flagged():
    for text in (TF.FORMAT, "2026-11-21T10:00:00-05:00\n", "2026-11-21 15:00:00.000000 UTC",
                 "2026-11-21 10:00:00 EST", "2026-11-21 15:00:00.000000 +0000"):
        assert TF.misread(text) == "", text


def test_text_that_is_no_time_is_flagged_naming_the_form_to_write():
    assert "nbgrader cannot read 'soon' as a time" in TF.misread("soon") and TF.FORMAT in TF.misread("soon")


def test_a_folder_without_the_file_has_no_problem(tmp_path):
    assert TF.problem(tmp_path) == ""
    (tmp_path / "timestamp.txt").write_text("2026-11-21 10:00:00.000000 -0500", encoding="utf-8")
    assert TF.problem(tmp_path).startswith(f"{tmp_path / 'timestamp.txt'}: it reads")
