"""`dgmlab pdf`: a notebook as one PDF and one PDF per question, made offline (dgmlab.pdf).

The PDFs are read back with poppler's ``pdftotext`` and ``pdfimages`` (Debian: poppler-utils). The tests that
print need Debian's chromium and libjs-mathjax (.ci/run installs them as root) and Playwright (the grading extra),
and skip, saying what to install, without them.
"""
import base64
import copy
import importlib.util
import io
import os
import re
import shutil
import subprocess
import time

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from conftest import ROOT
from dgmlab import cli, pdf_printer, pdf_tools
from dgmlab import pdf as P
from dgmlab.grading.isolation import printer_sandbox

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
    monkeypatch.setattr(pdf_tools.shutil, "which", lambda name: None)
    with pytest.raises(P.PdfError, match=r"apt-get install chromium"):
        P.find_chromium()
    nb = tmp_path / "hw.ipynb"
    nbformat.write(two_questions(), nb)
    monkeypatch.setattr(P, "find_mathjax", lambda: tmp_path)
    assert cli.main(["pdf", str(nb)]) == 2
    assert "apt-get install chromium" in capsys.readouterr().err


def test_without_mathjax_it_fails_naming_the_package(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv(P.MATHJAX_ENV, raising=False)
    monkeypatch.setattr(pdf_tools, "DEBIAN_MATHJAX", tmp_path / "absent" / "MathJax.js")
    monkeypatch.setattr(pdf_tools, "PIP_MATHJAX", "no_such_mathjax_package")
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
    if importlib.util.find_spec("playwright") is None:
        pytest.skip("no Playwright, which drives Chromium: pip install -e '.[grading]' (or pip install playwright)")
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
    assert sorted(p.name for p in printed.glob("*.pdf")) == ["hw_t.pdf", "hw_t_Q1.pdf", "hw_t_Q2.pdf"]
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
    for pdf in printed.glob("*.pdf"):
        left = RAW_TEX.findall(text(pdf))
        assert not left, f"{pdf.name}: {left}"
    q1 = text(printed / "hw_t_Q1.pdf")
    assert "N" in q1 and "∑" in q1  # what MathJax drew: \mathcal{N}'s letter, the summation sign


@pytest.mark.slow
def test_the_students_pdfs_are_noted_as_showing_the_notebook_saved_later_unchanged(printed):
    """dgmlab check compares a PDF older than the notebook with this note (Colab saves the notebook after the cell
    that ran dgmlab pdf)."""
    notebook = printed.parent / "hw_t.ipynb"
    later = time.time() + 60
    os.utime(notebook, (later, later))
    assert all(P.shows(pdf, notebook) for pdf in printed.glob("*.pdf"))


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


def scratch_course(root, release, submissions: dict, hw="hw_t"):
    """A course at ``root``: ``release/<hw>/<hw>.ipynb`` and each student's ``submitted/<student>/<hw>/<hw>.ipynb``
    (None: the folder without a notebook)."""
    (root / "nbgrader_config.py").write_text("c = get_config()\n")
    (root / "release" / hw).mkdir(parents=True)
    nbformat.write(release, root / "release" / hw / f"{hw}.ipynb")
    for student, nb in submissions.items():
        (root / "submitted" / student / hw).mkdir(parents=True)
        if nb is not None:
            nbformat.write(nb, root / "submitted" / student / hw / f"{hw}.ipynb")
    return root


def added(nb, at, *cells):
    """``nb`` with ``cells`` inserted before cell ``at``, as a student adds them (new cells, new ids)."""
    nb = copy.deepcopy(nb)
    nb.cells[at:at] = list(cells)
    return nb


@pytest.mark.slow
def test_the_instructor_gets_each_collected_submissions_pdfs_and_only_this_runs(tmp_path, capsys):
    tools()
    release = two_questions()
    root = scratch_course(tmp_path, release, {"amara": release, "bilal": None})
    earlier = root / "reports" / "pdf" / "hw_t" / "amara"
    earlier.mkdir(parents=True)
    (earlier / "hw_t_Q4.pdf").write_bytes(b"%PDF a question the submission had before")
    assert cli.main(["--course", str(root), "pdf", "hw_t"]) == 1  # bilal handed in no notebook
    assert sorted(p.name for p in (root / "reports" / "pdf" / "hw_t" / "amara").iterdir()) == [
        "amara_hw_t.pdf", "amara_hw_t_Q1.pdf", "amara_hw_t_Q2.pdf"]
    out = capsys.readouterr().out
    assert "bilal: no PDF: no " in out  # listed, the others still printed


# -- questions are the release notebook's

def test_a_heading_cell_the_student_adds_is_text_of_the_question_it_sits_in():
    release = two_questions()
    nb = added(release, 4, new_markdown_cell("## Q4 the rest of my Q1 answer\n\nMOVEDTEXT"))
    got, missing = P.questions_as_released(release, nb)
    assert [(q.label, q.cells) for q in got] == [("Q1", [2, 3, 4, 5]), ("Q2", [6, 7])]
    assert missing == {}


def test_many_added_headings_still_give_the_releases_questions_only():
    release = two_questions()
    nb = added(release, 3, *[new_markdown_cell(f"## Q{n}\n\nFAKE {n}") for n in range(3, 48)])
    got, _ = P.questions_as_released(release, nb)
    assert [q.label for q in got] == ["Q1", "Q2"]
    assert got[0].cells == list(range(2, 3 + 45 + 2))  # the 45 added cells are in Q1, where they were put


def test_a_heading_added_inside_the_instructors_heading_cell_starts_nothing():
    release = two_questions()
    nb = copy.deepcopy(release)
    nb.cells[2].source += "\n\n## Q2 starts here, says the student"
    got, _ = P.questions_as_released(release, nb)
    assert [(q.label, q.cells) for q in got] == [("Q1", [2, 3, 4]), ("Q2", [5, 6])]


def test_a_heading_cells_id_on_a_cell_the_student_adds_starts_nothing_and_is_said():
    release = two_questions()
    nb = added(release, 3, new_markdown_cell("## Q2. Second question (5 points)", id=release.cells[5].id))
    got, missing = P.questions_as_released(release, nb)
    assert [(q.label, q.cells) for q in got] == [("Q1", [2, 3, 4, 5, 6, 7])]
    assert f"id {release.cells[5].id} is on 2 cells" in missing["Q2"]


def test_a_question_whose_heading_cell_is_gone_or_changed_has_no_pdf_and_says_why():
    release = two_questions()
    changed = copy.deepcopy(release)
    changed.cells[5].source = "## Q2. Another title\n\nSECONDSTATEMENT"
    gone = copy.deepcopy(release)
    del gone.cells[5]
    for nb in (changed, gone):
        got, missing = P.questions_as_released(release, nb)
        assert [q.label for q in got] == ["Q1"]
        assert list(missing) == ["Q2"] and release.cells[5].id in missing["Q2"]


# -- the page is the notebook's only

SECRET_IMAGE = (123, 77)  # pixels of a course file's image, a size no figure here has
SECRET_TEXT = "GRADEBOOKSECRET"


def test_the_sanitiser_keeps_inline_images_and_drops_every_fetch_and_script():
    png_data = "data:image/png;base64," + png((10, 10))
    page = P.sanitised(
        f'<p>kept <img src="{png_data}" alt="fig"></p>'
        '<img src="file:///etc/hostname"><img src="/proc/self/cwd/x.png"><img src="http://127.0.0.1/x.png">'
        '<img src="data:image/svg+xml;base64,PHN2Zz4="><img srcset="http://127.0.0.1/y.png 2x">'
        '<link rel="stylesheet" href="http://127.0.0.1/s.css"><iframe src="file:///etc/passwd"></iframe>'
        '<object data="file:///etc/passwd"></object><embed src="file:///etc/passwd">'
        '<meta http-equiv="refresh" content="0;url=http://127.0.0.1/"><style>p{background:url(http://x/)}</style>'
        '<p style="background:url(http://127.0.0.1/z)" onclick="x()">text</p><svg><image href="file:///x"/></svg>'
        '<script>EVIL()</script><a href="file:///etc/passwd">f</a><a href="https://example.org">w</a>')
    assert re.findall(r"<img[^>]*\bsrcs?e?t?=", page) == ['<img src=']  # the others are left without a source
    assert png_data in page
    for gone in ["file:", "http://127", "svg", "<link", "<iframe", "<object", "<embed", "<meta", "<style", "style=",
                 "onclick", "<script", "EVIL"]:
        assert gone not in page, gone
    assert 'href="https://example.org"' in page and "text" in page


def test_the_notebooks_metadata_and_output_file_names_never_reach_the_page(tmp_path):
    mathjax = tmp_path / "MathJax.js"
    mathjax.write_text("")
    nb = two_questions()
    nb.metadata["title"] = '</title><meta http-equiv="refresh" content="0;url=file:///etc/passwd">'
    nb.cells[3].outputs[1].metadata = {"filenames": {"image/png": "/proc/self/cwd/secret.png"}}
    nb.cells[3].outputs.append(new_output("display_data", data={
        "image/svg+xml": '<svg><image href="file:///secret.png"/></svg>', "text/plain": "SVGPLAIN"}))
    page = P.notebook_html(nb, mathjax)
    assert "/etc/passwd" not in page and "secret.png" not in page and "<svg" not in page
    assert "SVGPLAIN" in page  # what the output also has, shown instead


def test_a_pasted_image_is_shown_inline_and_an_svg_or_missing_attachment_is_not(tmp_path):
    mathjax = tmp_path / "MathJax.js"
    mathjax.write_text("")
    photo = png((12, 12))
    svg = base64.b64encode(b'<svg xmlns="http://www.w3.org/2000/svg"><image href="file:///x.png"/></svg>').decode()
    nb = two_questions()
    nb.cells.append(new_markdown_cell("![photo](attachment:photo.png) ![drawing](attachment:drawing.svg) "
                                      "![none](attachment:not-there.png)",
                                      attachments={"photo.png": {"image/png": photo},
                                                   "drawing.svg": {"image/svg+xml": svg}}))
    body = P.notebook_html(nb, mathjax).partition("<body")[2]
    assert f'src="data:image/png;base64,{photo}"' in body
    assert "svg+xml" not in body and "attachment:" not in body


def test_the_header_is_inert_text():
    header, footer = P.header_footer('<img src="file:///x"><b>ada</b>', "hw_t Q1")
    assert "<img" not in header and "<b>" not in header and "&lt;b&gt;ada&lt;/b&gt;" in header
    assert 'class="pageNumber"' in footer


class Loopback:
    """An HTTP server on 127.0.0.1 that records every request it gets."""

    def __init__(self):
        import http.server
        import threading

        got = self.requests = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                got.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.end_headers()
                self.wfile.write(base64.b64decode(png(SECRET_IMAGE)))

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def hostile_cells(course, web) -> list:
    """Markdown and HTML outputs that try to pull a course file or a web resource into the page."""
    secret = course / "secret.png"
    fetches = (f'<img src="file://{secret}"> <img src="file:///proc/self/cwd/secret.png"> <img src="secret.png">'
               f'<iframe src="file://{course}/secret.txt"></iframe><object data="file://{course}/secret.txt"></object>'
               f'<img src="{web}/img.png"><link rel="stylesheet" href="{web}/style.css"><iframe src="{web}/frame">'
               f'</iframe><div style="background-image: url({web}/css.png); height: 20px">CSSURL</div>'
               f'<style>body {{ background: url({web}/style-block.png) }}</style>'
               f'<meta http-equiv="refresh" content="1;url={web}/refresh">')
    tex = (rf"$\href{{file://{secret}}}{{HREFMARK}}$ $\href{{javascript:alert(1)}}{{JS}}$ "
           rf"$\style{{background: url({web}/tex-style.png)}}{{S}}$ $\require{{../../../../etc/x}}$")
    return [new_markdown_cell("HOSTILEMARK\n\n" + fetches + "\n\n" + tex),
            new_code_cell("display(HTML(...))", outputs=[new_output("display_data", data={
                "text/html": fetches, "text/plain": "<HTML>"})])]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """`dgmlab pdf hw_t` run in a course (its working folder) holding a secret image and text, on mallory's
    submission (the fetches of :func:`hostile_cells` in Q1, a heading cell ``## Q4`` of her own in Q1's answer)
    and many's (45 headings of his own); a loopback server records what is fetched."""
    tools()
    root = tmp_path_factory.mktemp("course")
    (root / "secret.png").write_bytes(base64.b64decode(png(SECRET_IMAGE)))
    (root / "secret.txt").write_text(SECRET_TEXT)
    web = Loopback()
    release = two_questions()
    mallory = added(release, 5, *hostile_cells(root, web.url),
                    new_markdown_cell("## Q4. My own question\n\nMOVEDTEXT, still Q1's answer"))
    many = added(release, 3, *[new_markdown_cell(f"## Q{n}\n\nFAKE{n}") for n in range(3, 48)])
    scratch_course(root, release, {"mallory": mallory, "many": many})
    saved = os.getcwd()
    os.chdir(root)  # where the instructor runs it: /proc/self/cwd of an unsandboxed printer is the course
    try:
        started = time.monotonic()
        code = cli.main(["pdf", "hw_t"])
        took = time.monotonic() - started
    finally:
        os.chdir(saved)
        web.close()
    return {"root": root, "code": code, "requests": web.requests, "took": took,
            "pdf": root / "reports" / "pdf" / "hw_t"}


@pytest.mark.slow
def test_a_hostile_page_pulls_no_course_file_into_the_pdf(hostile):
    assert hostile["code"] == 0
    for pdf in (hostile["pdf"] / "mallory").iterdir():
        assert SECRET_IMAGE not in images(pdf), pdf.name
        assert SECRET_TEXT not in text(pdf), pdf.name
    assert "HOSTILEMARK" in text(hostile["pdf"] / "mallory" / "mallory_hw_t_Q1.pdf")  # the cells themselves are printed


@pytest.mark.slow
def test_math_adds_no_link_to_a_file_or_a_script(hostile):
    """MathJax typesets after the sanitiser: its \\href would put a file: or javascript: link in the PDF."""
    q1 = hostile["pdf"] / "mallory" / "mallory_hw_t_Q1.pdf"
    assert "HREFMARK" in text(q1).replace(" ", "")
    assert not re.findall(rb"/URI\s*\((file|javascript):", q1.read_bytes())


@pytest.mark.slow
def test_a_hostile_page_fetches_nothing_from_the_network(hostile):
    assert hostile["requests"] == []
    assert "CSSURL" in text(hostile["pdf"] / "mallory" / "mallory_hw_t_Q1.pdf")


@pytest.mark.slow
def test_a_heading_the_student_adds_moves_nothing_to_another_questions_pdf(hostile):
    folder = hostile["pdf"] / "mallory"
    assert sorted(p.name for p in folder.iterdir()) == ["mallory_hw_t.pdf", "mallory_hw_t_Q1.pdf", "mallory_hw_t_Q2.pdf"]
    q1, q2 = text(folder / "mallory_hw_t_Q1.pdf"), text(folder / "mallory_hw_t_Q2.pdf")
    assert "My own question" in q1 and "MOVEDTEXT" in q1 and "Q1ANSWER" in q1
    assert "MOVEDTEXT" not in q2 and "SECONDSTATEMENT" in q2


@pytest.mark.slow
def test_many_added_headings_give_the_releases_number_of_pdfs(hostile):
    folder = hostile["pdf"] / "many"
    assert sorted(p.name for p in folder.iterdir()) == ["many_hw_t.pdf", "many_hw_t_Q1.pdf", "many_hw_t_Q2.pdf"]
    q1 = text(folder / "many_hw_t_Q1.pdf")
    assert "FAKE3" in q1 and "FAKE47" in q1 and "FAKE3" not in text(folder / "many_hw_t_Q2.pdf")


@pytest.mark.slow
def test_every_page_the_instructor_prints_names_the_student(hostile):
    for student in ["mallory", "many"]:
        for pdf in (hostile["pdf"] / student).iterdir():
            pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(
                ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout).group(1))
            for page in range(1, pages + 1):
                got = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
                                     capture_output=True, text=True, check=True).stdout
                assert student in got, f"{student} {pdf.name} page {page}"


