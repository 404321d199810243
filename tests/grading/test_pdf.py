"""`dgmlab pdf`: a notebook as one PDF and one PDF per question, made offline (dgmlab.pdf).

The PDFs are read back with poppler's ``pdftotext`` and ``pdfimages`` (Debian: poppler-utils). The tests that
print need Debian's chromium and libjs-mathjax (.ci/run installs them as root) and skip, saying what to install,
without them.
"""
import base64
import io
import re
import shutil
import subprocess

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from conftest import ROOT

from dgmlab import cli
from dgmlab import pdf as P

EXAMPLE = ROOT / "examples" / "demo_amara" / "hw3_flows" / "hw3_flows.ipynb"
Q1_FIGURE = (320, 240)  # pixels: each question's figure has its own size, so pdfimages tells them apart
Q2_FIGURE = (280, 200)
RAW_TEX = re.compile(r"\$|\\(frac|mathcal|sum|int|left|right|begin|mathbb|sqrt)\b|Math Processing Error")


def png(size) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(size[0] / 100, size[1] / 100), dpi=100)
    fig.gca().plot([0, 1, 2], [0, 1, 0])
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def figure_output(size):
    return new_output("display_data", data={"image/png": png(size), "text/plain": "<Figure>"})


def two_questions() -> nbformat.NotebookNode:
    """Title and setup, Q1 (math, code, a figure, a written answer), Q2 (a long code line, a figure), a closing
    note that belongs to no question."""
    long_line = ("numbers = [" + ", ".join(str(1000 + i) for i in range(60)) + ', "LONGTAIL"]')
    return new_notebook(cells=[
        new_markdown_cell("# Homework T: a test\n\nPREAMBLE text before any question."),
        new_code_cell("SETUPMARK = 1"),
        new_markdown_cell("## Q1. First question (5 points)\n\nFIRSTSTATEMENT: show that "
                          r"$\frac{a}{b} + \mathcal{N}(0, I)$ and" "\n\n" r"$$\sum_{i=1}^n \sqrt{x_i} = \int_0^1 f$$"),
        new_code_cell('q1_value = "Q1CODEMARK"\nprint(q1_value)',
                      outputs=[new_output("stream", name="stdout", text="Q1CODEMARK\n"), figure_output(Q1_FIGURE)]),
        new_markdown_cell(r"Q1ANSWER: the written answer, with $\mathbb{E}[x] = 0$.",
                          metadata={"nbgrader": {"solution": True, "grade": True, "grade_id": "q1_written",
                                                 "points": 2}}),
        new_markdown_cell("## Q2. Second question (5 points)\n\nSECONDSTATEMENT: the long line below wraps."),
        new_code_cell(long_line, outputs=[figure_output(Q2_FIGURE)]),
        new_markdown_cell("## Closing note\n\nCLOSINGNOTE, in no question."),
    ])


def test_questions_split_at_their_headings_and_end_at_another_heading():
    got = P.questions(two_questions())
    assert [(q.label, q.cells) for q in got] == [("Q1", [2, 3, 4]), ("Q2", [5, 6])]
    assert got[0].title == "Q1. First question (5 points)"


def test_a_heading_in_a_students_answer_starts_no_question():
    nb = two_questions()
    nb.cells[4].source = "## Q2 my answer to Q1, with a heading\n\nQ1ANSWER"
    assert [(q.label, q.cells) for q in P.questions(nb)] == [("Q1", [2, 3, 4]), ("Q2", [5, 6])]


def test_the_release_notebooks_questions_are_found():
    nb = nbformat.read(EXAMPLE, as_version=4)
    assert [q.label for q in P.questions(nb)] == ["Q1", "Q2", "Q3", "Q4"]
    hw2 = nbformat.read(ROOT / "release" / "hw2_wgangp" / "hw2_wgangp.ipynb", as_version=4)
    assert [q.label for q in P.questions(hw2)] == ["P1", "P2", "P3", "P4", "P5", "P6"]


def test_the_page_loads_nothing_from_the_web_and_runs_no_script_of_the_notebook(tmp_path):
    mathjax = tmp_path / "MathJax.js"
    mathjax.write_text("")
    nb = two_questions()
    nb.cells.append(new_markdown_cell('<script>document.title = "EVIL"</script>'))
    nb.cells.append(new_code_cell("x", outputs=[new_output("display_data", data={
        "text/html": '<script type="text/x-mathjax-config">EVIL()</script>'})]))
    html = P.notebook_html(nb, mathjax)
    assert not re.search(r"""(src|href)=["']https?:""", html)
    assert f'src="{mathjax.as_uri()}?config=TeX-AMS_HTML"' in html
    assert "Content-Security-Policy" in html
    body = html.partition("<body")[2]
    assert "<script" not in body.lower()


