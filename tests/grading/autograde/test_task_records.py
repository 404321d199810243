"""The records a grading task takes and gives back (dgmlab.grading.autograde.task_records): frozen inside a process,
dicts of plain data between processes, read back whole; a worker of another dgmlab refuses a bundle unread."""
import dataclasses
import pickle

import pytest

from dgmlab import __version__
from dgmlab.grading.autograde import worker
from dgmlab.grading.autograde.task_records import Bundle, Job, Outcome
from dgmlab.grading.isolation.kernel_sandbox import Limits
from dgmlab.grading.layout import StepResult


def _bundle(**kw):
    return Bundle(**{"hw": "hw9", "version": __version__, "config": "c = get_config()\n", "gradebook": b"db",
                     "notebooks": ("hw9",), "source": {"data.csv": b"1,2\n"}, "timeout": 60.0, "feedback": True,
                     "sandbox": None, "limits": Limits(memory=2 ** 30, file_size=2 ** 20, tmpfs=2 ** 22),
                     "cell_timeout": 30.0, "course_id": "c1", **kw})


def _plain(value) -> bool:
    """Whether ``value`` is made of dicts, lists, strings, bytes, numbers, booleans and None only."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    return value is None or isinstance(value, (str, bytes, int, float, bool))


def test_each_record_comes_back_whole_from_its_wire_form():
    job = Job(student="s1", files={"hw9.ipynb": b"{}"}, key="k", draw_seeds={"w.pt": {"seed": 3}}, probe_seed=7,
              submitted_at=1.5, extension=3600.0)
    outcome = Outcome(student="s1", status="graded", steps=(StepResult(["autograde", "hw9"], 0, "log", 2.0),),
                      notebooks_run=("hw9",), scores={"timestamp": None, "scores": [("hw9", "q1", 1.0)],
                                                      "comments": []}, finished_at=9.0)
    for record in (_bundle(), job, outcome):
        wire = pickle.loads(pickle.dumps(record.to_wire()))  # as Dask carries it
        assert _plain(wire), wire
        assert type(record).from_wire(wire) == record


def test_the_records_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        _bundle().timeout = 1.0


def test_a_wire_form_with_a_key_the_record_lacks_is_refused_naming_it():
    with pytest.raises(ValueError, match=r"a Job has no memory .*same dgmlab"):
        Job.from_wire({"student": "s1", "files": {}, "memory": 1})


def test_a_worker_refuses_a_bundle_of_another_dgmlab_before_reading_it():
    wire = {**_bundle().to_wire(), "version": "0.0.1", "field_of_another_version": 1}
    got = Outcome.from_wire(worker.grade_task(wire, Job(student="s1", files={}).to_wire()))
    assert got.status == "failed" and got.infrastructure and got.student == "s1"
    assert f"runs dgmlab {__version__}, the coordinator 0.0.1" in got.reason
