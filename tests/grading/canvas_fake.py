"""A Canvas on 127.0.0.1 (pytest-httpserver) that answers the REST API calls dgmlab makes as Canvas documents
them: GET a course, an assignment, its submissions (a list of Submission objects); PUT a submission's grade and
comment (form fields ``submission[posted_grade]``, ``comment[text_comment]``)."""
import json

from werkzeug import Response

COURSE, ASSIGNMENT = 7, 42


class FakeCanvas:
    def __init__(self, httpserver, submissions: dict):
        """``submissions``: {user id: {"submitted_at": ISO or None, "score": float or None}}."""
        self.server, self.subs, self.puts = httpserver, submissions, []
        base = f"/api/v1/courses/{COURSE}"
        httpserver.expect_request(base, method="GET").respond_with_json({"id": COURSE, "name": "DGM"})
        httpserver.expect_request(f"{base}/assignments/{ASSIGNMENT}", method="GET").respond_with_json(
            {"id": ASSIGNMENT, "course_id": COURSE, "name": "hw", "points_possible": 20})
        httpserver.expect_request(f"{base}/assignments/{ASSIGNMENT}/submissions", method="GET").respond_with_handler(
            lambda request: Response(json.dumps([self._json(u) for u in self.subs]), content_type="application/json"))
        for user in submissions:
            httpserver.expect_request(f"{base}/assignments/{ASSIGNMENT}/submissions/{user}",
                                      method="PUT").respond_with_handler(self._put(user))

    def _json(self, user):
        s = self.subs[user]
        return {"id": 1000 + int(user), "user_id": int(user), "assignment_id": ASSIGNMENT,
                "submitted_at": s.get("submitted_at"), "score": s.get("score"),
                "grade": None if s.get("score") is None else str(s["score"]), "attempt": 1}

    def _put(self, user):
        def handle(request):
            assert request.headers["Authorization"] == "Bearer test-token"
            grade, comment = request.form.get("submission[posted_grade]"), request.form.get("comment[text_comment]")
            self.puts.append((user, grade, comment))
            if grade is not None:
                self.subs[user]["score"] = float(grade)
            return Response(json.dumps(self._json(user)), content_type="application/json")
        return handle

    @property
    def url(self):
        return self.server.url_for("/").rstrip("/")

    def config(self, hw: str) -> str:
        return (f'\nc.DgmlabCanvas.url = "{self.url}"\nc.DgmlabCanvas.course_id = {COURSE}\n'
                f'c.DgmlabCanvas.assignments = {{"{hw}": {ASSIGNMENT}}}\n')
