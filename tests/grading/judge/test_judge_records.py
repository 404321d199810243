"""dgmlab.grading.judge.judge_records: the judge's request and verdicts are records, turned into JSON lines only
between the grading worker and the judge's process, and a line that is not one is refused with what is wrong."""
import json
import math

import pytest

from dgmlab.grading.judge import judge_process
from dgmlab.grading.judge.judge_records import CellToJudge, JudgeRequest, Verdict

OUTPUTS = ({"output_type": "display_data", "metadata": {}, "data": {"application/x-probe": {"cell": "a", "data": "{}"}}},)
REQUEST = JudgeRequest(
    hw="hw3_flows", seed=77, cells=(CellToJudge("a_tests", 'check("a_tests", f)', OUTPUTS),
                                    CellToJudge("b_tests", 'check("b_tests", g)')),
    references={"p1": "class G: pass"}, checks="CHECKS = []", hidden="HIDDEN = {}",
    files={"w.pt": b"\x00\x01weights", "k.pt": "k.pt was not handed in"}, seeds={"w.pt": 5, "k.pt": "refused: kit"},
    delimiters=("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"))


def _over_json(wire: dict) -> dict:
    return json.loads(json.dumps(wire))


def test_a_request_comes_back_whole_from_its_json_line():
    assert JudgeRequest.from_wire(_over_json(REQUEST.to_wire())) == REQUEST


def test_a_requests_wire_form_keeps_the_protocols_keys_bytes_as_base64_and_refusals_as_a_dict():
    wire = REQUEST.to_wire()
    assert set(wire) == {"hw", "seed", "cells", "references", "checks", "hidden", "files", "seeds", "delimiters"}
    assert wire["cells"][0] == {"gid": "a_tests", "source": 'check("a_tests", f)', "outputs": list(OUTPUTS)}
    assert wire["files"] == {"w.pt": "AAF3ZWlnaHRz", "k.pt": {"refused": "k.pt was not handed in"}}


def test_a_request_without_its_optional_keys_is_read_with_their_defaults():
    request = JudgeRequest.from_wire({"hw": "tinyhw", "seed": 0, "cells": [{"gid": "x", "source": "", "outputs": []}]})
    assert request == JudgeRequest("tinyhw", 0, (CellToJudge("x", ""),))


@pytest.mark.parametrize("change, named", [
    ({"evil": 1}, "has no evil"),
    ({"hw": None}, "hw must be a string"),
    ({"seed": "77"}, "seed must be an integer"),
    ({"seed": True}, "seed must be an integer"),
    ({"cells": {"gid": "a"}}, "cells must be a list"),
    ({"cells": [{"gid": "a", "source": ""}]}, "CellToJudge needs outputs"),
    ({"cells": [{"gid": "a", "source": "", "outputs": ["text"]}]}, "outputs must be a list of dicts"),
    ({"files": {"w.pt": "not base64!"}}, "file w.pt is not base64"),
    ({"files": {"w.pt": {"refused": 3}}}, 'file w.pt must be base64 or {"refused": why}'),
    ({"references": {"p1": 3}}, "references must be a dict of grade id: source"),
    ({"seeds": {"w.pt": 1.5}}, "seeds must be a dict of file"),
    ({"delimiters": "###"}, "delimiters must be a list of strings"),
])
def test_a_malformed_request_line_is_refused_naming_what_is_wrong(change, named):
    with pytest.raises(ValueError, match="JudgeRequest|CellToJudge") as caught:
        JudgeRequest.from_wire({**_over_json(REQUEST.to_wire()), **change})
    assert named in str(caught.value)


def test_a_request_missing_its_cells_is_refused():
    with pytest.raises(ValueError, match="a JudgeRequest needs cells"):
        JudgeRequest.from_wire({"hw": "hw3_flows", "seed": 0})


def test_a_verdict_comes_back_whole_from_its_json_line():
    verdict = Verdict("a_tests", 2.5, ("passed x", "FAILED y"), {"graded_draw_100.pt": b"\x80draw"})
    wire = verdict.to_wire()
    assert wire == {"gid": "a_tests", "earned": 2.5, "lines": ["passed x", "FAILED y"],
                    "kept": {"graded_draw_100.pt": "gGRyYXc="}}
    assert Verdict.from_wire(_over_json(wire)) == verdict


@pytest.mark.parametrize("line", [
    {"gid": "a_tests", "earned": math.inf, "lines": []},
    {"gid": "a_tests", "earned": "3", "lines": []},
    {"gid": "a_tests", "earned": 1, "lines": "passed"},
    {"gid": "a_tests", "earned": 1, "lines": [1]},
    {"gid": "a_tests", "earned": 1, "lines": [], "kept": {"k.pt": "%%%"}},
    {"gid": "a_tests", "earned": 1, "lines": [], "score": 3},
    {"gid": "a_tests", "lines": []},
])
def test_a_line_that_is_not_a_verdict_is_refused_and_the_worker_takes_it_for_no_answer(line):
    with pytest.raises(ValueError, match="Verdict"):
        Verdict.from_wire(line)
    assert judge_process._answer(line, "a_tests") is None


def test_the_worker_takes_only_the_verdict_of_the_cell_it_waits_for():
    line = {"gid": "b_tests", "earned": 1.0, "lines": ["forged"]}
    assert judge_process._answer(line, "a_tests") is None
    assert judge_process._answer(line, "b_tests") == Verdict("b_tests", 1.0, ("forged",))


@pytest.mark.slow  # starts a judge process
def test_the_judge_answers_a_malformed_request_with_no_verdict_and_judges_the_next():
    """The judge's child reads the request line itself: one that is not a JudgeRequest is judged not at all (its
    cells go ungraded in the worker), and the same judge process serves the next request."""
    import time

    judge_process.stop()
    try:
        proc, lines = judge_process._ready(time.monotonic() + 120, False)
        proc.stdin.write(json.dumps({"hw": "hw3_flows", "seed": "77", "cells": []}).encode() + b"\n")
        proc.stdin.flush()
        start = lines.next(time.monotonic() + 30)
        assert set(start) == {"start"}
        assert lines.next(time.monotonic() + 30) == {"end": start["start"]}  # no verdict line between
        empty = JudgeRequest("hw3_flows", 0, (CellToJudge("q4_generator_losses_tests", ""),))
        verdict = judge_process.judge(empty, timeout=120)["q4_generator_losses_tests"]
        assert judge_process._PROCESS is proc
        assert verdict.earned == 0 and "did not run" in verdict.lines[0]
    finally:
        judge_process.stop()