def test_file_names_from_a_notebook_or_a_student_have_no_path_parts():
    assert P.safe_name("../../etc/passwd") == "etc_passwd"
    assert P.safe_name(".hidden") == "hidden"
    assert P.safe_name("") == "_"
    assert "/" not in P.safe_name("a/b\\c d")


def test_without_chromium_it_fails_naming_the_package(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv(P.CHROMIUM_ENV, raising=False)
    monkeypatch.setattr(P.shutil, "which", lambda name: None)
    with pytest.raises(P.PdfError, match=r"apt-get install chromium"):
        P.find_chromium()
    nb = tmp_path / "hw.ipynb"
    nbformat.write(two_questions(), nb)
    monkeypatch.setattr(P, "find_mathjax", lambda: tmp_path)
    assert cli.main(["pdf", str(nb)]) == 2
    assert "apt-get install chromium" in capsys.readouterr().err


def test_without_mathjax_it_fails_naming_the_package(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv(P.MATHJAX_ENV, raising=False)
    monkeypatch.setattr(P, "DEBIAN_MATHJAX", tmp_path / "absent" / "MathJax.js")
    with pytest.raises(P.PdfError, match=r"apt-get install libjs-mathjax"):
        P.find_mathjax()
    nb = tmp_path / "hw.ipynb"
    nbformat.write(two_questions(), nb)
    assert cli.main(["pdf", str(nb)]) == 2
    assert "libjs-mathjax" in capsys.readouterr().err


# -- printed with Chromium

def tools():
    """Skip, saying what to install, unless this machine can print and read back PDFs."""
    try:
        P.find_chromium()
        P.find_mathjax()
    except P.PdfError as exc:
        pytest.skip(f"{exc} (.ci/run installs it as root)")
    if not (shutil.which("pdftotext") and shutil.which("pdfimages")):
        pytest.skip("no pdftotext and pdfimages: install Debian's poppler-utils (apt-get install poppler-utils; "
                    ".ci/run does this as root)")


def text(pdf) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def images(pdf) -> list:
    """(width, height) of each image in ``pdf``."""
    out = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    return [(int(row.split()[3]), int(row.split()[4])) for row in out.splitlines()[2:] if row.strip()]


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    """The test notebook's PDFs, printed once for the tests below (through `dgmlab pdf <notebook>`)."""
    tools()
    tmp = tmp_path_factory.mktemp("pdf")
    nb = tmp / "hw_t.ipynb"
    nbformat.write(two_questions(), nb)
    assert cli.main(["pdf", str(nb)]) == 0
    return tmp / "pdf"


@pytest.mark.slow
def test_the_student_gets_the_whole_notebook_and_one_pdf_per_question(printed):
    assert sorted(p.name for p in printed.iterdir()) == ["hw_t.pdf", "hw_t_Q1.pdf", "hw_t_Q2.pdf"]
    whole = text(printed / "hw_t.pdf")
    for mark in ["PREAMBLE", "SETUPMARK", "FIRSTSTATEMENT", "Q1CODEMARK", "SECONDSTATEMENT", "LONGTAIL",
                 "CLOSINGNOTE"]:
        assert mark in whole
    assert sorted(images(printed / "hw_t.pdf")) == sorted([Q1_FIGURE, Q2_FIGURE])


@pytest.mark.slow
def test_each_question_pdf_holds_its_heading_statement_code_answer_and_figure(printed):
    q1, q2 = text(printed / "hw_t_Q1.pdf"), text(printed / "hw_t_Q2.pdf")
    for mark in ["Q1. First question", "FIRSTSTATEMENT", 'q1_value = "Q1CODEMARK"', "Q1ANSWER"]:
        assert mark in q1
    for mark in ["Q2. Second question", "SECONDSTATEMENT", "numbers = [1000"]:
        assert mark in q2
    assert images(printed / "hw_t_Q1.pdf") == [Q1_FIGURE]
    assert images(printed / "hw_t_Q2.pdf") == [Q2_FIGURE]


@pytest.mark.slow
def test_a_question_pdf_holds_nothing_of_another_question_or_the_preamble(printed):
    q1, q2 = text(printed / "hw_t_Q1.pdf"), text(printed / "hw_t_Q2.pdf")
    for mark in ["Second question", "SECONDSTATEMENT", "numbers", "PREAMBLE", "SETUPMARK", "CLOSINGNOTE"]:
        assert mark not in q1
    for mark in ["First question", "FIRSTSTATEMENT", "Q1CODEMARK", "Q1ANSWER", "PREAMBLE", "CLOSINGNOTE"]:
        assert mark not in q2


@pytest.mark.slow
def test_math_is_typeset_so_no_raw_tex_is_left(printed):
    for pdf in printed.iterdir():
        left = RAW_TEX.findall(text(pdf))
        assert not left, f"{pdf.name}: {left}"
    q1 = text(printed / "hw_t_Q1.pdf")
    assert "N" in q1 and "∑" in q1  # what MathJax drew: \mathcal{N}'s letter, the summation sign


@pytest.mark.slow
def test_a_long_code_line_wraps_inside_the_page(printed):
    pdf = printed / "hw_t_Q2.pdf"
    assert "LONGTAIL" in text(pdf)
    bbox = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    width = float(re.search(r'<page width="([\d.]+)"', bbox).group(1))
    right = max(float(x) for x in re.findall(r'xMax="([\d.]+)"', bbox))
    assert right < width - 0.4 * 72, f"a word ends at {right:.0f} pt of a {width:.0f} pt page (0.5 in margins)"
    numbers = [line for line in text(pdf).splitlines() if re.search(r"\b10[0-5]\d\b", line)]
    assert len(numbers) >= 2  # the one line of code is printed on several


@pytest.mark.slow
def test_a_release_notebook_gives_one_pdf_per_question_each_its_own(tmp_path):
    tools()
    nb = nbformat.read(EXAMPLE, as_version=4)
    plot = next(c for c in nb.cells if c.cell_type == "code" and "generator_grad_norm(gen" in c.source)
    plot.outputs = [figure_output(Q1_FIGURE)]  # as if the student had run the cell (the examples are not run)
    notebook = tmp_path / "hw3_flows.ipynb"
    nbformat.write(nb, notebook)
    written = P.write_pdfs(notebook, tmp_path / "pdf")
    assert list(written.questions) == ["Q1", "Q2", "Q3", "Q4"]
    pages = {label: text(path) for label, path in written.questions.items()}
    headings = {"Q1": "Q1. Change of variables", "Q2": "Q2. Volume-preserving flows",
                "Q3": "Q3. The optimal discriminator", "Q4": "Q4. A perfect discriminator"}
    for label, page in pages.items():
        assert headings[label] in page
        assert not [h for other, h in headings.items() if other != label and h in page]
        assert not RAW_TEX.findall(page), f"{label}: {RAW_TEX.findall(page)}"
    assert "def p_counter(xy, k):" in pages["Q2"]
    assert "def discriminator_loss(D, p_data, p_g):" in pages["Q3"]
    assert images(written.questions["Q4"]) == [Q1_FIGURE]  # the gradient-norm figure, in Q4's PDF only
    assert not [label for label in ["Q1", "Q2", "Q3"] if images(written.questions[label])]
    assert "Homework 3" in text(written.whole) and "Homework 3" not in pages["Q1"]


@pytest.mark.slow
def test_the_instructor_gets_each_collected_submissions_pdfs(tmp_path):
    tools()

    class Course:  # what write_class_pdfs reads of a course: its collected submissions
        def submitted(self, hw):
            return ["amara", "bilal"]

        def folder(self, step, hw, student):
            return tmp_path / step / student / hw

    for student in ["amara", "bilal"]:
        (tmp_path / "submitted" / student / "hw_t").mkdir(parents=True)
    nbformat.write(two_questions(), tmp_path / "submitted" / "amara" / "hw_t" / "hw_t.ipynb")
    got = P.write_class_pdfs(Course(), "hw_t", tmp_path / "pdf")
    assert sorted(p.name for p in (tmp_path / "pdf" / "hw_t" / "amara").iterdir()) == [
        "hw_t.pdf", "hw_t_Q1.pdf", "hw_t_Q2.pdf"]
    assert [w.notebook.parent.parent.name for w in got.written] == ["amara"]
    assert [s for s, _ in got.failed] == ["bilal"]  # no notebook: listed, the others still printed
