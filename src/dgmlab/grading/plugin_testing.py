"""Fakes of Canvas and of an LTI 1.3 platform for testing a plug-in (docs/plugins.md): the servers the kit's own tests
push to and collect from, offered to a course's plug-in author.

Each runs on 127.0.0.1 inside a test, on ``pytest-httpserver``'s ``httpserver`` fixture (``pip install
pytest-httpserver``: a test tool, not a dependency of the grader), answering as the platform documents its API:

    from dgmlab.grading.plugin_testing import FakeCanvas

    def test_my_push(httpserver):
        canvas = FakeCanvas(httpserver, {"101": {"submitted_at": None, "score": None}})
        ...  # point the plug-in at canvas.url; canvas.puts lists what it sent

**Canvas** (:class:`FakeCanvas`) answers the REST API calls dgmlab makes as Canvas documents them: GET a course, an assignment, its submissions (a list of Submission objects), its overrides (a list of
AssignmentOverride objects, in pages of ``page_size`` linked by a ``Link: <...>; rel="next"`` header, as Canvas
pages every list); the course's enrollments (``GET /api/v1/courses/:course_id/enrollments``, Enrollment objects with
``user_id``, ``course_section_id``, ``type`` and ``enrollment_state``, filtered by ``type[]`` and ``state[]`` as
Canvas documents them: without ``state[]``, the active and invited ones; paged the same way; or Canvas's 401 when
the token may not list them); PUT a submission's grade and comment (form fields ``submission[posted_grade]``,
``comment[text_comment]``, ``comment[file_ids][]``); and a submission comment's file upload, Canvas's three steps:
``POST .../submissions/<user id>/comments/files`` (by the student's *user* id, as Canvas routes it; the
submission's own id is not served) gives an upload address and parameters, the file is posted there (without the
API token, as to Canvas's file store), which answers 201 or (``step2``) redirects to ``GET
/api/v1/files/<id>/create_success`` (with the API token), and the submission's PUT names the file's id.

**LTI 1.3** (:class:`FakeLtiPlatform`) answers the service calls a tool makes without a launch, as the IMS
specifications describe them:

- the token endpoint (``POST /token``, client credentials): the ``client_assertion`` JWT must be signed (RS256) by
  the key whose public JWK the platform holds for the client (``kid`` in its header), ``iss`` = ``sub`` = the
  client id, ``aud`` the token endpoint; else 401 ``invalid_client``. It grants bearer tokens, which
  :meth:`FakeLtiPlatform.expire_tokens` makes answer 401 as an expired token does;
- Assignment and Grade Services: ``GET /lineitems`` in pages of ``page_size`` linked by ``Link: <...>;
  rel="next"``, ``POST /lineitems`` (create), ``POST /lineitems/<n>/scores``, ``GET /lineitems/<n>/results``
  (paged);
- Names and Role Provisioning Services: ``GET /CourseSection/7/memberships`` (a membership container, paged; the
  path has capitals, as Moodle's has).
"""
import itertools
import json
import re
from urllib.parse import unquote

try:
    import jwt
    from werkzeug import Response
except ModuleNotFoundError as missing:  # what a plug-in's test needs beside the grader
    raise ModuleNotFoundError(f"dgmlab.grading.plugin_testing needs {missing.name}: pip install pytest-httpserver "
                              "pyjwt") from missing

COURSE, ASSIGNMENT = 7, 42
TOKEN = "test-token"  # the API token the fake accepts (c.DgmlabCanvas's token file holds it in a test)


