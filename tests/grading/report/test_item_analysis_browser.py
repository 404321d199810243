"""The dashboard's item analysis, with flagged items, passes axe-core in a headless Chromium (tests/a11y.py; skipped,
saying what to install, without one): the planted class of test_item_analysis on the dashboard's own page."""
import pytest
from markupsafe import Markup
from test_item_analysis import HW, _course, planted_class

from a11y import axe_violations, browser, describe
from dgmlab.grading.html_text import render
from dgmlab.grading.report import dashboard as D
from dgmlab.grading.report import item_analysis as IA

pytestmark = pytest.mark.slow  # drives a headless Chromium: make test, not make test-fast


def test_the_item_analysis_with_flags_has_no_serious_accessibility_violation(tmp_path):
    data, rubric = planted_class()
    section = IA.html_section(_course(tmp_path, rubric), data, HW)
    assert 'data-flag="negative"' in section and 'data-flag="near zero"' in section
    page = tmp_path / "dashboard.html"
    page.write_text(str(render("page.html.j2", csp=D.CSP, banner="INSTRUCTOR ONLY", course="planted",
                               written="now", hws=[HW], problems=[], totals="",
                               sections=[Markup(f'<section class="hw" id="hw-{HW}"><h2>{HW}</h2>{section}</section>')],
                               students=[])), encoding="utf-8")
    driver = browser()
    try:
        driver.get(page.resolve().as_uri())
        bad = axe_violations(driver)
        assert not bad, describe(bad)
    finally:
        driver.quit()