@pytest.mark.slow
def test_the_students_name_heads_their_own_pdfs_as_text(tmp_path):
    tools()
    nb = tmp_path / "hw_t.ipynb"
    nbformat.write(two_questions(), nb)
    assert cli.main(["pdf", str(nb), "--name", "<b>Ada</b> Lovelace"]) == 0
    assert "<b>Ada</b> Lovelace" in text(tmp_path / "pdf" / "hw_t_Q2.pdf")


def raw_page(folder, web) -> str:
    """A page, not sanitised and with no policy, that asks for ``folder/secret.png`` and for ``web``'s image."""
    mathjax = f"{P.find_mathjax().as_uri()}?config={P.MATHJAX_CONFIG}"  # what print_pdf waits for
    return (f'<html><head><script src="{mathjax}"></script></head><body><p>RAWPAGE</p>'
            f'<img src="file://{folder}/secret.png"><img src="{web.url}/x.png"></body></html>')


def print_raw(tmp_path, name, **browser) -> tuple:
    """``raw_page`` printed to ``<name>.pdf`` by a Chromium made with ``browser``; what the loopback server was asked
    and what the browser stopped."""
    (tmp_path / "secret.png").write_bytes(base64.b64decode(png(SECRET_IMAGE)))
    web = Loopback()
    try:
        with P.Chromium(**browser) as chromium:
            page = chromium.pages / "raw.html"
            page.write_text(raw_page(tmp_path, web))
            chromium.print_pdf(page, tmp_path / f"{name}.pdf")
            blocked = chromium.blocked
    finally:
        web.close()
    assert "RAWPAGE" in text(tmp_path / f"{name}.pdf")
    return web.requests, blocked


