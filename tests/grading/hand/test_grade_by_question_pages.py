"""What a question's grading page does beyond one answer at a time: the question's own order, pseudonyms, groups of
identical answers, keys that set several items, confirmed rubric edits, the autograded cells beside an answer and
regrade requests. Through the server's HTTP API on the demo class's hw3 (tests/grading/hand/hand_graded_demo.py),
some answers made identical or similar."""
import json
import re
import threading
import urllib.request

import hand_graded_demo as H
import nbformat
import pytest

from dgmlab.grading.hand import grade_by_question as G
from dgmlab.grading.hand import grading_order as GO
from dgmlab.grading.hand import regrades
from dgmlab.grading.hand import rubrics as R

pytestmark = pytest.mark.slow  # builds a gradebook with nbgrader: make test, not make test-fast

Q = "q2_written"  # items: i1 (a) +5, i2 (b) +6, i3 (c) +6, i4 (d) +3, i5 no answer 0
SAME = "By the change of variables, $p(x) = |\\det J|^{-1}$ and the bound follows."
SIMILAR = SAME + " Hence the claim holds for every $c$."


def set_answer(course, sid, text, step="autograded"):
    path = course.root / step / sid / H.HW / f"{H.HW}.ipynb"
    nb = nbformat.read(path, as_version=4)
    next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == Q).source = text
    nbformat.write(nb, path)


@pytest.fixture
def course(tmp_path):
    course = H.build(tmp_path, pdf_student=None)
    for sid in ("demo_amara", "demo_bilal", "demo_chen"):
        set_answer(course, sid, SAME)
    set_answer(course, "demo_dana", SIMILAR)
    return course


@pytest.fixture
def served(course):
    servers = []

    def serve(**kw):
        server = G.make_server(course, H.HW, **kw)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server
    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


def get(server, path) -> str:
    with urllib.request.urlopen(G.url(server) + path.lstrip("/"), timeout=60) as r:
        return r.read().decode()


