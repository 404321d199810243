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

The gradings run in forked children, with a time limit, in a temporary folder: a callable may change the process's
state (the working folder, torch's defaults), so a child that saw it change stops and a fresh one goes on, and a
score above the bar is graded again in a child of its own. Callables are left out only where that cannot change a
score (:func:`_could_differ`): a name the probe never reads cannot change what it returns, and a callable whose
signature binds none of the calls the probe made on the blank raises TypeError at each, where the blank raised.
Run with ``-s`` to see the answers that know nothing yet earn points (weak tests, not leaks).
"""
from __future__ import annotations

import gc
import importlib
import inspect
import os
import pickle
import pkgutil
import select
import signal
import sys
import time
from pathlib import Path

import pytest
import tomllib
import torch

from conftest import ROOT, homework_builders
from dgmlab import probes
from dgmlab.authoring.percent import parts, read_cells
from dgmlab.authoring.proofs import bound_names
from dgmlab.probes import wire

SEED = 4242  # a grading seed: not the working one, so visible tests compare with the grader's references
TIME_LIMIT = 60  # seconds one grading may take in its child (the slowest reference probe takes a few)

# {(hw, cell): {callable: why}}: where the question itself asks to use that callable of the kit (none does: hw5 Q4's
# text asks for the student's own code, and dgmlab.metrics wrapped as its answers earns nothing, tested below)
REVIEWED: dict = {}


# ------------------------------------------------------------------ what the student installs
def _package_modules(package: str) -> list:
    """``package`` and its modules (not its subpackages: pyproject.toml lists each package it ships)."""
    top = importlib.import_module(package)
    found = [top]
    for info in pkgutil.iter_modules(getattr(top, "__path__", [])):
        if not info.ispkg:
            found.append(importlib.import_module(f"{package}.{info.name}"))
    return found


def shipped_packages() -> list[str]:
    """The packages of the student wheel, as setuptools finds them from pyproject.toml's packages.find."""
    import setuptools

    with open(ROOT / "pyproject.toml", "rb") as f:
        find = tomllib.load(f)["tool"]["setuptools"]["packages"]["find"]
    return sorted({name for where in find["where"]
                   for name in setuptools.find_packages(where=str(ROOT / where), include=find["include"])})


def _defined(module, private: bool) -> dict:
    """``{qualified name: object}`` of the functions and classes ``module`` itself defines (``private``: those whose
    name starts with ``_`` too)."""
    return {f"{module.__name__}.{name}": value for name, value in vars(module).items()
            if (inspect.isfunction(value) or inspect.isclass(value))
            and getattr(value, "__module__", None) == module.__name__ and (private or not name.startswith("_"))}


def candidates(hw: str) -> dict:
    """``{qualified name: callable}``: each public function and class of the student wheel, and every function and
    class of ``dgmlab.probes.<hw>`` and its modules."""
    found = {}
    for package in shipped_packages():
        for module in _package_modules(package):
            found.update(_defined(module, private=False))
    for module in _package_modules(probes.checks_package(hw)):
        found.update(_defined(module, private=True))
    return dict(sorted(found.items()))


# ------------------------------------------------------------------ the graded cells and their answers
def _code_cells(hw: str):
    """``(kind, grade_id, source)`` of each code cell of ``hw``'s percent files, in notebook order."""
    module = homework_builders()[hw].module
    folder = Path(module.__file__).parent
    for part in parts(folder):
        for _, cell_type, meta, source in read_cells(folder / part):
            if cell_type == "code":
                yield meta.get("kind"), meta.get("grade_id"), source


def _callables_bound(source: str) -> set[str]:
    """The names a cell binds at top level to a function or class (``def``, ``class``, ``name = lambda``)."""
    import ast

    tree = ast.parse(source)
    out = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
            out.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return out


def answers(hw: str) -> tuple[set, dict]:
    """``(answer callables, given sources)``: the names ``hw``'s answer cells bind to a function or class, and
    ``{name: source of the locked cell that defines it}`` for names the notebook gives."""
    answer, given = set(), {}
    for kind, _, source in _code_cells(hw):
        if kind == "answer":
            answer |= _callables_bound(source)
        elif kind is None:
            for name in bound_names(source):
                given.setdefault(name, source)
    return answer, given


def _given(source: str, name: str):
    """``name`` as the notebook's locked cell ``source`` defines it (run as the judge runs an instructor's cell)."""
    import math

    import numpy as np

    namespace = {"torch": torch, "nn": torch.nn, "F": torch.nn.functional, "math": math, "np": np}
    exec(compile(source, f"<the given cell defining {name}>", "exec"), namespace)
    return namespace[name]


def graded_cells(hw: str) -> list[str]:
    return sorted(cell for cell, spec in probes.specs(hw).items() if spec.names)


# ------------------------------------------------------------------ grading one answer
def _blank(calls: list):
    """An answer left blank, as the release stub leaves it: a function that raises NotImplementedError. It notes the
    arguments of each call in ``calls``."""

    def blank(*args, **kwargs):
        calls.append((args, kwargs))
        raise NotImplementedError()
    return blank


class _Reads(dict):
    """The probe's table of objects, noting which names it reads."""

    def __init__(self, *args):
        super().__init__(*args)
        self.read = set()

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)

    def values(self):
        self.read.update(self)
        return super().values()

    def items(self):
        self.read.update(self)
        return super().items()

    def copy(self):
        self.read.update(self)
        return dict(super().items())

    def __iter__(self):  # a dict subclass with its own __iter__ is copied ({**o}, dict(o)) through __getitem__
        return super().__iter__()


