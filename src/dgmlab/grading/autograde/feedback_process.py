"""nbgrader's generate_feedback in a Python process of its own (:func:`dgmlab.grading.autograde.nbgrader_run.run_feedback`).

Feedback runs no student code, but it renders what the kernel left (outputs, Markdown) into HTML, and one long C call
(a regular expression) can keep it busy past any limit a thread can enforce. So it runs in a child process, killed
with its whole process group when a feedback takes longer than its time limit; the next feedback starts a new one.
The child is kept from one feedback to the next: starting one costs about 2.3 s of CPU (nbgrader, nbconvert and
jsonschema's format checks load), rendering a page about 1 s.

The child reads one request per line on its standard input (JSON ``[course root, hw, student]``) and writes each
result (a :class:`~dgmlab.grading.layout.StepResult` as JSON) on one line of the standard output it was started with;
whatever the converters print goes to its standard error. It ends when its standard input does (its parent is gone).
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from .. import layout
from ..nbgrader_app import converter_log, feedback_converter, formgrader_templates, nbgrader_config, run_converter
from ..preprocessors.feedback_page import feedback_preprocessors

FEEDBACK_TEMPLATES = Path(__file__).parents[1] / "templates"  # dgmlab_feedback/: nbgrader's feedback page, accessible


def feedback_template(config):
    """``config`` with the feedback page drawn by dgmlab's ``dgmlab_feedback`` template (nbgrader's ``feedback``
    with a language, landmarks, a level-one heading, unique ids, readable contrast and a text alternative for every
    image: docs/dashboard.md, "Accessibility"), unless the course's nbgrader_config.py names a template of its own;
    and always with the page plug-ins of :mod:`dgmlab.grading.preprocessors.feedback_page` (a page made without what
    nbconvert cannot draw, saying so; scores rounded as every export rounds them), even where the course's
    nbgrader_config.py predates them."""
    config.GenerateFeedback.preprocessors = feedback_preprocessors(config.GenerateFeedback.get("preprocessors"))
    if {"template_name", "template_file", "extra_template_basedirs"} & set(config.HTMLExporter):
        return config
    config.HTMLExporter.template_name = "dgmlab_feedback"
    config.HTMLExporter.template_file = "feedback.html.j2"  # it extends nbgrader's index.html.j2
    config.HTMLExporter.extra_template_basedirs = [str(FEEDBACK_TEMPLATES), str(formgrader_templates())]
    config.HTMLExporter.filters = {**config.HTMLExporter.get("filters", {}),
                                   "dgmlab_sanitised": "dgmlab.pdf_page.sanitised"}  # the template's Markdown
    return config


def _args(hw: str, student: str) -> list:
    return ["generate_feedback", hw, "--student", student, "--force"]


class FeedbackProcess:
    """The child process that renders feedback, started on first use (one feedback at a time)."""

    def __init__(self):
        self._child: subprocess.Popen | None = None
        self._pending = b""  # output read past the last full line
        self._lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        """The running child's process id (``None``: none runs)."""
        return self._child.pid if self._child is not None and self._child.poll() is None else None

    def run(self, root: Path, hw: str, student: str, timeout: float) -> layout.StepResult:
        """generate_feedback of ``student``'s ``hw`` in the course ``root``; past ``timeout`` seconds the child is
        killed and the result fails with the reason and ``timed_out``."""
        with self._lock:
            t0 = time.monotonic()
            try:
                child = self._started()
                child.stdin.write((json.dumps([str(Path(root).resolve()), hw, student]) + "\n").encode())
                child.stdin.flush()
                line = self._line(child, t0 + timeout)
            except OSError as exc:  # it could not start, or died before it read the request
                line, why = b"", f"{type(exc).__name__}: {exc}"
            else:
                why = f"it ended with exit status {child.poll()}"
            if line is None or not line:
                self.stop()
                if line is None:
                    return layout.StepResult(_args(hw, student), 1, f"[ERROR] generating the feedback took longer than "
                                        f"{timeout:g} s; it was stopped", time.monotonic() - t0, timed_out=True)
                return layout.StepResult(_args(hw, student), 1, f"[ERROR] generating the feedback failed: {why}",
                                    time.monotonic() - t0)
            return layout.StepResult(**json.loads(line))

    def _started(self) -> subprocess.Popen:
        if self._child is None or self._child.poll() is not None:
            self.stop()
            env = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent),
                                                          os.environ.get("PATH", "")])}
            env.pop("NBGRADER_EXECUTION", None)
            self._child = subprocess.Popen([sys.executable, "-P", "-m", __name__], stdin=subprocess.PIPE,
                                           stdout=subprocess.PIPE, bufsize=0, env=env, start_new_session=True)
        return self._child

    def _line(self, child: subprocess.Popen, deadline: float) -> bytes | None:
        """The child's next output line; ``b""`` when its output ended, ``None`` past ``deadline``."""
        fd = child.stdout.fileno()
        while b"\n" not in self._pending:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return b""
            self._pending += chunk
        line, _, self._pending = self._pending.partition(b"\n")
        return line

    def stop(self) -> None:
        """Kill the child with every process of its session (it started one), if one runs."""
        child, self._child, self._pending = self._child, None, b""
        if child is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signal.SIGKILL)
        for stream in (child.stdin, child.stdout):
            with contextlib.suppress(OSError):
                stream.close()
        child.wait()


def _feedback(root: Path, hw: str, student: str) -> layout.StepResult:
    """One feedback, in the child."""
    try:
        config = feedback_template(nbgrader_config(root, hw, student))
    except Exception as exc:  # the course's config: this feedback fails, the child goes on
        return layout.StepResult(_args(hw, student), 1, f"[ERROR] could not read the course's config: {exc!r}"[:400], 0.0)
    return run_converter(feedback_converter(config, converter_log()), _args(hw, student))


def serve() -> int:
    """The child's loop: a request per input line, its result on the output it was started with."""
    results = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # anything else printed goes to the standard error
    sys.stdout = sys.stderr
    for request in sys.stdin:
        root, hw, student = json.loads(request)
        results.write(json.dumps(dataclasses.asdict(_feedback(Path(root), hw, student))) + "\n")
        results.flush()
    return 0


if __name__ == "__main__":
    sys.exit(serve())
