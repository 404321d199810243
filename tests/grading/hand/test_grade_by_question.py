"""`dgmlab grade`'s server (dgmlab.grading.hand.grade_by_question) over HTTP: where it listens, what it refuses, what a
question's page shows. The course is the demo class's hw3 (tests/grading/hand/hand_graded_demo.py)."""
import base64
import hashlib
import json
import threading
import urllib.error
import urllib.request

import hand_graded_demo as H
import nbformat
import pytest

from dgmlab import cli
from dgmlab.grading.course import CourseError
from dgmlab.grading.hand import grade_by_question as G
from dgmlab.grading.hand import grading_site as GS
from dgmlab.grading.hand import rubrics as R

pytestmark = pytest.mark.slow  # builds a gradebook with nbgrader: make test, not make test-fast

Q = "q2_written"
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGP4DwABAQEAWk1v8QAAAABJRU5ErkJggg==")  # 1 x 1
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    course = H.build(tmp_path_factory.mktemp("course"))
    # a student's answer that tries to run script in the instructor's browser
    path = course.root / "autograded" / "demo_bilal" / H.HW / f"{H.HW}.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == Q)
    cell.source = 'My proof <script>window.pwned=1</script> [see](javascript:alert(1)) <img src=x onerror="alert(1)">'
    nbformat.write(nb, path)
    # a pasted photo, shown three times; a photo and a "photo" (an SVG named .png) handed in beside the notebook
    path = course.root / "autograded" / "demo_amara" / H.HW / f"{H.HW}.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == Q)
    cell.source = "My derivation: " + " ".join(["![page](attachment:page.png)"] * 3)
    cell.attachments = {"page.png": {"image/png": base64.b64encode(PNG).decode()}}
    nbformat.write(nb, path)
    (course.root / "submitted" / "demo_amara" / H.HW / "scan.png").write_bytes(PNG)
    (course.root / "submitted" / "demo_amara" / H.HW / "trick.png").write_bytes(SVG)
    server = G.make_server(course, H.HW, anonymous=False)  # students by id: the tests name them
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield course, server
    server.shutdown()
    server.server_close()


def contents(server, *students) -> dict:
    """What the page fetches of ``students``' answers to ``Q`` as they come into view."""
    code, _, data = request(server, f"/answers/{Q}?" + "&".join(f"s={s}" for s in students))
    assert code == 200
    return json.loads(data)


def request(server, path, body=None, token=None, host=None, ctype="application/json", site=None):
    req = urllib.request.Request(G.url(server) + path.lstrip("/"),
                                 data=None if body is None else json.dumps(body).encode(),
                                 method="GET" if body is None else "POST")
    if body is not None:
        req.add_header("Content-Type", ctype)
    if token:
        req.add_header("X-Dgmlab-Token", token)
    if host:
        req.add_header("Host", host)
    if site:
        req.add_header("Sec-Fetch-Site", site)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def test_the_server_listens_on_127_0_0_1_only(served):
    _, server = served
    assert server.server_address[0] == "127.0.0.1"
    assert "--host" not in cli.build_parser()._subparsers._group_actions[0].choices["grade"].format_help()


def test_a_post_without_the_pages_token_is_refused_and_changes_nothing(served):
    course, server = served
    body = {"question": Q, "student": "demo_chen", "item": "i1"}
    assert request(server, "/api/toggle", body)[0] == 403
    assert request(server, "/api/toggle", body, token="guessed")[0] == 403
    assert request(server, "/api/toggle", body, token=server.site.token, ctype="text/plain")[0] == 415
    with R.gradebook(course) as gb:
        assert gb.find_grade(Q, H.HW, H.HW, "demo_chen").manual_score is None
    code, _, data = request(server, "/api/toggle", body, token=server.site.token)
    assert code == 200 and json.loads(data)["states"][0]["score"] == 5.0


def test_a_request_for_another_host_name_is_refused(served):
    _, server = served
    assert request(server, "/", host="evil.example")[0] == 403  # DNS rebinding
    assert request(server, "/api/toggle", {"question": Q, "student": "demo_chen", "item": "i1"},
                   token=server.site.token, host=f"evil.example:{server.server_address[1]}")[0] == 403


def test_the_question_page_lists_every_student_the_model_answer_and_the_rubric(served):
    course, server = served
    code, headers, page = request(server, f"/q/{Q}")
    page = page.decode()
    assert code == 200 and "script-src 'self'" in headers["Content-Security-Policy"]
    for sid in H.students():
        assert f'data-student="{sid}"' in page
    model = R.written_cells(course, H.HW)[1].model
    assert "p_\\theta(x) \\le \\frac{1}{2\\pi c}" in model and "p_\\theta(x) \\le \\frac{1}{2\\pi c}" in page
    assert "&#34;id&#34;: &#34;i1&#34;" in page  # the rubric the page draws each answer's items from
    assert f'<meta name="dgmlab-token" content="{server.site.token}">' in page


