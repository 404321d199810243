"""A pytest plugin for the nbval runs of tests/kit/test_notebooks_execute.py (loaded with ``-p nbval_plugin``).

nbval makes every code cell a test item; this plugin adds two things to those items:

- **fast mode**: with ``DGMLAB_FAST=1`` the setup cell (nbgrader grade_id ``setup``) must print
  ``mode=fast`` (``dgmlab.setup()`` reports the mode), else the cell fails at once: a notebook
  that ignored fast mode would go on to train for hours.
- **a record per cell** (JSON lines in ``$DGMLAB_NBVAL_REPORT`` when set): nbval's cell number,
  grade_id, tags, seconds, and the exception a ``raises-exception`` cell raised, which nbval
  itself does not report.
"""
from __future__ import annotations

import json
import os
import time

import pytest

FAST_MARK = "mode=fast"


def _stream_text(outputs) -> str:
    return "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")


def _record(item, seconds: float, passed: bool) -> None:
    path = os.environ.get("DGMLAB_NBVAL_REPORT")
    if not path:
        return
    outputs = getattr(item, "test_outputs", None) or []
    errors = [o.get("ename", "") for o in outputs if o.get("output_type") == "error"]
    meta = item.cell.get("metadata", {})
    row = {"cell": item.cell_num, "grade_id": meta.get("nbgrader", {}).get("grade_id"),
           "tags": list(meta.get("tags", [])), "seconds": round(seconds, 2), "passed": passed,
           "raised": errors[0] if errors else None}
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")


def _check_fast_mode(item) -> None:
    if os.environ.get("DGMLAB_FAST") != "1":
        return
    if item.cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") != "setup":
        return
    text = _stream_text(getattr(item, "test_outputs", None) or [])
    if FAST_MARK not in text:
        raise AssertionError(f"DGMLAB_FAST=1, but the setup cell did not report {FAST_MARK!r}; it printed:\n"
                             f"{text or '(nothing)'}\nthe notebook would run in full mode: stopped here")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    if not (hasattr(item, "cell") and hasattr(item, "cell_num")):   # not an nbval cell
        return (yield)
    t0 = time.monotonic()
    try:
        result = yield
        _check_fast_mode(item)
    except BaseException:
        _record(item, time.monotonic() - t0, passed=False)
        raise
    _record(item, time.monotonic() - t0, passed=True)
    return result