@pytest.mark.slow
def test_the_sandbox_alone_keeps_a_course_file_and_the_network_from_the_page(tmp_path):
    """The sandbox's own walls, without the sanitiser, the page's policy or the request guard."""
    tools()
    ok, why = printer_sandbox.available()
    if not ok:
        pytest.skip(f"no sandbox here: {why}")
    asked, _ = print_raw(tmp_path, "sandboxed", sandbox=printer_sandbox.argv, guard=False)
    assert SECRET_IMAGE not in images(tmp_path / "sandboxed.pdf") and asked == []
    print_raw(tmp_path, "open", sandbox=None, guard=False)
    assert SECRET_IMAGE in images(tmp_path / "open.pdf")  # the same page with no wall at all: the file shows


@pytest.mark.slow
def test_the_request_guard_alone_lets_the_page_load_mathjax_and_nothing_else(tmp_path):
    """The request guard without the sandbox (a student's own dgmlab pdf on Colab), on a page with no policy."""
    tools()
    asked, blocked = print_raw(tmp_path, "guarded", sandbox=None, guard=True)
    assert SECRET_IMAGE not in images(tmp_path / "guarded.pdf") and asked == []
    assert f"file://{tmp_path}/secret.png" in blocked and any(url.endswith("/x.png") for url in blocked)
    assert not [url for url in blocked if "mathjax" in url.lower()]  # MathJax's own files went through


