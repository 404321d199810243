"""The feedback HTML the course's config makes: a student's scripts do not survive into it."""
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
