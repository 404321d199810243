"""`dgmlab grade`'s question pages list a handed-in file whose name names a question (Crowdmark's one upload per
question) on that question's page only, and any other file on every page: the pages fetched from the real server,
as tests/grading/hand/test_grade_by_question.py does. The course is the demo class's hw3 (Q1..Q4, a written cell
each)."""
import json
import threading
import urllib.request

import hand_graded_demo as H
import pytest

from dgmlab.grading.hand import grade_by_question as G

pytestmark = pytest.mark.slow  # builds a gradebook with nbgrader

STUDENT = "demo_amara"


def _jpeg() -> bytes:
    """A real 2 x 2 JPEG (the grading page shows an image only when its header reads)."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (2, 2)).save(out, "JPEG")
    return out.getvalue()


JPEG = _jpeg()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    course = H.build(tmp_path_factory.mktemp("course"), pdf_student=STUDENT, only={STUDENT})  # derivations.pdf
    folder = course.root / "submitted" / STUDENT / H.HW
    (folder / "Q2.jpg").write_bytes(JPEG)
    (folder / "hw3_flows_Q3.pdf").write_bytes(H.PDF)
    (folder / "Q1_and_Q4.pdf").write_bytes(H.PDF)
    server = G.make_server(course, H.HW, anonymous=False)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def listed(server, question: str) -> set:
    """The files the question's page lists beside the student's answer (fetched as it comes into view)."""
    with urllib.request.urlopen(G.url(server) + f"answers/{question}?s={STUDENT}") as r:
        return {f["name"] for f in json.loads(r.read())[STUDENT]["files"]}


def test_a_file_named_for_a_question_is_listed_on_that_questions_page_only(server):
    assert listed(server, "q2_written") == {"Q2.jpg", "Q1_and_Q4.pdf", "derivations.pdf"}
    assert listed(server, "q3_written") == {"hw3_flows_Q3.pdf", "Q1_and_Q4.pdf", "derivations.pdf"}
    assert listed(server, "q1_written") == {"Q1_and_Q4.pdf", "derivations.pdf"}


def test_a_file_listed_on_another_questions_page_is_still_served(server):
    with urllib.request.urlopen(G.url(server) + f"file/{STUDENT}/Q2.jpg") as r:
        assert r.status == 200 and r.headers["Content-Type"] == "image/jpeg"
