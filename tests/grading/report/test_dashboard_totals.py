"""The dashboard's course totals (report/dashboard.py, totals_section): each student's total and letter as dgmlab
registrar computes them, under pseudonyms when anonymized, a setting that makes no sense shown rather than raised,
and names from the roster inert (a gradebook built with nbgrader's API: no autograding)."""
import re

import pytest

from dgmlab.grading.report import dashboard as D
from grading.term.test_late_everywhere import CONFIG, _make

pytestmark = pytest.mark.slow  # nbgrader makes a gradebook with alembic

TERM = CONFIG + '\nc.DgmlabTerm.letters = {"A": 90, "B": 80, "C": 70, "D": 60, "F": 0}\n'


def _totals(page: str) -> dict:
    section = page[page.index('<section id="course-totals">'):]
    section = section[:section.index("</section>")]
    return {sid: (total, letter) for sid, total, letter in re.findall(
        r'<tr data-student="([^"]+)">.*?data-stat="total">([^<]*)</td><td[^>]*data-stat="letter">([^<]*)</td>',
        section)}


def _write(course, tmp_path, **kw) -> str:
    path, _ = D.write(course, tmp_path / "dash.html", shared=[], similar=[], runtime=[], **kw)
    return path.read_text(encoding="utf-8")


def test_the_dashboard_shows_each_students_course_total_and_letter(tmp_path):
    page = _write(_make(tmp_path, TERM), tmp_path)
    # 20 points: ada and dee 14 (70 %), bob a day late 12.60 (63 %), cy refused (0), as dgmlab registrar says
    assert _totals(page) == {"ada": ("70.00", "C"), "bob": ("63.00", "D"), "cy": ("0.00", "F"), "dee": ("70.00", "C")}
    assert '<span data-letter="C">C 2</span>' in page and '<span data-stat="pending_totals">0</span>' in page


def test_the_anonymized_dashboard_shows_the_totals_under_pseudonyms_without_names(tmp_path):
    page = _write(_make(tmp_path, TERM), tmp_path, anonymize=True)
    totals = _totals(page)
    assert sorted(totals.values()) == [("0.00", "F"), ("63.00", "D"), ("70.00", "C"), ("70.00", "C")]
    assert all(sid.startswith("student-") for sid in totals)
    assert "Doe" not in page[page.index('<section id="course-totals">'):page.index('<section class="hw"')]


def test_a_term_setting_that_makes_no_sense_is_shown_on_the_dashboard_not_raised(tmp_path):
    page = _write(_make(tmp_path, CONFIG + '\nc.DgmlabTerm.weights = {"hw9_typo": 1}\n'), tmp_path)
    assert "Not computed: nbgrader_config.py: c.DgmlabTerm.weights names hw9_typo" in page


def test_a_roster_name_in_the_totals_is_text_not_markup(tmp_path):
    from nbgrader.api import Gradebook

    course = _make(tmp_path, TERM)
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gb:
        gb.update_or_create_student("ada", first_name="<script>alert(1)</script>", last_name="<b>x</b>")
    page = _write(course, tmp_path)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
