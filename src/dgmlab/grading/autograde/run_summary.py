"""What one ``dgmlab autograde`` run says at its end: how many were graded now and how, how many were left as
they were, and whether student code ran in the bubblewrap sandbox.

A submission unchanged since its last finished grading is not graded again (``SubmissionResult.skipped``): it is counted
apart, never as graded, so a one-student regrade of a class of six says "1 graded", not "6 graded". The sandbox
line follows the run's ``sandbox`` option (:class:`~dgmlab.grading.autograde.options.RunOptions`): unless the course
allows grading without it (``False``), a worker that cannot build the sandbox grades nothing (its result says so),
so every notebook graded ran inside it.
"""
from __future__ import annotations


def summary_lines(results, sandbox: bool | None) -> list:
    """The run's summary: ``summary: 1 graded, 5 unchanged since their last grading ...`` and, when anything was
    graded now, one line saying whether it ran in the sandbox."""
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
        out.append("sandbox: none: student code ran with this account's rights (--no-sandbox, or "
                   "c.DgmlabAutograde.sandbox = False)" if sandbox is False else
                   "sandbox: bubblewrap: every notebook graded ran inside it (a machine that cannot build it grades "
                   "nothing)")
    return out