def _earned(hw: str, cell: str, objects: dict, expected_at) -> float:
    """What ``objects`` (``{name: object}``) earn on ``cell`` as graded: the probe as the kernel runs it, its data
    over the wire, the judge with the grader's hidden tests."""
    from dgmlab.grading import hidden

    spec = probes.spec_for(hw, cell)
    data = probes.run_probe(spec, tuple(objects[n] for n in spec.names), SEED)
    result = probes.judge(hw, spec, wire.loads(wire.dumps(data)), SEED, expected_at=expected_at,
                          hidden=hidden.tests(hw, cell))
    return result.earned


def _state() -> tuple:
    """What a callable could change in this process that would change how the next one is graded."""
    import warnings

    import numpy as np

    return (os.getcwd(), sorted(os.environ.items()), list(sys.path), len(warnings.filters), np.geterr(),
            torch.get_default_dtype(), torch.is_grad_enabled(), torch.is_inference_mode_enabled(),
            torch.are_deterministic_algorithms_enabled(), torch.is_anomaly_enabled(), torch.get_num_threads())


def _send(pipe, record) -> None:
    data = pickle.dumps(record)
    pipe.write(len(data).to_bytes(8, "big") + data)
    pipe.flush()


def _child(jobs: list, first: int, folder: Path, write: int) -> None:
    """Grade ``jobs[first:]`` one after the other (this is the forked child), telling the parent as it goes; stop
    after a job that changed :func:`_state` (the parent goes on in a fresh child)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)  # the callables' output is not the test's
    torch.set_num_threads(1)
    os.chdir(folder)
    with os.fdopen(write, "wb") as pipe:
        for j in range(first, len(jobs)):
            before = _state()
            _send(pipe, ("start", j))
            try:
                out = ("ok", jobs[j]())
            except BaseException as exc:  # noqa: BLE001 - told to the parent
                out = ("raised", f"{type(exc).__name__}: {exc}"[:300])
            _send(pipe, ("done", j, *out))
            if _state() != before:
                return


def _receive(pipe, deadline: float):
    """The next record from a child, ``None`` at its end, or ``"late"`` when none came by ``deadline``."""
    data = b""
    size = None
    while size is None or len(data) < size:
        ready, _, _ = select.select([pipe], [], [], max(deadline - time.monotonic(), 0))
        if not ready:
            return "late"
        chunk = os.read(pipe.fileno(), (8 if size is None else size) - len(data))
        if not chunk:
            return None
        data += chunk
        if size is None and len(data) == 8:
            size, data = int.from_bytes(data, "big"), b""
    return pickle.loads(data)


def in_children(jobs: list, folder: Path) -> list:
    """``[(status, value)]`` of each job (a function of no argument), run in forked children working in ``folder``:
    ``("ok", what it returned)``, ``("raised", why)``, or ``("timeout", seconds)`` past :data:`TIME_LIMIT`. One child
    runs the jobs in turn until one changes the process's state (:func:`_state`), takes too long or kills it; a
    fresh child goes on from the next."""
    results, first = [None] * len(jobs), 0
    while first < len(jobs):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(read)
                _child(jobs, first, folder, write)
            finally:
                os._exit(0)
        os.close(write)
        current = None  # the job the child is in
        with os.fdopen(read, "rb") as pipe:
            while True:
                record = _receive(pipe, time.monotonic() + TIME_LIMIT)
                if record == "late":
                    os.kill(pid, signal.SIGKILL)
                    current = first if current is None else current
                    results[current], first = ("timeout", TIME_LIMIT), current + 1
                    break
                if record is None:
                    if current is not None:  # it ended the process in the middle of a job
                        results[current], first = ("raised", "the grading ended the process"), current + 1
                    break
                if record[0] == "start":
                    current = record[1]
                else:
                    results[record[1]], current, first = tuple(record[2:]), None, record[1] + 1
        os.waitpid(pid, 0)
    return results


def _binds(fn, args, kwargs) -> bool:
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # no signature to read: it may accept anything
        return True
    try:
        signature.bind(*args, **kwargs)
    except TypeError:
        return False
    return True


def _could_differ(calls: list, fn) -> bool:
    """Whether ``fn`` in a blank's place could change what the probe returns, from the ``calls`` the probe made on the
    blank. Not when it was called and ``fn`` binds none of those calls: ``fn`` then raises TypeError before running
    wherever the blank raised NotImplementedError, and the probe goes on as it went on from the blank."""
    if not calls:  # read but never called: whatever it does with it may differ
        return True
    return any(_binds(fn, args, kwargs) for args, kwargs in calls)


# ------------------------------------------------------------------ the test
def _memo(expected_at):
    cache = {}

    def at(hw, cell, seed):
        if (hw, cell, seed) not in cache:
            cache[hw, cell, seed] = expected_at(hw, cell, seed)
        return cache[hw, cell, seed]
    return at


def _cell_objects(hw: str, cell: str, answer: set, given: dict) -> tuple[dict, dict]:
    """``(objects, calls)``: the cell's names as the blank leaves them (a given name: the notebook's object) and, for
    each blank, the list its calls are noted in."""
    spec = probes.spec_for(hw, cell)
    objects, calls = {}, {}
    for name in spec.names:
        if name in given and name not in answer:
            objects[name] = _given(given[name], name)
        else:
            calls[name] = []
            objects[name] = _blank(calls[name])
    return objects, calls


def _blank_run(hw: str, cell: str, objects: dict, at) -> tuple[float, set]:
    """``(what the blank earns, the names the probe read)``; the blanks note the calls the probe made."""
    spec = probes.spec_for(hw, cell)
    reads = _Reads(objects)
    if spec.probe is None:
        reads.read.update(objects)
    else:
        probes.attempt(spec.probe, reads, probes.make_inputs(spec, SEED))
    try:
        at(hw, cell, SEED)  # what the visible tests compare with, computed once here for every child
    except AssertionError:
        pass
    return _earned(hw, cell, objects, at), reads.read


def knowing_nothing(calls: list) -> dict:
    """``{label: answer}``: answers that know nothing of the question, for a name the probe called with ``calls``:
    one that does nothing, one that returns 0, one that returns a zero tensor on its tensor arguments' graph, and
    one for each argument that hands it back."""
    most = max((len(args) for args, _ in calls), default=0)
    out = {"does nothing": lambda *a, **k: None, "returns 0": lambda *a, **k: 0.0,
           "returns a zero tensor": lambda *a, **k: sum((t * 0).sum() for t in a if isinstance(t, torch.Tensor))}
    for i in range(most):
        out[f"returns its argument {i + 1}"] = lambda *a, i=i, **k: a[i] if i < len(a) else None
    return out


def gradings(hw: str, tmp_path: Path) -> tuple[list, list, list]:
    """``(rows, weak, read)``. ``rows``: ``(cell, name, callable, status, earned, bar)`` for each callable of
    :func:`candidates` that could earn something other than the blank in an answer's place, graded in a child;
    ``bar`` is the most the blank or an answer that knows nothing (:func:`knowing_nothing`) earns there. ``weak``:
    ``(cell, name, answer, earned, blank)`` where such an answer earns more than the blank. ``read``: ``(cell, name)``
    for each answer name the cell's probe reads (the places a callable could stand in)."""
    from dgmlab.grading.references.recorded import expected_at

    at = _memo(expected_at)
    answer, given = answers(hw)
    pool = candidates(hw)
    rows, weak, reads = [], [], []
    for cell in graded_cells(hw):
        spec = probes.spec_for(hw, cell)
        substituted = [n for n in spec.names if n in answer]
        if not substituted:
            continue
        objects, calls = _cell_objects(hw, cell, answer, given)
        blank, read = _blank_run(hw, cell, objects, at)
        gc.freeze()  # the children share this process's objects without copying them
        folder = tmp_path / cell
        folder.mkdir()

        def job(name, fn, cell=cell, objects=objects):
            return lambda: _earned(hw, cell, {**objects, name: fn}, at)
        for name in substituted:
            if name not in read:  # nothing the probe returns depends on it
                continue
            reads.append((cell, name))
            plain = knowing_nothing(calls[name])
            bar = blank
            for label, (status, got) in zip(plain, in_children([job(name, fn) for fn in plain.values()], folder)):
                if status == "ok" and got > blank:
                    weak.append((cell, name, label, got, blank))
                    bar = max(bar, got)
            tried = [(label, fn) for label, fn in pool.items() if _could_differ(calls[name], fn)]
            results = in_children([job(name, fn) for _, fn in tried], folder)
            for (label, fn), (status, got) in zip(tried, results, strict=True):
                if status == "ok" and got > bar:  # again on its own, in a child that graded nothing before it
                    status, got = in_children([job(name, fn)], folder)[0]
                rows.append((cell, name, label, status, got, bar))
    return rows, weak, reads


