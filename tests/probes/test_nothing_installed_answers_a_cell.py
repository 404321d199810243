"""Nothing a student installs answers a graded cell (issue 55, item 2): the kernel side holds what it needs to call
the student's objects, never how to answer.

For every graded code cell of the five kit homeworks (a CheckSpec with names), each answer name the reference binds
to a function or class (a ``def``, ``class`` or lambda in an answer cell of the homework's percent files) gets, in
turn, every public function and class of the student wheel (the modules of the packages pyproject.toml ships, every
kit's checks included) and every function and class of the homework's own checks (``dgmlab.probes.<hw>`` and its
modules, private ones too). The cell's other names are the blank (a function that raises NotImplementedError, as
the release stub leaves it), or the given object (a locked cell's, e.g. hw2's ``ResidualBlock``). The probe runs as
the kernel runs it, its data goes over the wire, and the judge grades it with the grader's hidden tests. Nothing may
earn more than an answer that knows nothing earns there (:func:`knowing_nothing`: the blank, or one that does
nothing, returns 0 or a zero tensor, or hands an argument back), but for :data:`REVIEWED`.

The gradings (installed_gradings.py) run in a fresh process whose native libraries start no thread, in children
forked from it, each with a time limit, in a temporary folder: a callable may change the process's
state (the working folder, torch's defaults), so a child that saw it change stops and a fresh one goes on, and a
score above the bar is graded again in a child of its own. Callables are left out only where that cannot change a
score (:func:`_could_differ`): a name the probe never reads cannot change what it returns, and a callable whose
signature binds none of the calls the probe made on the blank raises TypeError at each, where the blank raised.
Run with ``-s`` to see the answers that know nothing yet earn points (weak tests, not leaks).
"""
from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from installed_gradings import ONE_THREAD, REVIEWED, TIME_LIMIT, _defined, _earned, _package_modules, in_children

from dgmlab import probes

HERE = Path(__file__).resolve().parent


def graded_in_a_fresh_process(hw: str, folder: Path) -> tuple[list, list, list]:
    """installed_gradings.gradings of ``hw``, in a fresh Python whose libraries start no thread (so it may fork)."""
    out = folder / "gradings.json"
    path = os.pathsep.join([str(HERE.parent), str(HERE), os.environ.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, str(HERE / "installed_gradings.py"), hw, str(folder), str(out)],
                          env={**os.environ, **ONE_THREAD, "PYTHONPATH": path}, cwd=folder,
                          capture_output=True, text=True, timeout=3600)
    assert done.returncode == 0, f"the gradings' process failed ({done.returncode}): {done.stderr[-3000:]}"
    found = json.loads(out.read_text(encoding="utf-8"))
    return found["rows"], found["weak"], found["read"]


@pytest.mark.slow
@pytest.mark.parametrize("hw", probes.KIT_HOMEWORKS)
def test_nothing_the_student_installs_earns_more_than_an_answer_that_knows_nothing(hw, tmp_path):
    rows, weak, read = graded_in_a_fresh_process(hw, tmp_path)
    # the cut (_could_differ) left callables to grade in each place the probe reads, however small the homework
    ungraded = sorted({tuple(r) for r in read} - {(cell, name) for cell, name, *_ in rows})
    assert read and not ungraded, f"{hw}: no callable graded in place of " + "; ".join(map(str, ungraded))
    killed = [f"{cell} {name} <- {label}: {got}" for cell, name, label, status, got, _ in rows if status == "killed"]
    assert not killed, f"{hw}: gradings whose child died of a signal: " + "; ".join(killed)
    late = [f"{cell} {name} <- {label}" for cell, name, label, status, _, _ in rows if status == "timeout"]
    assert not late, f"{hw}: gradings that did not finish in {TIME_LIMIT} s: " + "; ".join(late)
    over = [f"{cell} {name} <- {label}: {got} (an answer that knows nothing: {bar})"
            for cell, name, label, status, got, bar in rows
            if status == "ok" and got > bar and label not in REVIEWED.get((hw, cell), {})]
    assert not over, f"{hw}: callables the student installs answer cells: " + "; ".join(over)
    print(f"{hw}: {len(rows)} gradings; answers that know nothing yet earn more than the blank: {weak}")


def _segfault():
    import ctypes

    ctypes.string_at(0)