class FakeCanvas:
    def __init__(self, httpserver, submissions: dict, overrides=(), page_size: int = 2, enrollments=None):
        """``submissions``: {user id: {"submitted_at": ISO or None, "score": float or None}}; ``overrides``:
        AssignmentOverride objects as Canvas returns them (``id``, ``assignment_id`` added), e.g. ``{"student_ids":
        [101], "due_at": "2025-02-14T04:59:59Z"}`` or ``{"course_section_id": 3, "due_at": ...}``; ``enrollments``:
        Enrollment objects (``id``, ``course_id`` added; ``type`` StudentEnrollment and ``enrollment_state`` active
        unless given), e.g. ``{"user_id": 101, "course_section_id": 3}``; ``None``: the token may not list them."""
        self.server, self.subs, self.puts = httpserver, submissions, []
        self.overrides = [{"id": 500 + i, "assignment_id": ASSIGNMENT, **o} for i, o in enumerate(overrides)]
        self.enrollments = None if enrollments is None else [
            {"id": 800 + i, "course_id": COURSE, "type": "StudentEnrollment", "role": e.get("type", "StudentEnrollment"),
             "enrollment_state": "active", **e} for i, e in enumerate(enrollments)]
        self.page_size, self.pages_served, self.enrollment_queries = page_size, [], []
        base = f"/api/v1/courses/{COURSE}"
        httpserver.expect_request(f"{base}/enrollments", method="GET").respond_with_handler(self._enrollments)
        httpserver.expect_request(base, method="GET").respond_with_json({"id": COURSE, "name": "DGM"})
        self.points_possible = 20  # the assignment's Points
        httpserver.expect_request(f"{base}/assignments/{ASSIGNMENT}", method="GET").respond_with_handler(
            lambda request: Response(json.dumps({"id": ASSIGNMENT, "course_id": COURSE, "name": "hw",
                                                 "points_possible": self.points_possible}),
                                     content_type="application/json"))
        httpserver.expect_request(f"{base}/assignments/{ASSIGNMENT}/submissions", method="GET").respond_with_handler(
            lambda request: Response(json.dumps([self._json(u) for u in self.subs]), content_type="application/json"))
        httpserver.expect_request(f"{base}/assignments/{ASSIGNMENT}/overrides", method="GET").respond_with_handler(
            self._overrides)
        for user in submissions:
            httpserver.expect_request(f"{base}/assignments/{ASSIGNMENT}/submissions/{user}",
                                      method="PUT").respond_with_handler(self._put(user))
            httpserver.expect_request(f"{base}/assignments/{ASSIGNMENT}/submissions/{user}/comments/files",
                                      method="POST").respond_with_handler(self._upload_slot(user))
        httpserver.expect_request(re.compile(r"^/files_api/upload/\d+$"), method="POST").respond_with_handler(
            self._upload)
        httpserver.expect_request(re.compile(r"^/api/v1/files/\d+/create_success$"), method="GET").respond_with_handler(
            self._confirm)
        self.slots, self.files = {}, {}  # upload slot -> (user, name, size); file id -> {user, name, data, ...}
        # step 2's answer: 201 with the file, or Canvas's other documented answer, a redirect (3XX) to this
        # Location (None: back to this Canvas's create_success, which needs the API token)
        self.step2, self.redirect_to, self.confirmed = 201, None, []
        self.comment_files = {}  # user -> [file ids attached to their submission's comments]
        self._ids = itertools.count(1)

    def _json(self, user):
        s = self.subs[user]
        return {"id": 1000 + int(user), "user_id": int(user), "assignment_id": ASSIGNMENT,
                "submitted_at": s.get("submitted_at"), "score": s.get("score"),
                "grade": None if s.get("score") is None else str(s["score"]), "attempt": 1}

    def _page(self, request, items, query=""):
        page = int(request.args.get("page", 1))
        chunk = items[(page - 1) * self.page_size:page * self.page_size]
        headers = {}
        if page * self.page_size < len(items):
            headers["Link"] = (f'<{self.server.url_for(request.path)}?{query}page={page + 1}&per_page='
                               f'{self.page_size}>; rel="next"')
        return Response(json.dumps(chunk), content_type="application/json", headers=headers)

    def _overrides(self, request):
        self.pages_served.append(int(request.args.get("page", 1)))
        return self._page(request, self.overrides)

    def _enrollments(self, request):
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _unauthorized()
        self.enrollment_queries.append(unquote(request.query_string.decode()))
        if self.enrollments is None:  # Canvas's answer to a token that may not list the course's enrollments
            return Response(json.dumps({"status": "unauthorized", "errors": [
                {"message": "user not authorized to perform that action"}]}), status=401,
                content_type="application/json")
        types, states = request.args.getlist("type[]"), request.args.getlist("state[]") or ["active", "invited"]
        chosen = [e for e in self.enrollments if (not types or e["type"] in types) and e["enrollment_state"] in states]
        query = "".join(f"type[]={t}&" for t in types) + "".join(f"state[]={s}&" for s in request.args.getlist("state[]"))
        return self._page(request, chosen, query)

    def _put(self, user):
        def handle(request):
            if request.headers.get("Authorization") != f"Bearer {TOKEN}":
                return _unauthorized()
            grade, comment = request.form.get("submission[posted_grade]"), request.form.get("comment[text_comment]")
            self.puts.append((user, grade, comment))
            for fid in request.form.getlist("comment[file_ids][]"):
                self.comment_files.setdefault(user, []).append(int(fid))
            if grade is not None:
                self.subs[user]["score"] = float(grade)
            if request.form.get("submission[excuse]") is not None:
                self.subs[user]["excused"] = request.form["submission[excuse]"].lower() == "true"
            return Response(json.dumps(self._json(user)), content_type="application/json")
        return handle

    def _upload_slot(self, user):
        def handle(request):  # step 1: Canvas gives where to post the file
            if request.headers.get("Authorization") != f"Bearer {TOKEN}":
                return _unauthorized()
            slot = next(self._ids)
            self.slots[slot] = (user, request.form["name"], int(request.form["size"]))
            return Response(json.dumps({"upload_url": self.server.url_for(f"/files_api/upload/{slot}"),
                                        "upload_params": {"filename": request.form["name"]}}),
                            content_type="application/json")
        return handle

    def _upload(self, request):  # step 2: the file store takes the file (no API token sent there)
        slot = int(request.path.rsplit("/", 1)[1])
        user, name, size = self.slots.pop(slot)
        data = request.files["file"].read()
        if len(data) != size or request.form.get("filename") != name:  # not what step 1 announced
            return Response(json.dumps({"errors": [{"message": "size or name differs from the upload slot's"}]}),
                            status=400, content_type="application/json")
        fid = 9000 + slot
        self.files[fid] = {"user": user, "name": name, "data": data,
                           "authorization": request.headers.get("Authorization")}
        if self.step2 != 201:
            where = self.redirect_to or self.server.url_for(f"/api/v1/files/{fid}/create_success")
            return Response("", status=self.step2, headers={"Location": f"{where}?uuid=u{fid}"})
        return Response(json.dumps({"id": fid, "display_name": name, "filename": name, "size": size,
                                    "url": self.server.url_for(f"/files/{fid}/download")}),
                        status=201, content_type="application/json")

    def _confirm(self, request):  # step 3 after a redirect: back against Canvas, with the API token
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return Response(json.dumps({"errors": [{"message": "Invalid access token."}]}), status=401,
                            headers={"WWW-Authenticate": 'Bearer realm="canvas-lms"'}, content_type="application/json")
        fid = int(request.path.split("/")[-2])
        self.confirmed.append(fid)
        f = self.files[fid]
        return Response(json.dumps({"id": fid, "display_name": f["name"], "filename": f["name"],
                                    "size": len(f["data"])}), content_type="application/json")

    @property
    def url(self):
        return self.server.url_for("/").rstrip("/")

    def config(self, hw: str) -> str:
        return (f'\nc.DgmlabCanvas.url = "{self.url}"\nc.DgmlabCanvas.course_id = {COURSE}\n'
                f'c.DgmlabCanvas.assignments = {{"{hw}": {ASSIGNMENT}}}\n')