def post(server, path, body):
    req = urllib.request.Request(G.url(server) + path.lstrip("/"), data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", "X-Dgmlab-Token": server.site.token})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def order_on_page(page: str) -> list:
    return re.findall(r'<section class="answer" id="s-[^"]+" data-student="([^"]+)"', page)


def test_each_question_has_its_own_stable_order_unrelated_to_names(served, course):
    server = served(anonymous=False)
    students = H.students()
    orders = {q: GO.fair_order(course, H.HW, q, students) for q in ("q1_written", Q, "q3_written")}
    assert len({tuple(o) for o in orders.values()}) == 3 and all(o != sorted(students) for o in orders.values())
    assert GO.fair_order(course, H.HW, Q, list(reversed(students))) == orders[Q]  # the same at every load
    page = [s for s in order_on_page(get(server, f"/q/{Q}"))]
    assert sorted(page) == students and page != sorted(students)


def test_students_are_pseudonyms_by_default_and_no_id_reaches_the_page(served, course):
    server = served()
    page = get(server, f"/q/{Q}") + get(server, f"/answers/{Q}?" + "&".join(
        f"s={label}" for label in server.site.by_label))
    assert not [sid for sid in H.students() if sid in page]
    assert all(f'data-student="{label}"' in page for label in server.site.by_label)
    assert all(label.startswith("student-") for label in server.site.by_label)
    label = server.site.labels["demo_emil"]
    assert post(server, "/api/toggle", {"question": Q, "student": label, "item": "i1"})[1]["states"][0]["score"] == 5
    assert post(server, "/api/toggle", {"question": Q, "student": "demo_emil", "item": "i1"})[0] == 400


def test_identical_answers_are_one_section_and_its_items_reach_every_member_that_follows_it(served, course):
    server = served(anonymous=False)
    page = get(server, f"/q/{Q}")
    lead = server.site.grouping(Q).of["demo_amara"].leader
    others = sorted({"demo_amara", "demo_bilal", "demo_chen"} - {lead})
    assert f'data-student="{lead}"' in page and "and 2 more with the same answer" in page
    for sid in others:
        assert re.search(f'data-student="{sid}"[^>]*data-member-of="{lead}" hidden', page)
    status, got = post(server, "/api/toggle", {"question": Q, "student": lead, "item": "i1", "group": True})
    assert status == 200 and sorted(s["student"] for s in got["states"]) == sorted([lead] + others)
    # one member graded apart keeps its own items when the group's change
    post(server, "/api/toggle", {"question": Q, "student": others[0], "item": "i2"})
    got = post(server, "/api/toggle", {"question": Q, "student": lead, "item": "i3", "group": True})[1]
    assert sorted(s["student"] for s in got["states"]) == sorted([lead, others[1]])
    q = R.load(course, H.HW).questions[Q]
    assert q.applied[others[0]].items == ["i1", "i2"] and q.applied[others[1]].items == ["i1", "i3"]
    lines = [json.loads(x) for x in (course.root / "rubrics" / f"{H.HW}.log.jsonl").read_text().splitlines()]
    assert any(x.get("student") == others[1] and "group" in x.get("via", "") for x in lines)


def test_a_similar_answer_is_offered_the_groups_items_and_takes_them_only_when_asked(served, course):
    server = served(anonymous=False)
    page = get(server, f"/q/{Q}")
    lead = server.site.grouping(Q).of["demo_amara"].leader
    assert re.search(f'data-student="demo_dana"[^>]*data-proposed="{lead}"', page)
    post(server, "/api/set", {"question": Q, "student": lead, "items": ["i1", "i2"], "group": True, "via": "page"})
    assert R.load(course, H.HW).questions[Q].applied.get("demo_dana") is None
    got = post(server, "/api/set", {"question": Q, "student": "demo_dana", "items": ["i1", "i2"],
                                    "via": "same as g1"})[1]
    assert [s["student"] for s in got["states"]] == ["demo_dana"] and got["states"][0]["score"] == 11


def test_full_credit_is_every_positive_item_in_one_change(served, course):
    server = served(anonymous=False)
    get(server, f"/q/{Q}")
    got = post(server, "/api/set", {"question": Q, "student": "demo_emil", "items": ["i1", "i2", "i3", "i4"],
                                    "via": "full credit"})[1]
    assert got["states"][0]["score"] == 20
    with R.gradebook(course) as gb:
        assert gb.find_grade(Q, H.HW, H.HW, "demo_emil").manual_score == 20


def test_changing_an_applied_items_points_needs_a_confirmation_naming_how_many(served, course):
    server = served(anonymous=False)
    for sid in ("demo_emil", "demo_farah"):
        post(server, "/api/toggle", {"question": Q, "student": sid, "item": "i5"})
    status, got = post(server, "/api/item", {"question": Q, "item": "i5", "points": -2, "text": "no answer"})
    assert status == 400 and "re-scores 2 answers: confirm it" in got["error"]
    assert R.load(course, H.HW).questions[Q].item("i5").points == 0
    status, got = post(server, "/api/item", {"question": Q, "item": "i5", "points": -2, "text": "no answer",
                                             "confirm": True})
    assert status == 200 and got["rescored"] == 2 and [i["points"] for i in got["rubric"]["items"]][4] == -2


def test_a_new_item_applies_where_the_ta_says(served, course):
    server = served(anonymous=False)
    for sid in ("demo_emil", "demo_farah"):
        post(server, "/api/toggle", {"question": Q, "student": sid, "item": "i2"})
    got = post(server, "/api/item", {"question": Q, "item": "", "points": -1, "text": "sign slip in (b)",
                                     "apply": "item:i2"})[1]
    assert got["rescored"] == 2 and sorted(s["student"] for s in got["states"]) == ["demo_emil", "demo_farah"]
    assert all(s["score"] == 5 for s in got["states"])
    got = post(server, "/api/item", {"question": Q, "item": "", "points": -0.5, "text": "no units"})[1]
    assert got["rescored"] == 0


def test_the_same_problems_autograded_cells_are_beside_the_answer(served, course):
    path = course.root / "autograded" / "demo_emil" / H.HW / f"{H.HW}.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "q2_normalising_k_tests")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout",
                                           text="FAILED test_k_value: 0 of 5 points. k is off by a factor 2\n")]
    nbformat.write(nb, path)
    server = served(anonymous=False)
    page = get(server, f"/q/{Q}")
    section = page.split('data-student="demo_emil"')[1].split("</section>")[0]
    assert "q2_counter_density_tests" in section and "q2_normalising_k_tests 0/5" in section
    assert "failed test_k_value: k is off by a factor 2" in section
    assert "q1_jacobian_tests" not in section  # another problem's


def test_a_regrade_request_is_on_its_questions_page_and_answered_there(served, course):
    regrades.request(course, H.HW, "demo_hana", Q, "I proved (c) on <b>page 2</b>", who="ta")
    server = served(anonymous=False)
    page = get(server, f"/q/{Q}")
    section = page.split('data-student="demo_hana"')[1].split("</section>")[0]
    assert "I proved (c) on &lt;b&gt;page 2&lt;/b&gt;" in section and 'class="regrade"' in section
    status, got = post(server, "/api/regrade", {"question": Q, "student": "demo_hana", "decision": "kept",
                                                "reason": "(c) is not proved"})
    assert status == 200 and got == {"answered": 1, "open": 0}
    assert regrades.requests(course, H.HW, Q)[0].answered.decision == "kept"
    assert "regrade request: kept: (c) is not proved" in " ".join(R.feedback_lines(course, H.HW, "demo_hana")[Q])


