"""What the judge process loads before its first fork (dgmlab.grading.judge.warm_imports): the homeworks named, and
every object frozen, so that a request's fork does not copy their pages."""
import json
import os
import subprocess
import sys

from dgmlab import probes
from dgmlab.grading.judge import judge_process
from dgmlab.grading.judge import warm_imports as warm


def test_homeworks_named_are_the_only_ones_loaded_ahead():
    assert warm.homeworks({warm.HOMEWORKS_ENV: "hw3_flows,not_a_homework"}) == ("hw3_flows",)


def test_homeworks_default_to_every_kit_homework():
    assert warm.homeworks({}) == tuple(probes.KIT_HOMEWORKS)


def test_warm_loads_the_named_homework_alone_and_freezes_what_it_made():
    code = ("import gc, sys, json\nfrom dgmlab.grading.judge import warm_imports as W\nW.warm(1)\n"
            "print(json.dumps([gc.get_freeze_count(), sorted(m for m in sys.modules if m.startswith('homeworks.') and m.endswith('.hidden'))]))")
    env = {**os.environ, warm.HOMEWORKS_ENV: "hw3_flows"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    frozen, loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert frozen > 10_000 and loaded == ["homeworks.hw3_flows.hidden"]


def test_sandboxed_judge_is_told_which_homeworks_to_load(monkeypatch):
    monkeypatch.setenv(warm.HOMEWORKS_ENV, "hw5_explicit")
    args = judge_process.command(True, "/tmp/judge-tmp")
    at = args.index(warm.HOMEWORKS_ENV)
    assert args[at - 1:at + 2] == ["--setenv", warm.HOMEWORKS_ENV, "hw5_explicit"]
