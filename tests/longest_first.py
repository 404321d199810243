"""Longest groups first: how `make test` and `make test-e2e` share their tests between two xdist workers.

With ``--dist loadgroup`` xdist hands a worker a whole group at a time, in the order the groups were collected.
This plugin makes the groups and the order:

- **A group is a test file** (a module-scoped fixture, such as a course built once, is built on one worker only),
  except in the files of :data:`SPLIT_BY_HOMEWORK`, whose tests share no fixture across homeworks: there each
  homework's tests are a group of their own (``<file>:<hw>``), so one file's five homeworks can run on both workers.
  A group's name holds no ``]`` (xdist reads the group after the last ``@`` only when no ``]`` follows it: a name
  ``<file>[<hw>]`` made each test a group of its own, and each module-scoped fixture was built once a test).
- **Longest first** (the longest-processing-time rule): groups are collected in decreasing order of the seconds
  they took when last recorded (:data:`SECONDS`), a group not recorded yet first of all. Within a group, pytest's
  order is kept. Without the order, a 10-minute file collected last ran alone while the other worker sat idle.

``pytest ... --record-group-seconds`` writes each group's seconds (setup, call and teardown of its tests) into
:data:`SECONDS`, keeping the groups that did not run (``benchmarks/time_test_tier.py`` passes it, so every timed
tier refreshes the order). A stale or missing record only makes the order worse, never a test's outcome.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

SECONDS = Path(__file__).with_name("group_seconds.json")
HOMEWORK = re.compile(r"^hw[1-9]_[a-z0-9]+$")
SPLIT_BY_HOMEWORK = {  # files whose module-scoped fixtures, if any, are parametrized by homework
    "tests/probes/test_nothing_installed_answers_a_cell.py",
    "tests/authoring/test_proofs.py",
    "tests/authoring/test_corpora.py",
    "tests/kit/test_notebooks_execute.py",
    "tests/grading/judge/test_published_refusal.py",
    "tests/test_selfcheck_agreement.py",
    "tests/authoring/test_lottery.py",
}


def pytest_addoption(parser):
    parser.addoption("--record-group-seconds", action="store_true",
                     help=f"write each xdist group's seconds into {SECONDS.name} (the order of the next runs)")


def group_of(item) -> str:
    """The xdist group of ``item``: its file, or its file and homework for a file of :data:`SPLIT_BY_HOMEWORK`."""
    path = item.nodeid.split("::")[0]
    if path in SPLIT_BY_HOMEWORK and hasattr(item, "callspec"):
        for value in item.callspec.params.values():
            name = value.stem if isinstance(value, Path) else value
            if isinstance(name, str) and HOMEWORK.match(name):
                return f"{path}:{name}"
    return path


def recorded() -> dict:
    return json.loads(SECONDS.read_text()) if SECONDS.exists() else {}


def handed_out_by_group(config) -> bool:
    """Whether tests go to workers by group: ``--dist loadgroup``. The workers collect, and there xdist has set ``dist``
    to "no" and ``loadgroup`` to True (a hook that read ``dist`` alone grouped nothing: every test went out on its own
    and a module's fixture was built on both workers)."""
    return config.getoption("dist", "no") == "loadgroup" or bool(getattr(config.option, "loadgroup", False))


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which turns the marks into the groups it schedules
def pytest_collection_modifyitems(config, items):
    if not handed_out_by_group(config):
        return
    seconds = recorded()
    groups: dict[str, list] = {}
    for item in items:
        if not any(item.iter_markers("xdist_group")):
            item.add_marker(pytest.mark.xdist_group(group_of(item)))
        groups.setdefault(_group_name(item), []).append(item)
    unknown = float("inf")
    order = sorted(groups, key=lambda g: -seconds.get(g, unknown))  # sorted() is stable: ties keep pytest's order
    items[:] = [item for g in order for item in groups[g]]


class _GroupInNodeIds:
    """Where xdist can read the groups: ``<node id>@<group>``. xdist 3.8 appends it to ``Item._nodeid``, which pytest 9
    no longer reads (a node id is ``str(Item._id)``), so under pytest 9 no test had a group and each went out on its
    own. This appends it where pytest reads it, last of all hooks (``--deselect`` reads the plain ids)."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items):
        try:
            from _pytest.nodeid import NodeId
        except ImportError:  # pytest 8: xdist's own suffix works
            return
        for item in items:
            if isinstance(getattr(item, "_id", None), NodeId) and any(item.iter_markers("xdist_group")):
                item._id = NodeId.parse(f"{item.nodeid}@{_group_name(item)}")


def _group_name(item) -> str:
    mark = next(item.iter_markers("xdist_group"))
    return str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))


class _Recorder:
    """On the controller: each report's seconds added to its group's (xdist ends a node id with ``@<group>``)."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    def pytest_runtest_logreport(self, report):
        group = report.nodeid.rsplit("@", 1)[1] if "@" in report.nodeid else report.nodeid.split("::")[0]
        self.seconds[group] = self.seconds.get(group, 0.0) + report.duration

    def pytest_sessionfinish(self, session):
        if not self.seconds or hasattr(session.config, "workerinput"):
            return
        merged = {**recorded(), **{g: round(s, 1) for g, s in self.seconds.items()}}
        SECONDS.write_text(json.dumps(dict(sorted(merged.items())), indent=0) + "\n")


def pytest_configure(config):
    if hasattr(config, "workerinput") and handed_out_by_group(config):
        config.pluginmanager.register(_GroupInNodeIds(), "group_in_node_ids")
    if config.getoption("record_group_seconds") and not hasattr(config, "workerinput"):
        config.pluginmanager.register(_Recorder(), "group_seconds_recorder")