def test_an_answer_comes_from_the_server_when_the_page_asks_for_it(served):
    _, server = served
    got = contents(server, "demo_reference", "demo_blank", "nobody")
    assert set(got) == {"demo_reference", "demo_blank"}  # a name the page does not know: nothing
    assert "<p>" in got["demo_reference"]["html"] and got["demo_reference"]["why"] == ""
    assert "<script" not in request(server, f"/q/{Q}")[2].decode().split("grade.js")[1]  # answers are not in it


def test_a_students_script_in_an_answer_is_inert_on_the_page(served):
    _, server = served
    html = contents(server, "demo_bilal")["demo_bilal"]["html"]
    assert "window.pwned" in html and "<script>window.pwned" not in html
    assert 'onerror="alert' not in html and 'href="javascript' not in html


def test_a_handed_in_pdf_is_a_line_loaded_only_when_opened(served):
    _, server = served
    assert "<iframe" not in request(server, f"/q/{Q}")[2].decode()
    files = contents(server, "demo_amara")["demo_amara"]["files"]
    assert {"name": "derivations.pdf", "kind": "PDF", "image": False, "url": "/file/demo_amara/derivations.pdf",
            "why": ""} in files
    code, headers, data = request(server, "/file/demo_amara/derivations.pdf")
    assert code == 200 and headers["Content-Type"] == "application/pdf" and data == H.PDF
    assert request(server, "/file/demo_amara/..%2F..%2F..%2Fgradebook.db")[0] == 404
    assert request(server, f"/file/demo_amara/{H.HW}.ipynb")[0] == 404


def test_a_handed_in_photo_is_served_as_its_image_type_and_one_of_another_kind_not_at_all(served):
    _, server = served
    files = {f["name"]: f for f in contents(server, "demo_amara")["demo_amara"]["files"]}
    assert files["scan.png"]["image"] and files["scan.png"]["why"] == ""
    assert files["trick.png"]["why"].startswith("not shown: not a PNG image")
    code, headers, data = request(server, "/file/demo_amara/scan.png")
    assert code == 200 and headers["Content-Type"] == "image/png" and data == PNG
    assert "sandbox" in headers["Content-Security-Policy"] and headers["X-Content-Type-Options"] == "nosniff"
    assert request(server, "/file/demo_amara/trick.png")[0] == 404


def test_a_pasted_photo_is_one_address_keyed_by_its_hash_and_kept_by_the_browser(served):
    _, server = served
    html = contents(server, "demo_amara")["demo_amara"]["html"]
    address = f"/att/demo_amara/{Q}/{hashlib.sha256(PNG).hexdigest()}/page.png"
    assert html.count(f'<img src="{address}"') == 3 and "data:image" not in html
    code, headers, data = request(server, address)
    assert code == 200 and data == PNG and headers["Content-Type"] == "image/png"
    assert "immutable" in headers["Cache-Control"] and "sandbox" in headers["Content-Security-Policy"]
    assert request(server, address.replace("/att/demo_amara/", "/att/demo_bilal/"))[0] == 404
    assert request(server, f"/att/demo_amara/{Q}/{'0' * 64}/page.png")[0] == 404  # another version's hash
    assert request(server, f"/att/demo_amara/{Q}/%C3%A9/page.png")[0] == 404


def test_a_students_work_is_refused_to_another_sites_page_and_another_host_name(served):
    _, server = served
    address = f"/att/demo_amara/{Q}/{hashlib.sha256(PNG).hexdigest()}/page.png"
    for path in (address, "/file/demo_amara/scan.png", f"/a/{Q}/demo_amara", f"/answers/{Q}?s=demo_amara"):
        assert request(server, path, site="same-origin")[0] == 200
        assert request(server, path, site="cross-site")[0] == 403
        assert request(server, path, site="same-site")[0] == 403
        assert request(server, path, host="evil.example")[0] == 403


def test_the_whole_answer_is_a_page_of_its_own_with_the_same_policy(served):
    _, server = served
    code, headers, page = request(server, f"/a/{Q}/demo_bilal")
    page = page.decode()
    assert code == 200 and headers["Content-Security-Policy"] == G.CSP
    assert "window.pwned" in page and "<script>window.pwned" not in page and 'href="javascript' not in page
    assert f'href="/q/{Q}#s-demo_bilal"' in page
    assert request(server, f"/a/{Q}/nobody")[0] == 404
    assert request(server, "/a/q9_written/demo_bilal")[0] == 404


def test_a_hand_grade_given_outside_the_rubric_is_shown_before_the_rubric_replaces_it(served):
    course, server = served
    with R.gradebook(course) as gb:
        gb.find_grade(Q, H.HW, H.HW, "demo_dana").manual_score = 4.0
        gb.find_comment(Q, H.HW, H.HW, "demo_dana").manual_comment = "from the <formgrader>"
        gb.db.commit()
    page = request(server, f"/q/{Q}")[2].decode()
    assert "Graded outside the rubric: 4 points in the gradebook (from the &lt;formgrader&gt;)" in page