@pytest.mark.slow
@pytest.mark.parametrize("how, why", [("no bwrap", "bwrap is not installed"), ("--no-sandbox", "--no-sandbox")])
def test_without_the_sandbox_the_instructor_is_warned(tmp_path, monkeypatch, capsys, how, why):
    tools()
    if how == "no bwrap":
        monkeypatch.setattr(printer_sandbox, "available", lambda: (False, why))
    release = two_questions()
    root = scratch_course(tmp_path, release, {"amara": release})
    assert cli.main(["--course", str(root), "pdf", "hw_t"] + (["--no-sandbox"] if how == "--no-sandbox" else [])) == 0
    err = capsys.readouterr().err
    assert "WARNING" in err and f"WITHOUT the sandbox ({why})" in err


@pytest.mark.slow
def test_a_pdf_past_the_page_budget_is_cut_and_said(tmp_path, monkeypatch, capsys):
    tools()
    monkeypatch.setattr(pdf_printer, "MAX_PAGES", 2)
    nb = two_questions()
    nb.cells[1].outputs = [new_output("stream", name="stdout", text="".join(f"line {i}\n" for i in range(400)))]
    path = tmp_path / "hw_t.ipynb"
    nbformat.write(nb, path)
    assert cli.main(["pdf", str(path)]) == 1
    assert "hw_t.pdf: cut after 2 pages" in capsys.readouterr().err
    info = subprocess.run(["pdfinfo", str(tmp_path / "pdf" / "hw_t.pdf")], capture_output=True, text=True).stdout
    assert re.search(r"Pages:\s+2\n", info)


