"""What one ``dgmlab autograde`` run says at its end: how many were graded now and how, how many were left as
they were, whether student code ran in the bubblewrap sandbox, and who handed in but dropped the course.

A submission unchanged since its last finished grading is not graded again (``SubmissionResult.skipped``): it is
counted apart, never as graded, so a one-student regrade of a class of six says "1 graded", not "6 graded". Whether
the sandbox was used follows the run's ``sandbox`` option (:class:`~dgmlab.grading.autograde.options.RunOptions`)
as :func:`dgmlab.grading.course.autograde` decides it (:func:`sandboxed`).
"""
from __future__ import annotations

from ..inert import terminal
from ..isolation import kernel_sandbox


def sandboxed(sandbox: bool | None, on_this_machine: bool) -> bool:
    """Whether the run's kernels ran in the sandbox: ``False``, never; ``True``, always (else nothing is graded);
    ``None``, on this machine when it can build one (else autograde warns and grades without), and on a cluster
    always (a worker that cannot build it grades nothing, and its result says so)."""
    if sandbox is not None:
        return sandbox
    if not on_this_machine:
        return True

    return kernel_sandbox.available()[0]


def summary_lines(results, sandbox: bool, dropped=()) -> list:
    """The run's summary: ``summary: 1 graded, 5 unchanged since their last grading ...`` and, when anything was
    graded now, one line saying whether it ran in the sandbox (``sandbox``: :func:`sandboxed`); ``dropped``: the
    students who handed the homework in but dropped the course (``c.DgmlabTerm.dropped``), named as not graded."""
    counts, unchanged = {}, 0
    for r in results:
        if r.skipped:
            unchanged += 1
        else:
            counts[r.status] = counts.get(r.status, 0) + 1
    parts = [f"{n} {k}" for k, n in sorted(counts.items())]
    if unchanged:
        parts.append(f"{unchanged} unchanged since their last grading (not graded again; --force regrades)")
    out = ["summary: " + (", ".join(parts) or "nothing to grade")]
    if counts:
        out.append("sandbox: bubblewrap: every notebook graded ran inside it" if sandbox else
                   "sandbox: none: student code ran with this account's rights (--no-sandbox, "
                   "c.DgmlabAutograde.sandbox = False, or no bubblewrap here: see the warning above)")
    if dropped:
        out.append(terminal(f"not graded, dropped the course (c.DgmlabTerm.dropped; their files are kept): "
                            f"{', '.join(sorted(dropped))}"))
    return out