def _unauthorized():
    """Canvas's answer to a request without the API token."""
    return Response(json.dumps({"errors": [{"message": "Invalid access token."}]}), status=401,
                    headers={"WWW-Authenticate": 'Bearer realm="canvas-lms"'}, content_type="application/json")


CLIENT_ID, ISSUER, DEPLOYMENT = "10000000000042", "https://lms.example.edu", "1:deploy"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
MEMBERSHIPS = "/CourseSection/7/memberships"
TEACHER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


class FakeLtiPlatform:
    def __init__(self, httpserver, members=(), lineitems=(), page_size: int = 2):
        """``members``: NRPS member objects (``user_id``, ``roles``, ``lis_person_sourcedid``, ...);
        ``lineitems``: line items the course already has (``id`` is given here)."""
        self.server, self.page_size = httpserver, page_size
        self.jwks = []  # the public JWKs the admin pasted for CLIENT_ID
        self.tokens, self.token_requests, self.expired_answers = set(), [], 0
        self.members = list(members)
        self._ids = itertools.count(1)
        self.lineitems = [{**li, "id": self.url(f"/lineitems/{next(self._ids)}")} for li in lineitems]
        self.scores = {}  # line item id -> [score objects, in order]
        self.results = {}  # line item id -> {user id: result object}
        self.created, self.pages_served = [], []
        self._expire_in = None
        self.token_answer = None  # (status, body): what the token endpoint answers instead of a token
        # its own paths only: a Canvas fake may share the server
        own = re.compile(r"^/(token|lineitems(/\d+/(scores|results))?|CourseSection/7/memberships)$")
        httpserver.expect_request(own).respond_with_handler(self._dispatch)

    def url(self, path: str) -> str:
        return self.server.url_for(path)

    def config(self, key_file) -> str:
        return (f'\nc.DgmlabLti.issuer = "{ISSUER}"\nc.DgmlabLti.client_id = "{CLIENT_ID}"\n'
                f'c.DgmlabLti.deployment_id = "{DEPLOYMENT}"\nc.DgmlabLti.auth_token_url = "{self.url("/token")}"\n'
                f'c.DgmlabLti.lineitems_url = "{self.url("/lineitems")}"\n'
                f'c.DgmlabLti.memberships_url = "{self.url(MEMBERSHIPS)}"\n'
                f'c.DgmlabLti.private_key_file = "{key_file}"\n')

    def expire_tokens(self, after: int = 0):
        """Every token granted so far answers 401, as an expired one does, from ``after`` more service calls on."""
        self._expire_in = after
        if not after:
            self.tokens.clear()

    def delete_lineitem(self, item_id):
        """The line item and its results deleted, as an instructor deletes a column in the LMS's gradebook."""
        self.lineitems[:] = [li for li in self.lineitems if li["id"] != item_id]
        self.results.pop(item_id, None)

    def set_result(self, item_id, user_id, score, maximum=20.0):
        self.results.setdefault(item_id, {})[str(user_id)] = {
            "id": f"{item_id}/results/{user_id}", "scoreOf": item_id, "userId": str(user_id),
            "resultScore": score, "resultMaximum": maximum}

    # -- the endpoints
    def _dispatch(self, request):
        path = request.path
        if path == "/token" and request.method == "POST":
            return self._token(request)
        if self._expire_in is not None:
            self._expire_in -= 1
            if self._expire_in < 0:
                self.tokens.clear()
                self._expire_in = None
        if request.headers.get("Authorization", "").removeprefix("Bearer ") not in self.tokens:
            self.expired_answers += 1
            return Response(json.dumps({"error": "invalid_token"}), status=401, content_type="application/json")
        if path == "/lineitems":
            return self._create(request) if request.method == "POST" else self._page(request, self.lineitems)
        m = re.fullmatch(r"/lineitems/(\d+)/(scores|results)", path)
        if m:
            item = self.url(f"/lineitems/{m.group(1)}")
            if not any(li["id"] == item for li in self.lineitems):
                return Response("no such line item", status=404)
            if m.group(2) == "scores" and request.method == "POST":
                return self._score(request, item)
            return self._page(request, list(self.results.get(item, {}).values()))
        if path == MEMBERSHIPS:
            page = self._page(request, self.members)
            body = {"id": self.url(MEMBERSHIPS), "context": {"id": "c1", "title": "DGM"},
                    "members": json.loads(page.get_data())}
            return Response(json.dumps(body), headers=dict(page.headers),
                            content_type="application/vnd.ims.lti-nrps.v2.membershipcontainer+json")
        return Response("not found", status=404)

    def _token(self, request):
        form = request.form
        self.token_requests.append(form.get("scope", ""))
        if self.token_answer is not None:
            status, body = self.token_answer
            return Response(body, status=status, content_type="application/json")
        try:
            header = jwt.get_unverified_header(form["client_assertion"])
            jwk = next(k for k in self.jwks if k.get("kid") == header.get("kid"))
            claims = jwt.decode(form["client_assertion"], jwt.PyJWK(jwk).key, algorithms=["RS256"],
                                audience=self.url("/token"), issuer=CLIENT_ID)
            if claims["sub"] != CLIENT_ID or form["grant_type"] != "client_credentials":
                raise jwt.InvalidTokenError("sub is not the client id, or the grant is not client_credentials")
        except (KeyError, StopIteration, jwt.PyJWTError) as exc:
            return Response(json.dumps({"error": "invalid_client", "error_description": type(exc).__name__}),
                            status=401, content_type="application/json")
        token = f"access-{len(self.token_requests)}"
        self.tokens.add(token)
        return Response(json.dumps({"access_token": token, "token_type": "Bearer", "expires_in": 3600,
                                    "scope": form.get("scope", "")}), content_type="application/json")

    def _page(self, request, items):
        page = int(request.args.get("page", 1))
        self.pages_served.append((request.path, page))
        chunk = items[(page - 1) * self.page_size:page * self.page_size]
        headers = {}
        if page * self.page_size < len(items):
            headers["Link"] = f'<{self.url(request.path)}?page={page + 1}>; rel="next"'
        return Response(json.dumps(chunk), headers=headers, content_type="application/json")

    def _create(self, request):
        item = {**json.loads(request.get_data()), "id": self.url(f"/lineitems/{next(self._ids)}")}
        self.lineitems.append(item)
        self.created.append(item)
        return Response(json.dumps(item), status=201, content_type="application/vnd.ims.lis.v2.lineitem+json")

    def _score(self, request, item):
        if request.headers.get("Content-Type") != "application/vnd.ims.lis.v1.score+json":
            return Response("a score's media type is application/vnd.ims.lis.v1.score+json", status=415)
        score = json.loads(request.get_data())
        self.scores.setdefault(item, []).append(score)
        if "scoreGiven" in score:
            self.set_result(item, score["userId"], score["scoreGiven"], score["scoreMaximum"])
        else:  # a score without scoreGiven clears the result's score
            self.results.setdefault(item, {}).pop(str(score["userId"]), None)
        return Response("", status=204)
