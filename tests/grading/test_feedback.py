"""The feedback HTML the course's config makes: a student's scripts do not survive into it."""
import re
from html.parser import HTMLParser

import nbformat
from nbconvert.exporters import HTMLExporter
from traitlets.config.loader import PyFileConfigLoader

from conftest import ROOT

SCRIPT = "<script>document.title = 'owned'</script>"
HANDLER = "<img src=x onerror=\"document.title = 'owned'\">"


class _Active(HTMLParser):
    """What in a page would run: the text of its scripts and its elements' on* attributes."""

    def __init__(self):
        super().__init__()
        self.scripts, self.handlers, self._in_script = [], [], False

    def handle_starttag(self, tag, attrs):
        self._in_script = tag == "script"
        self.handlers += [value for name, value in attrs if name.startswith("on")]

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def _feedback_html(nb) -> str:
    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    body, _ = HTMLExporter(config=config).from_notebook_node(nb)
    return body


def test_a_students_script_in_markdown_or_output_is_not_in_the_feedback():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"My answer {SCRIPT} {HANDLER}"),
                nbformat.v4.new_code_cell("display(HTML(...))", outputs=[nbformat.v4.new_output(
                    "display_data", data={"text/html": f"<b>shown</b>{SCRIPT}{HANDLER}", "text/plain": "x"})])]
    body = _feedback_html(nb)
    assert "My answer" in body and "<b>shown</b>" in body  # the answer itself is still there
    active = _Active()
    active.feed(body)
    assert not [s for s in active.scripts if "document.title" in s], "a student's script runs in the feedback"
    assert not active.handlers, f"a student's event handler runs in the feedback: {active.handlers}"


def _dgmlab_feedback_html(nb) -> str:
    """``nb`` as dgmlab's feedback template draws it (nbgrader_run.run_feedback's exporter settings)."""
    import os

    import nbgrader

    from dgmlab.grading.autograde.nbgrader_run import feedback_template

    config = feedback_template(PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config())
    config.HTMLExporter.extra_template_paths = [os.path.join(  # what nbgrader's GenerateFeedback adds: bootstrap.css
        os.path.dirname(nbgrader.__file__), "server_extensions", "formgrader", "static", "node_modules", "bootstrap",
        "dist", "css")]
    body, _ = HTMLExporter(config=config).from_notebook_node(nb, resources={"nbgrader": {
        "notebook": "hw1_wgan", "score": 3, "max_score": 4, "late_penalty": 0}})
    return body


def test_the_feedback_page_has_a_language_a_heading_unique_ids_and_a_text_for_each_image():
    """What axe-core checks in a browser (tests/grading/test_accessibility.py), read from the HTML here."""
    import re

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("plt.plot(x)", outputs=[nbformat.v4.new_output(
        "display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})])]
    body = _dgmlab_feedback_html(nb)
    assert '<html lang="en">' in body and body.count("<main>") == 1
    assert re.findall(r"<h1[^>]*>([^<]*)</h1>", body) == ["hw1_wgan (Score: 3.0 / 4.0)"]
    ids = re.findall(r'\bid="([^"]+)"', body)
    assert len(ids) == len(set(ids)), ids
    images = re.findall(r"<img\b[^>]*>", body)
    assert len(images) == 1 and 'alt="An image the code above drew' in images[0]


def test_a_courses_own_feedback_template_is_kept():
    from traitlets.config import Config

    from dgmlab.grading.autograde.nbgrader_run import feedback_template

    config = Config()
    config.HTMLExporter.template_name = "my_feedback"
    assert feedback_template(config).HTMLExporter.template_name == "my_feedback"
    assert "extra_template_basedirs" not in config.HTMLExporter


ATTACKS = f"{SCRIPT} {HANDLER} [a link](javascript:document.title='owned') <a href=\"javascript:x()\">b</a>"


def _written_answer(source: str, comment: str = "") -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(source)
    cell.metadata["nbgrader"] = {"solution": True, "grade": True, "grade_id": "q2_written", "points": 2, "score": 1,
                                 "comment": comment}
    return cell


def _assert_inert(body: str) -> None:
    active = _Active()
    active.feed(body)
    assert not [s for s in active.scripts if "document.title" in s], "a student's script runs in the feedback"
    assert not active.handlers, f"a student's event handler runs in the feedback: {active.handlers}"
    assert not re.search(r"""(href|src)\s*=\s*["']?\s*javascript:""", body, re.I), "a javascript: link survives"


def test_a_written_answers_script_handler_and_link_are_not_in_dgmlabs_feedback_page():
    # nbgrader's feedback template draws Markdown cells raw, whatever sanitize_html says: dgmlab's must not
    nb = nbformat.v4.new_notebook()
    nb.cells = [_written_answer(f"# My answer\n\nIt is *x*. {ATTACKS}", comment=f"Good {ATTACKS}"),
                nbformat.v4.new_markdown_cell(f"A note {ATTACKS}")]
    body = _dgmlab_feedback_html(nb)
    _assert_inert(body)
    assert "It is <em>x</em>" in body and "A note" in body and "Good" in body  # the answer itself is still there


def test_a_written_answers_image_is_still_shown_in_dgmlabs_feedback_page():
    png = "iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAAAAACMmsGiAAAAC0lEQVR4nGNgwAQAABQAAX3+Hu4AAAAASUVORK5CYII="  # a 4x4 PNG
    nb = nbformat.v4.new_notebook()
    nb.cells = [_written_answer(f"My derivation: ![photo](data:image/png;base64,{png})")]
    assert f'src="data:image/png;base64,{png}"' in _dgmlab_feedback_html(nb)


def test_an_image_outputs_width_and_height_cannot_add_an_attribute():
    # ATTACK2: the template wrote width= and height= unquoted, so "1 onerror=..." in an output's metadata ran
    png = "iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAAAAACMmsGiAAAAC0lEQVR4nGNgwAQAABQAAX3+Hu4AAAAASUVORK5CYII="
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("display(...)", outputs=[nbformat.v4.new_output(
        "display_data", data={"image/png": png, "text/plain": "x"},
        metadata={"image/png": {"width": "1 onerror=document.title='owned'",
                                "height": "1\" onerror=\"document.title='owned'"}})])]
    _assert_inert(_dgmlab_feedback_html(nb))


def test_an_image_outputs_filenames_metadata_loads_nothing_remote():
    # ATTACK2: metadata.filenames["image/png"] = "http://..." became the image's src, a beacon when the page opened
    png = "iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAAAAACMmsGiAAAAC0lEQVR4nGNgwAQAABQAAX3+Hu4AAAAASUVORK5CYII="
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("display(...)", outputs=[nbformat.v4.new_output(
        "display_data", data={"image/png": png, "text/plain": "x"},
        metadata={"filenames": {"image/png": "http://evil.example/beacon.png"}})])]
    images = re.findall(r"<img\b[^>]*>", _dgmlab_feedback_html(nb))
    assert len(images) == 1 and f'src="data:image/png;base64,{png}"' in images[0], images
