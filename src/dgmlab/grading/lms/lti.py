"""Marks to any LMS through LTI 1.3 Assignment and Grade Services (AGS), the roster's LMS ids from Names and Role
Provisioning Services (NRPS), with ``pylti1p3``'s service client.

Configured as ``c.DgmlabLti`` in ``nbgrader_config.py`` from what the LMS shows when its admin registers the tool
(docs/instructor_guide.md, "LTI 1.3"). The tool authenticates with a key pair of its own: ``dgmlab lti keys``
(:func:`keys`) makes it once, the private key in ``c.DgmlabLti.private_key_file`` (outside the course, mode 600),
and prints the public JWK the admin pastes into the LMS. Each service call carries an access token the LMS's token
endpoint grants for a JWT signed by that key; a token the LMS no longer takes (expired) is asked for again once.

``dgmlab push --lti <hw>`` (:func:`push`) finds the homework's line item (``resourceId`` or ``tag`` = the homework
id, asked with AGS's ``resource_id`` and ``tag`` filters), creates it when the LMS has none and no push went to one
before, and sends nothing unless its ``scoreMaximum`` is the homework's points (as for Canvas and Moodle: a column
made in the LMS with other points is refused, one taken is named); it reads its results, and posts each final mark
(:func:`dgmlab.grading.report.final_mark.final_mark`, 2 decimals) with the grade summary as the comment,
``gradingProgress: FullyGraded``. A student with an answer still to grade by hand gets nothing: under AGS 2.0 a
score without ``scoreGiven`` clears the mark the LMS holds, and platforms may drop (Moodle: clear) the ``scoreGiven``
of a score that is not ``FullyGraded``, so no pending score is sent; the push lists them and exits 1. What it sent
is kept in ``.dgmlab/push/lti/<hw>.json``, the line item it used in ``<hw>.line_item.json``: a line item gone from
the LMS since (deleted there) or replaced stops the push (:func:`line_item`), never made again silently. A mark
changed in the LMS since (or set there before any push) is not overwritten unless ``force``
(:func:`dgmlab.grading.lms.push_marks.changed_there`, Canvas's rule). Each student's LTI user id is the course's id
map's (:func:`dgmlab.grading.lms.id_map.platform_ids`, ``"lti"``), which ``dgmlab lti roster`` fills from NRPS
(:mod:`.roster_fill`, through :func:`members`).
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import re
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from traitlets import Enum, Unicode
from traitlets.config import Configurable

from ..layout import Course, CourseError
from ..report import final_mark as final_mark_module
from . import lms_secrets
from .push_marks import Lms, Pushed, Skip, Student, check_maximum, push_marks, read_record, same_mark_and_comment

AGS = "https://purl.imsglobal.org/spec/lti-ags/scope/"
AGS_SCOPES = [AGS + "lineitem", AGS + "lineitem.readonly", AGS + "result.readonly", AGS + "score"]
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


class DgmlabLti(Configurable):
    """How to reach the LMS's LTI 1.3 services: the values its admin sees when registering the tool."""

    issuer = Unicode("", help="The platform's issuer (iss), e.g. https://canvas.instructure.com").tag(config=True)
    client_id = Unicode("", help="The tool's client id the LMS gave on registration (Canvas: the developer key's "
                                 "number)").tag(config=True)
    deployment_id = Unicode("", help="The deployment id of the tool in this course (or account)").tag(config=True)
    auth_token_url = Unicode("", help="The platform's OAuth2 token endpoint (Canvas: <canvas>/login/oauth2/token; "
                                      "Moodle: <moodle>/mod/lti/token.php)").tag(config=True)
    auth_audience = Unicode("", help="The audience of the token request's JWT, where it differs from "
                                     "auth_token_url (Canvas cloud: https://canvas.instructure.com/login/oauth2/"
                                     "token)").tag(config=True)
    lineitems_url = Unicode("", help="The course's line items endpoint (the AGS claim's lineitems; Canvas: "
                                     "<canvas>/api/lti/courses/<course id>/line_items)").tag(config=True)
    memberships_url = Unicode("", help="The course's NRPS memberships endpoint (the NRPS claim's "
                                       "context_memberships_url; Canvas: <canvas>/api/lti/courses/<course id>/"
                                       "names_and_roles)").tag(config=True)
    private_key_file = Unicode("~/.config/dgmlab/lti_private_key.pem",
                               help="The tool's private key (PEM), outside the course folder, mode 600: "
                                    "`dgmlab lti keys` makes it").tag(config=True)
    roster_match = Enum(["sourcedid", "email"], default_value="sourcedid",
                        help='How `dgmlab lti roster` finds an LMS member\'s student: "sourcedid", by their '
                             'lis_person_sourcedid (the SIS id: lms_ids.csv\'s sis, else the nbgrader id); "email", '
                             'also by an e-mail address equal letter for letter to nbgrader\'s (the domain\'s case '
                             'aside), each such match recorded only once confirmed').tag(config=True)