def test_a_child_that_dies_of_a_signal_is_reported_with_the_signal_named(tmp_path):
    """A grading that kills its child is ``("killed", "SIGSEGV")``, never a pass or a grading that merely raised;
    the next job still runs, in a fresh child (forked here only where this process has one thread)."""
    script = (f"import sys; sys.path[:0] = {[str(HERE.parent), str(HERE)]!r}\n"
              "from installed_gradings import in_children\n"
              "from test_nothing_installed_answers_a_cell import _segfault\n"
              f"print(in_children([_segfault, lambda: 2], __import__('pathlib').Path({str(tmp_path)!r})))\n")
    done = subprocess.run([sys.executable, "-c", script], env={**os.environ, **ONE_THREAD}, capture_output=True,
                          text=True, timeout=300, cwd=tmp_path)
    assert done.stdout.strip() == "[('killed', 'SIGSEGV'), ('ok', 2)]", done.stderr[-2000:]


def _spin():
    while True:
        pass


def test_a_grading_times_out_on_its_cpu_time_not_on_a_busy_machines_wall_time(tmp_path):
    """A job waiting (as on a loaded machine) past the limit still finishes; one computing past it is a timeout."""
    script = (f"import sys, time; sys.path[:0] = {[str(HERE.parent), str(HERE)]!r}\n"
              "import installed_gradings as g\n"
              "from test_nothing_installed_answers_a_cell import _spin\n"
              "g.TIME_LIMIT, g.POLL = 1, 0.2\n"
              f"print(g.in_children([lambda: time.sleep(2) or 1, _spin, lambda: 3], "
              f"__import__('pathlib').Path({str(tmp_path)!r})))\n")
    done = subprocess.run([sys.executable, "-c", script], env={**os.environ, **ONE_THREAD}, capture_output=True,
                          text=True, timeout=300, cwd=tmp_path)
    assert done.stdout.strip() == "[('ok', 1), ('timeout', 1), ('ok', 3)]", done.stderr[-2000:]


def test_forking_from_a_process_with_threads_is_refused(tmp_path):
    import threading

    stop = threading.Event()
    watcher = threading.Thread(target=stop.wait)
    watcher.start()
    try:
        with pytest.raises(RuntimeError, match="refusing to fork from a process with"):
            in_children([lambda: 1], tmp_path)
    finally:
        stop.set()
        watcher.join()


# ------------------------------------------------------------------ one-off cases
def _earned_alone(hw: str, cell: str, answer) -> float:
    """What ``answer`` earns as the one answer of ``cell`` (graded here, hidden tests included)."""
    from dgmlab.grading.references.recorded import expected_at

    (name,) = probes.spec_for(hw, cell).names
    return _earned(hw, cell, {name: answer}, expected_at)


@pytest.mark.parametrize("cell, wrap", [
    ("q4_stats_tests", lambda m: lambda f: tuple(torch.from_numpy(a) for a in m.gaussian_stats(f.detach().numpy()))),
    ("q4_frechet_tests", lambda m: lambda *a: torch.tensor(m.frechet_distance(*(t.detach().numpy() for t in a)),
                                                           dtype=torch.float64)),
])
def test_the_kits_metrics_wrapped_as_q4_answers_earn_nothing(cell, wrap):
    """hw5 Q4 asks for the student's own torch code: dgmlab.metrics' numpy statistics and distance, wrapped into the
    stated signatures, earned 1.5 of 2 and 2 of 4; every value now counts only with its graph."""
    from dgmlab import metrics

    assert _earned_alone("hw5_explicit", cell, wrap(metrics)) == 0


def test_hw5s_checks_hand_back_no_network():
    """The functions of ``homeworks.hw5_explicit.checks`` that need no argument (the file layouts among them) return
    names and shapes, never an nn.Module, and no module of it defines a network class: the coupling layer and PixelCNN
    that once lived there earned p2_coupling and p2_realnvp 10 of 10 with only an inverse written, and p1_model's
    stack but its mask. (Other kits hand back the networks their probes drive the student's code with, and the
    notebook's given ones: the gradings above show none of them answers a cell.)"""
    modules = _package_modules(probes.checks_package("hw5_explicit"))
    assert len(modules) == 9  # the package, common, the six parts and P2's weights file (p2_weights_file)
    for module in modules:
        for label, fn in _defined(module, private=True).items():
            assert not (inspect.isclass(fn) and issubclass(fn, torch.nn.Module)), f"{label} is a network class"
            if inspect.isfunction(fn) and all(p.default is not inspect.Parameter.empty
                                              for p in inspect.signature(fn).parameters.values()):
                assert not isinstance(fn(), torch.nn.Module), f"{label}() hands back a network that computes"