@pytest.mark.slow
def test_a_notebook_past_its_time_budget_is_listed(tmp_path, monkeypatch, capsys):
    tools()
    monkeypatch.setattr(P, "NOTEBOOK_BUDGET", 0.001)
    release = two_questions()
    root = scratch_course(tmp_path, release, {"amara": release})
    assert cli.main(["--course", str(root), "pdf", "hw_t"]) == 1
    out = capsys.readouterr().out
    assert "amara: no PDF:" in out and "time budget of one notebook" in out


# images that decode to gigabytes (attack 52): a 1-bit PNG of 20000 x 20000 is 100 KB in a notebook and 1.6 GB in
# the printer; each image's pixels are read from its header and one over the limit is left out, with a note

def bilevel_png(width, height) -> str:
    """A 1-bit white PNG (small however many pixels: its rows compress to almost nothing), base64."""
    import struct
    import zlib

    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    packer = zlib.compressobj(1)
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    return base64.b64encode(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
                            + chunk(b"IDAT", data) + chunk(b"IEND", b"")).decode()


BOMB = (8000, 7000)  # 56 megapixels: over the 50-megapixel limit of one image (and cheap to print without it)


def test_images_past_the_pages_pixel_budget_are_left_out_with_a_note(tmp_path):
    mathjax = tmp_path / "MathJax.js"
    mathjax.write_text("")
    big = [bilevel_png(7000, 6000 - i) for i in range(3)]  # 42 megapixels each: the third passes 100 on the page
    nb = two_questions()
    nb.cells.append(new_code_cell("show()", outputs=[
        new_output("display_data", data={"image/png": b, "text/plain": "<Figure>"}) for b in big]))
    page = P.notebook_html(nb, mathjax)
    assert big[0] in page and big[1] in page and big[2] not in page
    assert ("[image left out: cell 9, output image (image/png): 7000 x 5998 pixels: would bring this page&#x27;s "
            "images to 126 megapixels, over the 100-megapixel limit of one page]") in page.replace("'", "&#x27;")