def settings(course: Course) -> DgmlabLti:
    return course.settings(DgmlabLti)


# The IMS Security Framework v1.0, section 3 "Transport Security"
# (https://www.imsglobal.org/spec/security/v1p0/#transport-security), which LTI 1.3 and its services follow, requires
# TLS for every message; OAuth 2 (RFC 6749, section 3.2) requires it at the token endpoint, where the tool's signed
# assertion goes, and bearer tokens (RFC 6750, section 5.3) are only ever sent over it. So the kit sends nothing to
# an http:// address, but to a loopback host (the kit's tests' platforms on 127.0.0.1).
LOOPBACK = ("127.0.0.1", "::1", "localhost")


def require_tls(url: str, what: str) -> None:
    """Refuse ``url`` (``what``: the setting it came from, or where the LMS gave it) unless it is ``https://``, or
    ``http://`` to a loopback host (:data:`LOOPBACK`)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        parts, host = None, None
    if parts is not None and (parts.scheme == "https" or (parts.scheme == "http" and host in LOOPBACK)):
        return
    raise CourseError(f"{what} is {url!r}, not an https:// address: the tool's signed key assertion and its access "
                      f"tokens go only over TLS, as the IMS Security Framework (section 3, Transport Security) "
                      f"requires (http:// only to {', '.join(LOOPBACK)}, for tests). Set it to the LMS's "
                      f"https:// address")


# ------------------------------------------------------------------ the tool's key
def keys(course: Course) -> tuple[Path, dict, bool]:
    """The private key's path, the public JWK (what the LMS admin pastes) and whether this call made the key: a
    2048-bit RSA key pair, the private half written once to ``c.DgmlabLti.private_key_file`` (mode 600)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    path = lms_secrets.outside_course(course, settings(course).private_key_file, "c.DgmlabLti.private_key_file")
    made = False
    if not path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never replaces a key
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        made = True
    return path, public_jwk(lms_secrets.secret_file(course, path, "c.DgmlabLti.private_key_file")), made


def public_pem(private_pem: str) -> str:
    from cryptography.hazmat.primitives import serialization

    try:
        key = serialization.load_pem_private_key(private_pem.encode("utf-8"), password=None)
    except (ValueError, TypeError) as exc:
        raise CourseError(f"c.DgmlabLti.private_key_file is not an unencrypted PEM private key ({exc}): move it "
                          "away and run `dgmlab lti keys` for a new one (and give the LMS its public JWK)") from exc
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def public_jwk(private_pem: str) -> dict:
    """The public JWK of the tool's key as LTI platforms take it (``kid`` its RFC 7638 thumbprint, RS256, sig)."""
    from pylti1p3.registration import Registration

    return dict(Registration.get_jwk(public_pem(private_pem)))


# ------------------------------------------------------------------ the service client
class ServiceError(CourseError):
    """An LTI service call the LMS answered with an HTTP error (its ``status``)."""

    def __init__(self, url: str, response):
        self.status = response.status_code
        what = "failed on" if self.status >= 500 else "refused"
        super().__init__(f"the LMS {what} the call to {url} (HTTP {self.status}: {_text(response)})")


def _text(response, size: int = 200) -> str:
    """The start of an answer's body on one line (an error page's HTML too)."""
    return " ".join(response.text.split())[:size]


def token_refusal(url: str, client_id: str, response) -> str:
    """What the token endpoint at ``url`` said in ``response`` (an HTTP error), for the instructor: only an OAuth 2
    ``invalid_client`` (RFC 6749, 5.2; or a bare 401) means the LMS does not take the tool's key."""
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    code = str(body.get("error") or "") if isinstance(body, dict) else ""
    said = f"HTTP {status}" + (f" {code}" if code else "") + f": {_text(response)}"
    if code == "invalid_client" or (status == 401 and not code):
        return (f"the LMS's token endpoint {url} refused the tool's key for client {client_id} ({said}): check that "
                "the LMS holds the public JWK `dgmlab lti keys` prints and that c.DgmlabLti.client_id and "
                "auth_token_url (and auth_audience) are the LMS's")
    if status >= 500:
        return (f"the LMS's token endpoint {url} failed ({said}): a fault on the LMS's side, not the tool's key; "
                "nothing was sent. Try again later; if it goes on, the LMS's admin can read its log of the token "
                "request")
    if code == "invalid_scope":
        return (f"the LMS's token endpoint {url} refused the scopes the kit asks for ({said}): the tool's "
                "registration must allow the Assignment and Grade Services (line items, results, scores) and Names "
                "and Role Provisioning (docs/instructor_guide.md, 'LTI 1.3')")
    return (f"the LMS's token endpoint {url} refused the token request of client {client_id} ({said}): check "
            "c.DgmlabLti.client_id, auth_token_url and the tool's registration in the LMS")


