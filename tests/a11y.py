"""Accessibility checks for the kit's HTML pages: a headless Chromium and axe-core.

``browser()`` starts Debian's chromium through chromium-driver (Selenium), or skips the test saying what to
install. ``axe_violations(driver)`` runs axe-core (the copy the PyPI package ``axe-core-python`` ships, from
pyproject's dev extra: nothing is downloaded at test time) on the page the driver shows and returns the
violations of the given impacts; ``describe`` makes them readable in an assertion message. For example::

    driver = browser()
    try:
        driver.get(page.resolve().as_uri())
        bad = axe_violations(driver)
        assert not bad, describe(bad)
    finally:
        driver.quit()
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
DRIVER = shutil.which("chromedriver")
SERIOUS = ("serious", "critical")
# rules a student's pages are held to whatever impact the shipped axe-core gives them: newer axe-core rates them
# serious (a link told from its text by colour alone; a scrolling block a keyboard cannot reach), the copy
# axe-core-python ships may not
ALWAYS = ("link-in-text-block", "scrollable-region-focusable")


def browser(width: int = 1200, height: int = 1800):
    """A headless Chromium session, or a skip that says what is missing and how to install it."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium is not installed: pip install -e '.[dev]'")
    if not (CHROMIUM and DRIVER):
        pytest.skip("no headless browser: install Debian's chromium and chromium-driver "
                    "(apt-get install chromium chromium-driver; .ci/run does this as root)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={width},{height}", "--hide-scrollbars"]:
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=opts, service=Service(DRIVER))


def axe_script() -> str:
    """axe-core's ``axe.min.js``, from the installed ``axe-core-python`` package (or a skip naming it)."""
    try:
        import axe_core_python
    except ImportError:
        pytest.skip("axe-core-python (which ships axe-core's axe.min.js) is not installed: pip install -e '.[dev]'")
    return (Path(axe_core_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def axe_violations(driver, impacts=SERIOUS, rules: dict | None = None, unfold: bool = True,
                   always=()) -> list[dict]:
    """axe-core's violations of ``impacts`` on the page ``driver`` shows, and of the rules ``always`` whatever
    their impact (axe's own dicts: ``id``, ``impact``, ``help``, ``nodes`` with each element's ``target`` and
    ``failureSummary``).

    The script is injected through WebDriver, which a page's Content-Security-Policy does not block, and runs
    axe's default rules (WCAG 2 A and AA plus best practices); ``rules`` (e.g. ``{"region": {"enabled": False}}``)
    switches some off for one call. ``unfold``: every ``<details>`` is opened first, so that what a reader
    unfolds is checked too (axe skips hidden content).
    """
    if unfold:
        driver.execute_script("document.querySelectorAll('details').forEach(d => { d.open = true; });")
    driver.execute_script(axe_script())
    options = {"resultTypes": ["violations"]}
    if rules:
        options["rules"] = rules
    driver.set_script_timeout(120)
    results = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, arguments[0]).then(r => done(r.violations), e => done({error: String(e)}));", options)
    if isinstance(results, dict) and "error" in results:
        raise RuntimeError(f"axe-core failed on {driver.current_url}: {results['error']}")
    return [v for v in results if v.get("impact") in impacts or v.get("id") in always]


def describe(violations: list[dict], per_rule: int = 3) -> str:
    """The violations, one rule a line with a few of the elements it found, for an assertion message."""
    lines = []
    for v in violations:
        where = "; ".join(" ".join(n.get("target", [])) for n in v["nodes"][:per_rule])
        lines.append(f"{v['impact']} {v['id']} ({len(v['nodes'])}x): {v['help']} -- e.g. {where}")
    return "\n".join(lines)
