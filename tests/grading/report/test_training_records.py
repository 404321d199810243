"""dgmlab report's "needs a look" list (dgmlab.grading.report.training_records): records kept by the judge that are
missing or not one run are listed with why; one-run records are not; an unreadable kept verdict is listed too."""
from dgmlab.grading.judge.training_record import NEEDS_A_LOOK, ONE_RUN, RecordVerdict
from dgmlab.grading.report import training_records


class _Course:
    def __init__(self, root):
        self.root = root

    def kept_folder(self, hw, student):
        return self.root / ".dgmlab" / "kept" / hw / student


def _keep(course, student, verdict=None, data=None, name="training_record.pt"):
    folder = course.kept_folder("hw4_gans", student)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data if data is not None else verdict.to_bytes())


def test_records_that_need_a_look_are_listed_with_why(tmp_path):
    course = _Course(tmp_path)
    _keep(course, "ada", RecordVerdict("baseline_generator_weights.pt", ONE_RUN, [], [(1, 1.0)], "replayed"))
    _keep(course, "bob", RecordVerdict("baseline_generator_weights.pt", NEEDS_A_LOOK,
                                       ["no training record (baseline_training_record.pt) was handed in"]))
    lines = training_records.report_lines(course, ["hw4_gans"])
    assert lines[1].startswith("trained results that need a look (1)")
    assert lines[2:] == ["  bob hw4_gans baseline_generator_weights.pt: no training record "
                         "(baseline_training_record.pt) was handed in"]


def test_unreadable_kept_verdict_is_listed(tmp_path):
    course = _Course(tmp_path)
    _keep(course, "cy", data=b"garbage")
    (line,) = training_records.report_lines(course, ["hw4_gans"])[2:]
    assert line.startswith("  cy hw4_gans training_record.pt: its kept verdict cannot be read")


def test_every_graded_files_verdict_is_listed_as_autograde_flags_it(tmp_path):
    """hw4 keeps a verdict per weights file (training_record.pt, training_record_cgan.pt): the second one's cells are
    pending (cells_to_look reads every kept verdict), so the list names it too."""
    course = _Course(tmp_path)
    _keep(course, "ada", RecordVerdict("baseline_generator_weights.pt", ONE_RUN, [], [(1, 1.0)], "replayed"))
    _keep(course, "ada", RecordVerdict("cgan_generator_weights.pt", NEEDS_A_LOOK, ["not one run"], cells=["p4_cgan"]),
          name="training_record_cgan.pt")
    lines = training_records.report_lines(course, ["hw4_gans"])
    assert lines[2:] == ["  ada hw4_gans cgan_generator_weights.pt (p4_cgan): not one run"]


def test_no_record_verdicts_no_block(tmp_path):
    assert training_records.report_lines(_Course(tmp_path), ["hw4_gans"]) == []