def next_link(headers) -> str | None:
    """The ``rel="next"`` (or ``rel=next``) target of a ``Link`` header (RFC 8288), as written."""
    link = next((v for k, v in headers.items() if k.lower() == "link"), "").replace("\n", " ")
    for target, params in re.findall(r"<([^>]*)>([^<]*)", link):
        rel = re.search(r'\brel\s*=\s*(?:"([^"]*)"|([^\s;,]+))', params, flags=re.IGNORECASE)
        if rel and "next" in (rel.group(1) or rel.group(2) or "").lower().split():
            return target
    return None


def connector(course: Course, session=None):
    """A ``pylti1p3`` ServiceConnector for the course's registration, which asks once for a new access token when
    the LMS answers 401 (an expired token) and names the key when the token endpoint refuses it."""
    from pylti1p3.exception import LtiServiceException
    from pylti1p3.service_connector import ServiceConnector
    from pylti1p3.tool_config import ToolConfDict

    s = settings(course)
    missing = [n for n in ("issuer", "client_id", "deployment_id", "auth_token_url") if not getattr(s, n)]
    if missing:
        raise CourseError(f"set c.DgmlabLti.{', c.DgmlabLti.'.join(missing)} in nbgrader_config.py (the values the "
                          "LMS shows for the registered tool; docs/instructor_guide.md, 'LTI 1.3')")
    require_tls(s.auth_token_url, "c.DgmlabLti.auth_token_url")
    private = lms_secrets.secret_file(course, s.private_key_file, "c.DgmlabLti.private_key_file")
    conf = ToolConfDict({s.issuer: {"default": True, "client_id": s.client_id, "auth_login_url": s.issuer,
                                    "auth_token_url": s.auth_token_url, "auth_audience": s.auth_audience or None,
                                    "key_set_url": None, "key_set": None, "deployment_ids": [s.deployment_id]}})
    conf.set_private_key(s.issuer, private)
    conf.set_public_key(s.issuer, public_pem(private))  # its kid goes in the JWT's header
    registration = conf.find_registration_by_params(s.issuer, s.client_id)

    class Connector(ServiceConnector):
        def get_access_token(self, scopes):
            import requests

            try:
                return super().get_access_token(scopes)
            except LtiServiceException as exc:
                raise CourseError(token_refusal(s.auth_token_url, s.client_id, exc.response)) from None
            except requests.RequestException as exc:
                raise CourseError(f"could not reach the LMS's token endpoint {s.auth_token_url} "
                                  f"({type(exc).__name__})") from None
            except (ValueError, KeyError, TypeError):
                raise CourseError(f"the LMS's token endpoint {s.auth_token_url} answered the tool's token request "
                                  "with no access token (an OAuth 2 token response is JSON with access_token): "
                                  "check c.DgmlabLti.auth_token_url") from None

        def make_service_request(self, scopes, url, *args, **kwargs):
            import requests

            require_tls(url, "an address the LMS gave for a service call (a line item, its results, a next page)")
            for attempt in (1, 2):
                try:
                    got = super().make_service_request(scopes, url, *args, **kwargs)
                except LtiServiceException as exc:
                    if exc.response.status_code == 401 and attempt == 1:
                        self._access_tokens.clear()  # expired or revoked: ask for a new one, once
                        continue
                    raise ServiceError(url, exc.response) from None
                except requests.RequestException as exc:
                    raise CourseError(f"could not reach the LMS at {url} ({type(exc).__name__})") from None
                # pylti1p3 finds only rel="next", quoted, and lowercases the whole Link header (paths are
                # case-sensitive): RFC 8288 allows rel=next unquoted, as some platforms send it
                got["next_page_url"] = next_link(got["headers"])
                return got

    return Connector(registration, requests_session=session)


