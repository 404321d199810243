"""What the judge process loads before its first fork (dgmlab.grading.judge.warm_imports): the homeworks named, and
every object frozen, so that a request's fork does not copy their pages."""
import json
import os
import subprocess
import sys

import pytest

from dgmlab import probes
from dgmlab.grading.isolation import kernel_sandbox as sandbox
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


def test_what_judging_imports_on_first_use_is_imported_ahead():
    """A module sympy or torch imports on a first call would be imported again in every request's fork: checking a
    solution, integrating and broadcasting shapes import nothing once the judge is warm (fails without
    warm_imports.LAZY)."""
    code = ("import sys, json\nfrom dgmlab.grading.judge import warm_imports as W\nW.warm(1)\n"
            "import sympy, torch\nbefore = set(sys.modules)\nx = sympy.Symbol('x')\n"
            "sympy.solve(x**2 - 4, x, check=True)\nsympy.integrate(sympy.exp(-x**2) * x**2, (x, -sympy.oo, sympy.oo))\n"
            "torch.distributions.MultivariateNormal(torch.zeros(2), torch.eye(2))\ntorch.broadcast_shapes((2, 1), (1, 3))\n"
            "print(json.dumps(sorted(set(sys.modules) - before)))")
    env = {**os.environ, warm.HOMEWORKS_ENV: "hw3_flows", warm.ONE_SUBMISSION_ENV: ""}  # a Gradescope test may set it
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_what_one_homeworks_judging_imports_late_is_loaded_ahead_for_that_homework_alone():
    code = ("import sys, json\nfrom dgmlab.grading.judge import warm_imports as W\nW.warm(1)\n"
            "print(json.dumps([m in sys.modules for m in ('ot', 'scipy.optimize')]))")
    loaded = {}
    for hw, one in (("hw2_wgangp", ""), ("hw3_flows", ""), ("hw2_wgangp", "1")):
        env = {**os.environ, warm.HOMEWORKS_ENV: hw, warm.ONE_SUBMISSION_ENV: one}
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        loaded[hw, one] = json.loads(out.stdout.strip().splitlines()[-1])
    # a judge serving one submission (Gradescope) imports nothing ahead: its one fork imports what it needs
    assert loaded == {("hw2_wgangp", ""): [True, True], ("hw3_flows", ""): [False, False],
                      ("hw2_wgangp", "1"): [False, False]}


def test_an_optimizer_made_in_a_judging_fork_imports_nothing_and_torch_caches_in_the_requests_folder(tmp_path):
    """An optimizer's first use imports torch._dynamo (0.5-0.9 s of each hw1, hw2 and hw4 judging): imported ahead,
    with torch's cache folder the judge's temporary folder (a request's own tmpfs in its fork), not /tmp."""
    code = ("import os, sys, json\nfrom dgmlab.grading.judge import warm_imports as W\n"
            f"W.warm(1, tmp={str(tmp_path)!r})\nimport torch\nbefore = set(sys.modules)\n"
            "torch.optim.Adam(torch.nn.Linear(2, 2).parameters())\n"
            "print(json.dumps([sorted(set(sys.modules) - before), os.environ[W.TORCH_CACHE_ENV]]))")
    for hw in ("hw1_wgan", "hw2_wgangp", "hw4_gans"):
        env = {**os.environ, warm.HOMEWORKS_ENV: hw, warm.ONE_SUBMISSION_ENV: "", warm.TORCH_CACHE_ENV: "/tmp"}
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        assert json.loads(out.stdout.strip().splitlines()[-1]) == [[], str(tmp_path)], hw
    assert list(tmp_path.iterdir()) == []  # nothing written there at import


@pytest.mark.parametrize("hw", probes.KIT_HOMEWORKS)
def test_the_sandboxed_judge_starts_with_what_it_loads_ahead(hw, monkeypatch, tmp_path):
    """The judge's sandbox has no writable folder before a request's: whatever it imports ahead must not write
    (torch._dynamo, which writes a cache folder as it imports, stopped every judge from starting)."""
    usable, why = sandbox.available()
    if not usable:
        pytest.skip(f"no sandbox on this machine: {why}")
    monkeypatch.setenv(warm.HOMEWORKS_ENV, hw)
    tmp = tmp_path / "judge-tmp"
    tmp.mkdir()
    proc = subprocess.Popen(judge_process.command(True, str(tmp)), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd="/")
    try:
        first = proc.stdout.readline()
    finally:
        proc.kill()
        _, err = proc.communicate(timeout=60)
    assert json.loads(first or b"null") == {"ready": True}, err.decode(errors="replace")[-2000:]
