"""The fakes offered to plug-in authors (grading/plugin_testing.py) refuse what their platform refuses, with its answer
(no assert in the package: python -O would drop it)."""
import requests

from dgmlab.grading.plugin_testing import ASSIGNMENT, COURSE, TOKEN, FakeCanvas, FakeLtiPlatform

SUBMISSION = f"/api/v1/courses/{COURSE}/assignments/{ASSIGNMENT}/submissions/101"


def test_the_canvas_fake_refuses_a_grade_without_the_api_token(httpserver):
    canvas = FakeCanvas(httpserver, {"101": {"submitted_at": None, "score": None}})
    refused = requests.put(canvas.url + SUBMISSION, data={"submission[posted_grade]": "7"}, timeout=10)
    taken = requests.put(canvas.url + SUBMISSION, data={"submission[posted_grade]": "7"},
                         headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert (refused.status_code, taken.status_code) == (401, 200) and canvas.puts == [("101", "7", None)]


def test_the_canvas_fake_refuses_an_upload_of_another_size_than_announced(httpserver):
    canvas = FakeCanvas(httpserver, {"101": {"submitted_at": None, "score": None}})
    slot = requests.post(canvas.url + SUBMISSION + "/comments/files", data={"name": "f.html", "size": "5"},
                         headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10).json()
    sent = requests.post(slot["upload_url"], data=slot["upload_params"], files={"file": ("f.html", b"123")},
                         timeout=10)
    assert sent.status_code == 400 and canvas.files == {}


def test_the_lti_fake_refuses_a_score_of_another_media_type(httpserver):
    platform = FakeLtiPlatform(httpserver, lineitems=[{"label": "hw1", "scoreMaximum": 20}])
    platform.tokens.add("granted")
    item = platform.lineitems[0]["id"]
    sent = requests.post(f"{item}/scores", json={"userId": "u1", "scoreGiven": 7, "scoreMaximum": 20},
                         headers={"Authorization": "Bearer granted"}, timeout=10)
    assert sent.status_code == 415 and platform.scores == {}