def grades_service(course: Course, conn=None):
    from pylti1p3.assignments_grades import AssignmentsGradesService

    s = settings(course)
    if not s.lineitems_url:
        raise CourseError("set c.DgmlabLti.lineitems_url in nbgrader_config.py: the course's line items endpoint "
                          "(docs/instructor_guide.md, 'LTI 1.3')")
    require_tls(s.lineitems_url, "c.DgmlabLti.lineitems_url")
    return AssignmentsGradesService(conn or connector(course), {"scope": AGS_SCOPES, "lineitems": s.lineitems_url})


def _query(url: str, **params) -> str:
    """``url`` with ``params`` added to its query (a Moodle-style ``?type_id=3`` kept)."""
    base, _, query = url.partition("?")
    return base + "?" + (query + "&" if query else "") + urlencode(params)


def find_line_item(ags, lineitems_url: str, hw: str):
    """The LMS's line item whose ``resourceId``, else ``tag``, is ``hw`` (``None``: none), asked with AGS 2.0's
    ``resource_id`` (then ``tag``) filter of the line items container, every page read; each item is checked here
    too, as a platform may ignore the filter."""
    from pylti1p3.lineitem import LineItem

    for key, param in (("resourceId", "resource_id"), ("tag", "tag")):
        url = _query(lineitems_url, **{param: hw})
        while url:
            items, url = ags.get_lineitems_page(url)
            found = next((li for li in items if isinstance(li, dict) and li.get(key) == hw), None)
            if found is not None:
                return LineItem(found)
    return None


def _create_line_item(conn, lineitems_url: str, hw: str, max_score: float):
    """A new line item for ``hw`` (``resourceId`` and ``tag`` ``hw``, ``max_score`` points), as the LMS made it."""
    from pylti1p3.lineitem import LineItem

    new = LineItem().set_resource_id(hw).set_tag(hw).set_label(hw).set_score_maximum(max_score)
    got = conn.make_service_request(AGS_SCOPES, lineitems_url, is_post=True, data=new.get_value(),
                                    content_type="application/vnd.ims.lis.v2.lineitem+json",
                                    accept="application/vnd.ims.lis.v2.lineitem+json")
    if not isinstance(got["body"], dict) or not got["body"].get("id"):
        raise CourseError(f"the LMS answered the creation of {hw}'s line item at {lineitems_url} with no line item "
                          f"(an AGS line item is JSON with an id): {str(got['body'])[:200]}")
    return LineItem(got["body"])


def line_item(course: Course, conn, ags, hw: str, subs, pushed_before: bool, out: Pushed):
    """The line item of ``hw`` (:func:`find_line_item`), created with the homework's points (the final marks' maximum
    of ``subs``) when the LMS has none and no push went to one before (``pushed_before``: the push record holds
    marks), and kept in ``.dgmlab/push/lti/<hw>.line_item.json``. Its ``scoreMaximum`` must be the homework's points
    (:func:`~dgmlab.grading.lms.push_marks.check_maximum`, Canvas's and Moodle's rule) before any score is sent; a
    column taken or made now is said in ``out.notes``. The line item a push used, gone from the LMS (deleted there,
    and the marks in it) or replaced by another, is a :class:`CourseError`: making it again would put every mark in
    a new column without a word, and each kept mark would read as changed in the LMS."""
    path, record, url = _item_path(course, hw), _record_path(course, hw), settings(course).lineitems_url
    known = json.loads(path.read_text(encoding="utf-8")).get("id") if path.exists() else None
    found = find_line_item(ags, url, hw)
    start_over = (f"If that is meant, move {path} and {record} away and push again: the push then makes (or takes) the "
                  f"LMS's column for {hw} and sends every mark to it")
    if found is None and (known or pushed_before):
        raise CourseError(f"the LMS has no line item (grade column) for {hw} any more, though dgmlab pushed marks to "
                          + (known or "one") + ": it was deleted in the LMS, with the marks in it. Nothing was sent, "
                          "and no column is made again on its own. " + start_over)
    if found is not None and known and found.get_id() != known:
        raise CourseError(f"the LMS's line item for {hw} is {found.get_id()}, not {known}, the one dgmlab pushed marks "
                          "to: that one was deleted or replaced in the LMS. Nothing was sent. " + start_over)
    made = found is None
    if made:
        found = _create_line_item(conn, url, hw, max(float(final_mark_module.final_mark(s).max_score) for s in subs))
    column = f"grade column {found.get_label() or hw!r} ({found.get_id()})"
    check_maximum(f"the LMS's {column}", hw, found.get_score_maximum(), subs,
                  "Set that column's maximum points (its scoreMaximum) to {points} in the LMS's gradebook")
    if not known:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"id": found.get_id(), "label": found.get_label()}, indent=1), encoding="utf-8")
        out.notes.append(f"made the LMS's {column} for {hw}" if made else
                         f"took the LMS's {column} for {hw} (its resourceId or tag is {hw}; no earlier push used "
                         f"another), out of {float(found.get_score_maximum()):g} points as the homework is")
    return found