def test_a_second_server_for_the_same_homework_is_refused(served):
    course, _ = served
    with pytest.raises(CourseError, match=f"another dgmlab grade {H.HW} is running"):
        G.make_server(course, H.HW)


def test_dgmlab_grade_names_the_written_questions_when_asked_for_another(tmp_path, capsys):
    course = H.build(tmp_path, only=["demo_amara"])
    code = cli.main(["--course", str(course.root), "grade", H.HW, "--question", "q9_written", "--no-browser"])
    assert code == 2
    assert "no written question 'q9_written': it has q1_written, q2_written" in capsys.readouterr().err
    G.make_server(course, H.HW).server_close()  # the refused command left no lock behind


def test_an_answer_is_rendered_once_per_version_of_the_students_notebook(tmp_path, monkeypatch):
    import os

    course = H.build(tmp_path, only=["demo_amara"])
    calls = []
    real = GS.answer_html
    monkeypatch.setattr(GS, "answer_html", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    server = G.make_server(course, H.HW)
    try:
        site = server.site
        first = site.answer_html(Q, "demo_amara")
        assert site.answer_html(Q, "demo_amara") == first and len(calls) == 1  # the page asked again
        path = site.notebooks.path("demo_amara")
        nb = nbformat.read(path, as_version=4)
        cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == Q)
        cell.source = "A **new** answer"
        nbformat.write(nb, path)
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # a new version, even within a tick
        again = site.answer_html(Q, "demo_amara")
        assert len(calls) == 2 and "<strong>new</strong>" in again[1]
    finally:
        server.server_close()


def test_a_mathjax_without_the_safe_extension_is_not_used(tmp_path, monkeypatch):
    (tmp_path / "MathJax.js").write_text("// a MathJax 2 without extensions/Safe.js\n")
    monkeypatch.setattr(GS, "DEBIAN_MATHJAX", tmp_path / "absent" / "MathJax.js")
    monkeypatch.setenv(G.MATHJAX_ENV, str(tmp_path / "MathJax.js"))
    assert G.find_mathjax() is None
    (tmp_path / "extensions").mkdir()
    (tmp_path / "extensions" / "Safe.js").write_text("// Safe\n")
    assert G.find_mathjax() == tmp_path.resolve()


def test_a_handed_in_photo_over_the_pixel_limit_is_listed_with_its_size_not_served(tmp_path):
    from grading.hand.test_answers_html import png

    folder = tmp_path / "submitted" / "mal" / "hw"
    folder.mkdir(parents=True)
    (folder / "scan.png").write_bytes(png(8000, 7000))  # a few KB, 224 MB decoded in the TA's browser
    assert G.Site._not_shown(folder / "scan.png", "image/png") == (
        "not shown: 8000 x 7000 pixels (56 megapixels): over the 50-megapixel limit of one image (open it as "
        "submitted/mal/hw/scan.png)")


def test_each_change_answers_with_every_items_count_so_the_page_updates_them(served):
    course, server = served
    body = {"question": Q, "student": "demo_dana", "item": "i2"}
    before = R.load(course, H.HW).questions[Q].counts()["i2"]
    code, _, data = request(server, "/api/toggle", body, token=server.site.token)
    counts = json.loads(data)["counts"]
    assert code == 200 and counts["i2"] == before + 1 and set(counts) == {"i1", "i2", "i3", "i4", "i5"}
    counts = json.loads(request(server, "/api/toggle", body, token=server.site.token)[2])["counts"]
    assert counts["i2"] == before


def test_the_rubrics_item_texts_are_in_the_blocks_mathjax_typesets(served):
    _, server = served
    page = request(server, f"/q/{Q}")[2].decode()
    assert '<ol class="rubric tex">' in page and '<fieldset class="items tex" data-role="items">' in page
    script = request(server, "/static/grade.js")[2].decode()
    assert "typeset(sec.querySelector('[data-role=\"items\"]'))" in script


def test_serve_says_its_address_and_the_rubrics_file_to_say(tmp_path, monkeypatch):
    course = H.build(tmp_path)  # its own course: the served one's lock is held
    made = []

    def make_server(course, hw, port, **kw):  # a server that is stopped (Ctrl-C) as soon as it starts serving
        server = real(course, hw, port, **kw)
        server.serve_forever = lambda: (_ for _ in ()).throw(KeyboardInterrupt)
        made.append(server)
        return server

    real = G.make_server
    monkeypatch.setattr(G, "make_server", make_server)
    said = []
    assert G.serve(course, H.HW, browser=False, say=said.append) == 0
    assert said[:2] == [f"grading {H.HW} by question at {G.url(made[0])}  (this machine only; Ctrl-C stops)",
                        f"rubrics: {R.path(course, H.HW)}"]