def test_a_regrade_request_handed_in_shows_on_the_page_without_running_anything_else(course, served):
    (course.root / "submitted" / "demo_ines" / H.HW / "regrade.md").write_text(
        f"## {Q}\nPart (b) deserves the points: see line 3.\n", encoding="utf-8")
    server = served(anonymous=False)
    section = get(server, f"/q/{Q}").split('data-student="demo_ines"')[1].split("</section>")[0]
    assert "Part (b) deserves the points: see line 3." in section and "regrade.md" in section


def test_a_pasted_photo_or_a_file_for_the_question_keeps_an_answer_out_of_any_group(course, served):
    import base64

    png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGP4DwABAQEAWk1v8QAAAABJRU5ErkJggg==")
    for sid in ("demo_emil", "demo_farah"):  # the same text: one pasted photo each, named as Jupyter names it
        path = course.root / "autograded" / sid / H.HW / f"{H.HW}.ipynb"
        nb = nbformat.read(path, as_version=4)
        cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == Q)
        cell.source, cell.attachments = "![image.png](attachment:image.png)", {"image.png": {
            "image/png": base64.b64encode(png).decode()}}
        nbformat.write(nb, path)
    set_answer(course, "demo_chen", "See my PDF.")
    (course.root / "submitted" / "demo_chen" / H.HW / "Q2.pdf").write_bytes(H.PDF)
    server = served(anonymous=False)
    get(server, f"/q/{Q}")
    of = server.site.grouping(Q).of
    assert of["demo_emil"].members == ["demo_emil"] and of["demo_farah"].members == ["demo_farah"]
    assert of["demo_chen"].members == ["demo_chen"] and "demo_chen" not in of["demo_amara"].members


def test_the_anonymous_page_names_no_student_in_a_files_message_or_a_regrade_answer(course, served):
    from grading.hand.test_answers_html import png

    (course.root / "submitted" / "demo_amara" / H.HW / "scan.png").write_bytes(png(8000, 7000))
    regrades.request(course, H.HW, "demo_amara", Q, "please look again", who="ta")
    server = served()
    label = server.site.labels["demo_amara"]
    got = get(server, f"/answers/{Q}?s={label}")
    assert "over the 50-megapixel limit" in got and "demo_amara" not in got
    status, answered = post(server, "/api/regrade", {"question": Q, "student": label, "decision": "kept",
                                                     "reason": "as graded"})
    assert status == 200 and answered == {"answered": 1, "open": 0}


def test_an_answer_that_defines_tex_macros_is_not_typeset_with_the_class(course, served):
    set_answer(course, "demo_emil", "Mine: $\\def\\a{xxxxxxxxxx}\\a\\a$ and $\\newcommand{\\E}{\\mathbb{E}}\\E$")
    server = served(anonymous=False)
    got = json.loads(get(server, f"/answers/{Q}?s=demo_emil&s=demo_farah"))
    assert got["demo_emil"]["notex"] is True and got["demo_farah"]["notex"] is False


def test_a_group_member_with_a_regrade_request_is_shown_and_listed_on_the_index(course, served):
    server = served(anonymous=False)
    get(server, f"/q/{Q}")
    member = next(m for m in server.site.grouping(Q).of["demo_amara"].members[1:])
    regrades.request(course, H.HW, member, Q, "look again please", who="ta")
    page = get(server, f"/q/{Q}")
    assert re.search(f'data-student="{member}"[^>]*data-member-of="[^"]+">', page)  # not hidden
    assert f'<a href="/q/{Q}#s-{member}">{member}</a>' in get(server, "/")


def test_a_smaller_group_of_similar_answers_is_offered_the_larger_groups_items_as_a_whole(course, served):
    set_answer(course, "demo_emil", SIMILAR)  # with demo_dana: two, like the three of SAME
    server = served(anonymous=False)
    page = get(server, f"/q/{Q}")
    grouping = server.site.grouping(Q)
    offered = grouping.of["demo_emil"]
    assert len(offered.members) == 2 and offered.leader in grouping.proposal
    assert re.search(f'data-student="{offered.leader}"[^>]*data-group="[^"]+" data-proposed=', page)
    lead = grouping.of["demo_amara"].leader
    post(server, "/api/set", {"question": Q, "student": lead, "items": ["i1"], "group": True, "via": "page"})
    got = post(server, "/api/set", {"question": Q, "student": offered.leader, "items": ["i1"], "group": True,
                                    "via": "same as g1"})[1]
    assert sorted(s["student"] for s in got["states"]) == sorted(offered.members)
