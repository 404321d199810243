"""The dashboard in a real headless browser (Debian's chromium + chromium-driver, driven by Selenium).

Checks that every chart rendered, that the numbers on the page are the
gradebook's, and that the browser logged no error (a blocked request under the
page's Content-Security-Policy would be one). Saves a screenshot; with
``DGMLAB_UPDATE_FIGURES=1`` it goes to docs/figures/instructor_dashboard.png.
"""
import os
import statistics
from pathlib import Path

import pytest
from test_report import HW, build_course, gradebook_truth

from a11y import browser  # headless Chromium, or a skip naming what to install
from conftest import ROOT
from dgmlab.grading.report import dashboard as D

pytestmark = pytest.mark.slow  # drives a headless Chromium: make test, not make test-fast

FIGURE = ROOT / "docs" / "figures" / "instructor_dashboard.png"


def shoot(html: Path, png: Path, driver=None) -> None:
    """Screenshot of the top of ``html`` (used for the README figure as well)."""
    own = driver is None
    driver = driver or browser()
    try:
        driver.get(html.resolve().as_uri())
        png.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(png))
    finally:
        if own:
            driver.quit()


def test_dashboard_renders_in_chromium_with_the_gradebooks_numbers(tmp_path):
    driver = browser()
    try:
        course = build_course(tmp_path)
        page, _ = D.write(course, tmp_path / "dashboard.html")
        driver.get(page.resolve().as_uri())
        from selenium.webdriver.common.by import By

        charts = driver.find_elements(By.CSS_SELECTOR, "img.chart, img.samples")
        assert len(charts) == 4
        for img in charts:  # decoded and laid out: a broken data: URI has naturalWidth 0
            assert driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth", img) > 0
            assert img.size["width"] > 50 and img.size["height"] > 50
        truth = gradebook_truth(course.root)
        totals = [t for sid, t in truth["total"].items() if sid != "bob"]  # bob's mark is pending: not a mark

        def shown(stat):
            return float(driver.find_element(By.CSS_SELECTOR, f'[data-hw="{HW}"][data-stat="{stat}"]').text)

        assert shown("mean") == pytest.approx(statistics.mean(totals), abs=0.01)
        assert shown("median") == pytest.approx(statistics.median(totals), abs=0.01)
        assert shown("n") == len(totals) and shown("pending") == 1
        for (sid, cell), score in truth["cell"].items():
            td = driver.find_element(By.CSS_SELECTOR, f'tr[data-student="{sid}"][data-cell="{cell}"] '
                                                      f'[data-stat="points"]')
            text = td.get_attribute("textContent")
            assert (0.0 if text == "–" else float(text)) == pytest.approx(score), (sid, cell)
        banner = driver.find_element(By.ID, "instructor-only")
        assert banner.is_displayed() and banner.text.startswith("INSTRUCTOR ONLY")
        errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
        assert not errors, errors
        png = FIGURE if os.environ.get("DGMLAB_UPDATE_FIGURES") == "1" else tmp_path / "dashboard.png"
        shoot(page, png, driver)
        assert png.stat().st_size > 10_000
    finally:
        driver.quit()
