"""What a graded test cell's outputs say: the lines the grader's judge prints (``passed test_x: 2 of 2``,
``FAILED test_x: 0 of 2. why``) read back into passed and failed checks. The report reads whole classes with it,
the grading page one problem's cells beside a written answer."""
from __future__ import annotations

import re

CHECK_LINE = re.compile(r"^(passed|FAILED) (test_\w+)(?:: (.*))?$")
POINTS_PREFIX = re.compile(r"^[\d.]+ of [\d.]+ points?(?: \(hidden test\))?\.?\s*")  # the judge's "0 of 2 points. "
# the judge's reason for a whole cell, e.g. "0 of 5 points: the check did not run (NameError: ...): run the notebook
# from the top and fix the first error" (no test ran, so no passed/FAILED line says why)
CELL_REASON = re.compile(r"^[\d.]+ (?:of [\d.]+ )?points?(?: \(hidden test\))?: (.+)$")


def cell_outcome(cell) -> tuple[list, list, str]:
    """``(passed, failed, error)`` of a test cell from its outputs (what the grader's judge printed); ``error``:
    the judge's reason for the whole cell (e.g. the check did not run), else the cell's own error."""
    passed, failed, error, reason = [], [], "", ""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            text = out.get("text", "")
            for line in ("".join(text) if isinstance(text, list) else text).splitlines():
                m = CHECK_LINE.match(line.strip())
                if m and m.group(1) == "passed":
                    passed.append(m.group(2))
                elif m:
                    failed.append((m.group(2), POINTS_PREFIX.sub("", (m.group(3) or "").strip())))
                elif not reason and (r := CELL_REASON.match(line.strip())):
                    reason = r.group(1)
        elif out.get("output_type") == "error":
            ename, evalue = out.get("ename", "Error"), str(out.get("evalue", "")).strip()
            first = evalue.splitlines()[0] if evalue else ""
            error = f"{ename}: {first}" if first else ename
    return passed, failed, (reason or error)[:300]