def _url_with(url: str, ending: str) -> str:
    base, q, query = url.partition("?")
    return base.rstrip("/") + "/" + ending + q + query


def results(conn, item, max_score: float) -> dict:
    """``{LTI user id: score}`` the LMS holds for ``item`` (every page), on ``max_score``'s scale."""
    out, url = {}, _url_with(item.get_id(), "results")
    while url:
        got = conn.make_service_request(AGS_SCOPES, url, accept="application/vnd.ims.lis.v2.resultcontainer+json")
        for r in got["body"] or []:
            score, top = r.get("resultScore"), r.get("resultMaximum")
            if score is not None and top and abs(float(top) - max_score) > 1e-9:
                score = float(score) * max_score / float(top)
            out[str(r.get("userId"))] = score
        url = got["next_page_url"]
    return out


def _record_path(course: Course, hw: str) -> Path:
    return course.root / ".dgmlab" / "push" / "lti" / f"{hw}.json"


def _item_path(course: Course, hw: str) -> Path:
    return course.root / ".dgmlab" / "push" / "lti" / f"{hw}.line_item.json"


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def push(course: Course, hw: str, force: bool = False, data=None, session=None) -> Pushed:
    """Post ``hw``'s final marks through AGS; nothing for a student still to grade by hand (see the module's
    docstring)."""
    from pylti1p3.grade import Grade

    from ..report import analysis

    data = data if data is not None else analysis.collect(course, [hw])
    subs = sorted((s for s in data.submissions if s.hw == hw), key=lambda s: s.student)
    out = Pushed(hw, where="the LMS")
    if not subs:  # nothing graded: no line item is made
        return out
    top = max(float(final_mark_module.final_mark(s).max_score) for s in subs)
    conn = connector(course, session)
    ags = grades_service(course, conn)
    path = _record_path(course, hw)
    record = read_record(path)
    item = line_item(course, conn, ags, hw, subs, any(isinstance(v, dict) and v.get("score") is not None
                                                      for v in record.values()), out)
    in_lms = results(conn, item, top)

    def send(st: Student) -> None:
        # FullyGraded with scoreGiven only: AGS 2.0 has a score without scoreGiven clear the LMS's mark
        grade = (Grade().set_score_given(st.mark.number).set_score_maximum(float(st.mark.max_score))
                 .set_timestamp(_now()).set_user_id(st.uid).set_comment(st.comment)
                 .set_activity_progress("Completed").set_grading_progress("FullyGraded"))
        try:
            ags.put_grade(grade, item)
        except CourseError as exc:
            raise Skip(f"the LMS refused the score: {exc}") from None

    lms = Lms(id_hint="dgmlab lti roster fills it from the LMS; or dgmlab ids import CSV, columns student,lti",
              shown=in_lms.get, send=send, unchanged=_unchanged, now=_now, platform="lti")
    push_marks(course, data, subs, lms, out, path, record, force=force)
    return out


def _unchanged(last: dict, st: Student) -> bool:
    """Whether the last push sent ``st``'s score and comment to the same LTI user."""
    return last.get("user_id") == st.uid and same_mark_and_comment(last, st)


# ------------------------------------------------------------------ the roster
def members(course: Course, conn=None) -> list:
    """The course's active learners as NRPS lists them (every page)."""
    from pylti1p3.names_roles import NamesRolesProvisioningService

    s = settings(course)
    if not s.memberships_url:
        raise CourseError("set c.DgmlabLti.memberships_url in nbgrader_config.py: the course's NRPS memberships "
                          "endpoint (docs/instructor_guide.md, 'LTI 1.3')")
    require_tls(s.memberships_url, "c.DgmlabLti.memberships_url")
    nrps = NamesRolesProvisioningService(conn or connector(course), {"context_memberships_url": s.memberships_url})
    return [m for m in nrps.get_members() if m.get("status", "Active") == "Active"
            and any(r in (LEARNER, "Learner") or r.endswith("#Learner") for r in m.get("roles", []))]
