"""The instructor's dashboard, a student's feedback page and grade summary, and the page `dgmlab pdf` prints pass
axe-core with no serious or critical violation, in a headless Chromium (tests/a11y.py; skipped, saying what to
install, without one).

The class is test_report's small graded one; ada's autograded notebook (and hw1's release notebook for the PDF)
gets what a real one holds and the fixture lacks: a plot, a coloured traceback, Markdown with a table and code.
"""
import base64
import io
import os
import sys
from pathlib import Path

import nbformat
import pytest

from a11y import ALWAYS, axe_violations, browser, describe
from conftest import ROOT
from dgmlab import pdf as P
from dgmlab.grading.autograde import nbgrader_run as NR
from dgmlab.grading.report import analysis as A
from dgmlab.grading.report import dashboard as D
from dgmlab.grading.report import grade_summary as GS
from dgmlab.pdf_tools import DEBIAN_MATHJAX
from grading.report.test_report import HW, build_course

pytestmark = pytest.mark.slow  # drives a headless Chromium: make test, not make test-fast

ANSI_TRACEBACK = [
    "\x1b[0;31m---------------------------------------------------------------------------\x1b[0m",
    "\x1b[0;31mAssertionError\x1b[0m                            Traceback (most recent call last)",
    "Cell \x1b[0;32mIn[7], line 3\x1b[0m\n\x1b[1;32m      1\x1b[0m \x1b[38;5;66;03m# visible check\x1b[39;00m",
    "\x1b[0;31mAssertionError\x1b[0m: value off by a sign",
]
MARKDOWN = ("## Results\n\nThe critic's loss, per epoch:\n\n| epoch | loss |\n|---|---|\n| 1 | 0.52 |\n| 2 | 0.31 |\n\n"
            "`torch.nn.Linear` and $W_1(P, Q)$, a [link](#top).\n\n```python\nx = 1  # a comment\n```")

# every kind of token the Pygments default style colours below 4.5:1 on a code cell's grey, and then some
CODE = """#!/usr/bin/env python
# a comment
@torch.no_grad()
def critic_loss(x: torch.Tensor, y=None) -> float:
    \"\"\"A docstring.\"\"\"
    if y is not None and x not in (1, 2.5, 0x1F):
        raise ValueError(f"bad {x!r}\\n" + r"\\d+" % 3)
    return -x.mean() ** 2 @ w
"""


def _png() -> str:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, 1, 2], [2, 1, 0.5])
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=60)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _real_outputs() -> list:
    """A plot, an HTML output with an image, a coloured traceback and Markdown, as a student's notebook holds them."""
    plot = nbformat.v4.new_code_cell("plt.plot(losses)", outputs=[
        nbformat.v4.new_output("display_data", data={"image/png": _png(), "text/plain": "<Figure>"})])
    error = nbformat.v4.new_code_cell("check()", outputs=[
        nbformat.v4.new_output("error", ename="AssertionError", evalue="value off by a sign",
                               traceback=ANSI_TRACEBACK)])
    shown = nbformat.v4.new_code_cell("display(HTML(...))", outputs=[nbformat.v4.new_output("display_data", data={
        "text/html": f'My sketch: <img src="data:image/png;base64,{_png()}">', "text/plain": "<HTML>"})])  # no alt
    code = nbformat.v4.new_code_cell(CODE)
    long = nbformat.v4.new_code_cell("for epoch in range(300): print(epoch, losses)", outputs=[  # a training log
        nbformat.v4.new_output("stream", name="stdout", text="".join(f"epoch {i}: " + "0.125 " * 60 + "\n"
                                                                     for i in range(300)))])
    long.metadata["scrolled"] = True  # as Jupyter saves an output a student scrolled
    return [nbformat.v4.new_markdown_cell(MARKDOWN), code, plot, shown, error, long]


def _with_real_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nb.cells += _real_outputs()
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return build_course(tmp_path_factory.mktemp("a11y"))


@pytest.fixture(scope="module")
def driver():
    d = browser()
    yield d
    d.quit()


def _check(driver, page: Path, student: bool = True) -> None:
    """No serious or critical violation on ``page``; on a page a student reads, none of :data:`a11y.ALWAYS` either."""
    driver.get(page.resolve().as_uri())
    bad = axe_violations(driver, always=ALWAYS if student else ())  # every <details> unfolded
    assert not bad, f"{page.name}:\n{describe(bad)}"


@pytest.mark.parametrize("anonymize", [False, True], ids=["named", "anonymized"])
def test_the_dashboard_has_no_serious_accessibility_violation(course, driver, anonymize, tmp_path):
    page, _ = D.write(course, tmp_path / "dashboard.html", anonymize=anonymize)
    _check(driver, page, student=False)


def test_a_students_feedback_page_has_no_serious_accessibility_violation(course, driver):
    _with_real_outputs(course.root / "autograded" / "ada" / HW / f"{HW}.ipynb")
    saved = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), saved])
    try:
        res = NR.run_feedback(course.root, HW, "ada")
    finally:
        os.environ["PATH"] = saved
    assert res.returncode == 0, res.output
    page = course.root / "feedback" / "ada" / HW / f"{HW}.html"
    html = page.read_text(encoding="utf-8")
    assert 'src="data:image/png;base64,' in html and "off by a sign" in html  # the outputs are on the page
    assert 'href="#' in html and "epoch 299: " in html  # links to the graded cells, a long training log
    _check(driver, page)


def test_a_students_grade_summary_has_no_serious_accessibility_violation(course, driver):
    pages = GS.write_summaries(course, A.collect(course))
    assert pages
    for page in pages:
        _check(driver, page)


def test_the_page_dgmlab_pdf_prints_has_no_serious_accessibility_violation(driver, tmp_path):
    nb = nbformat.read(ROOT / "release" / "hw1_wgan" / "hw1_wgan.ipynb", as_version=4)
    nb.cells += _real_outputs()
    page = tmp_path / "hw1_wgan.html"  # MathJax need not run for the check: the path is only the page's link to it
    page.write_text(P.notebook_html(nb, DEBIAN_MATHJAX, "hw1_wgan"), encoding="utf-8")
    assert "off by a sign" in page.read_text(encoding="utf-8")
    _check(driver, page)
