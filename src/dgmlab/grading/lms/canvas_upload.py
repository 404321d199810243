"""A file attached to a Canvas submission comment: Canvas's three-step file upload, as its API documents it.

1. ``POST /api/v1/courses/:course_id/assignments/:assignment_id/submissions/:user_id/comments/files`` (with the API
   token) names the file and its size; Canvas answers with ``upload_url``, ``upload_params`` and ``file_param``;
2. the file is posted to ``upload_url`` as a multipart form, the ``upload_params`` first and the file last, *without*
   the API token (the address may be another host: Canvas's file store);
3. that answers 201 with the file, or a redirect (3XX) whose ``Location`` "is back against Canvas again, and needs to
   be authenticated using the normal API access token authentication": it is followed by hand, with the token, and
   only to the Canvas the course names (``c.DgmlabCanvas.url``); a redirect anywhere else is refused, the token never
   sent there.

The file's id then goes into the submission's comment (``comment[file_ids][]``). ``canvasapi``'s own
``Submission.upload_comment`` lets ``requests`` follow the redirect without the token, which Canvas refuses.
"""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urljoin, urlsplit


def _origin(url: str) -> tuple:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def _json(text: str):
    try:
        return json.loads(text.removeprefix("while(1);"))
    except ValueError:
        return None


def upload_comment(submission, path: Path) -> tuple[bool, object]:
    """Attach ``path`` to ``submission``'s comments (a ``canvasapi`` Submission): ``(True, the file's JSON)``, or
    ``(False, why)``."""
    path = Path(path)
    req = submission._requester  # canvasapi's: the course's Canvas, its token and its session
    slot = req.request("POST", f"courses/{submission.course_id}/assignments/{submission.assignment_id}/submissions/"
                               f"{submission.user_id}/comments/files",
                       name=path.name, size=path.stat().st_size).json()
    url, params = slot.get("upload_url"), slot.get("upload_params")
    if not url or not isinstance(params, dict):
        return False, f"Canvas gave no upload address for {path.name} ({str(slot)[:200]})"
    with path.open("rb") as f:  # the parameters in Canvas's order, the file last; no token: not Canvas's host
        answer = req._session.post(url, data=list(params.items()), files={slot.get("file_param") or "file":
                                                                         (path.name, f)}, allow_redirects=False)
    if 300 <= answer.status_code < 400:
        where = urljoin(url, answer.headers.get("Location", ""))
        if _origin(where) != _origin(req.original_url):
            return False, (f"the upload of {path.name} was sent on to {urlsplit(where).netloc or where}, not the "
                           f"course's Canvas ({urlsplit(req.original_url).netloc}): the API token is not sent there")
        answer = req._session.get(where, headers={"Authorization": f"Bearer {req.access_token}"},
                                  allow_redirects=False)
    got = _json(answer.text)
    if answer.status_code not in (200, 201) or not isinstance(got, dict) or "id" not in got:
        return False, f"HTTP {answer.status_code}: {answer.text[:200]}"
    submission.edit(comment={"file_ids": [got["id"]]})
    return True, got