def test_an_oversized_attachment_or_inline_image_is_left_out_with_a_note(tmp_path):
    mathjax = tmp_path / "MathJax.js"
    mathjax.write_text("")
    bomb, photo = bilevel_png(*BOMB), png((12, 12))
    nb = two_questions()
    nb.cells.append(new_markdown_cell("![scan](attachment:scan$1.png) ![ok](attachment:photo.png) "
                                      f'<img src="data:image/png;base64,{bomb}">',
                                      attachments={"scan$1.png": {"image/png": bomb},
                                                   "photo.png": {"image/png": photo}}))
    nb.cells.append(new_code_cell("html()", outputs=[new_output("display_data", data={
        "text/html": f'<p>fig</p><img src="data:image/png;base64,{bomb}">', "text/plain": "html"})]))
    page = P.notebook_html(nb, mathjax)
    assert bomb not in page and f"data:image/png;base64,{photo}" in page
    assert "[image left out: cell 9, attachment scan_1.png (image/png): 8000 x 7000 pixels (56 megapixels): over " \
           "the 50-megapixel limit of one image]" in page
    assert "[image left out: cell 9, png image 2: 8000 x 7000 pixels" in page
    assert "[image left out: cell 10, output (text/html), png image 1: 8000 x 7000 pixels" in page


def test_the_sanitiser_drops_an_image_over_the_pixel_limit_or_of_another_format():
    import struct

    bmp = b"BM" + struct.pack("<IHHI", 54, 0, 0, 54) + struct.pack("<IiiHHIIiiII", 40, 30000, 30000, 1, 24, 0, 0,
                                                                     0, 0, 0, 0)  # a BMP header, named PNG
    page = P.sanitised(f'<img src="data:image/png;base64,{bilevel_png(*BOMB)}" alt="big">'
                       f'<img src="data:image/png;base64,{base64.b64encode(bmp).decode()}" alt="bmp">'
                       f'<img src="data:image/png;base64,{png((10, 10))}" alt="small">')
    assert re.findall(r'<img[^>]*>', page)[:2] == ['<img alt="big">', '<img alt="bmp">']
    assert page.count("src=") == 1


@pytest.mark.slow
def test_an_image_over_the_pixel_limit_is_left_out_of_the_printed_pdf_with_a_note(tmp_path, capsys):
    tools()
    release = two_questions()
    hostile_nb = added(release, 4, new_code_cell("plt.imshow(np.ones((8000, 7000)))", outputs=[
        new_output("display_data", data={"image/png": bilevel_png(*BOMB), "text/plain": "<Figure>"})]))
    root = scratch_course(tmp_path, release, {"mal": hostile_nb})
    assert cli.main(["--course", str(root), "pdf", "hw_t"]) == 0
    pdfs = root / "reports" / "pdf" / "hw_t" / "mal"
    for pdf in (pdfs / "mal_hw_t.pdf", pdfs / "mal_hw_t_Q1.pdf"):
        assert BOMB not in images(pdf) and Q1_FIGURE in images(pdf)
        flat = " ".join(text(pdf).split())
        assert "[image left out: cell 5, output image (image/png): 8000 x 7000 pixels (56 megapixels): over the " \
               "50-megapixel limit of one image]" in flat