@pytest.mark.slow
@pytest.mark.parametrize("hw", probes.KIT_HOMEWORKS)
def test_nothing_the_student_installs_earns_more_than_an_answer_that_knows_nothing(hw, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the children fork from here
    try:
        rows, weak, read = gradings(hw, tmp_path)
    finally:
        torch.set_num_threads(threads)
        gc.unfreeze()
    # the cut (_could_differ) left callables to grade in each place the probe reads, however small the homework
    ungraded = sorted(set(read) - {(cell, name) for cell, name, *_ in rows})
    assert read and not ungraded, f"{hw}: no callable graded in place of " + "; ".join(map(str, ungraded))
    late = [f"{cell} {name} <- {label}" for cell, name, label, status, _, _ in rows if status == "timeout"]
    assert not late, f"{hw}: gradings that did not finish in {TIME_LIMIT} s: " + "; ".join(late)
    over = [f"{cell} {name} <- {label}: {got} (an answer that knows nothing: {bar})"
            for cell, name, label, status, got, bar in rows
            if status == "ok" and got > bar and label not in REVIEWED.get((hw, cell), {})]
    assert not over, f"{hw}: callables the student installs answer cells: " + "; ".join(over)
    print(f"{hw}: {len(rows)} gradings; answers that know nothing yet earn more than the blank: {weak}")


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
